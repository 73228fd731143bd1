"""A lot put on hold, as the dispatch side sees it: the orders holding it are taken first, and
its goods already picked for an order are taken back out of it."""

from collections import defaultdict
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from core.db import row_update, service
from core.exceptions import Conflict, DomainError
from inventory import services as stock
from inventory.models import Allocation, Location, Lot
from inventory.selectors import picked_stock
from inventory.services import stock_unpick
from shipping.choices import OrderStatus, UnitStatus, WaveStatus
from shipping.models import HandlingUnit, LineReservation, Order, OrderLine, Wave
from shipping.services.orders import (
    load_lock_first,
    order_allocate,
    order_event,
    order_picked_if_done,
    order_released_with_wave,
    order_transition_check,
)
from shipping.services.waves import wave_event


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


# Orders whose picked goods may still be taken back: picked, not yet on a truck.
PULLABLE = frozenset(
    {OrderStatus.RELEASED, OrderStatus.PICKED, OrderStatus.PACKED, OrderStatus.STAGED}
)


@service
def order_lot_pull(
    *, order: Order, lot: Lot, to_location: Location, actor: AbstractBaseUser | None
) -> Order:
    """Take the goods of a held lot picked for an order back out of it (`order.lot_pulled`):
    every handling unit of the order holding some is broken down, the lot's goods go to
    `to_location` (a quarantine place, say; `stock.unpicked`, one per spot and reservation),
    and the order picks as many again from other stock, at once if its wave is on the floor
    (a picked wave is on the floor again: `wave.reopened`), or what nobody has follows as a
    backorder. Its other units stay as they are; their goods are packed again with the new
    picks. The order is released again, and goes on as picked once nothing is left to pick.

    Refused, with nothing written: a lot not on hold (`lot`), an order not between release
    and loading (409), an order with a unit on a truck (409 `unit_loaded`, naming them: take
    them off first), nothing of the lot picked for it (`lot`), or a place that does not take
    the goods (`to_location`). Locks the order's load, wave and the order first, as every
    shipping service does."""
    load_lock_first(Order.objects.filter(pk=order.pk).values_list("load_id", flat=True).first())
    wave_id = Order.objects.filter(pk=order.pk).values_list("wave_id", flat=True).first()
    if wave_id is not None:
        Wave.objects.select_for_update(no_key=True).filter(pk=wave_id).first()
    order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
    lot = Lot.objects.select_related("item").get(pk=lot.pk)
    if lot.held_at is None:
        raise DomainError(
            _("Lot %(lot)s of %(sku)s is not on hold: only a held lot is taken from an order.")
            % {"lot": lot.code, "sku": lot.item.sku},
            field="lot",
        )
    on_truck = sorted(order.units.filter(status=UnitStatus.LOADED).values_list("sscc", flat=True))
    if on_truck:
        raise Conflict(
            _("Take unit(s) %(units)s of %(order)s off the truck first.")
            % {"units": ", ".join(on_truck), "order": order.external_ref},
            code="unit_loaded",
        )
    if order.status not in PULLABLE:
        raise Conflict(
            _("Order %(order)s is %(status)s: goods are taken back between picking and loading.")
            % {"order": order.external_ref, "status": order.get_status_display()}
        )
    lines = {line.reference: line for line in order.lines.filter(item_id=lot.item_id)}
    spots = [s for s in picked_stock(references=list(lines)) if s["lot_id"] == lot.pk]
    if not spots:
        raise DomainError(
            _("Nothing of lot %(lot)s is picked for %(order)s.")
            % {"lot": lot.code, "order": order.external_ref},
            field="lot",
        )
    opened = list(
        HandlingUnit.objects.filter(
            order=order,
            status__in=(UnitStatus.PACKED, UnitStatus.STAGED),
            lines__lot=lot,
        )
        .distinct()
        .order_by("sscc")
        .values_list("sscc", flat=True)
    )
    HandlingUnit.objects.filter(sscc__in=opened).update(status=UnitStatus.CANCELLED)
    pulled = _taken_back(lines, spots, lot, to_location, actor)
    if order.status != OrderStatus.RELEASED:
        order_transition_check(order, OrderStatus.RELEASED)
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.RELEASED)
    wave = Wave.objects.select_related("load").filter(pk=wave_id).first()
    if wave is not None and wave.status == WaveStatus.PICKED:  # it has picking to do again
        row_update(wave, status=WaveStatus.RELEASED, picked_at=None)
        wave_event(wave, "wave.reopened", {"order": order.external_ref}, actor)
    order.refresh_from_db()
    order_event(
        order,
        "order.lot_pulled",
        {
            "item": lot.item.sku,
            "lot": lot.code,
            "reason": lot.hold_reason,
            "to_location": to_location.barcode,
            "lines": [{"line": n, "quantity": q} for n, q in sorted(pulled.items())],
            "opened": opened,
        },
        actor,
    )
    order = order_allocate(order=order, actor=actor)
    order_released_with_wave(order=order, actor=actor)
    return order_picked_if_done(order, actor)


def _taken_back(
    lines: dict[str, OrderLine],
    spots: list[dict],
    lot: Lot,
    to_location: Location,
    actor: AbstractBaseUser | None,
) -> dict[int, int]:
    """order_lot_pull's moves: the lot's goods picked for these lines (by reference) lying at
    `spots` (of `picked_stock`) go to `to_location`, each from the reservations that picked
    them, latest first, and each line holds that many fewer. Returns the units per line
    number."""
    locations = {
        location.pk: location
        for location in Location.objects.filter(pk__in={s["location_id"] for s in spots})
    }
    links: dict[int, list[LineReservation]] = defaultdict(list)  # per line, latest first
    for held in (
        LineReservation.objects.filter(line__in=list(lines.values()))
        .select_related("reservation")
        .order_by("-pk")
    ):
        links[held.line_id].append(held)
    picked = dict(  # per reservation: units picked of the lot, less those taken back below
        Allocation.objects.filter(
            reservation_id__in=[held.reservation_id for row in links.values() for held in row],
            balance__lot=lot,
        )
        .values("reservation_id")
        .annotate(q=Sum("picked"))
        .values_list("reservation_id", "q")
    )
    pulled: dict[int, int] = defaultdict(int)
    for spot in spots:
        line = lines[spot["reference"]]
        still = spot["quantity"]
        for held in links[line.pk]:
            back = min(still, picked.get(held.reservation_id) or 0)
            if back == 0:
                continue
            picked[held.reservation_id] -= back
            stock_unpick(
                reservation=held.reservation,
                lot=lot,
                location=locations[spot["location_id"]],
                to_location=to_location,
                quantity=back,
                actor=actor,
            )
            LineReservation.objects.filter(pk=held.pk).update(quantity=F("quantity") - back)
            pulled[line.line_no] += back
            still -= back
            if still == 0:
                break
    return pulled
