"""Orders from the ERP: allocated complete from the nearest able warehouse, split only when
none can, backordered and re-allocated, changed and cancelled with nothing orphaned."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from core.exceptions import Conflict
from core.models import Event
from inventory import services as stock
from inventory.models import StockBalance, Task
from inventory.selectors import ledger_drift
from shipping import services
from shipping.exceptions import OrderTransitionRefused
from shipping.models import LineReservation, Order
from tests.factories import ItemFactory
from tests.inventory.helpers import on_hand, stock_in
from tests.shipping.conftest import tomorrow
from tests.shipping.helpers import order_placed


def _reserved(item, warehouse=None):
    rows = StockBalance.objects.filter(item=item)
    if warehouse is not None:
        rows = rows.filter(warehouse=warehouse)
    return rows.aggregate(q=Sum("reserved"))["q"] or 0


def test_an_order_ships_complete_from_the_nearest_warehouse_that_can(network, beijing_shop):
    tea, rice = ItemFactory(), ItemFactory()
    bj, tj, sh = network["BJ"], network["TJ"], network["SH"]
    stock_in(tea, bj[1], 10)  # Beijing has tea but no rice
    stock_in(tea, tj[1], 10)
    stock_in(rice, tj[1], 10)
    stock_in(tea, sh[1], 10)
    stock_in(rice, sh[1], 10)
    order = order_placed(*beijing_shop, (tea, 4), (rice, 2))
    assert order.status == "allocated"
    assert order.warehouse == tj[0]  # Tianjin: nearest that ships it complete, not a split
    note = order.allocation_note
    assert note["mode"] == "complete"
    assert "Nearest warehouse that can ship it complete" in note["reason"]
    assert [(c["warehouse"], c["complete"]) for c in note["considered"]] == [
        ("BJ", False),
        ("TJ", True),
        ("SH", True),
    ]
    assert (_reserved(tea, tj[0]), _reserved(rice, tj[0]), _reserved(tea, bj[0])) == (4, 2, 0)
    types = list(Event.objects.filter(aggregate_type="order").values_list("type", flat=True))
    assert types == ["order.received", "order.allocated"]


def test_split_only_when_no_warehouse_can_and_the_rest_is_backordered_then_reallocated(
    network, beijing_shop
):
    tea = ItemFactory()
    bj, tj = network["BJ"], network["TJ"]
    stock_in(tea, bj[1], 5)
    stock_in(tea, tj[1], 3)
    order = order_placed(*beijing_shop, (tea, 10))
    assert order.status == "backordered"
    assert order.allocation_note["parts"] == {"BJ": 5, "TJ": 3}
    assert order.allocation_note["backordered"] == {tea.sku: 2}
    assert order.warehouse == bj[0]
    events = Event.objects.count()
    assert services.orders_backordered_reallocate() == 0
    assert Event.objects.count() == events  # nothing new for it: nothing said again
    stock_in(tea, network["SH"][1], 1)
    stock_in(tea, bj[1], 1)
    assert services.orders_backordered_reallocate() == 1
    order.refresh_from_db()
    assert order.status == "allocated"
    # Warehouses already serving the order come first: Beijing, then Shanghai.
    assert order.allocation_note["parts"] == {"BJ": 1, "SH": 1}
    assert _reserved(tea) == 10
    assert ledger_drift() == []


def test_a_backorder_retried_with_nothing_new_says_nothing_until_it_changes(network, beijing_shop):
    rare = ItemFactory(sku="RARE")
    order = order_placed(*beijing_shop, (rare, 3))
    assert order.allocation_note["backordered"] == {"RARE": 3}
    said = Event.objects.filter(aggregate_id=order.external_ref).count()
    for _ in range(3):  # beat's sweep, stock of other items arriving...
        assert services.orders_backordered_reallocate() == 0
    assert Event.objects.filter(aggregate_id=order.external_ref).count() == said

    order = services.order_line_change(order=order, line_no=1, quantity=5, actor=None)
    assert order.allocation_note["backordered"] == {"RARE": 5}  # the note follows the change
    assert list(
        Event.objects.filter(aggregate_id=order.external_ref)
        .order_by("pk")
        .values_list("type", flat=True)[said:]
    ) == ["order.changed", "order.backordered"]


def test_quantity_changes_release_or_reserve_and_cancel_releases_everything(network, beijing_shop):
    tea = ItemFactory()
    bj = network["BJ"]
    stock_in(tea, bj[1], 20)
    order = order_placed(*beijing_shop, (tea, 8))
    order = services.order_line_change(order=order, line_no=1, quantity=5, actor=None)
    assert _reserved(tea) == 5
    order = services.order_line_change(order=order, line_no=1, quantity=12, actor=None)
    assert (order.status, _reserved(tea)) == ("allocated", 12)
    reservation = order.lines.get().reservations.first().reservation
    tasks = stock.pick_tasks_create(reservations=[reservation], actor=None)
    order = services.order_cancel(order=order, reason="customer called", actor=None)
    assert order.status == "cancelled"
    assert _reserved(tea) == 0
    assert {t.status for t in Task.objects.filter(pk__in=[t.pk for t in tasks])} == {"cancelled"}
    with pytest.raises(OrderTransitionRefused, match="it can go to: nowhere"):
        services.order_cancel(order=order, reason="again", actor=None)
    assert ledger_drift() == []


def test_less_of_a_line_already_on_the_floor_shrinks_its_pick_task_and_none_cancels_it(
    network, beijing_shop, person
):
    tea, rice = ItemFactory(), ItemFactory()
    bj = network["BJ"]
    stock_in(tea, bj[1], 20)
    stock_in(rice, bj[1], 20)
    order = order_placed(*beijing_shop, (tea, 10), (rice, 4))
    reservations = [held.reservation for held in LineReservation.objects.filter(line__order=order)]
    tea_task, rice_task = sorted(
        stock.pick_tasks_create(reservations=reservations, actor=None),
        key=lambda t: t.item_id != tea.pk,
    )

    services.order_line_change(order=order, line_no=1, quantity=6, actor=None)
    tea_task.refresh_from_db()
    assert (tea_task.status, tea_task.quantity) == ("open", 6)  # the picker is asked for 6
    # Picking the 6 asked for is a full pick: nothing is short, nothing adjusted out.
    services.order_pick_confirm(
        task=tea_task,
        location_barcode="BJ-PF-1",
        item_code=tea.sku,
        quantity=6,
        actor=person("operator", bj[0]),
    )
    assert not Event.objects.filter(type__in=("pick.short", "stock.adjusted")).exists()
    assert on_hand(tea) == 20

    services.order_line_change(order=order, line_no=2, quantity=1, actor=None)
    rice_task.refresh_from_db()
    assert (rice_task.status, rice_task.quantity) == ("open", 1)
    released = Event.objects.filter(type="stock.released").last()
    assert released.payload["tasks"] == [{"task": rice_task.pk, "quantity": 1}]
    assert ledger_drift() == []


def test_an_order_reference_is_received_once_per_customer(network, beijing_shop):
    tea = ItemFactory()
    stock_in(tea, network["BJ"][1], 5)
    order_placed(*beijing_shop, (tea, 1), ref="SO-9")
    with pytest.raises(Conflict, match="already received"):
        order_placed(*beijing_shop, (tea, 1), ref="SO-9")
    assert Order.objects.count() == 1


@pytest.mark.postgres
def test_on_postgres_the_order_intake_s_statements_are_planned_once_per_session(
    network, beijing_shop
):
    tea, rice = ItemFactory(), ItemFactory()
    stock_in(tea, network["BJ"][1], 100)
    stock_in(rice, network["BJ"][1], 100)
    for n in range(8):  # past the 5 calls after which PostgreSQL may keep one plan
        order = order_placed(*beijing_shop, (tea, 1 + n % 3), (rice, 1), ref=f"SO-P{n}")
        assert order.allocation_note["mode"] == "complete"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE name LIKE 'handoff_%%' ORDER BY name"
        )
        plans = cursor.fetchall()
    assert {"handoff_lock_first_balances", "handoff_reserve_from_locked"} <= {
        name for name, _, _ in plans
    }
    assert [(name, custom) for name, _, custom in plans if custom] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_cancelling_while_it_is_being_picked_leaves_nothing_reserved(
    network, beijing_shop, person
):
    tea = ItemFactory()
    bj = network["BJ"]
    stock_in(tea, bj[1], 30)
    operator = person("operator", bj[0])
    for round_ in range(4):
        order = order_placed(*beijing_shop, (tea, 3), ref=f"SO-R{round_}")
        reservation = order.lines.get().reservations.get().reservation
        (task,) = stock.pick_tasks_create(reservations=[reservation], actor=None)
        start = threading.Barrier(2)
        outcomes = []

        def pick(task=task, start=start, outcomes=outcomes):
            try:
                start.wait()
                stock.task_confirm(
                    task=task,
                    location_barcode=bj[1].barcode,
                    item_code=tea.sku,
                    quantity=3,
                    actor=operator,
                )
                outcomes.append("picked")
            except Conflict as refused:
                outcomes.append(f"pick refused: {refused.message}")
            finally:
                connection.close()

        def cancel(order=order, start=start, outcomes=outcomes):
            try:
                start.wait()
                services.order_cancel(order=order, reason="race", actor=None)
                outcomes.append("cancelled")
            except Conflict as refused:
                outcomes.append(f"cancel refused: {refused.message}")
            finally:
                connection.close()

        threads = [threading.Thread(target=pick), threading.Thread(target=cancel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert "cancelled" in outcomes, outcomes
        assert _reserved(tea) == 0, outcomes
        put_back = Task.objects.filter(kind="putaway", reference=f"order:{order.pk}:line:1")
        if "picked" in outcomes:  # the goods on the staging lane go back to stock
            assert [(t.location_id, t.quantity) for t in put_back] == [(bj[2].pk, 3)]
        else:
            assert not put_back.exists()
    assert ledger_drift() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_orders_to_one_address_allocate_side_by_side(network, beijing_shop):
    """Allocating locks the order, not its ship-to: one customer's orders do not queue."""
    from django.db import transaction

    tea, rice = ItemFactory(), ItemFactory()
    stock_in(tea, network["BJ"][1], 5)
    stock_in(rice, network["BJ"][1], 5)

    def order(ref, item):
        return services.order_create(
            customer=beijing_shop[0],
            ship_to=beijing_shop[1],
            external_ref=ref,
            lines=[services.LineInput(item, 1)],
            requested_delivery_date=tomorrow(2),
            promised_ship_date=tomorrow(),
            actor=None,
            allocate=False,
        )

    first, second = order("SO-A", tea), order("SO-B", rice)
    holding, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold_first() -> None:
        try:
            with transaction.atomic():
                services.order_allocate(order=first, actor=None)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    def allocate_second() -> None:
        try:
            services.order_allocate(order=second, actor=None)
            done.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    assert holding.wait(10)
    other = threading.Thread(target=allocate_second)
    other.start()
    try:
        assert done.wait(5), "the second order waited for the first one's transaction"
    finally:
        release.set()
        holder.join()
        other.join()
    assert {o.status for o in Order.objects.filter(pk__in=[first.pk, second.pk])} == {"allocated"}


def test_a_ship_date_is_past_by_the_shipping_warehouse_calendar(network, beijing_shop, monkeypatch):
    """At 01:30 in Beijing, UTC still reads yesterday: yesterday's (Beijing) ship date is
    refused, today's is taken."""
    import datetime
    import zoneinfo

    from django.utils import timezone

    from core.exceptions import DomainError

    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 10)
    early = datetime.datetime(2030, 3, 10, 1, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: early.astimezone(datetime.UTC))

    def order(ref: str, ship: datetime.date) -> Order:
        return services.order_create(
            customer=beijing_shop[0],
            ship_to=beijing_shop[1],
            external_ref=ref,
            lines=[services.LineInput(tea, 1)],
            requested_delivery_date=datetime.date(2030, 3, 11),
            promised_ship_date=ship,
            actor=None,
        )

    with pytest.raises(DomainError, match="2030-03-09 is in the past") as refused:
        order("SO-Y", datetime.date(2030, 3, 9))
    assert refused.value.field == "promised_ship_date" and not Order.objects.exists()
    assert order("SO-T", datetime.date(2030, 3, 10)).status == "allocated"
