"""A city truck makes several trips a day. A load booked at the dock holds its truck and
driver from its slot until the truck is back from its last stop; the dispatcher gives the
truck another load before or after that trip, never overlapping it, and the proposals do
the same."""

import datetime
import re

import pytest
from django.utils import timezone

from core.exceptions import Conflict
from core.models import Event
from dashboards.services import alerts_evaluate
from shipping import services
from shipping.models import Carrier, Dock, Driver, Load, Order
from shipping.planning import loads_proposed, slot_suggested
from shipping.selectors import planning_choices_vehicles, trucks_day
from tests.dashboards.test_alerts import _live
from tests.shipping.helpers import at_once, on_the_truck, pick_all, truck
from tests.shipping.test_load_planning import _slots, windows  # noqa: F401 (a fixture)
from tests.shipping.test_routing import _local, _shop

DAY = datetime.timedelta(days=1)


def _slot(warehouse, dock: str, hour: int, minute: int = 0) -> services.DockSlot:  # type: ignore[no-untyped-def]
    """An hour at the door, tomorrow on the warehouse's clock."""
    starts_at = _local(warehouse, hour, minute, days=1)
    return services.DockSlot(
        Dock.objects.get(code=dock), starts_at, starts_at + datetime.timedelta(hours=1)
    )


@pytest.fixture
def first_trip(windows):  # type: ignore[no-untyped-def]  # noqa: F811
    """The own truck, with its driver, booked at D1 07:00-08:00 tomorrow for the east shop
    (15 km, open from 08:30): there at 08:20, unloaded 08:30-08:50, back at 09:10."""
    bj, trucks, orders, now = windows
    trucks["hired"].delete()
    zhang = Driver.objects.create(carrier=trucks["own"].carrier, name="Zhang", phone="1")
    first = services.load_build(
        warehouse=bj,
        vehicle=trucks["own"],
        orders=[orders["EAST"]],
        driver=zhang,
        slot=_slot(bj, "D1", 7),
        actor=None,
    )
    return bj, trucks["own"], zhang, first, orders, now


@pytest.fixture
def second_trip(first_trip):  # type: ignore[no-untyped-def]
    """The same truck and driver booked at D2 09:15-10:15 for the north-east shop, after it
    is back from the first trip at 09:10: `first_trip` and this load."""
    bj, own, zhang, _, orders, _ = first_trip
    second = services.load_build(
        warehouse=bj,
        vehicle=own,
        orders=[orders["NE"]],
        driver=zhang,
        slot=_slot(bj, "D2", 9, 15),
        actor=None,
    )
    return (*first_trip, second)


def _refused(**kwargs) -> Conflict:  # type: ignore[no-untyped-def]
    """load_build's refusal; nothing of it is written."""
    loads, events = Load.objects.count(), Event.objects.count()
    with pytest.raises(Conflict) as refused:
        services.load_build(actor=None, **kwargs)
    assert (Load.objects.count(), Event.objects.count()) == (loads, events)
    return refused.value


def test_a_truck_takes_a_second_load_for_a_trip_after_its_first(first_trip):
    bj, own, zhang, first, orders, _ = first_trip
    second = {"warehouse": bj, "vehicle": own, "orders": [orders["NE"]], "driver": zhang}

    overlapping = _refused(**second, slot=_slot(bj, "D2", 8, 30))
    assert (overlapping.field, overlapping.code) == ("starts_at", "on_a_trip"), str(overlapping)
    assert re.search(
        rf"京A-OWN is on load {first.reference} from .*07:00 until about .*09:10; this trip "
        r"would take it from .*08:30",
        str(overlapping),
    )
    unslotted = _refused(**second)
    assert unslotted.field == "starts_at"
    assert "give this load a dock slot too" in str(unslotted)

    # Back at 09:10: loading from 09:15 is after its first trip.
    load = services.load_build(**second, slot=_slot(bj, "D2", 9, 15), actor=None)
    assert (load.vehicle, load.driver, load.appointment.dock.code) == (own, zhang, "D2")
    assert Load.objects.filter(vehicle=own, status="planned").count() == 2
    # At the gate the truck is at one door at a time.
    services.vehicle_check_in(appointment=first.appointment, actor=None)
    with pytest.raises(Conflict, match="京A-OWN is checked in at dock D1 already") as inside:
        services.vehicle_check_in(appointment=load.appointment, actor=None)
    assert inside.value.field == "appointment"


def test_a_first_trip_moved_onto_the_second_is_refused(second_trip):
    bj, _, _, first, _, _, _ = second_trip
    later = _local(bj, 8, 0, days=1)  # back at about 10:10, after the second trip starts
    with pytest.raises(Conflict) as refused:
        services.appointment_move(
            appointment=first.appointment,
            starts_at=later,
            ends_at=later + datetime.timedelta(hours=1),
            actor=None,
        )
    assert refused.value.field == "starts_at" and "L-" in str(refused.value)
    first.appointment.refresh_from_db()
    assert first.appointment.starts_at == _local(bj, 7, 0, days=1)


