"""The dock never double-books; loads respect the truck; waves start in time for the truck."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.exceptions import Conflict, DomainError
from core.models import Event
from inventory.models import Task
from shipping import services
from shipping.models import Carrier, Dock, DockAppointment, Load, Order, Vehicle, Wave
from shipping.selectors import load_fill, wave_timing
from tests.factories import ItemFactory, LocationFactory
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow
from tests.shipping.helpers import at_once, order_placed


@pytest.fixture
def fleet(network):
    carrier = Carrier.objects.create(code="OWN", name="Own fleet", service_level="own_fleet")
    bj = network["BJ"][0]
    return {
        "dock1": Dock.objects.create(warehouse=bj, code="D1"),
        "dock2": Dock.objects.create(warehouse=bj, code="D2"),
        "van": Vehicle.objects.create(
            carrier=carrier, plate="京A-10001", capacity_weight_kg=1000, capacity_volume_l=8000
        ),
        "truck": Vehicle.objects.create(
            carrier=carrier, plate="京A-20002", capacity_weight_kg=5000, capacity_volume_l=30000
        ),
    }


def at(hours: float) -> datetime.datetime:
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    return base + datetime.timedelta(hours=hours)


def test_a_dock_is_never_double_booked_and_a_truck_is_never_in_two_places(fleet):
    services.appointment_book(
        dock=fleet["dock1"], vehicle=fleet["van"], starts_at=at(9), ends_at=at(10), actor=None
    )
    with pytest.raises(Conflict, match="Dock D1 is booked") as clash:
        services.appointment_book(
            dock=fleet["dock1"],
            vehicle=fleet["truck"],
            starts_at=at(9.5),
            ends_at=at(11),
            actor=None,
        )
    assert clash.value.field == "starts_at"
    with pytest.raises(Conflict, match="due at dock D1"):
        services.appointment_book(
            dock=fleet["dock2"], vehicle=fleet["van"], starts_at=at(9.5), ends_at=at(11), actor=None
        )
    back_to_back = services.appointment_book(
        dock=fleet["dock1"], vehicle=fleet["truck"], starts_at=at(10), ends_at=at(11), actor=None
    )
    with pytest.raises(DomainError) as backwards:
        services.appointment_book(
            dock=fleet["dock2"],
            vehicle=fleet["truck"],
            starts_at=at(14),
            ends_at=at(13),
            actor=None,
        )
    assert backwards.value.field == "ends_at"
    services.appointment_cancel(appointment=back_to_back, actor=None)
    moved = DockAppointment.objects.get(vehicle=fleet["van"])
    services.appointment_move(appointment=moved, starts_at=at(10), ends_at=at(11), actor=None)
    assert DockAppointment.objects.filter(status="booked").count() == 1


def test_gate_times_give_the_dwell(fleet):
    appointment = services.appointment_book(
        dock=fleet["dock1"], vehicle=fleet["van"], starts_at=at(9), ends_at=at(10), actor=None
    )
    services.vehicle_check_in(appointment=appointment, at=at(9.25), actor=None)
    with pytest.raises(Conflict):
        services.vehicle_check_in(appointment=appointment, actor=None)
    done = services.vehicle_check_out(appointment=appointment, at=at(10.5), actor=None)
    assert (done.checked_out_at - done.checked_in_at) == datetime.timedelta(minutes=75)
    out = Event.objects.get(type="vehicle.checked_out")
    assert out.payload["dwell_minutes"] == 75.0
    assert Event.objects.get(type="vehicle.checked_in").payload["minutes_late"] == 15.0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_dispatchers_booking_one_slot_one_wins(fleet):
    def book(vehicle: Vehicle):  # type: ignore[no-untyped-def]
        return lambda: services.appointment_book(
            dock=fleet["dock1"], vehicle=vehicle, starts_at=at(9), ends_at=at(10), actor=None
        )

    outcomes = at_once(book(fleet["van"]), book(fleet["truck"]))
    assert sorted(outcomes) == ["dock_booked", "done"]
    assert DockAppointment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_the_database_itself_refuses_an_overlap(fleet):
    DockAppointment.objects.create(
        dock=fleet["dock1"], vehicle=fleet["van"], starts_at=at(9), ends_at=at(10)
    )
    with pytest.raises(IntegrityError, match="dock_appointment_no_overlap"), transaction.atomic():
        DockAppointment.objects.create(
            dock=fleet["dock1"], vehicle=fleet["truck"], starts_at=at(9.5), ends_at=at(11)
        )
    DockAppointment.objects.create(  # a cancelled one does not hold the slot
        dock=fleet["dock1"],
        vehicle=fleet["truck"],
        starts_at=at(11),
        ends_at=at(12),
        status="cancelled",
    )
    DockAppointment.objects.create(
        dock=fleet["dock1"], vehicle=fleet["truck"], starts_at=at(11), ends_at=at(12)
    )


def _orders(network, beijing_shop, *specs, prefix="SO-L"):
    made = []
    for n, (item, qty) in enumerate(specs):
        made.append(
            services.order_create(
                customer=beijing_shop[0],
                ship_to=beijing_shop[1],
                external_ref=f"{prefix}{n}",
                lines=[services.LineInput(item, qty)],
                requested_delivery_date=tomorrow(2),
                promised_ship_date=tomorrow(),
                actor=None,
            )
        )
    return made


def test_a_load_respects_weight_volume_temperature_and_a_busy_vehicle(network, beijing_shop, fleet):
    bj = network["BJ"]
    water = ItemFactory(weight_kg=Decimal("12"), volume_l=Decimal("14"))
    stock_in(water, bj[1], 500)
    light, heavy = _orders(network, beijing_shop, (water, 50), (water, 100))
    loads_before, events_before = Load.objects.count(), Event.objects.count()
    with pytest.raises(DomainError, match="Overweight: 1800 kg") as overweight:
        services.load_build(
            warehouse=bj[0], vehicle=fleet["van"], orders=[light, heavy], actor=None
        )
    assert overweight.value.code == "overweight"
    assert (Load.objects.count(), Event.objects.count()) == (loads_before, events_before)
    load = services.load_build(warehouse=bj[0], vehicle=fleet["van"], orders=[light], actor=None)
    fill = load_fill(load)
    assert (fill.weight_pct, fill.volume_pct) == (60.0, 8.8)
    with pytest.raises(Conflict, match=r"already has load .* planned, with no dock slot"):
        services.load_build(warehouse=bj[0], vehicle=fleet["van"], orders=[heavy], actor=None)
    with pytest.raises(Conflict, match="already on load"):
        services.load_build(warehouse=bj[0], vehicle=fleet["truck"], orders=[light], actor=None)
    peas = ItemFactory(temperature_class="frozen")
    frozen_location = LocationFactory(
        zone__warehouse=bj[0],
        zone__code="BJ-F",
        zone__kind="storage",
        zone__temperature_class="frozen",
    )
    stock_in(peas, frozen_location, 10)
    (cold,) = _orders(network, beijing_shop, (peas, 2), prefix="SO-COLD")
    with pytest.raises(DomainError, match="the goods need frozen"):
        services.load_build(warehouse=bj[0], vehicle=fleet["truck"], orders=[cold], actor=None)


def test_a_load_built_with_a_taken_slot_is_not_built_at_all(network, beijing_shop, fleet):
    bj = network["BJ"]
    tea = ItemFactory()
    stock_in(tea, bj[1], 50)
    first, second = _orders(network, beijing_shop, (tea, 2), (tea, 3))
    nine = services.DockSlot(fleet["dock1"], at(9), at(10))
    load = services.load_build(
        warehouse=bj[0], vehicle=fleet["van"], orders=[first], slot=nine, actor=None
    )
    assert (load.appointment.dock, load.appointment.starts_at) == (fleet["dock1"], at(9))
    events = Event.objects.count()
    with pytest.raises(Conflict, match="Dock D1 is booked") as taken:
        services.load_build(
            warehouse=bj[0], vehicle=fleet["truck"], orders=[second], slot=nine, actor=None
        )
    assert taken.value.field == "starts_at"
    second.refresh_from_db()
    assert (Load.objects.count(), Event.objects.count(), second.load_id) == (1, events, None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_dispatchers_building_loads_for_one_slot_one_wins_whole(
    network, beijing_shop, fleet
):
    """Each builds a proposal on its own truck for the same door and hour: one load is built
    and booked; the other is refused, and neither its load nor its orders' change is left."""
    bj = network["BJ"]
    tea = ItemFactory()
    stock_in(tea, bj[1], 50)
    orders = _orders(network, beijing_shop, (tea, 2), (tea, 3))

    def build(vehicle: Vehicle, order: Order):  # type: ignore[no-untyped-def]
        return lambda: services.load_build(
            warehouse=bj[0],
            vehicle=vehicle,
            orders=[order],
            slot=services.DockSlot(fleet["dock1"], at(9), at(10)),
            actor=None,
        )

    outcomes = at_once(*(build(fleet[v], o) for v, o in zip(("van", "truck"), orders, strict=True)))
    assert sorted(outcomes) == ["dock_booked", "done"]
    (load,) = Load.objects.all()
    assert DockAppointment.objects.get().load == load
    assert [o.load_id for o in Order.objects.order_by("pk")].count(None) == 1
    assert Event.objects.filter(type="load.planned").count() == 1


