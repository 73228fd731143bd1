"""The driver hands each receiver a delivery note (送货单) to sign: one page an order, in
the order the truck reaches them, saying what of each line is in this delivery (a short
line stands out), in which units, on which truck, under which carrier's waybill, with a
box to sign in. It prints from the order's page and, for a whole truck, from the dock."""

import re

from shipping import services
from shipping.documents import reference_barcode_svg
from shipping.models import Order
from shipping.selectors import delivery_notes
from tests.shipping.helpers import floor_order, pick_all
from tests.shipping.test_carrier_network import (  # noqa: F401  (fixtures)
    collected_two_days_ago,
    parcel,
    three_shops,
)


def _notes(html: str) -> list[str]:
    """The orders the pages are for, in print order."""
    return re.findall(r'<section class="note" data-order="([^"]+)">', html)


def test_the_truck_s_notes_come_one_an_order_in_the_order_of_its_stops(
    api,
    person,
    floor,
    collected_two_days_ago,  # noqa: F811
):
    shipment, _truck = collected_two_days_ago
    near = shipment.stops.get(sequence=1)
    services.stop_waybill_record(stop=near, waybill="SF140200000001", actor=None)
    dispatcher = api(person("dispatcher", floor["wh"]))
    page = dispatcher.get(f"/api/v1/loads/{shipment.load_id}/delivery-notes/")
    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8"
    html = page.content.decode()
    assert _notes(html) == ["SO-400", "SO-1000"]  # stop 1 is the shop 400 km away
    first = html.split('<section class="note"')[1]
    assert "Shop E400" in first and "京B-SF1" in first
    assert "SF Express 运单号 waybill" in first and "SF140200000001" in first
    assert "第 1 站 stop 1" in first
    unit = Order.objects.get(external_ref="SO-400").units.get()
    assert f"<li>{unit.sscc}</li>" in first
    assert re.search(
        r'<td class="mono">TEA</td>.*?<td class="num">1</td><td class="num">1</td>', first, re.S
    )
    assert "<svg" in first  # the order's reference as a Code 128 symbol
    assert "收货人签字 Received by" in first
    assert "window.print" not in html
    assert (
        "window.print"
        in dispatcher.get(
            f"/api/v1/loads/{shipment.load_id}/delivery-notes/?print=1"
        ).content.decode()
    )


def test_a_line_short_in_this_delivery_stands_out_and_nothing_packed_has_no_note(
    api, person, floor
):
    order = floor_order(floor, (floor["tea"], 2), (floor["rice"], 1), ref="SO-SHORT")
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=[order], actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    office = api(person("dispatcher", floor["wh"]))
    nothing = office.get(f"/api/v1/orders/{order.pk}/delivery-note/")
    assert nothing.status_code == 404
    assert nothing.json()["message"] == "Nothing of SO-SHORT is packed yet."
    pick_all(floor)
    tea_line = order.lines.get(item=floor["tea"])
    services.unit_pack(order=order, contents=[(tea_line, 2)], actor=None)
    html = office.get(f"/api/v1/orders/{order.pk}/delivery-note/").content.decode()
    assert _notes(html) == ["SO-SHORT"]
    assert re.search(
        r'<td class="mono">RICE</td>.*?<td class="num">1</td><td class="num short">0</td>',
        html,
        re.S,
    )
    assert re.search(
        r'<td class="mono">TEA</td>.*?<td class="num">2</td><td class="num">2</td>', html, re.S
    )
    # Another warehouse's people do not print Beijing's papers.
    from tests.factories import WarehouseFactory

    elsewhere = api(person("dispatcher", WarehouseFactory(code="XA")))
    assert elsewhere.get(f"/api/v1/orders/{order.pk}/delivery-note/").status_code == 404


def test_the_order_page_and_the_dock_link_their_notes(
    client,
    person,
    floor,
    collected_two_days_ago,  # noqa: F811
):
    order = Order.objects.get(external_ref="SO-400")
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/api/v1/orders/{order.pk}/delivery-note/?print=1"' in page
    # On the dock, a truck being loaded: its notes, for the driver.
    other = floor_order(floor, (floor["tea"], 1), ref="SO-DOCK")
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=[other], actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    unit = services.unit_pack(order=other, contents=None, actor=None)
    services.unit_stage(unit=unit, lane=floor["lane"], actor=None)
    services.load_scan(load=load, sscc=unit.sscc, actor=None)
    client.force_login(floor["operator"])
    dock = client.get("/floor/?warehouse=BJ").content.decode()
    assert f'href="/api/v1/loads/{load.pk}/delivery-notes/?print=1"' in dock
    assert f'href="/api/v1/loads/{load.pk}/manifest/?print=1"' in dock


def test_a_truck_s_notes_are_read_in_four_queries_however_many_orders(
    floor,
    collected_two_days_ago,  # noqa: F811
    django_assert_num_queries,
):
    shipment, _truck = collected_two_days_ago
    ids = list(shipment.load.orders.values_list("pk", flat=True))
    with django_assert_num_queries(4):
        notes = delivery_notes(order_ids=ids, warehouse_ids=[floor["wh"].pk])
        assert [(n["order"].stop.shipment.carrier.code, len(n["units"])) for n in notes] == [
            ("SF", 1),
            ("SF", 1),
        ]


def test_a_reference_code_128_cannot_carry_is_printed_as_text_only():
    assert reference_barcode_svg("SO-1").startswith("<svg")
    assert reference_barcode_svg("订单-1") == ""
    assert reference_barcode_svg("") == ""


def test_the_driver_signs_the_manifest_for_the_units_on_the_truck(api, person, floor):
    """Two units of an order, one scanned on so far: the manifest says 1 of 2 on the truck,
    so nobody signs for a unit still on the lane."""
    order = floor_order(floor, (floor["tea"], 2), (floor["rice"], 1), ref="SO-M")
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=[order], actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    office = api(person("dispatcher", floor["wh"]))
    empty = office.get(f"/api/v1/loads/{load.pk}/manifest/")
    assert empty.status_code == 404
    assert empty.json()["message"] == f"Nothing of {load.reference} is packed yet."
    pick_all(floor)
    lines = {line.item.sku: line for line in order.lines.select_related("item")}
    tea = services.unit_pack(order=order, contents=[(lines["TEA"], 2)], actor=None)
    rice = services.unit_pack(order=order, contents=[(lines["RICE"], 1)], actor=None)
    for unit in (tea, rice):
        services.unit_stage(unit=unit, lane=floor["lane"], actor=None)
    services.load_scan(load=load, sscc=tea.sscc, actor=None)
    page = office.get(f"/api/v1/loads/{load.pk}/manifest/?print=1")
    assert page.status_code == 200
    html = page.content.decode()
    assert "装车交接单 Load manifest" in html and load.reference in html and "京A-1" in html
    row = re.search(r'<tr data-order="SO-M">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'<td class="num">2</td><td class="num short">1</td>', row)
    assert tea.sscc in row and rice.sscc in row
    assert "承运商司机 Received by the carrier's driver" in html
    assert "window.print" in html
    services.load_scan(load=load, sscc=rice.sscc, actor=None)
    row = re.search(
        r'<tr data-order="SO-M">(.*?)</tr>',
        office.get(f"/api/v1/loads/{load.pk}/manifest/").content.decode(),
        re.S,
    ).group(1)
    assert re.search(r'<td class="num">2</td><td class="num">2</td>', row)
