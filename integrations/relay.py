"""The outbox relay: committed events go out to the live sockets, in order, at least once.

Runs in the `integrations.events_relay` Celery task (queued after each commit that wrote
events, and swept by beat). Several relays may run at once: each claims a batch of
unpublished events with `FOR UPDATE SKIP LOCKED`, so none is published twice by them.
A relay that dies after sending but before marking sends again: clients de-duplicate by
the event id (and can detect gaps by its sequence).
"""

import datetime
import json

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.events import events_published, events_sequence
from core.models import Event
from integrations.services.webhooks import webhook_deliveries_create
from inventory.models import StockMovement

BATCH = 500

# Which live topic an event type belongs to (by its first word).
TOPICS = {
    "stock": "stock",
    "location": "stock",
    "count": "stock",
    "receipt": "stock",
    "task": "stock",
    "tasks": "stock",
    "pick": "orders",
    "order": "orders",
    "wave": "orders",
    "unit": "orders",
    "load": "orders",
    "appointment": "dock",
    "vehicle": "dock",
    "dock": "dock",  # a door held, released; a supplier's truck at it
    "supplier_truck": "dock",
    "shipment": "shipments",
    "alert": "alerts",
    "edi": "shipments",
    "sensor": "alerts",
    "ticket": "alerts",
}


def topic_of(event_type: str) -> str:
    head = event_type.split(".", 1)[0]
    if event_type == "load.departed":
        return "shipments"
    return TOPICS.get(head, "stock")


def group_name(warehouse_id: int, topic: str) -> str:
    return f"wh{warehouse_id}.{topic}"


def event_message(event: Event) -> dict:
    """What a socket receives: enough to de-duplicate (id) and detect gaps (sequence)."""
    return {
        "id": str(event.uuid),
        "sequence": event.sequence,
        "type": event.type,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "warehouse": event.warehouse_id,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": event.payload,
    }


def webhooks_request() -> None:
    """After commit: have the due deliveries sent (each in its own task)."""
    from integrations.tasks import webhooks_deliver_due

    webhooks_deliver_due.delay()


async def _group_send_all(layer: BaseChannelLayer, messages: list[tuple[str, dict]]) -> None:
    """Send a batch in one event loop (one connection), in order."""
    for group, message in messages:
        await layer.group_send(group, message)


def events_publish() -> int:
    """Stamp sequences, then publish unpublished events of warehouses in sequence order.

    Returns how many were published. Each batch is claimed, sent and marked in one
    transaction; another relay skips the claimed rows instead of waiting for them. A batch
    short of `BATCH` is the last: an event committed meanwhile queued a relay of its own
    (`integrations.tasks.relay_request`), and the beat's sweep catches one whose queueing
    failed.
    """
    events_sequence()
    layer = get_channel_layer()
    published = 0
    while True:
        with transaction.atomic():
            batch = Event.objects.filter(
                published_at__isnull=True, sequence__isnull=False
            ).order_by("sequence")
            if connection.vendor == "postgresql":
                batch = batch.select_for_update(skip_locked=True)
            events = list(batch[:BATCH])
            if not events:
                return published
            if layer is not None:
                async_to_sync(_group_send_all)(
                    layer,
                    [
                        (
                            group_name(event.warehouse_id, topic_of(event.type)),
                            {"type": "event.message", "text": json.dumps(event_message(event))},
                        )
                        for event in events
                        if event.warehouse_id is not None
                    ],
                )
            Event.objects.filter(pk__in=[e.pk for e in events]).update(published_at=timezone.now())
            if webhook_deliveries_create(events):
                transaction.on_commit(webhooks_request, robust=True)
            types = frozenset(e.type for e in events)
            transaction.on_commit(
                lambda types=types, events=events: events_published.send(
                    sender=Event, types=types, events=events
                ),
                robust=True,
            )
            published += len(events)
        if len(events) < BATCH:
            return published


def events_prune(*, keep_days: int, now: datetime.datetime | None = None) -> int:
    """Delete published events older than `keep_days`, except those a ledger row or a
    webhook delivery still points to; return how many went."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=keep_days)
    old = Event.objects.filter(published_at__isnull=False, occurred_at__lt=cutoff)
    kept = StockMovement.objects.filter(event_id=OuterRef("pk"))
    deleted, _ = old.exclude(Exists(kept)).delete()
    return deleted
