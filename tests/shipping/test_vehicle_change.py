"""A truck breaks down, or another costs less: the dispatcher puts a planned load on another
vehicle, or gives it another driver. Its booked dock slot goes with it, the same door and
hours, and the old truck is free for those hours. The new truck must take the goods and be
on no other trip then; a truck already at its door keeps its load. Refusals name the field
and change nothing."""

import datetime

import pytest

from core.exceptions import Conflict, DomainError
from core.models import Event
from shipping import services
from shipping.models import Carrier, DockAppointment, Driver, Load
from tests.shipping.helpers import at_once, truck
from tests.shipping.test_load_planning import windows  # noqa: F401 (a fixture)
from tests.shipping.test_vehicle_trips import _slot, first_trip  # noqa: F401 (a fixture)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def spare(first_trip):  # type: ignore[no-untyped-def]  # noqa: F811
    """`first_trip` (the own truck and Zhang booked at D1 07:00-08:00 tomorrow, back about
    09:10), with a spare own truck and its driver Li, and an LTL carrier's truck and driver."""
    bj, own, zhang, first, orders, _ = first_trip
    ltl = Carrier.objects.create(code="LTL", name="LTL co", service_level="ltl")
    return {
        "bj": bj,
        "own": own,
        "zhang": zhang,
        "first": first,
        "orders": orders,
        "spare": truck(own.carrier, "京A-SPARE", bj, 1000),
        "li": Driver.objects.create(carrier=own.carrier, name="Li", phone="2"),
        "hired": truck(ltl, "京A-HIRED", bj, 2000),
        "wang": Driver.objects.create(carrier=ltl, name="Wang", phone="3"),
    }


def _unchanged(load: Load, refuse, error=Conflict):  # type: ignore[no-untyped-def]
    """Call `refuse()`, expecting `error`; the load, its appointment and the events are as
    they were."""
    before = Load.objects.values_list("vehicle", "driver").get(pk=load.pk)
    slot = DockAppointment.objects.filter(load=load).values_list("vehicle", flat=True).first()
    events = Event.objects.count()
    with pytest.raises(error) as refused:
        refuse()
    assert Load.objects.values_list("vehicle", "driver").get(pk=load.pk) == before
    assert DockAppointment.objects.filter(load=load).values_list("vehicle", flat=True).first() == (
        slot
    )
    assert Event.objects.count() == events
    return refused.value


def test_a_load_goes_on_another_truck_with_its_dock_slot_and_frees_the_old_one(spare):
    first, own, zhang = spare["first"], spare["own"], spare["zhang"]
    services.load_vehicle_change(load=first, vehicle=spare["spare"], driver=spare["li"], actor=None)
    first.refresh_from_db()
    assert (first.vehicle, first.driver) == (spare["spare"], spare["li"])
    slot = DockAppointment.objects.get(load=first)
    assert (slot.vehicle, slot.dock.code, slot.status) == (spare["spare"], "D1", "booked")
    assert slot.starts_at == _slot(spare["bj"], "D1", 7).starts_at
    changed = Event.objects.get(type="load.vehicle_changed").payload
    assert changed["vehicle"] == "京A-SPARE" and changed["driver"] == "Li"
    assert changed["was"] == {"vehicle": "京A-OWN", "driver": "Zhang"}
    # The own truck and Zhang are free for those hours now.
    other = services.load_build(
        warehouse=spare["bj"],
        vehicle=own,
        orders=[spare["orders"]["NE"]],
        driver=zhang,
        slot=_slot(spare["bj"], "D2", 7),
        actor=None,
    )
    assert other.appointment.vehicle == own


def test_a_truck_that_cannot_take_the_load_then_is_refused_naming_why(spare):
    first, bj = spare["first"], spare["bj"]

    def change(vehicle, driver):  # type: ignore[no-untyped-def]
        return lambda: services.load_vehicle_change(
            load=first, vehicle=vehicle, driver=driver, actor=None
        )

    same = _unchanged(first, change(spare["own"], spare["zhang"]), DomainError)
    assert same.field == "vehicle" and "already" in str(same)
    tiny = truck(spare["own"].carrier, "京A-TINY", bj, 100)  # the load is 240 kg of cement
    heavy = _unchanged(first, change(tiny, None), DomainError)
    assert (heavy.field, heavy.code) == ("vehicle", "overweight")
    stranger = _unchanged(first, change(spare["spare"], spare["wang"]), DomainError)
    assert stranger.field == "driver" and "Wang drives for LTL co" in str(stranger)
    # The spare truck has a trip of its own from 07:30: it would meet this one's.
    services.load_build(
        warehouse=bj,
        vehicle=spare["spare"],
        orders=[spare["orders"]["NE"]],
        slot=_slot(bj, "D2", 7, 30),
        actor=None,
    )
    busy = _unchanged(first, change(spare["spare"], spare["li"]))
    assert (busy.field, busy.code) == ("vehicle", "on_a_trip")
    assert "京A-SPARE is on load" in str(busy)
    # At its door, the truck keeps its load.
    services.vehicle_check_in(appointment=first.appointment, actor=None)
    inside = _unchanged(first, change(spare["hired"], spare["wang"]))
    assert (inside.field, inside.code) == ("vehicle", "at_the_dock")


