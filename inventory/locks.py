"""Row locks on stock balances, always taken in primary-key order so writers never deadlock.

Across kinds of rows, every service takes its locks in one order: load, wave, order
(shipping), then reservation, task, balances (inventory). A service that needs an earlier
kind after a later one reads the row's id unlocked, locks in this order, and checks again
(e.g. `shipping.services.picking.order_pick_confirm`, `inventory.services.tasks.task_confirm`).
A lot's row (its quality hold) is taken after the reservations and before the balances:
`inventory.services.holds.lot_hold` in that order, a writer putting a lot somewhere new
(`balance_ensure`) and a truck's departure with a share lock on it.
One exception: `shipping.services.waves.wave_picked_if_done` locks a released wave after the
order whose last pick closes it; nothing that holds a released wave's row waits for one of its
orders (a late order joining it is not on it yet), so no cycle forms.
"""

from collections.abc import Iterable

from django.db import connection

from inventory.models import Allocation, Lot, StockBalance


def balance_ensure(*, warehouse_id: int, item_id: int, location_id: int, lot_id: int | None) -> int:
    """The pk of the balance row for (item, location, lot), inserting an empty one if missing.

    Safe under concurrent callers: the insert ignores the unique-constraint conflict. A new
    row of a lot on hold is held too: the lot's row is read with a share lock, so a hold
    being put on meanwhile is waited for, and one put on after it sees this row.
    """
    key = {"item_id": item_id, "location_id": location_id, "lot_id": lot_id}
    pk = StockBalance.objects.filter(**key).values_list("pk", flat=True).first()
    if pk is not None:
        return pk
    held = lot_id is not None and bool(lots_held_locked([lot_id]))
    StockBalance.objects.bulk_create(
        [StockBalance(warehouse_id=warehouse_id, held=held, **key)], ignore_conflicts=True
    )
    return StockBalance.objects.filter(**key).values_list("pk", flat=True).get()


def lots_held_locked(lot_ids: Iterable[int]) -> set[int]:
    """Which of these lots are on hold, read under a share lock on their rows, in pk order
    (on PostgreSQL; SQLite writes one transaction at a time): a hold being put on meanwhile
    is waited for and seen, and one put on later waits for this transaction."""
    ids = sorted(set(lot_ids))
    if not ids:
        return set()
    share = " FOR SHARE" if connection.vendor == "postgresql" else ""
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "id", "held_at" FROM "{Lot._meta.db_table}" WHERE "id" IN ({marks}) '
            f'ORDER BY "id"{share}',
            ids,
        )
        return {pk for pk, held_at in cursor.fetchall() if held_at is not None}


def balances_lock(pks: Iterable[int]) -> dict[int, StockBalance]:
    """Lock the balances (SELECT ... FOR UPDATE) in pk order and return them fresh, by pk."""
    rows = (
        StockBalance.objects.filter(pk__in=sorted(set(pks)))
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    return {row.pk: row for row in rows}


def reservations_balances_lock(reservation_ids: Iterable[int]) -> None:
    """Lock every balance these reservations still hold, in pk order, before a writer
    releases or picks several of them: one by one, each would take its own balances in turn,
    and two such writers could take the same two balances in opposite orders."""
    balances_lock(
        Allocation.objects.filter(
            reservation_id__in=list(reservation_ids), quantity__gt=0
        ).values_list("balance_id", flat=True)
    )