def test_a_truck_at_its_door_or_on_a_load_with_no_slot_takes_no_other(first_trip):
    bj, own, zhang, first, orders, _ = first_trip
    services.vehicle_check_in(appointment=first.appointment, actor=None)
    at_the_door = _refused(
        warehouse=bj, vehicle=own, orders=[orders["NE"]], slot=_slot(bj, "D2", 11)
    )
    assert at_the_door.field == "vehicle"
    assert f"京A-OWN is at the dock with load {first.reference}." == str(at_the_door)
    # Its driver is held with it: not on another truck of the carrier either.
    spare = truck(own.carrier, "京A-SPARE", bj, 1000)
    driver_busy = _refused(
        warehouse=bj, vehicle=spare, orders=[orders["NE"]], driver=zhang, slot=_slot(bj, "D2", 11)
    )
    assert driver_busy.field == "driver"
    assert f"Zhang is at the dock with load {first.reference}." == str(driver_busy)
    assert planning_choices_vehicles(warehouse_id=bj.pk)["vehicles_busy"] == {
        own.pk: first.reference
    }


def test_the_proposals_give_a_booked_truck_a_trip_after_its_first(first_trip):
    bj, own, zhang, first, orders, now = first_trip
    services.order_cancel(order=orders["NE"], reason="not needed", actor=None)
    customer = orders["EAST"].customer
    west = _shop(customer, "WEST", km_east=-10, opens=(0, 0), closes=(23, 59))
    cement = orders["EAST"].lines.get().item
    services.order_create(
        customer=customer,
        ship_to=west,
        external_ref="SO-WEST",
        lines=[services.LineInput(cement, 6)],
        requested_delivery_date=orders["EAST"].requested_delivery_date,
        promised_ship_date=orders["EAST"].promised_ship_date,
        actor=None,
    )
    choices = planning_choices_vehicles(warehouse_id=bj.pk, now=now)
    (trip,) = choices["vehicles_trips"][own.pk]
    assert (trip.load, trip.starts_at) == (first, _local(bj, 7, 0, days=1))
    assert trip.back_at.astimezone(bj.zone()).strftime("%H:%M") == "09:10"
    assert choices["vehicles_busy"] == {}

    plan = loads_proposed(warehouse=bj, now=now)  # at 06:00
    # The truck could load at 06:45, but would be on the road when due at D1 at 07:00:
    # it loads after its first trip, from the first quarter hour it is back.
    by_ref = {tuple(o.external_ref for o in p.orders): p for p in plan.proposals}
    assert ("SO-WEST",) in by_ref, (by_ref, plan.waiting)
    assert _slots(plan, bj)[list(by_ref).index(("SO-WEST",))] == ("D1", "09:15", "10:15")
    proposal = by_ref[("SO-WEST",)]
    assert (proposal.vehicle, proposal.driver) == (own, zhang)  # who drives its first trip
    load = services.load_build(
        warehouse=bj,
        vehicle=own,
        orders=proposal.orders,
        driver=proposal.driver,
        slot=services.DockSlot(proposal.dock, proposal.slot_starts_at, proposal.leaves_at),
        actor=None,
    )
    # Suggested again, the second load's slot stays clear of the first trip.
    assert slot_suggested(load=load, now=now).slot_starts_at >= trip.back_at


