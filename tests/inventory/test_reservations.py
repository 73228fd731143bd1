"""Promising stock: FEFO, all-or-nothing or partial, release, pick, ship; events and ledger."""

import pytest

from core.exceptions import DomainError
from core.models import Event
from inventory import services
from inventory.choices import TemperatureClass
from inventory.exceptions import InsufficientStock
from inventory.models import ReorderPolicy, Reservation
from inventory.selectors import available_to_reserve, ledger_drift, stock_available
from tests.factories import ItemFactory
from tests.inventory.helpers import counts, in_days, on_hand, reserved, stock_in


def test_reservation_takes_the_earliest_expiry_first_and_never_an_expired_lot(site):
    milk = ItemFactory(lot_tracked=True, temperature_class=TemperatureClass.CHILLED)
    stock_in(milk, site.loc["chill"], 5, lot="LATE", expires_on=in_days(30))
    stock_in(milk, site.loc["chill"], 5, lot="SOON", expires_on=in_days(2))
    stock_in(milk, site.loc["chill"], 5, lot="OLD", expires_on=in_days(1))
    # The OLD lot expires: travel to the day after tomorrow by back-dating its expiry.
    from inventory.models import Lot

    Lot.objects.filter(code="OLD").update(expires_on=in_days(-1))

    reservation = services.stock_reserve(
        warehouse=site.warehouse, item=milk, quantity=7, reference="SO-1/1", actor=None
    )
    taken = {a.balance.lot.code: a.quantity for a in reservation.allocations.all()}
    assert taken == {"SOON": 5, "LATE": 2}
    availability = stock_available(warehouse_ids=[site.warehouse.pk])[0]
    assert availability["available"] == 3
    # Allocation's lean read agrees: the expired lot and the reserved units are not on offer.
    lean = available_to_reserve(
        warehouse_ids=[site.warehouse.pk], item_ids=[milk.pk], today=site.warehouse.today()
    )
    assert lean == {(site.warehouse.pk, milk.pk): 3}
    assert {lot["lot"]: lot["expired"] for lot in availability["lots"]} == {
        "OLD": True,
        "SOON": False,
        "LATE": False,
    }


def test_all_or_nothing_refuses_and_writes_nothing_partial_takes_what_there_is(site):
    soap = ItemFactory()
    stock_in(soap, site.loc["a1"], 4)
    before = counts()
    with pytest.raises(InsufficientStock, match="4 available, 6 asked"):
        services.stock_reserve(
            warehouse=site.warehouse, item=soap, quantity=6, reference="SO-2", actor=None
        )
    assert counts() == before
    assert not Reservation.objects.exists()

    partial = services.stock_reserve(
        warehouse=site.warehouse,
        item=soap,
        quantity=6,
        reference="SO-2",
        allow_partial=True,
        actor=None,
    )
    event = Event.objects.filter(type="stock.reserved").get()
    assert (event.payload["reserved"], event.payload["shortfall"]) == (4, 2)
    assert reserved(soap) == 4
    assert partial.requested == 6


def test_stock_in_receiving_staging_or_blocked_locations_is_not_reservable(site):
    soap = ItemFactory()
    stock_in(soap, site.loc["dock_in"], 10)
    stock_in(soap, site.loc["stage"], 10)
    stock_in(soap, site.loc["a1"], 10)
    services.location_block(location=site.loc["a1"], reason="racking damaged", actor=None)
    with pytest.raises(InsufficientStock):
        services.stock_reserve(
            warehouse=site.warehouse, item=soap, quantity=1, reference="SO-3", actor=None
        )


