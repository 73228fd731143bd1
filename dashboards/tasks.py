"""Celery tasks of dashboards: each is named like the service it calls."""

from celery import shared_task

from dashboards.services import alerts_evaluate as evaluate


@shared_task(name="dashboards.alerts_evaluate", ignore_result=True)
def alerts_evaluate() -> dict[str, int]:
    """Run the alert rules now."""
    return evaluate()


# Event types that can open or clear an alert condition.
ALERT_INPUTS = ("stock.", "order.", "wave.", "pick.", "vehicle.", "shipment.", "load.", "webhook.")


def alerts_on_events(*, types: frozenset[str], **kwargs: object) -> None:
    """Listener of `integrations.relay.events_published`: evaluate the rules when something
    they look at changed (never for alert.* events, so alerts do not feed themselves)."""
    if any(t.startswith(ALERT_INPUTS) for t in types):
        alerts_evaluate.delay()
