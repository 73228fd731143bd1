"""Posting to the ledger: the one place where balances change together with their movement."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from core.events import event_record
from core.exceptions import DomainError
from inventory.choices import PICKABLE_ZONE_KINDS, MovementKind, ZoneKind
from inventory.exceptions import InsufficientStock, LocationRefused
from inventory.locks import balance_ensure, balances_lock
from inventory.models import Item, Location, Lot, ReorderPolicy, StockBalance, StockMovement

# Zones where goods stay (and so where temperature, hazmat and capacity rules apply).
_STORING_ZONE_KINDS = PICKABLE_ZONE_KINDS


@dataclass(frozen=True)
class Posting:
    """What a movement does: item, lot, quantity, from where (None: enters), to where (None: leaves)."""

    kind: str
    item: Item
    lot: Lot | None
    quantity: int
    from_location: Location | None = None
    to_location: Location | None = None
    # A pick or ship consumes stock that was reserved at the source balance.
    consumes_reserved: bool = False


# The most units one request may name: far above any real line, and its sums stay within
# the database's integers.
QUANTITY_MAX = 100_000_000


def quantity_check(quantity: Any, *, field: str = "quantity") -> int:
    """A positive whole number of units, at most QUANTITY_MAX, or a DomainError naming the
    field."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise DomainError(_("Must be a whole number of units."), field=field)
    if quantity <= 0:
        raise DomainError(_("Must be greater than zero."), field=field)
    if quantity > QUANTITY_MAX:
        raise DomainError(_("At most %(most)s units.") % {"most": f"{QUANTITY_MAX:,}"}, field=field)
    return quantity


def lot_check(
    item: Item,
    lot: Lot | None,
    *,
    field: str = "lot",
    today: datetime.date | None = None,
) -> None:
    """Lot-tracked items need a lot of their own. Given `today` (the warehouse's date), a lot
    that expired before it is refused; without it, expired lots still move (to quarantine,
    back from a pick, out by an adjustment)."""
    if lot is None:
        if item.lot_tracked:
            raise DomainError(
                _("Item %(sku)s is lot-tracked: give its lot.") % {"sku": item.sku}, field=field
            )
        return
    if lot.item_id != item.pk:
        raise DomainError(
            _("Lot %(lot)s belongs to another item.") % {"lot": lot.code}, field=field
        )
    if today is not None and lot.expires_on and lot.expires_on < today:
        raise DomainError(
            _("Lot %(lot)s expired on %(date)s.")
            % {"lot": lot.code, "date": lot.expires_on.isoformat()},
            field=field,
        )


def location_accepts(
    location: Location, item: Item, quantity: int, *, field: str = "to_location"
) -> None:
    """Raise LocationRefused if the location cannot take `quantity` of the item, saying why.

    Blocked locations take nothing. Storage and pick-face zones also enforce temperature class,
    hazmat and volume/weight capacity; receiving, staging and dock zones are transit areas.
    """
    if location.is_blocked:
        reason = f" ({location.blocked_reason})" if location.blocked_reason else ""
        raise LocationRefused(
            _("Location %(location)s is blocked%(reason)s.")
            % {"location": location.barcode, "reason": reason},
            field=field,
        )
    zone = location.zone
    if zone.kind not in _STORING_ZONE_KINDS:
        return
    if zone.temperature_class != item.temperature_class:
        raise LocationRefused(
            _("%(sku)s is %(needs)s; location %(location)s is in a %(zone)s zone.")
            % {
                "sku": item.sku,
                "needs": str(item.get_temperature_class_display()).lower(),
                "location": location.barcode,
                "zone": str(zone.get_temperature_class_display()).lower(),
            },
            field=field,
        )
    if item.hazmat and not zone.hazmat_allowed:
        raise LocationRefused(
            _("%(sku)s is hazardous; zone %(zone)s does not allow hazmat.")
            % {"sku": item.sku, "zone": zone.code},
            field=field,
        )
    used = StockBalance.objects.filter(location=location, on_hand__gt=0).aggregate(
        volume=Sum(F("on_hand") * F("item__volume_l")),
        weight=Sum(F("on_hand") * F("item__weight_kg")),
    )
    volume = (used["volume"] or 0) + item.volume_l * quantity
    weight = (used["weight"] or 0) + item.weight_kg * quantity
    if volume > location.capacity_volume_l:
        raise LocationRefused(
            _("Location %(location)s holds %(most)s l; this would make %(total)s l.")
            % {"location": location.barcode, "most": location.capacity_volume_l, "total": volume},
            field=field,
        )
    if weight > location.capacity_weight_kg:
        raise LocationRefused(
            _("Location %(location)s carries %(most)s kg; this would make %(total)s kg.")
            % {"location": location.barcode, "most": location.capacity_weight_kg, "total": weight},
            field=field,
        )