def test_a_load_has_one_live_appointment_for_its_own_truck_and_can_book_again_once_cancelled(
    network, beijing_shop, fleet
):
    bj = network["BJ"]
    tea = ItemFactory()
    stock_in(tea, bj[1], 50)
    load = services.load_build(
        warehouse=bj[0],
        vehicle=fleet["van"],
        orders=_orders(network, beijing_shop, (tea, 2)),
        actor=None,
    )

    def book(dock: str = "dock2", vehicle: str = "van", hour: int = 12) -> DockAppointment:
        return services.appointment_book(
            dock=fleet[dock],
            vehicle=fleet[vehicle],
            starts_at=at(hour),
            ends_at=at(hour + 1),
            load=load,
            actor=None,
        )

    first = book("dock1", hour=9)
    events = Event.objects.count()
    with pytest.raises(Conflict, match="already has an appointment: D1 ") as twice:
        book()
    assert (twice.value.field, twice.value.code) == ("load", "load_booked")
    with pytest.raises(DomainError, match="goes on 京A-10001, not 京A-20002") as other:
        book(vehicle="truck")
    assert other.value.field == "vehicle"
    assert (DockAppointment.objects.count(), Event.objects.count()) == (1, events)

    # Cancelled, the slot lets the load go: it books again, and the old one keeps its history.
    services.appointment_cancel(appointment=first, actor=None)
    assert not DockAppointment.objects.filter(load=load).exists()
    assert Event.objects.get(type="appointment.cancelled").payload["load"] == load.reference
    again = book()
    assert Load.objects.get(pk=load.pk).appointment == again


