"""The common reservation in one statement: on PostgreSQL, when one balance covers it.

Hot SKUs are reserved by many order lines at once, and every writer waits for the balance
row's lock. What runs while that lock is held decides the rate, so one statement chooses the
first balance in FEFO order, locks and updates it, and writes the reservation, its allocation
and its outbox event; then the transaction commits. If that balance does not cover the
quantity once its lock is granted, the statement writes nothing and the caller takes the
general, row-locking path. Same rules, same rows, same event as the general path.
"""

import datetime
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from core.db import Prepared
from core.events import events_inserted
from core.models import Event, Warehouse
from inventory.choices import PICKABLE_ZONE_KINDS, ReservationStatus
from inventory.models import (
    Allocation,
    Item,
    Location,
    Lot,
    ReorderPolicy,
    Reservation,
    StockBalance,
    Zone,
)

_BALANCE = StockBalance._meta.db_table
_LOCATION = Location._meta.db_table
_LOT = Lot._meta.db_table

_RESERVE_FROM_FIRST_BALANCE = f"""
WITH first_balance AS (
    SELECT b.id
    FROM {_BALANCE} b
    JOIN {_LOCATION} l ON l.id = b.location_id
    JOIN {Zone._meta.db_table} z ON z.id = l.zone_id
    LEFT JOIN {_LOT} lot ON lot.id = b.lot_id
    WHERE b.warehouse_id = %(warehouse)s AND b.item_id = %(item)s AND b.on_hand > b.reserved
      AND z.kind = ANY(%(kinds)s) AND NOT l.is_blocked AND NOT b.held
      AND (lot.expires_on IS NULL OR lot.expires_on >= %(today)s)
    ORDER BY COALESCE(lot.expires_on, DATE '9999-12-31'), l.pick_sequence, b.id
    LIMIT 1
), taken AS (
    UPDATE {_BALANCE} SET reserved = reserved + %(qty)s
    WHERE id = (SELECT id FROM first_balance) AND on_hand - reserved >= %(qty)s AND NOT held
    RETURNING id, location_id, lot_id
), place AS (
    SELECT taken.id, l.barcode, lot.code AS lot_code
    FROM taken JOIN {_LOCATION} l ON l.id = taken.location_id
    LEFT JOIN {_LOT} lot ON lot.id = taken.lot_id
), reservation AS (
    INSERT INTO {Reservation._meta.db_table}
        (warehouse_id, item_id, reference, requested, status, created_at)
    SELECT %(warehouse)s, %(item)s, %(reference)s, %(qty)s, %(status)s, %(now)s FROM taken
    RETURNING id
), allocation AS (
    INSERT INTO {Allocation._meta.db_table} (reservation_id, balance_id, quantity, picked)
    SELECT reservation.id, taken.id, %(qty)s, 0 FROM reservation, taken
    RETURNING id
), event AS (
    INSERT INTO {Event._meta.db_table}
        (uuid, type, aggregate_type, aggregate_id, warehouse_id, actor_id, payload, occurred_at)
    SELECT %(uuid)s, 'stock.reserved', 'item', %(sku)s, %(warehouse)s, %(actor)s,
           jsonb_build_object(
               'reservation', reservation.id,
               'reference', %(reference)s::text,
               'item', %(sku)s::text,
               'requested', %(qty)s,
               'reserved', %(qty)s,
               'shortfall', 0,
               'allocations', jsonb_build_array(jsonb_build_object(
                   'location', place.barcode, 'lot', place.lot_code, 'quantity', %(qty)s))
           ),
           %(now)s
    FROM reservation, place
    RETURNING id
)
SELECT reservation.id, p.reorder_point, p.safety_stock,
       (SELECT count(*) FROM allocation) + (SELECT count(*) FROM event)
FROM reservation
LEFT JOIN {ReorderPolicy._meta.db_table} p
       ON p.item_id = %(item)s AND p.warehouse_id = %(warehouse)s AND p.reorder_point > 0
"""


_ONE = Prepared(
    "handoff_reserve_from_first_balance",
    _RESERVE_FROM_FIRST_BALANCE,
    {
        "warehouse": "bigint",
        "item": "bigint",
        "kinds": "text[]",
        "today": "date",
        "qty": "integer",
        "reference": "text",
        "status": "text",
        "now": "timestamptz",
        "uuid": "uuid",
        "sku": "text",
        "actor": "integer",
    },
)


