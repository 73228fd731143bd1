"""Master-data state changes that the floor makes: lots appear on receipt, locations get blocked."""

import datetime
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.services import record_save
from inventory.models import Item, Location, Lot


def lot_get_or_create(
    *, item: Item, code: str, expires_on: datetime.date | None, received_on: datetime.date
) -> Lot:
    """The item's lot with this code, created if new. An existing lot keeps its expiry date;
    a different date for it is refused, since one lot has one expiry. A new lot of an item
    with a shelf life and no date given expires that many days after `received_on`."""
    code = (code or "").strip()
    if not code:
        raise DomainError(_("A lot code is required."), field="lot")
    lot, created = Lot.objects.get_or_create(
        item=item, code=code, defaults={"expires_on": expires_on}
    )
    if not created and expires_on and lot.expires_on and lot.expires_on != expires_on:
        raise DomainError(
            _("Lot %(lot)s expires on %(date)s, not %(given)s.")
            % {"lot": code, "date": lot.expires_on.isoformat(), "given": expires_on.isoformat()},
            field="expires_on",
        )
    if created and item.shelf_life_days and expires_on is None:
        lot.expires_on = received_on + datetime.timedelta(days=item.shelf_life_days)
        Lot.objects.filter(pk=lot.pk).update(expires_on=lot.expires_on)
    return lot


@service
def location_block(*, location: Location, reason: str, actor: AbstractBaseUser | None) -> Location:
    """Block a location: nothing is put, moved or reserved there until it is unblocked."""
    location = Location.objects.select_for_update().get(pk=location.pk)
    if not reason.strip():
        raise DomainError(_("Say why the location is blocked."), field="reason")
    if location.is_blocked:
        raise Conflict(
            _("Location %(location)s is already blocked.") % {"location": location.barcode}
        )
    Location.objects.filter(pk=location.pk).update(is_blocked=True, blocked_reason=reason.strip())
    event_record(
        type="location.blocked",
        aggregate_type="location",
        aggregate_id=location.barcode,
        warehouse=location.warehouse_id,
        payload={"location": location.barcode, "reason": reason.strip()},
        actor=actor,
    )
    location.refresh_from_db()
    return location


@service
def location_unblock(*, location: Location, actor: AbstractBaseUser | None) -> Location:
    """Unblock a blocked location."""
    location = Location.objects.select_for_update().get(pk=location.pk)
    if not location.is_blocked:
        raise Conflict(_("Location %(location)s is not blocked.") % {"location": location.barcode})
    Location.objects.filter(pk=location.pk).update(is_blocked=False, blocked_reason="")
    event_record(
        type="location.unblocked",
        aggregate_type="location",
        aggregate_id=location.barcode,
        warehouse=location.warehouse_id,
        payload={"location": location.barcode},
        actor=actor,
    )
    location.refresh_from_db()
    return location


@service
def items_import(*, items: Sequence[Item], actor: AbstractBaseUser | None) -> list[Item]:
    """Save every item of an import into the catalogue, new or changed, each as the item
    API saves one (`record_save`: `item.created` or `item.updated`), all in one transaction
    or none: a refusal names the item by its place in `items` (`items[3].gtin`)."""
    saved = []
    for n, item in enumerate(items):
        try:
            saved.append(record_save(instance=item, actor=actor, warehouse_id=None))
        except DomainError as refused:
            raise type(refused)(
                refused.message,
                field=f"items[{n}].{refused.field or 'sku'}",
                code=refused.code,
                extra=refused.extra,
            ) from refused
    return saved
