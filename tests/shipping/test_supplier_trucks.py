"""A supplier's truck at the gate: checked in to the door held for its receiving, checked out
when it is unloaded. Its time at the door is measured, a truck kept too long raises the
"truck waiting" alert, and the door is free for loading from the moment it leaves."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import Conflict, DomainError
from core.models import Event
from dashboards.board import kpi_board
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from shipping import services
from shipping.models import DockAppointment, DockHold
from tests.shipping.helpers import at_once
from tests.shipping.test_dock_holds import _receipt
from tests.shipping.test_dock_loads_waves import fleet  # noqa: F401

HTMX = {"HTTP_HX_REQUEST": "true"}


def _minutes(n: float) -> datetime.datetime:
    """`n` minutes from now (before it, if negative), to the second."""
    return timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=n)


def _receiving(fleet, dock: str = "dock1", **more) -> DockHold:  # noqa: F811  # type: ignore[no-untyped-def]
    """Dock D1 held for receiving from half an hour ago for three hours: the supplier's truck
    is due."""
    return services.dock_hold_place(
        dock=fleet[dock],
        starts_at=_minutes(-30),
        ends_at=_minutes(150),
        reason="receiving",
        actor=None,
        **more,
    )


def test_a_supplier_s_truck_in_and_out_is_measured_and_frees_the_door(fleet):  # noqa: F811
    warehouse = fleet["dock1"].warehouse
    hold = _receiving(fleet, receipt=_receipt(warehouse))
    came = _minutes(-20)
    services.supplier_truck_check_in(hold=hold, plate="  冀B 88321 ", actor=None, at=came)
    hold.refresh_from_db()
    assert (hold.plate, hold.checked_in_at) == ("冀B 88321", came)
    checked_in = Event.objects.get(type="supplier_truck.checked_in")
    assert checked_in.payload["receipt"] == "ASN-7" and checked_in.payload["minutes_late"] == 10.0
    # While it unloads, D1 takes no truck of ours.
    with pytest.raises(Conflict, match="held"):
        services.appointment_book(
            dock=fleet["dock1"],
            vehicle=fleet["van"],
            starts_at=_minutes(60),
            ends_at=_minutes(90),
            actor=None,
        )

    services.supplier_truck_check_out(hold=hold, actor=None)
    hold.refresh_from_db()
    assert hold.checked_out_at is not None and hold.released_at is None
    assert hold.ends_at == hold.checked_out_at  # the hold ends when the truck left
    out = Event.objects.get(type="supplier_truck.checked_out")
    assert 19.9 <= out.payload["dwell_minutes"] <= 21
    # The door is free from then: the van books the hour the hold had kept.
    services.appointment_book(
        dock=fleet["dock1"],
        vehicle=fleet["van"],
        starts_at=_minutes(60),
        ends_at=_minutes(90),
        actor=None,
    )
    assert DockAppointment.objects.filter(dock=fleet["dock1"]).count() == 1
    # Its dwell is on the KPI board, beside our own trucks'.
    board = kpi_board(
        warehouse_id=warehouse.pk,
        start=timezone.now() - datetime.timedelta(days=1),
        end=timezone.now() + datetime.timedelta(days=1),
    )
    assert 19.9 <= board["supplier_dwell_min"]["value"] <= 21


def test_a_truck_that_came_and_went_before_its_hold_began_releases_it(fleet):  # noqa: F811
    hold = services.dock_hold_place(
        dock=fleet["dock1"],
        starts_at=_minutes(60),
        ends_at=_minutes(120),
        reason="receiving",
        actor=None,
    )
    services.supplier_truck_check_in(hold=hold, plate="津A-0001", actor=None, at=_minutes(-40))
    services.supplier_truck_check_out(hold=hold, actor=None, at=_minutes(-5))
    hold.refresh_from_db()
    assert hold.released_at == _minutes(-5).replace(second=hold.released_at.second)
    assert DockHold.objects.filter(released_at__isnull=True).count() == 0


def test_the_gate_refuses_what_is_wrong_naming_it_and_writes_nothing(fleet):  # noqa: F811
    repair = services.dock_hold_place(
        dock=fleet["dock2"],
        starts_at=_minutes(-10),
        ends_at=_minutes(60),
        reason="maintenance",
        actor=None,
    )
    hold = _receiving(fleet)
    before = Event.objects.count()

    def refused(error: type[DomainError], field: str | None, code: str, do) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(error) as caught:
            do()
        assert (caught.value.field, caught.value.code) == (field, code), caught.value.message

    check_in = services.supplier_truck_check_in
    refused(DomainError, "plate", "required", lambda: check_in(hold=hold, plate=" ", actor=None))
    refused(
        DomainError, "plate", "too_long", lambda: check_in(hold=hold, plate="X" * 21, actor=None)
    )
    refused(
        DomainError,
        "at",
        "invalid",
        lambda: check_in(hold=hold, plate="京A-1", actor=None, at=_minutes(30)),
    )
    refused(
        DomainError,
        "hold",
        "not_receiving",
        lambda: check_in(hold=repair, plate="京A-1", actor=None),
    )
    refused(
        Conflict,
        None,
        "not_inside",
        lambda: services.supplier_truck_check_out(hold=hold, actor=None),
    )
    assert Event.objects.count() == before
    hold.refresh_from_db()
    assert (hold.plate, hold.checked_in_at) == ("", None)

    check_in(hold=hold, plate="京A-1", actor=None, at=_minutes(-15))
    refused(
        Conflict,
        None,
        "truck_inside",
        lambda: services.dock_hold_release(hold=hold, actor=None),  # its truck unloads
    )
    refused(
        Conflict, None, "inside_already", lambda: check_in(hold=hold, plate="京A-2", actor=None)
    )
    refused(
        DomainError,
        "at",
        "invalid",
        lambda: services.supplier_truck_check_out(hold=hold, actor=None, at=_minutes(-20)),
    )
    # The same truck cannot be in at a second door (D2's repair is called off for it).
    services.dock_hold_release(hold=repair, actor=None)
    second = services.dock_hold_place(
        dock=fleet["dock2"],
        starts_at=_minutes(70),
        ends_at=_minutes(130),
        reason="receiving",
        actor=None,
    )
    refused(
        Conflict,
        "plate",
        "inside_already",
        lambda: check_in(hold=second, plate="京a-1", actor=None),
    )
    released = services.dock_hold_place(
        dock=fleet["dock2"],
        starts_at=_minutes(140),
        ends_at=_minutes(200),
        reason="receiving",
        actor=None,
    )
    services.dock_hold_release(hold=released, actor=None)
    refused(Conflict, None, "released", lambda: check_in(hold=released, plate="晋K-9", actor=None))
    over = DockHold.objects.create(
        dock=fleet["dock2"], starts_at=_minutes(-300), ends_at=_minutes(-200), reason="receiving"
    )
    refused(Conflict, "at", "hold_over", lambda: check_in(hold=over, plate="晋K-9", actor=None))
    assert DockHold.objects.filter(checked_in_at__isnull=False).count() == 1


def test_a_supplier_s_truck_kept_too_long_raises_the_truck_waiting_alert(fleet):  # noqa: F811
    hold = _receiving(fleet, receipt=_receipt(fleet["dock1"].warehouse))
    services.supplier_truck_check_in(hold=hold, plate="冀B-88321", actor=None, at=_minutes(-30))
    alerts_evaluate()
    assert not Alert.objects.filter(rule="truck_waiting").exists()  # 30 min: within 45
    alerts_evaluate(now=timezone.now() + datetime.timedelta(minutes=20))
    alert = Alert.objects.get(rule="truck_waiting", resolved_at__isnull=True)
    assert alert.message.startswith("Supplier's truck 冀B-88321 has waited at dock D1 for 50 min")
    assert "(ASN-7)" in alert.message and alert.subject_type == "dock_hold"
    services.supplier_truck_check_out(hold=hold, actor=None)
    alerts_evaluate(now=timezone.now() + datetime.timedelta(minutes=21))
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_the_gate_checks_a_supplier_s_truck_in_and_out_over_the_api(api, person, network, fleet):  # noqa: F811
    warehouse = fleet["dock1"].warehouse
    hold = _receiving(fleet, receipt=_receipt(warehouse))
    gate = api(person("operator", warehouse))
    missing = gate.post(f"/api/v1/dock-holds/{hold.pk}/check-in/", {}, format="json")
    assert missing.status_code == 400 and list(missing.json()["fields"]) == ["plate"]
    came = gate.post(
        f"/api/v1/dock-holds/{hold.pk}/check-in/",
        {"plate": "冀B-88321", "at": _minutes(-25).isoformat()},
        format="json",
    )
    assert came.status_code == 200, came.json()
    assert came.json()["plate"] == "冀B-88321" and came.json()["dwell_minutes"] is None
    inside = gate.get("/api/v1/dock-holds/", {"inside": "true"}).json()["results"]
    assert [h["id"] for h in inside] == [hold.pk]
    twice = gate.post(f"/api/v1/dock-holds/{hold.pk}/check-in/", {"plate": "X"}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "inside_already"
    went = gate.post(f"/api/v1/dock-holds/{hold.pk}/check-out/", {}, format="json")
    assert went.status_code == 200 and 24.9 <= went.json()["dwell_minutes"] <= 26
    assert gate.get("/api/v1/dock-holds/", {"inside": "true"}).json()["results"] == []
    elsewhere = api(person("operator", network["SH"][0]))
    assert elsewhere.post(f"/api/v1/dock-holds/{hold.pk}/check-out/").status_code == 404


def test_the_dock_card_checks_a_supplier_s_truck_in_and_out(client, person, fleet):  # noqa: F811
    warehouse = fleet["dock1"].warehouse
    hold = _receiving(fleet, receipt=_receipt(warehouse))
    client.force_login(person("operator", warehouse))
    card = client.get("/floor/", {"warehouse": warehouse.code, "fragment": "dock"})
    text = card.content.decode()
    assert "Suppliers' trucks" in text and f'data-hold="{hold.pk}"' in text
    assert "ASN-7" in text and "not here yet" in text
    form = {"warehouse_code": warehouse.code, "plate": ""}
    url = f"/floor/suppliers/{hold.pk}/check-in/"
    empty = client.post(url, form, **HTMX).content.decode()
    assert "Plate: Say the truck&#x27;s plate." in empty
    came = client.post(url, {**form, "plate": "冀B-88321"}, **HTMX).content.decode()
    assert "冀B-88321 checked in at D1." in came and "in since" in came
    receiving = client.get("/floor/", {"warehouse": warehouse.code, "fragment": "receiving"})
    assert "its truck 冀B-88321 in at D1 since" in receiving.content.decode()
    # The office sees the truck in, and cannot release its door under it.
    client.force_login(person("dispatcher", warehouse))
    board = client.get("/dispatch/", {"warehouse": warehouse.code}).content.decode()
    assert "冀B-88321 in since" in board
    assert f"/dispatch/holds/{hold.pk}/release/" not in board
    client.force_login(person("operator", warehouse))
    went = client.post(
        f"/floor/suppliers/{hold.pk}/check-out/", {"warehouse_code": warehouse.code}, **HTMX
    ).content.decode()
    assert "冀B-88321 left D1 after 0 min: the door is free." in went
    assert f'data-hold="{hold.pk}"' not in went  # gone from the gate's list
    chinese = client.get(
        "/floor/",
        {"warehouse": warehouse.code, "fragment": "dock"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert chinese.status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_clerks_checking_one_truck_in_at_once_check_it_in_once(fleet):  # noqa: F811
    hold = _receiving(fleet)
    outcomes = at_once(
        lambda: services.supplier_truck_check_in(hold=hold, plate="冀B-1", actor=None),
        lambda: services.supplier_truck_check_in(hold=hold, plate="冀B-1", actor=None),
    )
    assert sorted(outcomes) == ["done", "inside_already"]
    assert Event.objects.filter(type="supplier_truck.checked_in").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_one_truck_checked_in_at_two_doors_at_once_gets_in_at_one(fleet):  # noqa: F811
    first, second = _receiving(fleet), _receiving(fleet, "dock2")
    outcomes = at_once(
        lambda: services.supplier_truck_check_in(hold=first, plate="冀B-1", actor=None),
        lambda: services.supplier_truck_check_in(hold=second, plate="冀b-1", actor=None),
    )
    assert sorted(outcomes) == ["done", "inside_already"]
    assert DockHold.objects.filter(checked_in_at__isnull=False).count() == 1


def test_the_database_itself_keeps_a_plate_in_at_one_door(fleet):  # noqa: F811
    first, second = _receiving(fleet), _receiving(fleet, "dock2")
    DockHold.objects.filter(pk=first.pk).update(plate="冀B-1", checked_in_at=_minutes(-5))
    with pytest.raises(IntegrityError, match="dock_hold_plate_in_once"), transaction.atomic():
        DockHold.objects.filter(pk=second.pk).update(plate="冀b-1", checked_in_at=_minutes(-1))
    DockHold.objects.filter(pk=first.pk).update(checked_out_at=_minutes(-2))  # out: in again
    DockHold.objects.filter(pk=second.pk).update(plate="冀b-1", checked_in_at=_minutes(-1))


def test_each_supplier_is_scored_on_its_receipts_and_its_trucks(
    api,
    client,
    person,
    network,
    fleet,  # noqa: F811
):
    """Tingyi's two trucks: one on time and in full, one 40 minutes late and short; Yili's
    one, early and in full. The manager reads each supplier's record over the API and on the
    KPI page."""
    from inventory.services import receipt_close, receipt_create, stock_receive
    from tests.factories import ItemFactory

    warehouse = fleet["dock1"].warehouse
    dock_in = network["BJ"][2]  # where the goods are received
    water = ItemFactory(sku="WATER")

    def delivered(
        reference: str, supplier: str, dock: str, late: int, received: int, starts: int = -120
    ) -> None:
        receipt = receipt_create(
            warehouse=warehouse,
            reference=reference,
            supplier=supplier,
            expected_on=timezone.localdate(),
            lines=[(water, 10)],
            actor=None,
        )
        hold = services.dock_hold_place(
            dock=fleet[dock],
            starts_at=_minutes(starts),
            ends_at=_minutes(60),
            reason="receiving",
            receipt=receipt,
            actor=None,
        )
        services.supplier_truck_check_in(
            hold=hold, plate=f"冀B-{reference}", actor=None, at=_minutes(starts + late)
        )
        stock_receive(item=water, quantity=received, location=dock_in, receipt=receipt, actor=None)
        receipt_close(receipt=receipt, actor=None)
        services.supplier_truck_check_out(hold=hold, actor=None, at=_minutes(starts + late + 30))

    delivered("A1", "Tingyi", "dock1", late=5, received=10)
    delivered("A2", " tingyi ", "dock2", late=40, received=8)  # one supplier still
    delivered("B1", "Yili", "dock1", late=-10, received=10, starts=-70)  # D1 free since A1

    manager = api(person("manager", warehouse))
    got = manager.get("/api/v1/kpis/", {"warehouse": warehouse.code})
    assert got.status_code == 200, got.json()
    assert got.json()["suppliers"] == [
        {
            "supplier": "Tingyi",
            "receipts": 2,
            "in_full": 0.5,
            "units_received": 0.9,
            "trucks": 2,
            "on_time": 0.5,
            "late_min": 22.5,
            "dwell_min": 30.0,
        },
        {
            "supplier": "Yili",
            "receipts": 1,
            "in_full": 1.0,
            "units_received": 1.0,
            "trucks": 1,
            "on_time": 1.0,
            "late_min": -10.0,
            "dwell_min": 30.0,
        },
    ]
    assert 29.9 <= got.json()["kpis"]["supplier_dwell_min"]["value"] <= 30.1
    client.force_login(person("manager", warehouse))
    page = client.get("/kpis/", {"warehouse": warehouse.code}).content.decode()
    assert 'data-supplier="Tingyi"' in page and 'data-supplier="Yili"' in page
    chinese = client.get(
        "/kpis/", {"warehouse": warehouse.code}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "供应商</th>" in chinese and "迟到（分钟）" in chinese


def test_a_supplier_s_truck_that_came_unannounced_gets_the_first_free_door(
    api,
    client,
    person,
    fleet,  # noqa: F811
):
    warehouse = fleet["dock1"].warehouse
    # D1 has our van due in half an hour: too soon for an hour's unloading.
    services.appointment_book(
        dock=fleet["dock1"],
        vehicle=fleet["van"],
        starts_at=_minutes(30),
        ends_at=_minutes(90),
        actor=None,
    )
    receipt = _receipt(warehouse)
    gate = api(person("operator", warehouse))
    came = gate.post(
        "/api/v1/dock-holds/walk-in/",
        {"warehouse": warehouse.code, "plate": "冀B-7", "minutes": 60, "receipt": receipt.pk},
        format="json",
    )
    assert came.status_code == 201, came.json()
    hold = came.json()
    assert (hold["dock_code"], hold["reason"], hold["plate"], hold["receipt_reference"]) == (
        "D2",
        "receiving",
        "冀B-7",
        "ASN-7",
    )
    assert [e.type for e in Event.objects.order_by("pk")][-2:] == [
        "dock.held",
        "supplier_truck.checked_in",
    ]
    # Another, with D1 booked and D2 taken: no door, nothing written, named.
    before = (DockHold.objects.count(), Event.objects.count())
    full = gate.post(
        "/api/v1/dock-holds/walk-in/",
        {"warehouse": warehouse.code, "plate": "冀B-8", "minutes": 60},
        format="json",
    )
    assert full.status_code == 409 and full.json()["code"] == "no_door_free"
    assert list(full.json()["fields"]) == ["minutes"]
    assert "No door of BJ is free for the next 60 minutes" in full.json()["message"]
    assert (DockHold.objects.count(), Event.objects.count()) == before
    # The same truck again, and bad minutes: refused naming the field, nothing written.
    services.supplier_truck_check_out(hold=DockHold.objects.get(pk=hold["id"]), actor=None)
    again = gate.post(
        "/api/v1/dock-holds/walk-in/",
        {"warehouse": warehouse.code, "plate": "冀B-8", "minutes": 5},
        format="json",
    )
    assert again.status_code == 400 and list(again.json()["fields"]) == ["minutes"]
    # On the floor, by the dock card's form: D2 is free again.
    client.force_login(person("operator", warehouse))
    url = "/floor/suppliers/walk-in/"
    form = {"warehouse_code": warehouse.code, "plate": "冀B-8", "minutes": "45", "receipt": ""}
    unknown = client.post(url, {**form, "receipt": "ASN-404"}, **HTMX).content.decode()
    assert "Receipt: No receipt ASN-404 here." in unknown
    card = client.post(url, form, **HTMX).content.decode()
    assert "冀B-8 checked in at D2, held for it until" in card
    assert DockHold.objects.get(plate="冀B-8").ends_at - DockHold.objects.get(
        plate="冀B-8"
    ).starts_at == datetime.timedelta(minutes=45)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_trucks_walking_in_at_once_get_two_doors(fleet):  # noqa: F811
    warehouse = fleet["dock1"].warehouse
    outcomes = at_once(
        lambda: services.supplier_truck_walk_in(
            warehouse=warehouse, plate="冀B-1", minutes=60, actor=None
        ),
        lambda: services.supplier_truck_walk_in(
            warehouse=warehouse, plate="冀B-2", minutes=60, actor=None
        ),
    )
    assert outcomes == ["done", "done"]
    doors = sorted(DockHold.objects.values_list("dock__code", flat=True))
    assert doors == ["D1", "D2"]


def test_a_supplier_s_truck_not_come_a_quarter_hour_into_its_hold_raises_an_alert(fleet):  # noqa: F811
    warehouse = fleet["dock1"].warehouse
    hold = services.dock_hold_place(
        dock=fleet["dock1"],
        starts_at=_minutes(-10),
        ends_at=_minutes(110),
        reason="receiving",
        receipt=_receipt(warehouse),
        actor=None,
    )
    alerts_evaluate()
    assert not Alert.objects.filter(rule="supplier_late").exists()  # 10 min: within 15
    alerts_evaluate(now=timezone.now() + datetime.timedelta(minutes=20))
    alert = Alert.objects.get(rule="supplier_late", resolved_at__isnull=True)
    with timezone.override(warehouse.zone()):
        end = f"{timezone.localtime(hold.ends_at):%H:%M}"
    assert alert.message == (
        f"The supplier's truck for ASN-7 (Tingyi) is 30 min late at dock D1, held for it "
        f"until {end}: call the supplier, or release the door."
    )
    assert (alert.department, alert.subject_type) == ("warehouse", "dock_hold")
    services.supplier_truck_check_in(hold=hold, plate="冀B-9", actor=None)
    alerts_evaluate(now=timezone.now() + datetime.timedelta(minutes=21))
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_only_a_door_held_for_receiving_expects_a_truck(api, person, fleet):  # noqa: F811
    warehouse = fleet["dock1"].warehouse
    office = api(person("dispatcher", warehouse))
    hold = {
        "dock": fleet["dock1"].pk,
        "starts_at": _minutes(60).isoformat(),
        "ends_at": _minutes(120).isoformat(),
        "expected_plate": "冀B-88321",
    }
    repair = office.post("/api/v1/dock-holds/", {**hold, "reason": "maintenance"}, format="json")
    assert repair.status_code == 400 and list(repair.json()["fields"]) == ["expected_plate"]
    assert not DockHold.objects.exists()
    placed = office.post("/api/v1/dock-holds/", {**hold, "reason": "receiving"}, format="json")
    assert placed.status_code == 201 and placed.json()["expected_plate"] == "冀B-88321"
    other = services.supplier_truck_check_in(hold=DockHold.objects.get(), plate="晋K 1", actor=None)
    came = Event.objects.get(type="supplier_truck.checked_in")
    assert other.plate == "晋K 1" and came.payload["as_expected"] is False  # told, not refused


def test_one_plate_written_two_ways_is_one_truck(fleet):  # noqa: F811
    first, second = _receiving(fleet), _receiving(fleet, "dock2")
    services.supplier_truck_check_in(hold=first, plate="冀B-88321", actor=None)
    with pytest.raises(Conflict) as caught:
        services.supplier_truck_check_in(hold=second, plate="冀b 88321", actor=None)
    assert (caught.value.field, caught.value.code) == ("plate", "inside_already")
    # The database says so too, whichever way it is written.
    with pytest.raises(IntegrityError, match="dock_hold_plate_in_once"), transaction.atomic():
        DockHold.objects.filter(pk=second.pk).update(plate="冀B·88321", checked_in_at=_minutes(-1))
