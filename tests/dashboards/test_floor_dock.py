"""The packing bench and the dock on the floor page: pack what is picked into a labelled
unit, stage it on a lane, check the truck in, scan its units on and let it go. Each step
answers with the fresh part and a message; a refused scan names the field and writes
nothing."""

import datetime

import pytest
from django.utils import timezone

from core.gs1 import gs1_check_digit
from core.models import Event
from inventory.selectors import ledger_drift
from shipping import services
from shipping.models import Carrier, Dock, HandlingUnit, Order, Shipment, Vehicle
from shipping.selectors import order_packing
from tests.factories import ItemFactory, LocationFactory
from tests.inventory.helpers import stock_in
from tests.shipping.helpers import order_placed

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def picked(network, beijing_shop, person):
    """An order on a booked truck, all picked by an operator: (order, load, staging lane)."""
    bj, pick, stage = network["BJ"]
    tea = ItemFactory(sku="TEA", weight_kg=2)
    stock_in(tea, pick, 20)
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    order, load = truck_picked(
        bj, tea, beijing_shop, carrier, person("operator", bj, username="liu"), 0
    )
    return order, load, stage


def truck_picked(bj, item, shop, carrier, picker, n: int, lines=None):  # type: ignore[no-untyped-def]
    """Truck n: a van booked at dock D<n+1> in an hour, with one order of 3 × item on it
    (or of `lines`, (item, quantity) pairs), its wave released and all of it picked.
    Returns (order, load)."""
    van = Vehicle.objects.create(
        carrier=carrier,
        plate=f"京A-{7 + n}",
        home_warehouse=bj,
        capacity_weight_kg=1000,
        capacity_volume_l=8000,
    )
    ref = "SO-DOCK" if n == 0 else f"SO-DOCK-{n}"
    order = order_placed(*shop, *(lines or [(item, 3)]), ref=ref)
    load = services.load_build(warehouse=bj, vehicle=van, orders=[order], actor=None)
    start = timezone.now() + datetime.timedelta(hours=1)
    services.appointment_book(
        dock=Dock.objects.create(warehouse=bj, code=f"D{n + 1}"),
        vehicle=van,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        load=load,
        actor=None,
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    for task in order_tasks(order):
        services.order_pick_confirm(
            task=task,
            location_barcode=task.location.barcode,
            item_code=task.item.sku,
            quantity=task.quantity,
            actor=picker,
        )
    order.refresh_from_db()
    assert order.status == "picked"
    return order, load


def order_tasks(order):
    from inventory.models import Task

    return Task.objects.filter(reference__startswith=f"order:{order.pk}:").select_related(
        "location", "item"
    )


def test_from_the_packing_bench_to_the_road_on_the_floor_page(client, picked, person):
    order, load, lane = picked
    client.force_login(person("operator", order.warehouse, username="chen"))
    page = client.get("/floor/?warehouse=BJ").content.decode()
    assert 'id="dock"' in page and 'data-order="SO-DOCK"' in page

    packed = client.post(f"/floor/orders/{order.pk}/pack/", **HTMX).content.decode()
    unit = HandlingUnit.objects.get()
    assert f"Packed SO-DOCK into unit {unit.sscc}" in packed
    assert f'data-unit="{unit.sscc}"' in packed and f"/api/v1/units/{unit.sscc}/label/" in packed
    label = client.get(f"/api/v1/units/{unit.sscc}/label/").content.decode()
    assert f"(00) {unit.sscc}" in label and "<svg" in label

    nowhere = client.post(f"/floor/units/{unit.pk}/stage/", {"lane": "NOPE"}, **HTMX)
    assert "Lane: No location NOPE in this warehouse." in nowhere.content.decode()
    staged = client.post(f"/floor/units/{unit.pk}/stage/", {"lane": lane.barcode}, **HTMX)
    assert f"Unit {unit.sscc} staged at {lane.barcode}." in staged.content.decode()

    appointment = load.appointment
    assert f"/floor/loads/{load.pk}/scan/" not in staged.content.decode()  # not here yet
    checked_in = client.post(f"/floor/trucks/{appointment.pk}/check-in/", **HTMX).content.decode()
    assert "京A-7 checked in at D1." in checked_in
    assert f"/floor/loads/{load.pk}/scan/" in checked_in  # at the dock: scan its units on
    early = client.post(f"/floor/loads/{load.pk}/depart/", **HTMX).content.decode()
    assert f"Units: Order SO-DOCK is not loaded: unscanned units {unit.sscc}." in early
    assert not Shipment.objects.exists()

    events = Event.objects.count()
    wrong = client.post(f"/floor/loads/{load.pk}/scan/", {"sscc": "000"}, **HTMX)
    assert "SSCC: Unknown SSCC 000." in wrong.content.decode()
    assert Event.objects.count() == events
    scanned = client.post(f"/floor/loads/{load.pk}/scan/", {"sscc": unit.sscc}, **HTMX)
    scanned = scanned.content.decode()
    assert f"Unit {unit.sscc} is on {load.reference}." in scanned
    assert '<span class="progress">1/1</span>' in scanned

    # Loaded by mistake: it comes off to its lane, the order is staged again; then back on.
    assert f'formaction="/floor/loads/{load.pk}/unload/"' in scanned
    off = client.post(f"/floor/loads/{load.pk}/unload/", {"sscc": unit.sscc}, **HTMX)
    off = off.content.decode()
    assert f"Unit {unit.sscc} is off {load.reference}, back on lane {lane.barcode}." in off
    assert '<span class="progress">0/1</span>' in off
    assert Order.objects.get(pk=order.pk).status == "staged"
    assert Event.objects.filter(type="unit.unloaded", payload__sscc=unit.sscc).exists()
    again = client.post(f"/floor/loads/{load.pk}/unload/", {"sscc": unit.sscc}, **HTMX)
    assert f"SSCC: Unit {unit.sscc} is not on {load.reference}." in again.content.decode()
    client.post(f"/floor/loads/{load.pk}/scan/", {"sscc": unit.sscc}, **HTMX)

    gone = client.post(f"/floor/loads/{load.pk}/depart/", **HTMX).content.decode()
    shipment = Shipment.objects.get()
    assert f"京A-7 left with {load.reference}: shipment {shipment.reference}." in gone
    assert "No truck to load." in gone
    assert Order.objects.get(pk=order.pk).status == "shipped"


def test_the_dock_speaks_chinese_and_a_dispatcher_sees_it_but_packs_nothing(client, picked, person):
    order, load, _ = picked
    client.force_login(person("dispatcher", order.warehouse, username="wang"))
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/floor/?warehouse=BJ").content.decode()
    assert "装车" in page and load.reference in page  # the trucks, with check-in and departure
    assert f"/floor/orders/{order.pk}/pack/" not in page  # packing is the floor's
    refused = client.post(f"/floor/orders/{order.pk}/pack/", **HTMX).content.decode()
    assert "此操作需要以下角色之一" in refused  # the page speaks the chosen language
    assert not HandlingUnit.objects.exists()


def test_the_dock_costs_the_same_queries_for_one_truck_or_four(client, picked, person):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order, load, lane = picked
    bj = order.warehouse
    client.force_login(person("supervisor", bj, username="zhang"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            client.get("/floor/?warehouse=BJ&fragment=dock")
        return len(seen)

    one = queries()
    picker = person("operator", bj, username="fang")
    for n in range(1, 4):  # three more trucks: one order picked, one packed, one staged
        more, _ = truck_picked(
            bj,
            order.lines.get().item,
            (order.customer, order.ship_to),
            load.vehicle.carrier,
            picker,
            n,
        )
        if n >= 2:
            unit = services.unit_pack(order=more, contents=None, actor=None)
            if n == 3:
                services.unit_stage(unit=unit, lane=lane, actor=None)
    assert queries() == one


@pytest.fixture
def picked_big(network, beijing_shop, person):
    """An order of 10 × TEA and 4 × RICE on a booked truck, all picked: (order, lane)."""
    bj, pick, stage = network["BJ"]
    tea, rice = ItemFactory(sku="TEA", weight_kg=2), ItemFactory(sku="RICE", weight_kg=5)
    stock_in(tea, pick, 20)
    stock_in(rice, pick, 20)
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    picker = person("operator", bj, username="liu")
    order, _ = truck_picked(bj, tea, beijing_shop, carrier, picker, 0, lines=[(tea, 10), (rice, 4)])
    return order, stage


def test_a_packer_closes_an_order_into_as_many_units_as_the_goods_need(client, picked_big, person):
    order, lane = picked_big
    client.force_login(person("operator", order.warehouse, username="chen"))
    floor = client.get("/floor/?warehouse=BJ&fragment=dock").content.decode()
    assert f'href="/floor/orders/{order.pk}/bench/"' in floor
    bench = client.get(f"/floor/orders/{order.pk}/bench/").content.decode()
    assert 'name="qty-1" value="10"' in bench and 'name="qty-2" value="4"' in bench
    assert "14 units left to pack" in bench

    # A pallet of 6 TEA and the 4 RICE; then the other 4 TEA in a carton.
    first = client.post(
        f"/floor/orders/{order.pk}/units/", {"qty-1": "6", "qty-2": "4"}, **HTMX
    ).content.decode()
    pallet = HandlingUnit.objects.get()
    assert f"Unit {pallet.sscc} closed with 10 units: print its label." in first
    assert f'href="/api/v1/units/{pallet.sscc}/label/?print=1"' in first  # one tap to print
    printing = client.get(f"/api/v1/units/{pallet.sscc}/label/?print=1").content.decode()
    assert "window.print()" in printing
    assert 'name="qty-1" value="4"' in first and 'name="qty-2"' not in first
    assert f"/api/v1/units/{pallet.sscc}/label/" in first
    assert pallet.weight_kg == 6 * 2 + 4 * 5
    assert Order.objects.get(pk=order.pk).status == "picked"  # not all of it packed yet
    label = client.get(f"/api/v1/units/{pallet.sscc}/label/").content.decode()
    assert "UNIT / 件 1</div>" in label  # how many in all is not known yet
    assert "window.print()" not in label

    last = client.post(f"/floor/orders/{order.pk}/units/", {"qty-1": "4"}, **HTMX)
    last = last.content.decode()
    carton = HandlingUnit.objects.exclude(pk=pallet.pk).get()
    assert f"Unit {carton.sscc} closed with 4 units" in last
    assert "Everything picked is packed, in 2 units." in last
    assert Order.objects.get(pk=order.pk).status == "packed"
    label = client.get(f"/api/v1/units/{carton.sscc}/label/").content.decode()
    appointment = order.load.appointment
    due = timezone.localtime(appointment.starts_at, order.warehouse.zone())
    assert "UNIT / 件 2 / 2</div>" in label
    assert f"LOAD / 装载单 <b>{order.load.reference}</b> · 京A-7 · D1 {due:%m-%d %H:%M}" in label
    assert "WEIGHT / 重量 8 kg" in label and "RICE" not in label  # 4 × TEA of 2 kg
    assert {u.sscc for u in HandlingUnit.objects.all()} == {pallet.sscc, carton.sscc}
    for unit in (pallet, carton):  # 18 digits, the last GS1's check digit of the rest
        assert len(unit.sscc) == 18 and int(unit.sscc[-1]) == gs1_check_digit(unit.sscc[:-1])
    packed = Event.objects.filter(type="unit.packed").order_by("sequence", "pk")
    assert [e.payload["lines"] for e in packed] == [
        [{"line": 1, "quantity": 6}, {"line": 2, "quantity": 4}],
        [{"line": 1, "quantity": 4}],
    ]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as read:
        packing = order_packing(order_id=order.pk, warehouse_ids=[order.warehouse_id])
        [c.line.item.sku for u in packing["units"] for c in u.lines.all()]
    assert len(read) == 5 and packing["units_left"] == 0
    for unit in (pallet, carton):  # each to the lane, as any unit
        client.post(f"/floor/units/{unit.pk}/stage/", {"lane": lane.barcode}, **HTMX)
    assert Order.objects.get(pk=order.pk).status == "staged"


def test_a_unit_taken_to_its_lane_before_the_rest_is_packed_is_not_packed_again(
    client, picked_big, person
):
    """The first pallet goes to another lane while the carton is packed: 'Pack' then puts
    only what is left in no unit (4 TEA) into the next, not the pallet's goods a second
    time, and that unit follows to the lane."""
    order, stage = picked_big
    lane = LocationFactory(zone=stage.zone, barcode="BJ-STG-9")
    client.force_login(person("operator", order.warehouse, username="chen"))
    client.post(f"/floor/orders/{order.pk}/units/", {"qty-1": "6", "qty-2": "4"}, **HTMX)
    pallet = HandlingUnit.objects.get()
    client.post(f"/floor/units/{pallet.pk}/stage/", {"lane": lane.barcode}, **HTMX)
    bench = client.get(f"/floor/orders/{order.pk}/bench/").content.decode()
    assert 'name="qty-1" value="4"' in bench and "4 units left to pack" in bench

    client.post(f"/floor/orders/{order.pk}/pack/", **HTMX)
    carton = HandlingUnit.objects.exclude(pk=pallet.pk).get()
    assert [(c.line.line_no, c.quantity) for c in carton.lines.all()] == [(1, 4)]
    assert Order.objects.get(pk=order.pk).status == "packed"
    staged = client.post(f"/floor/units/{carton.pk}/stage/", {"lane": lane.barcode}, **HTMX)
    assert f"Unit {carton.sscc} staged at BJ-STG-9." in staged.content.decode()
    assert Order.objects.get(pk=order.pk).status == "staged"
    assert ledger_drift() == []


def test_the_packing_bench_refuses_what_is_not_there_naming_the_line(client, picked_big, person):
    order, _ = picked_big
    client.force_login(person("operator", order.warehouse, username="chen"))
    events = Event.objects.count()

    def close(**typed: str) -> str:
        answer = client.post(f"/floor/orders/{order.pk}/units/", typed, **HTMX)
        return answer.content.decode()

    assert "Line 2: only 4 picked and not yet packed." in close(**{"qty-1": "1", "qty-2": "5"})
    assert 'data-field="qty-2"' in close(**{"qty-1": "1", "qty-2": "5"})
    assert "Line 1: Must be a whole number of units, zero or more." in close(**{"qty-1": "x"})
    assert "Put at least one unit in." in close(**{"qty-1": "", "qty-2": "0"})
    assert not HandlingUnit.objects.exists() and Event.objects.count() == events

    chinese = client.post(
        f"/floor/orders/{order.pk}/units/",
        {"qty-2": "9"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        **HTMX,
    ).content.decode()
    assert "第 2 行：已拣未包装的只有 4。" in chinese


def test_the_packing_bench_is_for_the_floor_of_the_order_s_warehouse(
    client, picked_big, person, network
):
    order, _ = picked_big
    client.force_login(person("operator", network["SH"][0], username="far"))
    assert client.get(f"/floor/orders/{order.pk}/bench/").status_code == 404
    client.force_login(person("dispatcher", order.warehouse, username="wang"))
    seen = client.get(f"/floor/orders/{order.pk}/bench/").content.decode()
    assert "TEA" in seen and "qty-1" not in seen  # sees what is left; packs nothing
    refused = client.post(f"/floor/orders/{order.pk}/units/", {"qty-1": "1"}, **HTMX)
    assert "this needs one of" in refused.content.decode()
    assert not HandlingUnit.objects.exists()
