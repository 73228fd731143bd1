"""Celery tasks of the integrations app: each is named like the service it calls."""

from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from core.models import Event
from integrations.relay import events_prune as prune
from integrations.relay import events_publish
from integrations.services.edi import edi_out_issue_due, load_tenders_issue_of
from integrations.services.routing_guide import load_tenders_pass_on_due as pass_on_due
from integrations.services.routing_guide import load_tenders_pass_on_of
from integrations.services.webhooks import webhook_deliver, webhooks_due

# Set while a relay task is queued and has not started: one queued relay is enough.
RELAY_PENDING_KEY = "handoff:relay-pending"
RELAY_PENDING_TTL_S = 10  # if a queued relay is lost, the next commit queues another


def relay_request() -> None:
    """Queue the relay unless one is already queued and not yet started.

    Called after commit. A relay clears the flag before it reads, so an event committed
    while the flag was set is read by that relay: skipping the queueing loses nothing.
    """
    if cache.add(RELAY_PENDING_KEY, 1, timeout=RELAY_PENDING_TTL_S):
        events_relay.delay()


def relay_on_commit(**kwargs: object) -> None:
    """Listener of `core.events.event_committed` (connected in IntegrationsConfig.ready)."""
    relay_request()


@shared_task(name="integrations.events_relay", ignore_result=True)
def events_relay() -> int:
    """Publish newly committed events to the live sockets (see `integrations.relay`)."""
    cache.delete(RELAY_PENDING_KEY)
    return events_publish()


@shared_task(name="integrations.webhooks_deliver_due", ignore_result=True)
def webhooks_deliver_due() -> int:
    """Hand every due delivery to its own task, so a slow endpoint delays no other."""
    due = webhooks_due()
    for delivery_id in due:
        webhook_deliver_task.delay(delivery_id)
    return len(due)


@shared_task(name="integrations.webhook_deliver", ignore_result=True)
def webhook_deliver_task(delivery_id: int) -> str | None:
    """Send one delivery (see `integrations.services.webhooks.webhook_deliver`)."""
    return webhook_deliver(delivery_id=delivery_id)


@shared_task(name="integrations.events_prune", ignore_result=True)
def events_prune() -> int:
    """Drop published events older than HANDOFF_EVENTS_KEEP_DAYS (ledger events stay)."""
    from core.idempotency import idempotency_keys_prune

    idempotency_keys_prune(older_than_hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    return prune(keep_days=settings.HANDOFF_EVENTS_KEEP_DAYS)


@shared_task(name="integrations.edi_out_issue", ignore_result=True)
def edi_out_issue() -> int:
    """Issue the interchanges due out: the 945s of orders from 940s that shipped, the 856s
    of stops whose customers take EDI, the 204s of loads tendered to carriers."""
    return edi_out_issue_due()


@shared_task(name="integrations.load_tenders_issue", ignore_result=True)
def load_tenders_issue(references: list[str]) -> int:
    """Issue the 204s these loads (by reference) may be due (`load_tender_issue`)."""
    return load_tenders_issue_of(references=references)


@shared_task(name="integrations.load_tenders_pass_on", ignore_result=True)
def load_tenders_pass_on(references: list[str]) -> int:
    """Pass these loads (by reference) on to another carrier's truck if their carriers
    declined them (`load_tender_pass_on`)."""
    return load_tenders_pass_on_of(references=references)


@shared_task(name="integrations.load_tenders_pass_on_due", ignore_result=True)
def load_tenders_pass_on_due() -> int:
    """Pass on the loads whose carriers declined them or did not answer in time."""
    return pass_on_due()


# A departure's events: its 945s and 856s are due.
DEPARTED = "load.departed"
# A carrier declined a load (X12 990): the routing guide passes it on.
DECLINED = "load.tender_declined"
# A change to a load or its dock slot: its 204 may be due (the payload names the load).
TENDER_EVENTS = frozenset(
    {
        "load.planned",
        "load.order_added",
        "load.order_removed",
        "load.vehicle_changed",
        "load.cancelled",
        "appointment.booked",
        "appointment.moved",
        "appointment.cancelled",
    }
)


def edi_out_on_events(*, events: Iterable[Event], **kwargs: object) -> None:
    """Listener of `core.events.events_published`: a truck left, so the 945s of the orders
    it took and the 856s of its stops are due; a load or its dock slot changed, so that
    load's 204 may be, and only that load's is looked at (beat's sweep catches a lost
    message, and the rest); a carrier declined a load, so it is passed on to another."""
    events = list(events)
    if any(event.type == DEPARTED for event in events):
        edi_out_issue.delay()
    loads = {
        str(event.payload["load"])
        for event in events
        if event.type in TENDER_EVENTS and (event.payload or {}).get("load")
    }
    if loads:
        load_tenders_issue.delay(sorted(loads))
    declined = {str(event.payload["load"]) for event in events if event.type == DECLINED}
    if declined and settings.HANDOFF_TENDER_PASS_ON:
        load_tenders_pass_on.delay(sorted(declined))
