"""Celery tasks of shipping: each is named like the service it calls."""

from celery import shared_task

from shipping.services import orders_backordered_reallocate as reallocate


@shared_task(name="shipping.orders_backordered_reallocate", ignore_result=True)
def orders_backordered_reallocate() -> int:
    """Try backordered orders again (stock may have arrived)."""
    return reallocate()