def test_a_wave_is_released_so_picking_ends_before_the_truck_and_tasks_follow_the_pick_path(
    network, beijing_shop, fleet
):
    bj = network["BJ"]
    far = LocationFactory(zone=bj[1].zone, barcode="BJ-PF-FAR", pick_sequence=900)
    near = LocationFactory(zone=bj[1].zone, barcode="BJ-PF-NEAR", pick_sequence=1)
    a, b, c = ItemFactory(), ItemFactory(), ItemFactory()
    stock_in(a, far, 10)
    stock_in(b, near, 10)
    stock_in(c, bj[1], 10)
    orders = _orders(network, beijing_shop, (a, 1), (b, 1), (c, 1))
    load = services.load_build(warehouse=bj[0], vehicle=fleet["truck"], orders=orders, actor=None)
    services.appointment_book(
        dock=fleet["dock1"],
        vehicle=fleet["truck"],
        starts_at=at(9),
        ends_at=at(10),
        load=load,
        actor=None,
    )
    wave = services.wave_plan(
        load=load, lines_per_picker_hour=6, pickers=1, margin_minutes=30, actor=None
    )
    timing = wave_timing(wave, now=at(0))
    assert (timing.lines, timing.pick_minutes) == (3, 30)
    assert timing.ready_by == at(8.5)
    assert timing.release_at == at(8)  # 30 minutes of picking, ready 30 minutes before 09:00
    assert timing.late_minutes == 0
    services.wave_release(wave=wave, actor=None)
    created = Task.objects.filter(kind="pick").order_by("pk")
    assert [t.location.barcode for t in created] == [
        loc.barcode for loc in sorted([far, near, bj[1]], key=lambda loc: loc.pick_sequence)
    ]
    assert {o.status for o in load.orders.all()} == {"released"}
    released = Event.objects.get(type="wave.released")
    assert released.payload["pick_tasks"] == 3
    assert released.payload["truck_due"] is not None
    # On the floor, what is left is picked from now on: a wave nobody has picked for 20
    # minutes is ready 30 minutes from then, not when it would have been; one line left, 10.
    wave.refresh_from_db()
    later = wave.released_at + datetime.timedelta(minutes=20)
    assert wave_timing(wave, now=later).expected_ready == later + datetime.timedelta(minutes=30)
    assert wave_timing(wave, now=later, lines=1).expected_ready == later + datetime.timedelta(
        minutes=10
    )
    with pytest.raises(Conflict):
        services.wave_release(wave=wave, actor=None)


