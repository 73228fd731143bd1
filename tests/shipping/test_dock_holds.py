"""A door is held from loading for a while (a supplier's truck unloading, a repair): no truck
is booked at it then, nor is it held over a truck booked there; the board plans around it,
shows it, and the office releases it."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.clock import clock_text
from core.exceptions import Conflict, DomainError
from core.models import Event
from inventory.models import Receipt
from shipping import services
from shipping.models import Dock, DockAppointment, DockHold
from shipping.planning import slot_suggested
from tests.shipping.helpers import at_once
from tests.shipping.test_dock_loads_waves import at, fleet  # noqa: F401
from tests.shipping.test_load_planning import _hm, _local, windows  # noqa: F401

HTMX = {"HTTP_HX_REQUEST": "true"}


def _receipt(warehouse, reference: str = "ASN-7") -> Receipt:  # type: ignore[no-untyped-def]
    return Receipt.objects.create(
        warehouse=warehouse,
        reference=reference,
        supplier="Tingyi",
        expected_on=at(0).date(),
    )


def test_a_held_door_takes_no_truck_and_a_booked_door_is_not_held(fleet):  # noqa: F811
    dock1, dock2 = fleet["dock1"], fleet["dock2"]
    receipt = _receipt(dock1.warehouse)
    hold = services.dock_hold_place(
        dock=dock1,
        starts_at=at(9),
        ends_at=at(11),
        reason="receiving",
        receipt=receipt,
        actor=None,
    )
    with pytest.raises(Conflict, match=r"Dock D1 is held .* for receiving ASN-7") as held:
        services.appointment_book(
            dock=dock1, vehicle=fleet["van"], starts_at=at(10), ends_at=at(12), actor=None
        )
    assert (held.value.field, held.value.code) == ("starts_at", "dock_held")
    booked = services.appointment_book(
        dock=dock2, vehicle=fleet["van"], starts_at=at(10), ends_at=at(11), actor=None
    )
    with pytest.raises(Conflict, match="held"):  # nor moved into it
        services.appointment_move(
            appointment=booked, dock=dock1, starts_at=at(10), ends_at=at(11), actor=None
        )
    with pytest.raises(Conflict, match=r"booked .* by 京A-10001: move that truck first"):
        services.dock_hold_place(
            dock=dock2, starts_at=at(8), ends_at=at(10.5), reason="maintenance", actor=None
        )
    with pytest.raises(Conflict, match="held"):  # two holds of one door do not overlap
        services.dock_hold_place(
            dock=dock1, starts_at=at(10), ends_at=at(12), reason="maintenance", actor=None
        )
    # Back to back is fine; released, the door takes the truck.
    services.appointment_book(
        dock=dock1, vehicle=fleet["truck"], starts_at=at(11), ends_at=at(12), actor=None
    )
    services.dock_hold_release(hold=hold, actor=None)
    with pytest.raises(Conflict, match="released"):
        services.dock_hold_release(hold=hold, actor=None)
    services.appointment_move(
        appointment=booked, dock=dock1, starts_at=at(9.5), ends_at=at(10.5), actor=None
    )
    assert [e.type for e in Event.objects.filter(type__startswith="dock.")] == [
        "dock.held",
        "dock.hold_released",
    ]
    assert Event.objects.get(type="dock.held").payload["receipt"] == "ASN-7"


def test_bad_holds_are_refused_naming_the_field_and_nothing_is_written(fleet, other_site):  # noqa: F811
    dock = fleet["dock1"]
    elsewhere = _receipt(other_site.warehouse, "ASN-X")
    closed = _receipt(dock.warehouse, "ASN-C")
    Receipt.objects.filter(pk=closed.pk).update(status="closed")
    closed.refresh_from_db()
    now = datetime.datetime.now(datetime.UTC)
    for asked, field in [
        ({"starts_at": at(9), "ends_at": at(8), "reason": "maintenance"}, "ends_at"),
        ({"starts_at": at(9), "ends_at": at(9 + 24 * 8), "reason": "maintenance"}, "ends_at"),
        (
            {
                "starts_at": now - datetime.timedelta(hours=3),
                "ends_at": now - datetime.timedelta(hours=1),
                "reason": "maintenance",
            },
            "ends_at",
        ),
        ({"starts_at": at(9), "ends_at": at(10), "reason": "lunch"}, "reason"),
        ({"starts_at": at(9), "ends_at": at(10), "reason": "other"}, "note"),
        ({"starts_at": at(9), "ends_at": at(10), "reason": "other", "note": "x" * 201}, "note"),
        (
            {"starts_at": at(9), "ends_at": at(10), "reason": "receiving", "receipt": elsewhere},
            "receipt",
        ),
        (
            {"starts_at": at(9), "ends_at": at(10), "reason": "receiving", "receipt": closed},
            "receipt",
        ),
    ]:
        with pytest.raises(DomainError) as refused:
            services.dock_hold_place(dock=dock, actor=None, **asked)
        assert refused.value.field == field, (asked, refused.value.message)
    assert not DockHold.objects.exists()
    assert not Event.objects.filter(type="dock.held").exists()


def test_the_plan_puts_a_truck_at_a_door_not_held(windows):  # noqa: F811
    """Loaded alone, the north-east shop's truck loads at D1 07:00-08:00 (as the planning
    tests have it); with D1 held then for a supplier's truck, it loads at D2."""
    bj, trucks, orders, now = windows
    load = services.load_build(
        warehouse=bj, vehicle=trucks["own"], orders=[orders["NE"]], actor=None
    )
    services.dock_hold_place(
        dock=Dock.objects.get(code="D1"),
        starts_at=_local(bj, 6, 30, days=1),
        ends_at=_local(bj, 8, 0, days=1),
        reason="receiving",
        actor=None,
    )
    slot = slot_suggested(load=load, now=now)
    assert (slot.dock.code, _hm(slot.slot_starts_at, bj), _hm(slot.leaves_at, bj)) == (
        "D2",
        "07:00",
        "08:00",
    )