def reserve_from_one_balance(
    *,
    warehouse: Warehouse,
    item: Item,
    quantity: int,
    reference: str,
    actor: AbstractBaseUser | None,
    today: datetime.date,
) -> tuple[Reservation, dict[str, int] | None] | None:
    """Reserve from the first balance in FEFO order if it alone covers the quantity.

    Returns the reservation and the item's reorder policy here (if any), or None, having
    written nothing, when that balance does not cover it once its lock is granted; the caller
    then takes the general path. Must run in the service's transaction, on PostgreSQL.
    """
    now = timezone.now()
    values = {
        "warehouse": warehouse.pk,
        "item": item.pk,
        "kinds": [str(k) for k in PICKABLE_ZONE_KINDS],
        "today": today,
        "qty": quantity,
        "reference": reference,
        "status": str(ReservationStatus.OPEN),
        "now": now,
        "uuid": str(uuid.uuid4()),
        "sku": item.sku,
        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
    }
    with connection.cursor() as cursor:
        _ONE.run(cursor, values)
        row = cursor.fetchone()
    if row is None:
        return None
    reservation_id, reorder_point, safety_stock, written = row
    if written != 2:  # pragma: no cover - the statement writes both or neither
        raise RuntimeError("reservation written without its allocation or event")
    events_inserted()
    return _written(
        reservation_id, warehouse, item, quantity, reference, now, reorder_point, safety_stock
    )


def _written(
    reservation_id: int,
    warehouse: Warehouse,
    item: Item,
    quantity: int,
    reference: str,
    now: datetime.datetime,
    reorder_point: int | None,
    safety_stock: int | None,
) -> tuple[Reservation, dict[str, int] | None]:
    """The reservation a statement just wrote, and the item's reorder policy (if any)."""
    policy = (
        {"reorder_point": reorder_point, "safety_stock": safety_stock} if reorder_point else None
    )
    reservation = Reservation(
        pk=reservation_id,
        warehouse=warehouse,
        item=item,
        reference=reference,
        requested=quantity,
        status=ReservationStatus.OPEN,
        created_at=now,
    )
    return reservation, policy


# --- Several reservations at once (an order's lines), all or nothing --------------------------

_LOCK_FIRST_BALANCES = f"""
WITH wanted AS (
    SELECT DISTINCT item_id FROM unnest(%(items)s::bigint[]) AS w(item_id)
), first_balance AS (
    SELECT fb.id
    FROM wanted w
    CROSS JOIN LATERAL (
        SELECT b.id
        FROM {_BALANCE} b
        JOIN {_LOCATION} l ON l.id = b.location_id
        JOIN {Zone._meta.db_table} z ON z.id = l.zone_id
        LEFT JOIN {_LOT} lot ON lot.id = b.lot_id
        WHERE b.warehouse_id = %(warehouse)s AND b.item_id = w.item_id
          AND b.on_hand > b.reserved AND z.kind = ANY(%(kinds)s) AND NOT l.is_blocked
          AND NOT b.held AND (lot.expires_on IS NULL OR lot.expires_on >= %(today)s)
        ORDER BY COALESCE(lot.expires_on, DATE '9999-12-31'), l.pick_sequence, b.id
        LIMIT 1
    ) fb
)
SELECT b.id, b.item_id, b.on_hand - b.reserved, l.barcode, lot.code
FROM {_BALANCE} b
JOIN {_LOCATION} l ON l.id = b.location_id
LEFT JOIN {_LOT} lot ON lot.id = b.lot_id
WHERE b.id IN (SELECT id FROM first_balance) AND NOT b.held
ORDER BY b.id
FOR UPDATE OF b
"""

_RESERVE_FROM_LOCKED = f"""
WITH input AS (
    SELECT * FROM unnest(
        %(balances)s::bigint[], %(items)s::bigint[], %(qtys)s::integer[], %(references)s::text[],
        %(uuids)s::uuid[], %(skus)s::text[], %(places)s::text[], %(lots)s::text[],
        %(ords)s::integer[]
    ) AS i(balance_id, item_id, qty, reference, uuid, sku, place, lot_code, ord)
), taken AS (
    UPDATE {_BALANCE} b SET reserved = b.reserved + i.qty
    FROM input i WHERE b.id = i.balance_id
    RETURNING b.id
), reservation AS (
    INSERT INTO {Reservation._meta.db_table}
        (warehouse_id, item_id, reference, requested, status, created_at)
    SELECT %(warehouse)s, i.item_id, i.reference, i.qty, %(status)s, %(now)s
    FROM input i ORDER BY i.ord
    RETURNING id, reference
), allocation AS (
    INSERT INTO {Allocation._meta.db_table} (reservation_id, balance_id, quantity, picked)
    SELECT r.id, i.balance_id, i.qty, 0 FROM reservation r JOIN input i USING (reference)
    RETURNING id
), event AS (
    INSERT INTO {Event._meta.db_table}
        (uuid, type, aggregate_type, aggregate_id, warehouse_id, actor_id, payload, occurred_at)
    SELECT i.uuid, 'stock.reserved', 'item', i.sku, %(warehouse)s, %(actor)s,
           jsonb_build_object(
               'reservation', r.id,
               'reference', i.reference,
               'item', i.sku,
               'requested', i.qty,
               'reserved', i.qty,
               'shortfall', 0,
               'allocations', jsonb_build_array(jsonb_build_object(
                   'location', i.place, 'lot', i.lot_code, 'quantity', i.qty))
           ),
           %(now)s
    FROM reservation r JOIN input i USING (reference)
    ORDER BY i.ord
    RETURNING id
)
SELECT r.id, r.reference, p.reorder_point, p.safety_stock,
       (SELECT count(*) FROM taken), (SELECT count(*) FROM allocation),
       (SELECT count(*) FROM event)
FROM reservation r
JOIN input i USING (reference)
LEFT JOIN {ReorderPolicy._meta.db_table} p
       ON p.item_id = i.item_id AND p.warehouse_id = %(warehouse)s AND p.reorder_point > 0
"""


