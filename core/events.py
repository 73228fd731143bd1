"""The outbox: `event_record` writes a domain event inside the caller's transaction.

Side effects (sockets, webhooks) happen only after commit: `event_committed` is sent from
`transaction.on_commit`, and integrations listens to it to schedule the relay; the relay
sends `events_published` once a batch is out. Core knows nothing of who listens.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.dispatch import Signal

from core.db import rows_insert
from core.models import Event, Warehouse

# Sent once per transaction that recorded events, after it committed.
event_committed = Signal()

# Sent by the relay after it published a batch of committed events (after its own commit),
# with `types` (frozenset of event types) and `events` (the Event rows, in sequence order):
# apps react to what happened (alert rules, backorders waiting for stock) without the relay
# knowing them, and without importing the relay.
events_published = Signal()

# Any constant: the advisory lock that lets one sequencer at a time stamp events.
_SEQUENCER_LOCK_KEY = 0x48414E44  # "HAND"
# How many events one sequencer pass stamps at most.
_SEQUENCER_BATCH = 5000

_encoder = DjangoJSONEncoder()


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
    never if it rolls back; it takes no lock of its own. Record events after locking the rows
    the change is about, so events of one aggregate are inserted in commit order. Listeners of
    `event_committed` run after commit; the feed sequence is stamped by `events_sequence`.
    """
    (event,) = events_record(
        [
            EventDraft(
                type=type,
                aggregate_type=aggregate_type,
                aggregate_id=aggregate_id,
                warehouse=warehouse,
                payload=payload,
            )
        ],
        actor=actor,
    )
    return event


@dataclass(frozen=True)
class EventDraft:
    """An event to record: what `event_record` takes, but the actor."""

    type: str
    aggregate_type: str
    aggregate_id: int | str
    warehouse: Warehouse | int | None
    payload: dict[str, Any] | None = None


# Events inserted per statement: SQLite binds at most 32,766 values in one.
_INSERT_BATCH = 1000


def events_record(
    drafts: Sequence[EventDraft], *, actor: AbstractBaseUser | None = None
) -> list[Event]:
    """Write these events to the outbox in this order, in the current transaction (which
    must be open), with the guarantees of `event_record`: for a service that changes many
    things at once (a sheet of items), in a statement per thousand events."""
    if not connection.in_atomic_block:
        raise RuntimeError("Events are recorded inside the service's transaction.")
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    # A payload as the JSON DjangoJSONEncoder makes of it (dates, decimals, uuids).
    # A plain insert: every change writes an event, and the ORM's save machinery cost more
    # than the insert.
    events = [
        Event(
            type=draft.type,
            aggregate_type=draft.aggregate_type,
            aggregate_id=str(draft.aggregate_id),
            warehouse_id=draft.warehouse.pk
            if isinstance(draft.warehouse, Warehouse)
            else draft.warehouse,
            actor_id=actor_id,
            payload=json.loads(_encoder.encode(draft.payload or {})),
        )
        for draft in drafts
    ]
    for start in range(0, len(events), _INSERT_BATCH):
        rows_insert(events[start : start + _INSERT_BATCH])
    if events:
        _schedule_committed_signal()
    return events


def events_sequence() -> int:
    """Stamp committed events that have no feed sequence yet, in id order; return how many.

    One sequencer at a time: on PostgreSQL a transaction-scoped advisory lock is tried and, if
    another sequencer holds it, this one returns 0 at once (that one will stamp). Only
    committed events are visible here, so an event that commits late gets a later sequence
    than events already stamped, and a reader paging by sequence never misses it.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEQUENCER_LOCK_KEY])
                if not cursor.fetchone()[0]:
                    return 0
        # Nothing to stamp is a cheap update of no row (the unsequenced are indexed apart).
        table = Event._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table} SET sequence = pending.next_sequence
                FROM (
                    SELECT id,
                           (SELECT COALESCE(MAX(sequence), 0) FROM {table})
                             + ROW_NUMBER() OVER (ORDER BY id) AS next_sequence
                    FROM {table} WHERE sequence IS NULL ORDER BY id LIMIT %s
                ) AS pending
                WHERE {table}.id = pending.id
                """,
                [_SEQUENCER_BATCH],
            )
            return cursor.rowcount


def events_inserted() -> None:
    """For a service that inserted event rows in SQL: tell listeners after commit, like
    `event_record` does."""
    if not connection.in_atomic_block:
        raise RuntimeError("events_inserted must run inside the service's transaction.")
    _schedule_committed_signal()


def _send_committed() -> None:
    event_committed.send(sender=Event)


def _schedule_committed_signal() -> None:
    """Queue `event_committed` once per transaction; a rollback drops it with the transaction."""
    if any(func is _send_committed for _, func, _ in connection.run_on_commit):
        return
    # Robust: the change is committed; a listener failing (Redis down) must not fail the
    # request. The relay's periodic sweep picks up what was not announced.
    transaction.on_commit(_send_committed, robust=True)