def test_pick_moves_reserved_stock_to_staging_and_ship_takes_it_out_of_the_ledger(site):
    soap = ItemFactory()
    stock_in(soap, site.loc["pf"], 10)
    reservation = services.stock_reserve(
        warehouse=site.warehouse, item=soap, quantity=6, reference="SO-4/1", actor=None
    )
    with pytest.raises(DomainError, match="Only 6 reserved") as too_many:
        services.stock_pick(
            reservation=reservation, location=site.loc["pf"], lot=None, quantity=7, actor=None
        )
    assert too_many.value.field == "quantity"
    services.stock_pick(
        reservation=reservation, location=site.loc["pf"], lot=None, quantity=6, actor=None
    )
    assert on_hand(soap, site.loc["pf"]) == 4
    assert on_hand(soap, site.loc["stage"]) == 6
    assert reserved(soap) == 0
    reservation.refresh_from_db()
    assert reservation.status == "closed"
    services.stock_ship(
        item=soap, lot=None, location=site.loc["stage"], quantity=6, reference="SO-4", actor=None
    )
    assert on_hand(soap) == 4
    assert ledger_drift() == []


def test_release_gives_back_the_latest_expiry_first_and_cancels_open_pick_tasks(site):
    milk = ItemFactory(lot_tracked=True, temperature_class=TemperatureClass.CHILLED)
    stock_in(milk, site.loc["chill"], 3, lot="SOON", expires_on=in_days(3))
    stock_in(milk, site.loc["chill"], 3, lot="LATE", expires_on=in_days(9))
    reservation = services.stock_reserve(
        warehouse=site.warehouse, item=milk, quantity=5, reference="SO-5/1", actor=None
    )
    tasks = services.pick_tasks_create(reservations=[reservation], actor=None)
    assert [t.lot.code for t in tasks] == ["SOON", "LATE"] or len(tasks) == 2
    services.stock_release(reservation=reservation, quantity=2, actor=None)
    left = {a.balance.lot.code: a.quantity for a in reservation.allocations.all()}
    assert left == {"SOON": 3, "LATE": 0}
    services.stock_release(reservation=reservation, actor=None)
    assert reserved(milk) == 0
    reservation.refresh_from_db()
    assert reservation.status == "closed"
    assert {t.status for t in reservation.allocations.first().tasks.all()} == {"cancelled"}
    assert ledger_drift() == []


def test_falling_below_the_reorder_point_is_told_once(site):
    soap = ItemFactory()
    ReorderPolicy.objects.create(
        item=soap, warehouse=site.warehouse, reorder_point=5, safety_stock=2
    )
    stock_in(soap, site.loc["a1"], 8)
    for n in range(3):
        services.stock_reserve(
            warehouse=site.warehouse, item=soap, quantity=2, reference=f"SO-{n}", actor=None
        )
    alerts = list(Event.objects.filter(type="stock.below_reorder_point"))
    assert len(alerts) == 1
    assert alerts[0].payload["available"] == 4
    assert alerts[0].payload["below_safety_stock"] is False


def test_move_and_adjust_keep_the_ledger_exact_and_adjust_needs_a_reason(site):
    soap = ItemFactory()
    stock_in(soap, site.loc["a1"], 10)
    services.stock_move(
        item=soap,
        lot=None,
        from_location=site.loc["a1"],
        to_location=site.loc["a2"],
        quantity=4,
        actor=None,
    )
    with pytest.raises(DomainError) as no_reason:
        services.stock_adjust(
            item=soap, lot=None, location=site.loc["a2"], quantity_delta=-1, reason=" ", actor=None
        )
    assert no_reason.value.field == "reason"
    services.stock_adjust(
        item=soap,
        lot=None,
        location=site.loc["a2"],
        quantity_delta=-1,
        reason="damaged",
        actor=None,
    )
    assert (on_hand(soap, site.loc["a1"]), on_hand(soap, site.loc["a2"])) == (6, 3)
    with pytest.raises(InsufficientStock):
        services.stock_adjust(
            item=soap,
            lot=None,
            location=site.loc["a2"],
            quantity_delta=-4,
            reason="lost",
            actor=None,
        )
    assert ledger_drift() == []