def movement_post(
    posting: Posting,
    *,
    event_type: str,
    event_payload: dict[str, Any] | None = None,
    reason: str = "",
    reference: str = "",
    actor: AbstractBaseUser | None = None,
) -> StockMovement:
    """Apply one movement: lock both balances in pk order, update them, write event and ledger row.

    Must run inside a service's transaction. Raises InsufficientStock if the source has too
    little available (or reserved, for a consuming movement); the database constraints
    (on hand >= 0, reserved <= on hand) are the last word.
    """
    item, lot, qty = posting.item, posting.lot, posting.quantity
    source, target = posting.from_location, posting.to_location
    warehouse_id = (source or target).warehouse_id  # type: ignore[union-attr]
    key = {"warehouse_id": warehouse_id, "item_id": item.pk, "lot_id": lot.pk if lot else None}

    # Read before taking locks: the shorter the locks are held, the more writers get through.
    watches_reorder = source is not None and posting.kind != MovementKind.MOVE
    policy = reorder_policy_get(item=item, warehouse_id=warehouse_id) if watches_reorder else None
    source_pk = (
        StockBalance.objects.filter(location=source, **key).values_list("pk", flat=True).first()
        if source
        else None
    )
    if source is not None and source_pk is None:
        raise InsufficientStock(
            _("No %(sku)s%(lot)s at %(location)s.")
            % {"sku": item.sku, "lot": _lot_text(lot), "location": source.barcode},
            field="from_location",
        )
    target_pk = balance_ensure(location_id=target.pk, **key) if target else None
    locked = balances_lock(pk for pk in (source_pk, target_pk) if pk)

    if source_pk:
        balance = locked[source_pk]
        have = balance.reserved if posting.consumes_reserved else balance.on_hand - balance.reserved
        if have < qty:
            words = {
                "have": have,
                "sku": item.sku,
                "lot": _lot_text(lot),
                "location": source.barcode,  # type: ignore[union-attr]
                "asked": qty,
            }
            raise InsufficientStock(
                (
                    _("Only %(have)s %(sku)s%(lot)s reserved at %(location)s; %(asked)s asked.")
                    if posting.consumes_reserved
                    else _(
                        "Only %(have)s %(sku)s%(lot)s available at %(location)s; %(asked)s asked."
                    )
                )
                % words,
                field="quantity",
                extra={"available": have},
            )
        changes: dict[str, Any] = {"on_hand": F("on_hand") - qty}
        if posting.consumes_reserved:
            changes["reserved"] = F("reserved") - qty
        StockBalance.objects.filter(pk=source_pk).update(**changes)
    if target_pk:
        StockBalance.objects.filter(pk=target_pk).update(on_hand=F("on_hand") + qty)

    payload = {
        "item": item.sku,
        "lot": lot.code if lot else None,
        "quantity": qty,
        "from_location": source.barcode if source else None,
        "to_location": target.barcode if target else None,
        "reason": reason,
        "reference": reference,
        **(event_payload or {}),
    }
    if policy is not None:
        reorder_check(
            item=item, warehouse_id=warehouse_id, decrease=qty, policy=policy, actor=actor
        )
    event = event_record(
        type=event_type,
        aggregate_type="item",
        aggregate_id=item.sku,
        warehouse=warehouse_id,
        payload=payload,
        actor=actor,
    )
    return StockMovement.objects.create(
        warehouse_id=warehouse_id,
        kind=posting.kind,
        item=item,
        lot=lot,
        from_location=source,
        to_location=target,
        quantity=qty,
        reason=reason,
        reference=reference,
        actor=actor if actor is not None and actor.is_authenticated else None,
        event=event,
    )


def reorder_policy_get(*, item: Item, warehouse_id: int) -> dict[str, int] | None:
    """The item's reorder point and safety stock in the warehouse, if it has a policy there."""
    return (
        ReorderPolicy.objects.filter(item=item, warehouse_id=warehouse_id, reorder_point__gt=0)
        .values("reorder_point", "safety_stock")
        .first()
    )


def reorder_check(
    *,
    item: Item,
    warehouse_id: int,
    decrease: int,
    policy: dict[str, int],
    actor: AbstractBaseUser | None,
) -> None:
    """Record `stock.below_reorder_point` when available stock just fell below the reorder point.

    Available = on hand - reserved over the warehouse's pickable zones, read after the change.
    The event fires once per crossing, not on every later decrease.
    """
    totals = StockBalance.objects.filter(
        warehouse_id=warehouse_id, item=item, location__zone__kind__in=PICKABLE_ZONE_KINDS
    ).aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    after = (totals["on_hand"] or 0) - (totals["reserved"] or 0)
    before = after + decrease
    if before >= policy["reorder_point"] > after:
        event_record(
            type="stock.below_reorder_point",
            aggregate_type="item",
            aggregate_id=item.sku,
            warehouse=warehouse_id,
            payload={
                "item": item.sku,
                "available": after,
                "reorder_point": policy["reorder_point"],
                "safety_stock": policy["safety_stock"],
                "below_safety_stock": after < policy["safety_stock"],
            },
            actor=actor,
        )


def staging_location_default(warehouse_id: int) -> Location:
    """The first open location of the warehouse's staging zone (where picks are dropped)."""
    location = (
        Location.objects.filter(
            warehouse_id=warehouse_id, zone__kind=ZoneKind.STAGING, is_blocked=False
        )
        .select_related("zone")
        .order_by("pick_sequence", "pk")
        .first()
    )
    if location is None:
        raise DomainError(_("This warehouse has no open staging location."), field="to_location")
    return location


def _lot_text(lot: Lot | None) -> str:
    return _(" lot %(lot)s") % {"lot": lot.code} if lot else ""
