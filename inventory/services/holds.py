"""Quality holds: a lot that must not go out (a supplier's recall, a failed test, a cold-chain
excursion) is held, in every warehouse at once, until quality lifts the hold."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import EventDraft, events_record
from core.exceptions import Conflict, DomainError
from inventory.locks import balances_lock
from inventory.models import Allocation, Lot, Reservation, StockBalance, StockMovement
from inventory.services.reservations import stock_release
from inventory.signals import reservations_lost

HOLD_REASON_MAX = 200


def _lot_locked(lot: Lot) -> Lot:
    return Lot.objects.select_for_update(of=("self",)).select_related("item").get(pk=lot.pk)


def _lot_events(lot: Lot, type: str, payload: dict, actor: AbstractBaseUser | None) -> None:
    """One event per warehouse that ever had the lot, with what it has of it now, so each
    warehouse's feed and board hear of it; one without a warehouse if none ever had it."""
    warehouses = sorted(
        set(StockMovement.objects.filter(lot=lot).values_list("warehouse_id", flat=True))
    )
    on_hand = dict(
        StockBalance.objects.filter(lot=lot)
        .values("warehouse_id")
        .annotate(units=Sum("on_hand"))
        .values_list("warehouse_id", "units")
    )
    base = {"item": lot.item.sku, "lot": lot.code, "lot_id": lot.pk, **payload}
    events_record(
        [
            EventDraft(
                type=type,
                aggregate_type="item",
                aggregate_id=lot.item.sku,
                warehouse=warehouse_id,
                payload={**base, "on_hand": on_hand.get(warehouse_id, 0) if warehouse_id else 0},
            )
            for warehouse_id in (warehouses or [None])
        ],
        actor=actor,
    )


@service
def lot_hold(*, lot: Lot, reason: str, actor: AbstractBaseUser | None) -> Lot:
    """Put a lot on hold (`lot.held`, one per warehouse that ever had it).

    From the commit on, nothing of the lot is reserved anywhere, and no truck departs with a
    unit holding it. What was reserved of it is given back (`stock.released`; its pick
    tasks are cancelled or shrink), and each order that held it makes up for it in this
    transaction, from another lot, location or warehouse, else as a backorder, as it does
    for units a count did not find (`reservations_lost`). Goods of it already picked stay
    where they are; the lot's trace lists them.

    Refused, with nothing written: no reason (`reason`), or a lot already on hold (409).
    A reservation that waited for one of the lot's balances meanwhile sees the hold on that
    row once it has the lock (`StockBalance.held`), and takes nothing there. Callers that
    know orders go through `shipping.services.lot_hold`, which locks them first.
    """
    said = (reason or "").strip()
    if not said:
        raise DomainError(_("Say why the lot is held."), field="reason")
    if len(said) > HOLD_REASON_MAX:
        raise DomainError(_("At most %(n)s characters.") % {"n": HOLD_REASON_MAX}, field="reason")
    # Locks in the house's order: the reservations holding the lot, the lot (which a writer
    # holding its reservation takes next, to put the lot somewhere new), then every balance
    # they and the lot have, in one go by pk.
    holding = list(
        Allocation.objects.filter(balance__lot=lot, quantity__gt=0).values_list(
            "reservation_id", flat=True
        )
    )
    list(Reservation.objects.filter(pk__in=holding).order_by("pk").select_for_update())
    lot = _lot_locked(lot)
    if lot.held_at is not None:
        raise Conflict(
            _("Lot %(lot)s of %(sku)s is already on hold: %(reason)s")
            % {"lot": lot.code, "sku": lot.item.sku, "reason": lot.hold_reason},
            field="lot",
        )
    now = timezone.now()
    Lot.objects.filter(pk=lot.pk).update(held_at=now, hold_reason=said)
    lot_balances = list(StockBalance.objects.filter(lot=lot).values_list("pk", flat=True))
    balances_lock(
        [
            *lot_balances,
            *Allocation.objects.filter(reservation_id__in=holding, quantity__gt=0).values_list(
                "balance_id", flat=True
            ),
        ]
    )
    balances = StockBalance.objects.filter(pk__in=lot_balances)
    balances.update(held=True)
    # Read again under the locks: a reservation made before they were taken is here too.
    held = dict(  # per reservation: units reserved of the lot
        Allocation.objects.filter(balance_id__in=lot_balances, quantity__gt=0)
        .values("reservation_id")
        .annotate(units=Sum("quantity"))
        .values_list("reservation_id", "units")
    )
    released = [
        (
            stock_release(
                reservation=reservation, quantity=held[reservation.pk], lot=lot, actor=actor
            ),
            held[reservation.pk],
        )
        for reservation in Reservation.objects.filter(pk__in=list(held)).order_by("pk")
    ]
    _lot_events(
        lot,
        "lot.held",
        {
            "reason": said,
            "held_at": now,
            "released": [{"reference": r.reference, "quantity": q} for r, q in released],
        },
        actor,
    )
    # Only now, with the lot held on every balance, may the owners reserve again.
    if released:
        reservations_lost.send(sender=Reservation, lost=released, actor=actor)
    lot.refresh_from_db()
    return lot


@service
def lot_hold_lift(*, lot: Lot, actor: AbstractBaseUser | None) -> Lot:
    """Lift a lot's hold (`lot.hold_lifted`, one per warehouse that ever had it): its stock
    may be reserved again, and the backorders waiting for its item are tried again (as for
    stock received). Refused (409) for a lot not on hold."""
    lot = _lot_locked(lot)
    if lot.held_at is None:
        raise Conflict(
            _("Lot %(lot)s of %(sku)s is not on hold.") % {"lot": lot.code, "sku": lot.item.sku},
            field="lot",
        )
    held_at, reason = lot.held_at, lot.hold_reason
    Lot.objects.filter(pk=lot.pk).update(held_at=None, hold_reason="")
    balances = balances_lock(StockBalance.objects.filter(lot=lot).values_list("pk", flat=True))
    StockBalance.objects.filter(pk__in=list(balances)).update(held=False)
    _lot_events(lot, "lot.hold_lifted", {"reason": reason, "held_at": held_at}, actor)
    lot.refresh_from_db()
    return lot