def test_more_of_a_line_on_a_load_must_still_fit_its_truck(network, beijing_shop, fleet):
    bj = network["BJ"]
    water = ItemFactory(weight_kg=Decimal("12"), volume_l=Decimal("14"))
    stock_in(water, bj[1], 500)
    (order,) = _orders(network, beijing_shop, (water, 50))
    load = services.load_build(warehouse=bj[0], vehicle=fleet["van"], orders=[order], actor=None)
    events_before = Event.objects.count()

    with pytest.raises(DomainError, match="Overweight: 1200 kg for 京A-10001's 1000 kg") as refused:
        services.order_line_change(order=order, line_no=1, quantity=100, actor=None)

    assert (refused.value.field, refused.value.code) == ("quantity", "overweight")
    assert order.lines.get().quantity == 50  # nothing of the change was written
    assert (load_fill(load).weight_pct, Event.objects.count()) == (60.0, events_before)
    services.order_line_change(order=order, line_no=1, quantity=80, actor=None)
    assert load_fill(load).weight_pct == 96.0


def test_more_of_a_line_on_a_wave_already_on_the_floor_gets_its_pick_task_at_once(
    network, beijing_shop, fleet
):
    bj = network["BJ"]
    tea = ItemFactory(sku="TEA-MORE")
    stock_in(tea, bj[1], 20)
    (order,) = _orders(network, beijing_shop, (tea, 4))
    load = services.load_build(warehouse=bj[0], vehicle=fleet["van"], orders=[order], actor=None)
    wave = services.wave_plan(load=load, actor=None)
    services.wave_release(wave=wave, actor=None)

    order = services.order_line_change(order=order, line_no=1, quantity=7, actor=None)

    assert order.status == "released"  # still with its wave on the floor
    tasks = Task.objects.filter(kind="pick", status="open", item=tea).order_by("pk")
    assert [t.quantity for t in tasks] == [4, 3]  # the 3 more are asked for at once
    assert Event.objects.filter(type="tasks.created").count() == 2


def test_a_line_cannot_go_below_what_is_picked_of_it(network, beijing_shop, fleet, person, api):
    bj = network["BJ"]
    tea, rice = ItemFactory(sku="TEA-PICKED"), ItemFactory(sku="RICE-WAITS")
    stock_in(tea, bj[1], 20)
    stock_in(rice, bj[1], 20)
    order = order_placed(*beijing_shop, (tea, 10), (rice, 3))  # rice is not picked yet
    load = services.load_build(warehouse=bj[0], vehicle=fleet["van"], orders=[order], actor=None)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    task = Task.objects.get(item=tea)
    operator = person("operator", bj[0])
    answer = api(operator).post(
        f"/api/v1/picks/{task.pk}/confirm/",
        {"location_barcode": "BJ-PF-1", "item_code": tea.sku, "quantity": 10},
    )
    assert answer.status_code == 200, answer.content
    events_before = Event.objects.count()

    refused = api(person("dispatcher", bj[0])).post(
        f"/api/v1/orders/{order.pk}/change-line/", {"line_no": 1, "quantity": 4}
    )

    assert refused.status_code == 409
    assert refused.json()["fields"] == {
        "quantity": ["10 of line 1 are picked already; it cannot go below 10."]
    }
    assert (order.lines.get(line_no=1).quantity, Event.objects.count()) == (10, events_before)


