"""Celery tasks of the integrations app: each is named like the service it calls."""

from celery import shared_task

from core.events import events_sequence


@shared_task(name="integrations.events_relay", ignore_result=True)
def events_relay() -> int:
    """Stamp newly committed events with their feed sequence (publishing comes next)."""
    return events_sequence()
