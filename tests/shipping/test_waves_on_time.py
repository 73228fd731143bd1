"""In a warehouse that releases waves on time, each truck's wave goes to the floor by itself
when its picking must start to be done the wave's margin before the truck is due; the
dispatcher switches this on or off, and sees when each wave will go."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Event, Warehouse
from inventory.models import Task
from shipping import services
from shipping.models import Dock, Load, Vehicle, Wave
from tests.shipping.helpers import floor_order

MARGIN = datetime.timedelta(minutes=Wave._meta.get_field("margin_minutes").default)


def _on(floor) -> Warehouse:  # type: ignore[no-untyped-def]
    warehouse = floor["wh"]
    Warehouse.objects.filter(pk=warehouse.pk).update(waves_release_on_time=True)
    warehouse.refresh_from_db()
    return warehouse


def _second_van(floor, plate: str = "京A-2") -> Vehicle:  # type: ignore[no-untyped-def]
    return Vehicle.objects.create(
        carrier=floor["van"].carrier, plate=plate, capacity_weight_kg=900, capacity_volume_l=9000
    )


def _booked(floor, starts_in: datetime.timedelta, ref: str = "SO-W1", van=None) -> Load:  # type: ignore[no-untyped-def]
    """A load of the van (or `van`) with an order of two teas, its truck due at a door of its
    own (D1 for the floor's van) in `starts_in`."""
    van = van or floor["van"]
    order = floor_order(floor, (floor["tea"], 2), ref=ref)
    load = services.load_build(warehouse=floor["wh"], vehicle=van, orders=[order], actor=None)
    dock, _ = Dock.objects.get_or_create(warehouse=floor["wh"], code=f"D{van.pk}")
    starts = timezone.now() + starts_in
    services.appointment_book(
        dock=dock,
        vehicle=van,
        load=load,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(minutes=30),
        actor=None,
    )
    return load


def test_a_wave_goes_to_the_floor_by_itself_when_its_picking_must_start(floor):
    _on(floor)
    load = _booked(floor, datetime.timedelta(hours=3))
    # One line at 60 lines an hour for two pickers: a minute of picking, before the margin.
    release_at = load.appointment.starts_at - MARGIN - datetime.timedelta(minutes=1)
    early = release_at - datetime.timedelta(minutes=1)
    assert services.wave_release_on_time(load_id=load.pk, now=early) is None
    assert services.waves_release_due() == 0  # hours to go
    assert not Wave.objects.exists()

    wave = services.wave_release_on_time(load_id=load.pk, now=release_at)

    assert wave is not None and wave.status == "released"
    load.refresh_from_db()
    assert load.orders.get().status == "released"
    assert Task.objects.filter(kind="pick", status="open").count() == 1
    released = Event.objects.get(type="wave.released")
    assert released.actor is None
    assert released.payload["on_time"] is True
    assert released.payload["load"] == load.reference
    # Once on the floor, it is not released again.
    assert services.wave_release_on_time(load_id=load.pk, now=release_at) is None
    assert Event.objects.filter(type="wave.released").count() == 1


def test_a_slot_booked_sooner_than_its_picking_takes_is_released_at_once(floor):
    _on(floor)
    load = _booked(floor, datetime.timedelta(minutes=20))
    assert services.waves_release_due() == 1
    assert load.orders.get().status == "released"


def test_a_wave_planned_by_the_office_keeps_its_pace(floor):
    """The office planned the wave at its own pace (one picker, 2 lines an hour: half an hour
    a line), so it goes to the floor half an hour before the margin."""
    _on(floor)
    load = _booked(floor, datetime.timedelta(hours=3))
    services.wave_plan(load=load, actor=None, lines_per_picker_hour=2, pickers=1)
    release_at = load.appointment.starts_at - MARGIN - datetime.timedelta(minutes=30)
    assert services.wave_release_on_time(load_id=load.pk, now=release_at - datetime.timedelta(minutes=1)) is None  # fmt: skip
    assert services.wave_release_on_time(load_id=load.pk, now=release_at) is not None


def test_nothing_goes_by_itself_with_the_switch_off_or_no_slot_or_released_by_hand(floor):
    late = timezone.now() + datetime.timedelta(days=1)
    load = _booked(floor, datetime.timedelta(minutes=20))
    assert services.wave_release_on_time(load_id=load.pk, now=late) is None  # switch off
    _on(floor)
    services.appointment_cancel(appointment=load.appointment, actor=None)
    assert services.wave_release_on_time(load_id=load.pk, now=late) is None  # no slot
    other = _booked(floor, datetime.timedelta(hours=2), ref="SO-W2", van=_second_van(floor))
    services.wave_release(wave=services.wave_plan(load=other, actor=None), actor=None)
    assert services.wave_release_on_time(load_id=other.pk, now=late) is None  # by hand
    assert Event.objects.filter(type="wave.released").count() == 1


def test_the_dispatcher_switches_it_through_the_api(api, person, floor):
    warehouse = floor["wh"]
    url = f"/api/v1/warehouses/{warehouse.pk}/waves-release/"
    office = api(person("dispatcher", warehouse))
    refused = office.post(url, {"on_time": "sometimes"}, format="json")
    assert refused.status_code == 400
    assert "on_time" in refused.json()["fields"]
    assert api(person("operator", warehouse)).post(url, {"on_time": True}).status_code == 403
    assert not Event.objects.filter(type="warehouse.waves_release_set").exists()
    answer = office.post(url, {"on_time": True}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["waves_release_on_time"] is True
    switched = Event.objects.get(type="warehouse.waves_release_set")
    assert switched.payload == {"warehouse": warehouse.code, "on_time": True}
    office.post(url, {"on_time": True}, format="json")  # as it is: nothing written
    assert Event.objects.filter(type="warehouse.waves_release_set").count() == 1


def test_the_board_says_waves_go_by_themselves_and_when(client, person, floor):
    warehouse = floor["wh"]
    load = _booked(floor, datetime.timedelta(hours=3))
    services.wave_plan(load=load, actor=None)
    client.force_login(person("dispatcher", warehouse))
    board = {"warehouse": warehouse.code, "fragment": "board"}
    page = client.get("/dispatch/", board).content.decode()
    assert "Waves wait for the office." in page and "release by" in page
    switched = client.post(
        "/dispatch/waves/",
        {"warehouse_code": warehouse.code, "on_time": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert switched.status_code == 200
    page = switched.content.decode()
    assert "now goes to the floor by itself when its picking must start" in page
    assert "Waves go to the floor by themselves on time." in page
    assert "goes to the floor" in page and "release by" not in page
    assert Warehouse.objects.get(pk=warehouse.pk).waves_release_on_time


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="on the real stack a worker runs the task")
def test_the_relay_publishing_a_slot_booked_soon_releases_its_wave(
    floor, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from integrations.relay import events_publish

    _on(floor)
    load = _booked(floor, datetime.timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=True):
        events_publish()
    assert load.orders.get().status == "released"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_the_office_and_the_clock_releasing_at_once_release_once(floor):
    from tests.shipping.helpers import at_once

    _on(floor)
    load = _booked(floor, datetime.timedelta(minutes=20))

    def by_hand() -> None:
        fresh = Load.objects.get(pk=load.pk)
        wave = getattr(fresh, "wave", None) or services.wave_plan(load=fresh, actor=None)
        services.wave_release(wave=wave, actor=None)

    def on_time() -> None:
        services.wave_release_on_time(load_id=load.pk)

    outcomes = at_once(by_hand, on_time)
    assert len(outcomes) == 2 and "done" in outcomes
    assert Wave.objects.filter(load=load).count() == 1
    assert Event.objects.filter(type="wave.released").count() == 1
    assert Task.objects.filter(kind="pick").exclude(status="cancelled").count() == 1


def test_a_wave_the_floor_cannot_take_stays_planned_and_the_others_go(floor):
    _on(floor)
    stuck = _booked(floor, datetime.timedelta(minutes=20))
    going = _booked(
        floor, datetime.timedelta(minutes=25), ref="SO-W3", van=_second_van(floor, "京A-3")
    )
    stuck.orders.update(status="backordered")  # its stock lost meanwhile, say
    assert services.waves_release_due() == 1
    assert going.orders.get().status == "released"
    assert not Wave.objects.filter(load=stuck).exists()


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="on the real stack a worker runs the task")
def test_slots_booked_where_waves_are_released_by_hand_queue_no_release(
    floor, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from celery.signals import task_prerun

    from integrations.relay import events_publish

    ran: list[str] = []

    def count(sender, **kwargs) -> None:  # type: ignore[no-untyped-def]
        ran.append(sender.name)

    task_prerun.connect(count, weak=False)
    try:
        _booked(floor, datetime.timedelta(minutes=20))
        with django_capture_on_commit_callbacks(execute=True):
            events_publish()
        assert "shipping.waves_release_due" not in ran  # the switch is off here
        _on(floor)
        _booked(floor, datetime.timedelta(minutes=20), ref="SO-W2", van=_second_van(floor))
        with django_capture_on_commit_callbacks(execute=True):
            events_publish()
        assert ran.count("shipping.waves_release_due") == 1
    finally:
        task_prerun.disconnect(count)