def test_the_dispatcher_books_a_second_trip_from_the_board(client, person, first_trip):
    bj, own, _, first, orders, _ = first_trip
    client.force_login(person("dispatcher", bj))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    tomorrow = _local(bj, 7, 0, days=1).strftime("%m-%d")
    assert (
        f"京A-OWN · Ambient · 1000 kg / 20000 L · on {first.reference} {tomorrow} 07:00–09:10"
        in board
    )
    assert "Book its dock slot too" in board
    # Its driver is offered for another trip too, with the one booked.
    assert f"Zhang · OWN · 1 · on {first.reference} {tomorrow} 07:00–09:10</option>" in board
    form = {
        "warehouse": bj.pk,
        "warehouse_code": "BJ",
        "vehicle": own.pk,
        "orders": [orders["NE"].pk],
        "dock": "",
        "minutes": "60",
    }
    refused = client.post("/dispatch/loads/", form, HTTP_HX_REQUEST="true").content.decode()
    assert "give this load a dock slot too" in refused
    at = _local(bj, 9, 15, days=1).strftime("%Y-%m-%dT%H:%M")
    dock = Dock.objects.get(code="D2")
    built = client.post(
        "/dispatch/loads/", {**form, "dock": dock.pk, "starts_at": at}, HTTP_HX_REQUEST="true"
    ).content.decode()
    second = Load.objects.exclude(pk=first.pk).get()
    assert f"Load {second.reference} planned on 京A-OWN." in built
    assert f"Booked at D2, {tomorrow} 09:15–10:15." in built


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_dispatchers_giving_one_truck_overlapping_trips_one_wins(
    windows,  # noqa: F811
):
    """Each books the truck at a door of their own, at 07:00 and 08:15: the hours do not
    overlap, but either trip does the other's. One load is built and booked; the other is
    refused with nothing of it left."""
    bj, trucks, orders, _ = windows

    def build(order, dock: str, hour: int, minute: int):  # type: ignore[no-untyped-def]
        return lambda: services.load_build(
            warehouse=bj,
            vehicle=trucks["own"],
            orders=[order],
            slot=_slot(bj, dock, hour, minute),
            actor=None,
        )

    outcomes = at_once(build(orders["EAST"], "D1", 7, 0), build(orders["NE"], "D2", 8, 15))
    assert sorted(outcomes) == ["done", "on_a_trip"]
    (load,) = Load.objects.all()
    assert load.appointment.vehicle == trucks["own"]
    assert Event.objects.filter(type__in=("load.planned", "appointment.booked")).count() == 2


def test_an_order_a_busy_truck_would_bring_late_goes_on_a_truck_free_in_time(first_trip):
    bj, _, _, _, orders, now = first_trip
    # The north-east shop closes at 08:40: the truck, back at 09:10, would be late there.
    plan = loads_proposed(warehouse=bj, now=now)
    assert plan.proposals == []
    assert [(w.order, w.reason) for w in plan.waiting] == [(orders["NE"], "trips")]
    assert "due back for their next trips" in plan.waiting[0].why
    hired = truck(Carrier.objects.get(code="DEPPON"), "京A-LTL2", bj, 2000)
    (proposal,) = loads_proposed(warehouse=bj, now=now).proposals
    assert (proposal.vehicle, proposal.orders, proposal.late_minutes) == (hired, [orders["NE"]], 0)


def test_a_truck_late_from_its_first_trip_puts_its_next_at_risk(client, person, second_trip):
    bj, _, _, first, _, now, second = second_trip
    alerts_evaluate(now=now)  # 06:00: back at 09:10 from the first, in time
    assert _live("next_trip_at_risk") == []

    # 08:30, and the truck has not come for its 07:00 slot: leaving now, it is back at
    # 09:30, a quarter of an hour after its next trip is due.
    alerts_evaluate(now=_local(bj, 8, 30, days=1))
    (alert,) = _live("next_trip_at_risk")
    day = _local(bj, 8, 30, days=1).strftime("%m-%d")
    assert (alert.department, alert.severity, alert.subject_id) == (
        "logistics",
        "critical",
        second.reference,
    )
    assert alert.message == (
        f"京A-OWN is back from {first.reference} about {day} 09:30, after {second.reference} "
        f"is due at dock D2 at {day} 09:15: move that slot or give the load another truck."
    )
    client.force_login(person("dispatcher", bj))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    trucks = board[board.index('<ul class="alerts trucks-at-risk">') :]
    assert alert.message in trucks[: trucks.index("</ul>")]

    later = _local(bj, 9, 45, days=1)
    services.appointment_move(
        appointment=second.appointment,
        starts_at=later,
        ends_at=later + datetime.timedelta(hours=1),
        actor=None,
    )
    alerts_evaluate(now=_local(bj, 8, 30, days=1))
    assert _live("next_trip_at_risk") == []