_LOCK = Prepared(
    "handoff_lock_first_balances",
    _LOCK_FIRST_BALANCES,
    {"items": "bigint[]", "warehouse": "bigint", "kinds": "text[]", "today": "date"},
)
_EACH = Prepared(
    "handoff_reserve_from_locked",
    _RESERVE_FROM_LOCKED,
    {
        "balances": "bigint[]",
        "items": "bigint[]",
        "qtys": "integer[]",
        "references": "text[]",
        "uuids": "text[]",  # cast in the statement
        "skus": "text[]",
        "places": "text[]",
        "lots": "text[]",
        "ords": "integer[]",
        "warehouse": "bigint",
        "status": "text",
        "now": "timestamptz",
        "actor": "integer",
    },
)


def reserve_each_from_one_balance(
    *,
    warehouse: Warehouse,
    wanted: list[tuple[Item, int, str]],
    actor: AbstractBaseUser | None,
    today: datetime.date,
) -> list[tuple[Reservation, dict[str, int] | None]] | None:
    """Reserve each (item, quantity, reference) from its item's first balance in FEFO order,
    all or nothing, in two statements: one locks those balances (in id order, as every
    caller does, so two orders never wait on each other in a circle), the other writes the
    reservations, allocations and `stock.reserved` events, the same rows and events as
    reserve_from_one_balance per line, in the lines' order.

    Returns, per line in order, the reservation and the item's reorder policy here (if any);
    or None, having written nothing (the locks stay until the transaction ends), when an
    item repeats, has no such balance, or its first balance does not cover the quantity:
    the caller then reserves line by line. Must run in the caller's transaction, on
    PostgreSQL.
    """
    items = [item.pk for item, _, _ in wanted]
    if len(set(items)) != len(items):
        return None
    now = timezone.now()
    with connection.cursor() as cursor:
        _LOCK.run(
            cursor,
            {
                "items": items,
                "warehouse": warehouse.pk,
                "kinds": [str(k) for k in PICKABLE_ZONE_KINDS],
                "today": today,
            },
        )
        first = {item_id: (pk, free, place, lot) for pk, item_id, free, place, lot in cursor}
        if any(item.pk not in first or first[item.pk][1] < qty for item, qty, _ in wanted):
            return None
        _EACH.run(
            cursor,
            {
                "balances": [first[item.pk][0] for item, _, _ in wanted],
                "items": items,
                "qtys": [qty for _, qty, _ in wanted],
                "references": [reference for _, _, reference in wanted],
                "uuids": [str(uuid.uuid4()) for _ in wanted],
                "skus": [item.sku for item, _, _ in wanted],
                "places": [first[item.pk][2] for item, _, _ in wanted],
                "lots": [first[item.pk][3] for item, _, _ in wanted],
                "ords": list(range(len(wanted))),
                "warehouse": warehouse.pk,
                "status": str(ReservationStatus.OPEN),
                "now": now,
                "actor": actor.pk if actor is not None and actor.is_authenticated else None,
            },
        )
        rows = {row[1]: row for row in cursor.fetchall()}
    counts = (len(wanted),) * 3  # balances taken, allocations, events
    if len(rows) != len(wanted) or any(row[4:] != counts for row in rows.values()):
        # pragma: no cover - the statement writes every line or fails
        raise RuntimeError("reservations written without their allocations or events")
    events_inserted()
    return [
        _written(rows[reference][0], warehouse, item, qty, reference, now, *rows[reference][2:4])
        for item, qty, reference in wanted
    ]