def test_the_api_changes_the_vehicle_and_keeps_the_driver_of_its_carrier(api, person, spare):
    first, bj = spare["first"], spare["bj"]
    dispatcher = api(person("dispatcher", bj))
    url = f"/api/v1/loads/{first.pk}/vehicle/"
    moved = dispatcher.post(url, {"vehicle": "京A-SPARE"}, format="json")
    assert moved.status_code == 200, moved.content
    assert (moved.json()["vehicle"], moved.json()["driver"]["name"]) == ("京A-SPARE", "Zhang")
    hired = dispatcher.post(url, {"vehicle": "京A-HIRED"}, format="json")
    assert hired.status_code == 200, hired.content
    assert hired.json()["driver"] is None  # Zhang drives for the own fleet
    driven = dispatcher.post(url, {"vehicle": "京A-HIRED", "driver": spare["wang"].pk})
    assert driven.json()["driver"]["name"] == "Wang"

    unknown = dispatcher.post(url, {"vehicle": "京A-NONE"}, format="json")
    assert unknown.status_code == 400 and list(unknown.json()["fields"]) == ["vehicle"]
    operator = api(person("operator", bj))
    assert operator.post(url, {"vehicle": "京A-OWN"}, format="json").status_code == 403
    first.refresh_from_db()
    assert first.vehicle == spare["hired"]


def test_the_board_changes_a_load_s_vehicle(client, person, spare):
    first, bj = spare["first"], spare["bj"]
    client.force_login(person("dispatcher", bj))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert f'action="/dispatch/loads/{first.pk}/vehicle/"' in board
    done = client.post(
        f"/dispatch/loads/{first.pk}/vehicle/",
        {"warehouse_code": "BJ", "vehicle": spare["spare"].pk, "driver": spare["li"].pk},
        **HTMX,
    ).content.decode()
    assert f"Load {first.reference} goes on 京A-SPARE, driven by Li." in done
    refused = client.post(
        f"/dispatch/loads/{first.pk}/vehicle/",
        {"warehouse_code": "BJ", "vehicle": spare["spare"].pk, "driver": spare["wang"].pk},
        **HTMX,
    ).content.decode()
    assert "Wang drives for LTL co" in refused
    first.refresh_from_db()
    assert first.driver == spare["li"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_loads_moved_onto_one_truck_at_overlapping_hours_one_wins(spare):
    """The first load (D1 07:00) and a second on the hired truck (D2 07:30) both go to the
    spare truck at once: their trips overlap, so one moves and the other stays."""
    bj, first = spare["bj"], spare["first"]
    second = services.load_build(
        warehouse=bj,
        vehicle=spare["hired"],
        orders=[spare["orders"]["NE"]],
        slot=_slot(bj, "D2", 7, 30),
        actor=None,
    )
    outcomes = at_once(
        lambda: services.load_vehicle_change(
            load=first, vehicle=spare["spare"], driver=None, actor=None
        ),
        lambda: services.load_vehicle_change(
            load=second, vehicle=spare["spare"], driver=None, actor=None
        ),
    )
    assert sorted(outcomes) == ["done", "on_a_trip"]
    on_spare = Load.objects.filter(vehicle=spare["spare"])
    assert on_spare.count() == 1
    for load in Load.objects.all():
        assert load.appointment.vehicle_id == load.vehicle_id
    assert Event.objects.filter(type="load.vehicle_changed").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_a_truck_checking_in_while_its_load_changes_truck_stays_one_truck(spare):
    """The gate checks the truck in as the dispatcher moves the load to the spare truck:
    either the load moved first (and the spare truck's appointment checks in) or the truck
    is in first (and the load keeps it). Never a load on one truck and its slot on another."""
    first = spare["first"]
    outcomes = at_once(
        lambda: services.load_vehicle_change(
            load=first, vehicle=spare["spare"], driver=None, actor=None
        ),
        lambda: services.vehicle_check_in(appointment=first.appointment, actor=None),
    )
    assert outcomes.count("done") >= 1 and set(outcomes) <= {"done", "at_the_dock"}
    first.refresh_from_db()
    slot = DockAppointment.objects.get(load=first)
    assert slot.vehicle_id == first.vehicle_id
    assert slot.status == "checked_in"
    moved = Event.objects.filter(type="load.vehicle_changed").exists()
    assert (first.vehicle == spare["spare"]) == moved
    assert datetime.timedelta(0) <= slot.ends_at - slot.starts_at
