"""The outbox: `event_record` writes a domain event inside the caller's transaction.

Side effects (sockets, webhooks) happen only after commit: `event_committed` is sent from
`transaction.on_commit`, and integrations listens to it to schedule the relay. Core knows
nothing of who listens.
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.dispatch import Signal

from core.models import Event, Warehouse

# Sent once per transaction that recorded events, after it committed.
event_committed = Signal()

# Any constant: the advisory lock that makes event sequence order equal commit order.
_SEQUENCE_LOCK_KEY = 0x48414E44  # "HAND"

_encoder = DjangoJSONEncoder()


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(_encoder.encode(payload))


def event_record(
    *,
    type: str,
    aggregate_type: str,
    aggregate_id: int | str,
    warehouse: Warehouse | int | None,
    payload: dict[str, Any] | None = None,
    actor: AbstractBaseUser | None = None,
) -> Event:
    """Write one event to the outbox in the current transaction (which must be open).

    Guarantees: the event becomes visible exactly when the caller's transaction commits and
    never if it rolls back; on PostgreSQL, sequence numbers are handed out in commit order
    (a transaction-scoped advisory lock is held from here to commit), so record events after
    the rows the service locks. Listeners of `event_committed` run after commit.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("event_record must run inside the service's transaction.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEQUENCE_LOCK_KEY])
    warehouse_id = warehouse.pk if isinstance(warehouse, Warehouse) else warehouse
    event = Event.objects.create(
        type=type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        warehouse_id=warehouse_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        payload=_jsonable(payload or {}),
    )
    _schedule_committed_signal()
    return event


def _send_committed() -> None:
    event_committed.send(sender=Event)


def _schedule_committed_signal() -> None:
    """Queue `event_committed` once per transaction; a rollback drops it with the transaction."""
    if any(func is _send_committed for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_send_committed)
