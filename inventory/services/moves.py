"""Moving stock inside a warehouse, and correcting it."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from core.db import service
from core.exceptions import DomainError
from inventory.choices import MovementKind
from inventory.models import Item, Location, Lot, StockMovement
from inventory.services.ledger import (
    Posting,
    location_accepts,
    lot_check,
    movement_post,
    quantity_check,
)


def _same_warehouse(*locations: Location) -> None:
    if len({loc.warehouse_id for loc in locations}) > 1:
        raise DomainError(_("Both locations must be in the same warehouse."), field="to_location")


@service
def stock_move(
    *,
    item: Item,
    lot: Lot | None,
    from_location: Location,
    to_location: Location,
    quantity: int,
    actor: AbstractBaseUser | None,
    reference: str = "",
    kind: str = MovementKind.MOVE,
) -> StockMovement:
    """Move available (unreserved) stock between two locations of one warehouse; `stock.moved`."""
    quantity_check(quantity)
    lot_check(item, lot)
    _same_warehouse(from_location, to_location)
    if from_location.pk == to_location.pk:
        raise DomainError(_("From and to are the same location."), field="to_location")
    if from_location.is_blocked:
        raise DomainError(
            _("Location %(location)s is blocked.") % {"location": from_location.barcode},
            field="from_location",
        )
    location_accepts(to_location, item, quantity)
    return movement_post(
        Posting(kind, item, lot, quantity, from_location, to_location),
        event_type="stock.put_away" if kind == MovementKind.PUTAWAY else "stock.moved",
        reference=reference,
        actor=actor,
    )


def stock_put_away(
    *,
    item: Item,
    lot: Lot | None,
    from_location: Location,
    to_location: Location,
    quantity: int,
    actor: AbstractBaseUser | None,
    reference: str = "",
) -> StockMovement:
    """Put received stock away to a storage location (rules as for a move); `stock.put_away`."""
    return stock_move(
        item=item,
        lot=lot,
        from_location=from_location,
        to_location=to_location,
        quantity=quantity,
        actor=actor,
        reference=reference,
        kind=MovementKind.PUTAWAY,
    )


@service
def stock_adjust(
    *,
    item: Item,
    lot: Lot | None,
    location: Location,
    quantity_delta: int,
    reason: str,
    actor: AbstractBaseUser | None,
    kind: str = MovementKind.ADJUSTMENT,
    event_type: str = "stock.adjusted",
    reference: str = "",
) -> StockMovement:
    """Correct the stock at a location by a signed amount, with a reason; `stock.adjusted`.

    A decrease may only take unreserved stock (reserved stock belongs to someone's order).
    """
    if isinstance(quantity_delta, bool) or not isinstance(quantity_delta, int):
        raise DomainError(_("Must be a whole number of units."), field="quantity_delta")
    if quantity_delta == 0:
        raise DomainError(
            _("An adjustment changes the quantity: not zero."), field="quantity_delta"
        )
    if not (reason or "").strip():
        raise DomainError(_("An adjustment needs a reason."), field="reason")
    lot_check(item, lot)
    if quantity_delta > 0:
        if location.is_blocked:
            raise DomainError(
                _("Location %(location)s is blocked.") % {"location": location.barcode},
                field="location",
            )
        posting = Posting(kind, item, lot, quantity_delta, None, location)
    else:
        posting = Posting(kind, item, lot, -quantity_delta, location, None)
    return movement_post(
        posting,
        event_type=event_type,
        event_payload={"quantity_delta": quantity_delta},
        reason=reason.strip(),
        reference=reference,
        actor=actor,
    )
