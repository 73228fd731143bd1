"""The floor page beyond the next task: scan to look up stock, receive against an expected
receipt, and for supervisors the open tasks to hand out, waves per picker and short picks."""

import datetime

from inventory import services as stock
from inventory.models import ReceiptLine, StockMovement, Task
from tests.factories import ItemFactory, LocationFactory, ZoneFactory
from tests.inventory.helpers import stock_in
from tests.shipping.helpers import order_placed

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_scanning_an_item_or_a_location_shows_the_stock_behind_it(client, site, person):
    soap = ItemFactory(sku="SOAP", gtin="06901234567892", name="Soap")
    stock_in(soap, site.loc["a1"], 12, lot="L1")
    stock_in(soap, site.loc["pf"], 3)
    client.force_login(person("operator", site.warehouse))

    by_item = client.get("/floor/lookup/?warehouse=WA&code=06901234567892").content.decode()
    assert "SOAP · Soap" in by_item
    assert "WA-A1" in by_item and "WA-PF" in by_item and "L1" in by_item
    by_place = client.get("/floor/lookup/?warehouse=WA&code=WA-A1").content.decode()
    assert "SOAP Soap" in by_place and "12" in by_place
    unknown = client.get("/floor/lookup/?warehouse=WA&code=NOPE").content.decode()
    assert "Nothing has the code NOPE." in unknown


def test_receiving_against_an_expected_receipt_from_the_floor(client, site, person):
    soap = ItemFactory(sku="SOAP")
    receipt = stock.receipt_create(
        warehouse=site.warehouse,
        reference="ASN-1",
        supplier="Acme",
        expected_on=datetime.date.today(),
        lines=[(soap, 10)],
        actor=None,
    )
    client.force_login(person("operator", site.warehouse))
    page = client.get("/floor/?warehouse=WA").content.decode()
    assert 'data-receipt="ASN-1"' in page

    form = {"location_barcode": "WA-DOCK_IN", "item_code": "SOAP", "quantity": "6"}
    answer = client.post(f"/floor/receipts/{receipt.pk}/receive/", form, **HTMX).content.decode()
    assert "Received 6 × SOAP at WA-DOCK_IN." in answer
    assert ReceiptLine.objects.get().received_quantity == 6
    assert Task.objects.filter(kind="putaway").count() == 1  # to be put away now

    wrong = client.post(
        f"/floor/receipts/{receipt.pk}/receive/", {**form, "item_code": "SAOP"}, **HTMX
    ).content.decode()
    assert "Item: No item has the code SAOP." in wrong
    zero = client.post(
        f"/floor/receipts/{receipt.pk}/receive/", {**form, "quantity": "0"}, **HTMX
    ).content.decode()
    assert "Quantity: A whole number of at least 1." in zero
    assert ReceiptLine.objects.get().received_quantity == 6
    assert StockMovement.objects.count() == 1
    # Typed on a Chinese keyboard in full-width digits, the rest comes in all the same.
    rest = client.post(
        f"/floor/receipts/{receipt.pk}/receive/", {**form, "quantity": "４"}, **HTMX
    ).content.decode()
    assert "Received 4 × SOAP at WA-DOCK_IN." in rest
    assert ReceiptLine.objects.get().received_quantity == 10


def test_a_supervisor_hands_out_tasks_and_an_operator_does_not_see_that_part(client, site, person):
    soap = ItemFactory(sku="SOAP")
    stock_in(soap, site.loc["dock_in"], 4)  # a putaway task waits
    task = Task.objects.get(kind="putaway")
    lin = person("operator", site.warehouse, username="lin")
    client.force_login(lin)
    assert 'id="supervise"' not in client.get("/floor/?warehouse=WA").content.decode()

    client.force_login(person("supervisor", site.warehouse))
    page = client.get("/floor/?warehouse=WA").content.decode()
    assert 'id="supervise"' in page and f'data-task="{task.pk}"' in page
    answer = client.post(
        f"/floor/tasks/{task.pk}/assign/", {"user": lin.pk, "warehouse_code": "WA"}, **HTMX
    ).content.decode()
    assert f"Task {task.pk} given to" in answer
    task.refresh_from_db()
    assert task.assigned_to == lin and task.status == "assigned"
    outsider = person("operator")
    refused = client.post(
        f"/floor/tasks/{task.pk}/assign/", {"user": outsider.pk, "warehouse_code": "WA"}, **HTMX
    ).content.decode()
    assert "Given to: " in refused and "does not work on this warehouse&#x27;s floor" in refused

    client.force_login(lin)
    taken = client.post(
        f"/floor/tasks/{task.pk}/assign/", {"user": lin.pk, "warehouse_code": "WA"}, **HTMX
    ).content.decode()
    assert "Your role here is Operator" in taken


