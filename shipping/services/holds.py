"""A lot put on hold, as the dispatch side sees it: the orders holding it are taken first."""

from django.contrib.auth.models import AbstractBaseUser

from core.db import service
from inventory import services as stock
from inventory.models import Lot
from shipping.models import Order


@service
def lot_hold(*, lot: Lot, reason: str, actor: AbstractBaseUser | None) -> Lot:
    """`inventory.services.lot_hold`, with the orders that hold some of the lot locked first,
    in pk order: every shipping service takes an order before its reservations, and the hold
    gives those reservations back and has each order make up for them (order_stock_lost) in
    its transaction. Taken the other way round, a picker or a cancellation of one of those
    orders would wait for the hold while it waited for them. What the inventory service
    guarantees, and refuses, holds as it says."""
    holding = sorted(
        set(
            Order.objects.filter(
                lines__reservations__reservation__allocations__balance__lot=lot,
                lines__reservations__reservation__allocations__quantity__gt=0,
            ).values_list("pk", flat=True)
        )
    )
    list(
        Order.objects.filter(pk__in=holding)
        .order_by("pk")
        .select_for_update(of=("self",), no_key=True)
        .values_list("pk", flat=True)
    )
    return stock.lot_hold(lot=lot, reason=reason, actor=actor)
