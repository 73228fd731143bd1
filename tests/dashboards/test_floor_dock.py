"""The packing bench and the dock on the floor page: pack what is picked into a labelled
unit, stage it on a lane, check the truck in, scan its units on and let it go. Each step
answers with the fresh part and a message; a refused scan names the field and writes
nothing."""

import datetime

import pytest
from django.utils import timezone

from core.models import Event
from shipping import services
from shipping.models import Carrier, Dock, HandlingUnit, Order, Shipment, Vehicle
from tests.factories import ItemFactory
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


def truck_picked(bj, item, shop, carrier, picker, n: int):  # type: ignore[no-untyped-def]
    """Truck n: a van booked at dock D<n+1> in an hour, with one order of 3 × item on it,
    its wave released and all of it picked. Returns (order, load)."""
    van = Vehicle.objects.create(
        carrier=carrier,
        plate=f"京A-{7 + n}",
        home_warehouse=bj,
        capacity_weight_kg=1000,
        capacity_volume_l=8000,
    )
    order = order_placed(*shop, (item, 3), ref="SO-DOCK" if n == 0 else f"SO-DOCK-{n}")
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
            item_code=item.sku,
            quantity=task.quantity,
            actor=picker,
        )
    order.refresh_from_db()
    assert order.status == "picked"
    return order, load


def order_tasks(order):
    from inventory.models import Task

    return Task.objects.filter(reference__startswith=f"order:{order.pk}:").select_related(
        "location"
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