def test_the_server_refuses_a_wrong_scan_in_the_scanner_language(client, site, person):
    stock_in(ItemFactory(sku="SOAP"), site.loc["dock_in"], 4)  # a putaway task waits
    task = Task.objects.get(kind="putaway")
    client.force_login(person("operator", site.warehouse))
    answer = client.post(
        f"/api/v1/tasks/{task.pk}/confirm/",
        {"location_barcode": "WA-A2", "item_code": "SOAP", "quantity": 4},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).json()
    assert answer["message"] == "库位错误：应为 WA-DOCK_IN，扫描到 WA-A2。"
    assert answer["fields"] == {"location_barcode": [answer["message"]]}


def test_a_supervisor_sees_each_wave_by_picker_and_the_short_picks(
    client, network, beijing_shop, person
):
    from shipping import services as shipping
    from shipping.models import Carrier, Vehicle
    from tests.shipping.conftest import tomorrow

    bj, pick, _ = network["BJ"]
    tea = ItemFactory(sku="TEA")
    stock_in(tea, pick, 10)
    orders = [
        shipping.order_create(
            customer=beijing_shop[0],
            ship_to=beijing_shop[1],
            external_ref=f"SO-W{n}",
            lines=[shipping.LineInput(tea, 2)],
            requested_delivery_date=tomorrow(1),
            promised_ship_date=tomorrow(0),
            actor=None,
        )
        for n in range(2)
    ]
    van = Vehicle.objects.create(
        carrier=Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet"),
        plate="京A-9",
        capacity_weight_kg=900,
        capacity_volume_l=9000,
    )
    load = shipping.load_build(warehouse=bj, vehicle=van, orders=orders, actor=None)
    shipping.wave_release(wave=shipping.wave_plan(load=load, actor=None), actor=None)
    lin = person("operator", bj, username="lin")
    first = Task.objects.filter(kind="pick").order_by("pk").first()
    shipping.order_pick_confirm(  # lin finds 1 of 2: a short pick
        task=first, location_barcode=pick.barcode, item_code="TEA", quantity=1, actor=lin
    )
    client.force_login(person("supervisor", bj))
    part = client.get("/floor/?warehouse=BJ&fragment=supervise").content.decode()
    assert load.reference in part
    assert "1/3" in part  # two picks, one done, and the short unit picked again
    assert "lin: 1" in part
    assert "Short picks today" in part and '<tr class="bad">' in part and "BJ-PF-1" in part


def test_each_task_on_the_floor_says_which_order_line_it_is_for_or_where_it_goes(
    client, network, beijing_shop, person
):
    from shipping import services as shipping
    from shipping.models import Carrier, Vehicle

    bj, pick, _ = network["BJ"]
    dock = LocationFactory(zone=ZoneFactory(warehouse=bj, kind="receiving"), barcode="BJ-RCV-1")
    tea, rice = ItemFactory(sku="TEA"), ItemFactory(sku="RICE")
    stock_in(tea, pick, 50)
    stock_in(rice, pick, 50)
    order = order_placed(*beijing_shop, (tea, 2), (rice, 3), ref="SO-7781")
    van = Vehicle.objects.create(
        carrier=Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet"),
        plate="京A-1",
        home_warehouse=bj,
        capacity_weight_kg=1000,
        capacity_volume_l=8000,
    )
    load = shipping.load_build(warehouse=bj, vehicle=van, orders=[order], actor=None)
    shipping.wave_release(wave=shipping.wave_plan(load=load, actor=None), actor=None)
    stock_in(ItemFactory(sku="SOAP"), dock, 6)  # a putaway waits, from the receiving dock
    putaway = Task.objects.get(kind="putaway")
    assert putaway.to_location is not None

    client.force_login(person("supervisor", bj))
    page = client.get("/floor/?warehouse=BJ").content.decode()
    assert "SO-7781, line 1" in page and "SO-7781, line 2" in page  # the next task and the list
    assert f"→ {putaway.to_location.barcode}" in page
    assert "order:" not in page.replace('data-order="1"', "")  # never the opaque reference
    supervising = client.get("/floor/?warehouse=BJ&fragment=supervise").content.decode()
    assert "SO-7781, line 1" in supervising and "SO-7781, line 2" in supervising

    client.cookies["django_language"] = "zh-hans"
    assert "SO-7781 第 1 行" in client.get("/floor/?warehouse=BJ").content.decode()

    picker = person("operator", bj, username="picker")
    first = Task.objects.filter(kind="pick").select_related("item", "location").first()
    shipping.order_pick_confirm(
        task=first,
        location_barcode=first.location.barcode,
        item_code=first.item.sku,
        quantity=first.quantity,
        actor=picker,
    )
    del client.cookies["django_language"]
    stock = client.get("/stock/?warehouse=BJ").content.decode()  # the pick, and what it was for
    line = 1 if first.item == tea else 2
    assert f"SO-7781, line {line}" in stock
