"""A lot put on hold, as the dispatch side sees it: the orders holding it are taken first."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from core.db import service
from core.exceptions import DomainError
from inventory import services as stock
from inventory.models import Lot
from shipping.models import Order


@service
def lot_hold(*, lot: Lot, reason: str, actor: AbstractBaseUser | None) -> Lot:
    """`inventory.services.lot_hold`, with the orders that hold some of the lot locked first
    (`lots_hold` of this one lot)."""
    (held,) = lots_hold(lots=[lot], reason=reason, actor=actor)
    return held


@service
def lots_hold(*, lots: Sequence[Lot], reason: str, actor: AbstractBaseUser | None) -> list[Lot]:
    """Hold these lots at once, for one reason (a cold room's excursion, say), all or none:
    `inventory.services.lot_hold` for each, in one transaction, the orders holding any of
    them locked first, in pk order. Every shipping service takes an order before its
    reservations, and the hold gives those reservations back and has each order make up for
    them (orders_stock_lost) in its transaction; taken the other way round, a picker or a
    cancellation of one of those orders would wait for the hold while it waited for them.
    Refused, with nothing written, as `lot_hold` refuses any one of them; no lot at all is
    refused (`lots`)."""
    if not lots:
        raise DomainError(_("There is no lot to hold."), field="lots")
    holding = Order.objects.filter(
        lines__reservations__reservation__allocations__balance__lot__in=list(lots),
        lines__reservations__reservation__allocations__quantity__gt=0,
    ).values("pk")
    list(
        Order.objects.filter(pk__in=holding)
        .order_by("pk")
        .select_for_update(of=("self",), no_key=True)
        .values_list("pk", flat=True)
    )
    return [stock.lot_hold(lot=lot, reason=reason, actor=actor) for lot in lots]
