"""Master-data state changes that the floor makes: lots appear on receipt, locations get blocked."""

import datetime
from collections.abc import Callable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from core.db import rows_update, service
from core.events import EventDraft, event_record, events_record
from core.exceptions import Conflict, DomainError
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


IMPORT_BATCH = 500  # new items per statement


@service
def items_import(*, items: Sequence[Item], actor: AbstractBaseUser | None) -> list[Item]:
    """Save every item of an import into the catalogue, new or changed, all in one
    transaction or none, each with its event as the item API writes one (`item.created` or
    `item.updated`, with the item as saved). Checked as the item API checks one: the item's
    own rules (`Item.clean`: an SKU with stock history stays, and lot tracking while any is
    on hand), its SKU and GTIN no other item's (nor another of the import's), its weight and
    volume not below zero (the database's constraints); in a few queries and statements for
    the whole import, not a few for each item. A refusal names the item by its place in
    `items` (`items[3].gtin`) where it can."""
    created = [item.pk is None for item in items]
    before = dict(
        (pk, (sku, lot_tracked))
        for pk, sku, lot_tracked in Item.objects.filter(
            pk__in=[item.pk for item in items if item.pk is not None]
        ).values_list("pk", "sku", "lot_tracked")
    )
    for n, item in enumerate(items):
        if item.pk is not None and (item.sku, item.lot_tracked) != before.get(item.pk):
            _item_checked(n, item.clean)  # an SKU or lot tracking that must stay
    for field in ("sku", "gtin"):
        _item_unique_checked(items, field)
    try:
        with transaction.atomic():
            Item.objects.bulk_create(
                [item for item, new in zip(items, created, strict=True) if new],
                batch_size=IMPORT_BATCH,
            )
            rows_update(
                [item for item, new in zip(items, created, strict=True) if not new],
                [f.name for f in Item._meta.concrete_fields if not f.primary_key],
            )
    except IntegrityError as error:  # a constraint, or an item another import saved meanwhile
        raise Conflict(
            _("The catalogue refused the import, and kept nothing of it: %(reason)s")
            % {"reason": error},
            field="items",
        ) from error
    events_record(
        [
            EventDraft(
                type="item.created" if new else "item.updated",
                aggregate_type="item",
                aggregate_id=item.pk,
                warehouse=None,
                payload=model_to_dict(item),
            )
            for item, new in zip(items, created, strict=True)
        ],
        actor=actor,
    )
    return list(items)


def _item_checked(n: int, check: Callable[[], None]) -> None:
    """Run a model check of `items[n]`; its refusal names the field as `items[n].<field>`."""
    try:
        check()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(
            " ".join(messages),
            field=f"items[{n}].{'sku' if field == NON_FIELD_ERRORS else field}",
        ) from None


def _item_unique_checked(items: Sequence[Item], field: str) -> None:
    """Refuse the first item whose `field` (sku, gtin) another of the import has, or another
    item of the catalogue: one query."""
    first: dict[str, int] = {}
    for n, item in enumerate(items):
        value = getattr(item, field)
        if value in (None, ""):
            continue
        if value in first:
            raise DomainError(_unique_message(item, field), field=f"items[{n}].{field}")
        first[value] = n
    taken = Item.objects.filter(**{f"{field}__in": list(first)}).values_list(field, "pk")
    for value, pk in sorted(taken, key=lambda pair: first[pair[0]]):
        n = first[value]
        if items[n].pk != pk:
            raise DomainError(_unique_message(items[n], field), field=f"items[{n}].{field}")


def _unique_message(item: Item, field: str) -> str:
    """Django's own words for a unique field taken ("Item with this GTIN already exists.")."""
    return " ".join(item.unique_error_message(Item, (field,)).messages)
