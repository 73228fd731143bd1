"""Webhooks out, signed per Standard Webhooks, retried with backoff, dead-lettered, replayable.

A delivery is claimed with a lease before its HTTP request, and the request runs outside
any transaction: a slow endpoint holds no lock and blocks no other delivery (each runs in
its own task). Receivers de-duplicate by `webhook-id` (the event id): at least once.
"""

import base64
import datetime
import hashlib
import hmac
import json
import random
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Event, Warehouse
from integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
    webhook_secret_new,
)

TIMEOUT_S = 5.0
# How long a claimed delivery is someone's before another worker may try it (a worker that
# died mid-request is covered by this).
LEASE = datetime.timedelta(seconds=settings.HANDOFF_WEBHOOK_LEASE_S)
BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 3600.0


def backoff(attempts: int) -> datetime.timedelta:
    """Exponential backoff with full jitter between half and the whole step."""
    step = min(BACKOFF_BASE_S * 2 ** (attempts - 1), BACKOFF_CAP_S)
    return datetime.timedelta(seconds=step * random.uniform(0.5, 1.0))


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the secret's key bytes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@service
def webhook_subscribe(
    *,
    warehouse: Warehouse,
    url: str,
    event_types: list[str],
    actor: AbstractBaseUser | None,
    max_attempts: int = 8,
) -> WebhookSubscription:
    """Subscribe an endpoint to event types of a warehouse (`webhook.subscribed`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError("Give an http(s) URL.", field="url")
    if not event_types or not all(isinstance(t, str) and t.strip() for t in event_types):
        raise DomainError(
            'List the event types, e.g. ["stock.*", "order.shipped"].', field="event_types"
        )
    if not 1 <= max_attempts <= 20:
        raise DomainError("Between 1 and 20 attempts.", field="max_attempts")
    subscription = WebhookSubscription.objects.create(
        warehouse=warehouse,
        url=url,
        event_types=[t.strip() for t in event_types],
        max_attempts=max_attempts,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    event_record(
        type="webhook.subscribed",
        aggregate_type="webhook",
        aggregate_id=subscription.pk,
        warehouse=warehouse,
        payload={
            "subscription": subscription.pk,
            "url": url,
            "event_types": subscription.event_types,
        },
        actor=actor,
    )
    return subscription


@service
def webhook_secret_rotate(
    *, subscription: WebhookSubscription, actor: AbstractBaseUser | None
) -> WebhookSubscription:
    """A new secret; the old one keeps signing alongside until the next rotation."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.previous_secret, subscription.secret = subscription.secret, webhook_secret_new()
    subscription.save(update_fields=["previous_secret", "secret"])
    event_record(
        type="webhook.secret_rotated",
        aggregate_type="webhook",
        aggregate_id=subscription.pk,
        warehouse=subscription.warehouse_id,
        payload={"subscription": subscription.pk},
        actor=actor,
    )
    return subscription


def webhook_deliveries_create(events: Iterable[Event]) -> int:
    """Queue a delivery of each event to every active subscription that wants it.

    Runs inside the relay's transaction, so an event is queued exactly when it is marked
    published; a second relay run creates no duplicates (unique per subscription and event).
    """
    events = [e for e in events if e.warehouse_id is not None]
    if not events:
        return 0
    subscriptions = list(
        WebhookSubscription.objects.filter(
            is_active=True, warehouse_id__in={e.warehouse_id for e in events}
        )
    )
    rows = [
        WebhookDelivery(subscription=s, event=e)
        for e in events
        for s in subscriptions
        if s.warehouse_id == e.warehouse_id and s.wants(e.type)
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def webhooks_due(*, now: datetime.datetime | None = None, limit: int = 200) -> list[int]:
    """Ids of pending deliveries whose time has come, oldest first."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _claim(delivery_id: int, now: datetime.datetime) -> WebhookDelivery | None:
    with transaction.atomic():
        rows = WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).select_related("subscription", "event")
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        delivery = rows.first()
        if delivery is None:
            return None  # delivered, dead, not due, or another worker has it
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + LEASE)
        return delivery


def webhook_deliver(*, delivery_id: int, now: datetime.datetime | None = None) -> str | None:
    """Send one delivery if it is due and nobody else is sending it; record the outcome.

    Returns the delivery's status after the attempt, or None if it was not ours to send.
    A 2xx answer delivers it; anything else (or no answer in 5 s) is retried after an
    exponential, jittered backoff, and dead-lettered after the subscription's max attempts
    (`webhook.dead_lettered`).
    """
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    event, subscription = delivery.event, delivery.subscription
    body = json.dumps(
        {
            "type": event.type,
            "timestamp": event.occurred_at.isoformat(),
            "data": {
                "id": str(event.uuid),
                "sequence": event.sequence,
                "aggregate_type": event.aggregate_type,
                "aggregate_id": event.aggregate_id,
                "warehouse": subscription.warehouse.code,
                "payload": event.payload,
            },
        },
        cls=DjangoJSONEncoder,
    ).encode()
    msg_id = str(event.uuid)
    timestamp = int(now.timestamp())
    signatures = [signature(subscription.secret, msg_id, timestamp, body)]
    if subscription.previous_secret:
        signatures.append(signature(subscription.previous_secret, msg_id, timestamp, body))
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Handoff-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signatures),
        },
    )
    code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            code = response.status
    except urllib.error.HTTPError as failed:
        code, error = failed.code, f"HTTP {failed.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as failed:
        error = str(getattr(failed, "reason", failed))[:300]
    return _record(delivery, code, error, now)


@service
def _record(delivery: WebhookDelivery, code: int | None, error: str, now: datetime.datetime) -> str:
    attempts = delivery.attempts + 1
    changes: dict = {"attempts": attempts, "last_status_code": code, "last_error": error}
    if code is not None and 200 <= code < 300:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_error="")
    elif attempts >= delivery.subscription.max_attempts:
        changes.update(status=DeliveryStatus.DEAD)
        event_record(
            type="webhook.dead_lettered",
            aggregate_type="webhook",
            aggregate_id=delivery.subscription_id,
            warehouse=delivery.subscription.warehouse_id,
            payload={
                "subscription": delivery.subscription_id,
                "delivery": delivery.pk,
                "event": str(delivery.event.uuid),
                "attempts": attempts,
                "last_error": error or f"HTTP {code}",
            },
            actor=None,
        )
    else:
        changes.update(next_attempt_at=now + backoff(attempts))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    return changes.get("status", DeliveryStatus.PENDING)


@service
def webhook_replay(*, delivery: WebhookDelivery, actor: AbstractBaseUser | None) -> WebhookDelivery:
    """Send a delivery again from scratch (a dead one, or a delivered one the receiver lost)."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict("This delivery is still being tried.")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    event_record(
        type="webhook.replayed",
        aggregate_type="webhook",
        aggregate_id=delivery.subscription_id,
        warehouse=delivery.subscription.warehouse_id,
        payload={"delivery": delivery.pk},
        actor=actor,
    )
    delivery.refresh_from_db()
    return delivery