def test_a_truck_late_on_the_road_puts_its_next_trip_at_risk(client, person, floor, beijing_shop):
    bj, van = floor["wh"], floor["van"]
    shop = _shop(beijing_shop[0], "ALLDAY", km_east=20, opens=(0, 0), closes=(23, 59))
    now = timezone.now().replace(second=0, microsecond=0)
    docks = [Dock.objects.create(warehouse=bj, code=code) for code in ("D1", "D2")]

    def booked(ref: str, dock: Dock, starts_at: datetime.datetime) -> Load:
        order = services.order_create(
            customer=beijing_shop[0],
            ship_to=shop,
            external_ref=ref,
            lines=[services.LineInput(floor["tea"], 1)],
            requested_delivery_date=bj.today(),
            promised_ship_date=bj.today(),
            actor=None,
        )
        ends_at = starts_at + datetime.timedelta(hours=1)
        return services.load_build(
            warehouse=bj,
            vehicle=van,
            orders=[order],
            slot=services.DockSlot(dock, starts_at, ends_at),
            actor=None,
        )

    # 27 min out, 20 unloading, 27 back: out of the first slot's end 74 min.
    first = booked("SO-1", docks[0], now + datetime.timedelta(minutes=10))
    second = booked("SO-2", docks[1], now + datetime.timedelta(minutes=160))
    services.vehicle_check_in(appointment=first.appointment, actor=None)
    services.wave_release(wave=services.wave_plan(load=first, actor=None), actor=None)
    pick_all(floor)
    on_the_truck(floor, Order.objects.get(external_ref="SO-1"), first)
    shipment = services.load_depart(load=first, actor=None)
    alerts_evaluate(now=now)
    assert _live("next_trip_at_risk") == []

    # Two hours behind: back 74 min after leaving and 120 more, after the next slot.
    now = timezone.now()
    services.tracking_record(
        shipment=shipment, status="delayed", at=now, delay_minutes=120, actor=None
    )
    alerts_evaluate(now=now)
    (alert,) = _live("next_trip_at_risk")
    assert (alert.severity, alert.subject_id) == ("warning", second.reference)
    assert alert.message.startswith(f"京A-1 is back from {first.reference} about ")
    # The board's trucks: on the road since it left, back late (marked), then the next trip.
    van.home_warehouse = bj
    van.save()
    (day,) = trucks_day(
        warehouse_id=bj.pk, start=now - datetime.timedelta(hours=1), end=now + DAY, now=now
    )
    on_road, booked_next = day["trips"]
    assert (on_road["load"], on_road["at_risk"], booked_next["load"]) == (first, True, second)
    assert on_road["back_at"] > second.appointment.starts_at > on_road["starts_at"]
    client.force_login(person("dispatcher", bj))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    lane = board[board.index('<span class="dock">京A-1</span>') :]
    lane = lane[: lane.index('<div class="lane">') if '<div class="lane">' in lane else None]
    assert lane.count('class="bar trip') == 2
    assert 'class="bar trip departed waiting"' in lane  # not back for the next: marked
    assert f"#{second.reference[-3:]} " in lane


def test_an_integration_sees_a_truck_s_trips_and_books_its_next_through_the_api(
    api, person, first_trip
):
    bj, own, _, first, _, _ = first_trip
    dispatcher = api(person("dispatcher", bj))
    (choice,) = dispatcher.get(
        "/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-NE"]}
    ).json()
    assert (choice["vehicle"], choice["usable"]) == ("京A-OWN", True)
    (trip,) = choice["trips"]
    assert trip["load"] == first.reference
    back = datetime.datetime.fromisoformat(trip["back_at"].replace("Z", "+00:00"))
    assert back.astimezone(bj.zone()).strftime("%H:%M") == "09:10"

    # With no vehicle named, the load gets one free for its trip: none, with no slot.
    body = {"warehouse": "BJ", "orders": ["SO-NE"]}
    refused = dispatcher.post("/api/v1/loads/", body, format="json")
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["vehicle"]
    assert (
        f"京A-OWN: on {first.reference}, give the load a slot clear of it"
        in (refused.json()["message"])
    )
    slot = _slot(bj, "D2", 9, 15)
    made = dispatcher.post(
        "/api/v1/loads/",
        {
            **body,
            "dock": slot.dock.pk,
            "starts_at": slot.starts_at.isoformat(),
            "ends_at": slot.ends_at.isoformat(),
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["vehicle"] == "京A-OWN"
    assert Load.objects.filter(vehicle=own).count() == 2


def test_an_integration_reads_the_trucks_day_from_the_api(api, person, second_trip):
    bj, _, _, first, _, _, second = second_trip
    dispatcher = api(person("dispatcher", bj))
    window = {
        "warehouse": "BJ",
        "start": _local(bj, 0, 0, days=1).isoformat(),
        "end": _local(bj, 23, 0, days=1).isoformat(),
    }
    answer = dispatcher.get("/api/v1/loads/trucks/", window)
    assert answer.status_code == 200, answer.content
    (truck_day,) = answer.json()
    assert (truck_day["vehicle"], truck_day["carrier"]) == ("京A-OWN", "OWN")
    assert [(t["load"], t["status"], t["at_risk"]) for t in truck_day["trips"]] == [
        (first.reference, "planned", False),
        (second.reference, "planned", False),
    ]
    back = datetime.datetime.fromisoformat(truck_day["trips"][0]["back_at"].replace("Z", "+00:00"))
    assert back.astimezone(bj.zone()).strftime("%H:%M") == "09:10"

    wrong = dispatcher.get("/api/v1/loads/trucks/", {**window, "end": window["start"]})
    assert wrong.status_code == 400 and list(wrong.json()["fields"]) == ["end"]
    operator = api(person("operator", bj)).get("/api/v1/loads/trucks/", window)
    assert operator.status_code == 403