def test_an_order_cancelled_after_its_wave_was_planned_does_not_hold_the_wave_back(
    network, beijing_shop, fleet
):
    bj = network["BJ"]
    tea = ItemFactory(sku="TEA-WAVE")
    stock_in(tea, bj[1], 20)
    kept, dropped = _orders(network, beijing_shop, (tea, 2), (tea, 3))
    load = services.load_build(
        warehouse=bj[0], vehicle=fleet["van"], orders=[kept, dropped], actor=None
    )
    wave = services.wave_plan(load=load, actor=None)
    services.order_cancel(order=dropped, reason="customer called", actor=None)

    services.wave_release(wave=wave, actor=None)

    (task,) = Task.objects.filter(kind="pick")
    assert (task.reference, task.quantity) == (f"order:{kept.pk}:line:1", 2)
    statuses = dict(load.orders.values_list("external_ref", "status"))
    assert statuses == {kept.external_ref: "released", dropped.external_ref: "cancelled"}
    assert Event.objects.get(type="wave.released").payload["orders"] == [kept.external_ref]


def test_loads_are_numbered_per_warehouse_and_day_on_its_calendar(network, beijing_shop):
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    loads = []
    for n, code in enumerate(["BJ", "BJ", "TJ"]):
        warehouse, pick, _ = network[code]
        item = ItemFactory(sku=f"ONLY-{n}")
        stock_in(item, pick, 10)  # only here: the order ships from this warehouse
        order = order_placed(*beijing_shop, (item, 1), ref=f"SO-N{n}")
        van = Vehicle.objects.create(
            carrier=carrier, plate=f"京N-{n}", capacity_weight_kg=1000, capacity_volume_l=8000
        )
        loads.append(
            services.load_build(warehouse=warehouse, vehicle=van, orders=[order], actor=None)
        )
    day = timezone.localtime(timezone=zoneinfo.ZoneInfo(network["BJ"][0].time_zone))
    assert [load.reference for load in loads] == [
        f"L-BJ-{day:%y%m%d}-001",
        f"L-BJ-{day:%y%m%d}-002",
        f"L-TJ-{day:%y%m%d}-001",
    ]


