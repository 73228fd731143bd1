"""Small helpers for stock tests: put stock somewhere through the services, read it back."""

import datetime

from django.db.models import Sum

from core.models import Event
from inventory import services
from inventory.models import StockBalance, StockMovement
from tests.factories import warehouse_today


def stock_in(item, location, quantity, *, lot=None, expires_on=None):
    """Receive stock straight into a location (through stock_receive)."""
    movement, _ = services.stock_receive(
        item=item,
        quantity=quantity,
        location=location,
        lot_code=lot,
        expires_on=expires_on,
        actor=None,
    )
    return movement


def on_hand(item, location=None):
    rows = StockBalance.objects.filter(item=item)
    if location is not None:
        rows = rows.filter(location=location)
    return rows.aggregate(q=Sum("on_hand"))["q"] or 0


def reserved(item):
    return StockBalance.objects.filter(item=item).aggregate(q=Sum("reserved"))["q"] or 0


def counts():
    """How many ledger rows, balances and events exist: bad input must change none of them."""
    return (StockMovement.objects.count(), StockBalance.objects.count(), Event.objects.count())


def in_days(n: int) -> datetime.date:
    """`n` days from today on the test warehouses' calendar."""
    return warehouse_today() + datetime.timedelta(days=n)