def test_the_ledger_is_append_only(site):
    soap = ItemFactory()
    movement = stock_in(soap, site.loc["a1"], 1)
    with pytest.raises(ValueError, match="append-only"):
        movement.save()
    with pytest.raises(ValueError, match="append-only"):
        movement.delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_the_database_itself_refuses_to_edit_the_ledger(site):
    from django.db import DatabaseError, connection, transaction

    soap = ItemFactory()
    movement = stock_in(soap, site.loc["a1"], 1)
    for sql in (
        "UPDATE inventory_stockmovement SET quantity = 5 WHERE id = %s",
        "DELETE FROM inventory_stockmovement WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [movement.pk])


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_negative_stock_even_past_the_services(site):
    from django.db import IntegrityError, transaction

    from inventory.models import StockBalance

    soap = ItemFactory()
    stock_in(soap, site.loc["a1"], 2)
    balance = StockBalance.objects.get(item=soap)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(pk=balance.pk).update(on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(pk=balance.pk).update(reserved=3)


@pytest.mark.postgres
def test_on_postgres_the_one_statement_path_writes_what_the_general_path_writes(site):
    """One balance covering the order takes the one-statement path; two balances the general
    one. Both leave the same kind of rows and the same event."""
    soap = ItemFactory()
    stock_in(soap, site.loc["pf"], 5)
    stock_in(soap, site.loc["a1"], 5)
    fast = services.stock_reserve(
        warehouse=site.warehouse, item=soap, quantity=3, reference="FAST", actor=None
    )
    general = services.stock_reserve(
        warehouse=site.warehouse, item=soap, quantity=4, reference="GENERAL", actor=None
    )
    events = {
        e.payload["reference"]: e.payload for e in Event.objects.filter(type="stock.reserved")
    }
    assert events["FAST"] == {
        "reservation": fast.pk,
        "reference": "FAST",
        "item": soap.sku,
        "requested": 3,
        "reserved": 3,
        "shortfall": 0,
        "allocations": [{"location": "WA-A1", "lot": None, "quantity": 3}],
    }
    assert set(events["GENERAL"]) == set(events["FAST"])
    # WA-A1 comes before WA-PF on the pick path: the general path splits in that order.
    assert events["GENERAL"]["allocations"] == [
        {"location": "WA-A1", "lot": None, "quantity": 2},
        {"location": "WA-PF", "lot": None, "quantity": 2},
    ]
    assert Reservation.objects.get(pk=fast.pk).allocations.get().quantity == 3
    assert general.allocations.count() == 2
    assert reserved(soap) == 7
    assert ledger_drift() == []


def test_a_lot_expires_by_the_warehouse_calendar_not_the_servers_utc_one(site, monkeypatch):
    """At 01:30 in Beijing the server's UTC clock still reads yesterday: a lot that expired
    yesterday (Beijing) is expired all the same."""
    import datetime
    import zoneinfo

    from django.utils import timezone

    assert site.warehouse.time_zone == "Asia/Shanghai"
    milk = ItemFactory(lot_tracked=True, temperature_class=TemperatureClass.CHILLED)
    stock_in(milk, site.loc["chill"], 5, lot="L9", expires_on=datetime.date(2030, 3, 9))
    early = datetime.datetime(2030, 3, 10, 1, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: early.astimezone(datetime.UTC))
    assert timezone.localdate() == datetime.date(2030, 3, 9)  # UTC's date

    with pytest.raises(InsufficientStock):
        services.stock_reserve(
            warehouse=site.warehouse, item=milk, quantity=1, reference="SO-9/1", actor=None
        )
    (availability,) = stock_available(warehouse_ids=[site.warehouse.pk])
    assert availability["available"] == 0 and availability["lots"][0]["expired"] is True
    lean = available_to_reserve(
        warehouse_ids=[site.warehouse.pk], item_ids=[milk.pk], today=site.warehouse.today()
    )
    assert lean == {}
    with pytest.raises(DomainError, match="expired on 2030-03-09") as refused:
        stock_in(milk, site.loc["chill"], 1, lot="L9", expires_on=datetime.date(2030, 3, 9))
    assert refused.value.field == "expires_on"
