"""The common reservation in one statement: on PostgreSQL, when one balance covers it.

Hot SKUs are reserved by many order lines at once, and every writer waits for the balance
row's lock. What runs while that lock is held decides the rate, so one statement chooses the
first balance in FEFO order, locks and updates it, and writes the reservation, its allocation
and its outbox event; then the transaction commits. If that balance does not cover the
quantity once its lock is granted, the statement writes nothing and the caller takes the
general, row-locking path. Same rules, same rows, same event as the general path.
"""

import datetime
import re
import uuid
import weakref
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

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
      AND z.kind = ANY(%(kinds)s) AND NOT l.is_blocked
      AND (lot.expires_on IS NULL OR lot.expires_on >= %(today)s)
    ORDER BY COALESCE(lot.expires_on, DATE '9999-12-31'), l.pick_sequence, b.id
    LIMIT 1
), taken AS (
    UPDATE {_BALANCE} SET reserved = reserved + %(qty)s
    WHERE id = (SELECT id FROM first_balance) AND on_hand - reserved >= %(qty)s
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


# The statement is prepared once per database session (PREPARE is not undone by a rollback,
# and the web server's sessions live on in core.pgpool): planning it took longer than running
# it, five times per order.
_ARGS = (
    ("warehouse", "bigint"),
    ("item", "bigint"),
    ("kinds", "text[]"),
    ("today", "date"),
    ("qty", "integer"),
    ("reference", "text"),
    ("status", "text"),
    ("now", "timestamptz"),
    ("uuid", "uuid"),
    ("sku", "text"),
    ("actor", "integer"),
)
_NAME = "handoff_reserve_from_first_balance"
_PREPARE = f"PREPARE {_NAME}({', '.join(t for _, t in _ARGS)}) AS " + re.sub(
    r"%\((\w+)\)s",
    lambda m: f"${[n for n, _ in _ARGS].index(m.group(1)) + 1}",
    _RESERVE_FROM_FIRST_BALANCE,
)
_EXECUTE = f"EXECUTE {_NAME}({', '.join('%s' for _ in _ARGS)})"
_prepared: "weakref.WeakSet[Any]" = weakref.WeakSet()  # psycopg2 connections that have it


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
        session = connection.connection
        if session not in _prepared:
            cursor.execute(_PREPARE)
            _prepared.add(session)
        cursor.execute(_EXECUTE, [values[name] for name, _ in _ARGS])
        row = cursor.fetchone()
    if row is None:
        return None
    reservation_id, reorder_point, safety_stock, written = row
    if written != 2:  # pragma: no cover - the statement writes both or neither
        raise RuntimeError("reservation written without its allocation or event")
    events_inserted()
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
