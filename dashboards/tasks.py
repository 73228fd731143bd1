"""Celery tasks of dashboards: each is named like the service it calls."""

from celery import shared_task
from django.core.cache import cache

from dashboards.services import alerts_evaluate as evaluate

# Set while an evaluation is queued and has not started: events meanwhile ride along with it.
ALERTS_PENDING_KEY = "handoff:alerts-pending"


@shared_task(name="dashboards.alerts_evaluate", ignore_result=True)
def alerts_evaluate() -> dict[str, int]:
    """Run the alert rules now (the flag is cleared first, so later events queue another)."""
    cache.delete(ALERTS_PENDING_KEY)
    return evaluate()


# Event types that can open or clear an alert condition.
ALERT_INPUTS = ("stock.", "order.", "wave.", "pick.", "vehicle.", "shipment.", "load.", "webhook.")


def alerts_on_events(*, types: frozenset[str], **kwargs: object) -> None:
    """Listener of `integrations.relay.events_published`: evaluate the rules when something
    they look at changed (never for alert.* events, so alerts do not feed themselves)."""
    if any(t.startswith(ALERT_INPUTS) for t in types) and cache.add(
        ALERTS_PENDING_KEY, 1, timeout=60
    ):
        alerts_evaluate.delay()
