"""Celery tasks of dashboards: each is named like the service it calls."""

from celery import shared_task

from dashboards.services import alerts_evaluate as evaluate


@shared_task(name="dashboards.alerts_evaluate", ignore_result=True)
def alerts_evaluate() -> dict[str, int]:
    """Run the alert rules now."""
    return evaluate()