def test_through_the_api_an_order_comes_off_a_load_and_a_load_is_cancelled(
    network, beijing_shop, fleet, person, api
):
    bj = network["BJ"]
    tea = ItemFactory(sku="TEA-OFF")
    stock_in(tea, bj[1], 100)
    first, second, third = _orders(network, beijing_shop, (tea, 1), (tea, 2), (tea, 3))
    load = services.load_build(
        warehouse=bj[0], vehicle=fleet["van"], orders=[first, second], actor=None
    )
    dispatcher = api(person("dispatcher", bj[0]))

    stranger = dispatcher.post(
        f"/api/v1/loads/{load.pk}/remove-order/", {"order": third.external_ref}, format="json"
    )  # not on this load (yet)
    assert stranger.status_code == 400
    assert "order" in stranger.json()["fields"]
    assert stranger.json()["message"] == f"Order SO-L2 is not on load {load.reference}."
    on = dispatcher.post(
        f"/api/v1/loads/{load.pk}/add-order/", {"order": third.external_ref}, format="json"
    )
    assert on.status_code == 200 and third.external_ref in on.json()["orders"]
    off = dispatcher.post(
        f"/api/v1/loads/{load.pk}/remove-order/", {"order": first.external_ref}, format="json"
    )
    assert off.status_code == 200
    assert sorted(off.json()["orders"]) == [second.external_ref, third.external_ref]
    removed = Event.objects.get(type="load.order_removed")
    assert removed.payload["order"] == first.external_ref

    operator = api(person("operator", bj[0]))
    assert operator.post(f"/api/v1/loads/{load.pk}/cancel/").status_code == 403
    cancelled = dispatcher.post(f"/api/v1/loads/{load.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    cancelled_orders = Event.objects.get(type="load.cancelled").payload["orders"]
    assert sorted(cancelled_orders) == [second.external_ref, third.external_ref]
    again = dispatcher.post(f"/api/v1/loads/{load.pk}/cancel/")
    assert again.status_code == 409 and "only a planned load changes" in again.json()["message"]
    # A cancelled load gets no wave: before, it got one, and a late order joined that wave.
    waved = dispatcher.post(f"/api/v1/loads/{load.pk}/plan-wave/", {}, format="json")
    assert waved.status_code == 409 and "only a planned load changes" in waved.json()["message"]
    assert not Wave.objects.filter(load=load).exists()


def test_a_load_gets_a_driver_of_its_vehicle_s_carrier_who_is_free(
    network, beijing_shop, fleet, person, api
):
    from shipping.models import Driver

    bj = network["BJ"]
    tea = ItemFactory(sku="TEA-DRV")
    stock_in(tea, bj[1], 100)
    first, second, third = _orders(network, beijing_shop, (tea, 1), (tea, 1), (tea, 1))
    own, other = fleet["van"].carrier, Carrier.objects.create(code="LTL", name="LTL co")
    zhang = Driver.objects.create(carrier=own, name="Zhang", phone="13800000000")
    stranger = Driver.objects.create(carrier=other, name="Li")

    events = Event.objects.count()
    with pytest.raises(DomainError, match="Li drives for LTL co") as wrong:
        services.load_build(
            warehouse=bj[0], vehicle=fleet["van"], orders=[first], driver=stranger, actor=None
        )
    assert wrong.value.field == "driver" and Event.objects.count() == events
    load = services.load_build(
        warehouse=bj[0], vehicle=fleet["van"], orders=[first], driver=zhang, actor=None
    )
    assert Event.objects.get(type="load.planned").payload["driver"] == "Zhang"
    with pytest.raises(Conflict, match=f"Zhang already has load {load.reference} planned"):
        services.load_build(
            warehouse=bj[0], vehicle=fleet["truck"], orders=[second], driver=zhang, actor=None
        )

    dispatcher = api(person("dispatcher", bj[0]))
    shown = dispatcher.get(f"/api/v1/loads/{load.pk}/").json()
    assert shown["driver"] == {"id": zhang.pk, "name": "Zhang", "phone": "13800000000"}
    unknown = dispatcher.post(
        "/api/v1/loads/",
        {"warehouse": "BJ", "vehicle": "京A-20002", "orders": ["SO-L2"], "driver": 999},
        format="json",
    )
    assert unknown.status_code == 400 and "Unknown driver 999." in unknown.json()["message"]
    services.load_cancel(load=load, actor=None)  # Zhang is free again
    built = dispatcher.post(
        "/api/v1/loads/",
        {
            "warehouse": "BJ",
            "vehicle": "京A-20002",
            "orders": [third.external_ref],
            "driver": zhang.pk,
        },
        format="json",
    )
    assert built.status_code == 201 and built.json()["driver"]["name"] == "Zhang"


def test_building_a_load_costs_the_same_queries_for_one_order_or_six(network, beijing_shop, fleet):
    from django.test.utils import CaptureQueriesContext

    bj = network["BJ"]
    tea = ItemFactory(sku="TEA-Q")
    stock_in(tea, bj[1], 100)
    first, one, *six = _orders(network, beijing_shop, *[(tea, 1)] * 8)
    spare = Vehicle.objects.create(
        carrier=fleet["van"].carrier, plate="京A-3", capacity_weight_kg=900, capacity_volume_l=9000
    )
    # The day's first load starts its counter: not what is measured.
    services.load_build(warehouse=bj[0], vehicle=spare, orders=[first], actor=None)

    def queries(vehicle, orders) -> int:  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as ctx:
            services.load_build(warehouse=bj[0], vehicle=vehicle, orders=orders, actor=None)
        return len(ctx.captured_queries)

    assert queries(fleet["van"], [one]) == queries(fleet["truck"], six)