def test_the_office_holds_a_door_for_a_supplier_s_truck_over_the_api(api, person, fleet):  # noqa: F811
    dock = fleet["dock1"]
    warehouse = dock.warehouse
    receipt = _receipt(warehouse)
    office = api(person("dispatcher", warehouse))
    placed = office.post(
        "/api/v1/dock-holds/",
        {
            "dock": dock.pk,
            "starts_at": at(9).isoformat(),
            "ends_at": at(11).isoformat(),
            "reason": "receiving",
            "receipt": receipt.pk,
            "note": "Tingyi's 13 m trailer, side unloading",
        },
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    hold = placed.json()
    assert (hold["dock_code"], hold["reason"], hold["receipt_reference"], hold["released_at"]) == (
        "D1",
        "receiving",
        "ASN-7",
        None,
    )
    refused = office.post(
        "/api/v1/appointments/",
        {
            "dock": dock.pk,
            "vehicle": fleet["van"].plate,
            "starts_at": at(10).isoformat(),
            "ends_at": at(11).isoformat(),
        },
        format="json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "dock_held"
    assert "receiving ASN-7 (Tingyi's 13 m trailer, side unloading)" in refused.json()["message"]
    assert not DockAppointment.objects.exists()
    live = office.get("/api/v1/dock-holds/", {"live": "true"}).json()["results"]
    assert [h["id"] for h in live] == [hold["id"]]
    floor_hand = api(person("operator", warehouse))
    assert floor_hand.post(f"/api/v1/dock-holds/{hold['id']}/release/").status_code == 403
    released = office.post(f"/api/v1/dock-holds/{hold['id']}/release/")
    assert released.status_code == 200 and released.json()["released_at"] is not None
    assert office.get("/api/v1/dock-holds/", {"live": "true"}).json()["results"] == []
    again = office.post(f"/api/v1/dock-holds/{hold['id']}/release/")
    assert again.status_code == 409 and again.json()["code"] == "released"
    bad = office.post(
        "/api/v1/dock-holds/",
        {
            "dock": dock.pk,
            "starts_at": at(9).isoformat(),
            "ends_at": at(10).isoformat(),
            "reason": "nap",
        },
        format="json",
    )
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["reason"]


def test_the_dispatch_board_holds_a_door_shows_it_and_releases_it(client, person, fleet):  # noqa: F811
    dock = fleet["dock1"]
    warehouse = dock.warehouse
    receipt = _receipt(warehouse)
    client.force_login(person("dispatcher", warehouse))
    in_two_hours = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    starts = in_two_hours.astimezone(warehouse.zone()).strftime("%Y-%m-%dT%H:%M")
    form = {
        "warehouse_code": warehouse.code,
        "dock": dock.pk,
        "starts_at": starts,
        "hours": "1.5",
        "reason": "receiving",
        "receipt": receipt.pk,
        "note": "",
    }
    wrong = client.post("/dispatch/holds/", {**form, "hours": "0"}, **HTMX).content.decode()
    assert "Hours: Hours between 0.25 and 168." in wrong
    once = client.post("/dispatch/holds/", {**form, "days": "3"}, **HTMX).content.decode()
    assert "Days: A receipt&#x27;s truck comes once: hold its door one day." in once
    board = client.post("/dispatch/holds/", form, **HTMX).content.decode()
    assert "D1 is held" in board and "for receiving." in board
    assert 'class="bar held receiving"' in board and "Receiving · ASN-7" in board
    hold = DockHold.objects.get()
    assert hold.ends_at - hold.starts_at == datetime.timedelta(minutes=90)
    assert hold.placed_by is not None
    clash = client.post("/dispatch/holds/", form, **HTMX).content.decode()
    assert "From: Dock D1 is held" in clash
    # The receiving floor reads which door the supplier's truck comes to.
    client.force_login(person("operator", warehouse))
    floor = client.get("/floor/", {"warehouse": warehouse.code, "fragment": "receiving"})
    with timezone.override(warehouse.zone()):
        said = clock_text(hold.starts_at)  # the time alone today, with its day after midnight
    assert f"its truck at D1 {said}–" in floor.content.decode()
    client.force_login(person("dispatcher", warehouse))
    board = client.post(
        f"/dispatch/holds/{hold.pk}/release/", {"warehouse_code": warehouse.code}, **HTMX
    ).content.decode()
    assert "D1 takes bookings again." in board and 'class="bar held' not in board
    mornings = client.post(
        "/dispatch/holds/",
        {**form, "dock": fleet["dock2"].pk, "receipt": "", "days": "2"},
        **HTMX,
    ).content.decode()
    assert "D2 is held" in mornings and "2 days running." in mornings
    assert DockHold.objects.filter(dock=fleet["dock2"], released_at=None).count() == 2
    chinese = client.get(
        "/dispatch/", {"warehouse": warehouse.code}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "暂停码头装车" in chinese.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_a_hold_and_a_booking_of_one_door_at_once_one_wins(fleet):  # noqa: F811
    outcomes = at_once(
        lambda: services.dock_hold_place(
            dock=fleet["dock1"], starts_at=at(9), ends_at=at(10), reason="maintenance", actor=None
        ),
        lambda: services.appointment_book(
            dock=fleet["dock1"],
            vehicle=fleet["van"],
            starts_at=at(9.5),
            ends_at=at(10.5),
            actor=None,
        ),
    )
    assert sorted(outcomes) in (["dock_booked", "done"], ["dock_held", "done"])
    assert DockHold.objects.count() + DockAppointment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_the_database_itself_keeps_two_holds_of_a_door_apart(fleet):  # noqa: F811
    DockHold.objects.create(dock=fleet["dock1"], starts_at=at(9), ends_at=at(10), reason="other")
    with pytest.raises(IntegrityError, match="dock_hold_no_overlap"), transaction.atomic():
        DockHold.objects.create(
            dock=fleet["dock1"], starts_at=at(9.5), ends_at=at(11), reason="other"
        )
    DockHold.objects.filter(dock=fleet["dock1"]).update(released_at=at(0))  # released: nothing
    DockHold.objects.create(dock=fleet["dock1"], starts_at=at(9.5), ends_at=at(11), reason="other")


def test_a_door_is_held_at_the_same_hours_days_running_all_or_none(api, person, fleet):  # noqa: F811
    dock = fleet["dock2"]
    zone = dock.warehouse.zone()
    first = at(24).astimezone(zone).replace(hour=8, minute=0)  # the day after tomorrow, 08:00
    # A truck booked at that door on the third morning: nothing is held, the day is named.
    services.appointment_book(
        dock=dock,
        vehicle=fleet["van"],
        starts_at=first + datetime.timedelta(days=2, hours=1),
        ends_at=first + datetime.timedelta(days=2, hours=2),
        actor=None,
    )
    with pytest.raises(Conflict, match=f"booked {first + datetime.timedelta(days=2):%m-%d} 09:00"):
        services.dock_holds_place_daily(
            dock=dock,
            starts_at=first,
            ends_at=first + datetime.timedelta(hours=2),
            days=5,
            reason="receiving",
            actor=None,
        )
    assert not DockHold.objects.exists()
    for days in (0, 32):
        with pytest.raises(DomainError) as refused:
            services.dock_holds_place_daily(
                dock=dock,
                starts_at=first,
                ends_at=first + datetime.timedelta(hours=2),
                days=days,
                reason="receiving",
                actor=None,
            )
        assert refused.value.field == "days"

    office = api(person("dispatcher", dock.warehouse))
    placed = office.post(
        "/api/v1/dock-holds/daily/",
        {
            "dock": dock.pk,
            "starts_at": first.isoformat(),
            "ends_at": (first + datetime.timedelta(hours=2)).isoformat(),
            "days": 2,
            "reason": "receiving",
            "note": "Inbound door mornings",
        },
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    starts = [
        datetime.datetime.fromisoformat(h["starts_at"]).astimezone(zone)
        for h in placed.json()["holds"]
    ]
    assert [(s.day, s.hour, s.minute) for s in starts] == [
        (first.day, 8, 0),
        ((first + datetime.timedelta(days=1)).day, 8, 0),
    ]
    assert Event.objects.filter(type="dock.held").count() == 2
    too_many = office.post(
        "/api/v1/dock-holds/daily/",
        {
            "dock": dock.pk,
            "starts_at": first.isoformat(),
            "ends_at": (first + datetime.timedelta(hours=2)).isoformat(),
            "days": 32,
            "reason": "receiving",
        },
        format="json",
    )
    assert too_many.status_code == 400 and list(too_many.json()["fields"]) == ["days"]
    assert DockHold.objects.count() == 2
