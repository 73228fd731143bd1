"""Goods in: expected receipts (ASNs), scan-confirmed receiving, putaway tasks."""

import datetime
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Warehouse
from inventory.choices import MovementKind, ReceiptStatus, TaskKind, ZoneKind
from inventory.models import Item, Location, Receipt, ReceiptLine, StockMovement, Task
from inventory.selectors import location_suggest
from inventory.services.ledger import Posting, location_accepts, movement_post, quantity_check
from inventory.services.master import lot_get_or_create


@service
def receipt_create(
    *,
    warehouse: Warehouse,
    reference: str,
    supplier: str,
    expected_on: datetime.date,
    lines: Sequence[tuple[Item, int]],
    actor: AbstractBaseUser | None,
) -> Receipt:
    """Record an expected receipt with its lines; `receipt.expected`."""
    if not lines:
        raise DomainError(_("A receipt has at least one line."), field="lines")
    if Receipt.objects.filter(warehouse=warehouse, reference=reference).exists():
        raise Conflict(
            _("Receipt %(reference)s already exists here.") % {"reference": reference},
            field="reference",
        )
    seen: set[int] = set()
    for index, (item, quantity) in enumerate(lines):
        quantity_check(quantity, field=f"lines[{index}].quantity")
        if item.pk in seen:
            raise DomainError(
                _("%(sku)s appears twice.") % {"sku": item.sku}, field=f"lines[{index}].item"
            )
        seen.add(item.pk)
    receipt = Receipt.objects.create(
        warehouse=warehouse, reference=reference, supplier=supplier, expected_on=expected_on
    )
    ReceiptLine.objects.bulk_create(
        ReceiptLine(receipt=receipt, item=item, expected_quantity=qty) for item, qty in lines
    )
    event_record(
        type="receipt.expected",
        aggregate_type="receipt",
        aggregate_id=receipt.pk,
        warehouse=warehouse,
        payload={
            "reference": reference,
            "supplier": supplier,
            "expected_on": expected_on,
            "lines": [{"item": item.sku, "quantity": qty} for item, qty in lines],
        },
        actor=actor,
    )
    return receipt


@service
def stock_receive(
    *,
    item: Item,
    quantity: int,
    location: Location,
    actor: AbstractBaseUser | None,
    lot_code: str | None = None,
    expires_on: datetime.date | None = None,
    receipt: Receipt | None = None,
) -> tuple[StockMovement, Task | None]:
    """Receive goods at a location (against an expected receipt or blind); `stock.received`.

    Over- and under-receipts are recorded on the receipt line. When the goods land in a
    receiving or dock zone a putaway task is created to the suggested storage location
    (none if no location fits: the task list then shows the goods waiting).
    """
    quantity_check(quantity)
    location_accepts(location, item, quantity, field="location")
    today = location.warehouse.today()
    if expires_on and expires_on < today:
        raise DomainError(
            _("These goods expired on %(date)s; do not receive them.")
            % {"date": expires_on.isoformat()},
            field="expires_on",
        )
    if item.lot_tracked and not lot_code:
        raise DomainError(
            _("Item %(sku)s is lot-tracked: scan its lot.") % {"sku": item.sku}, field="lot"
        )
    if not item.is_active:
        raise DomainError(_("Item %(sku)s is inactive.") % {"sku": item.sku}, field="item")
    reference = ""
    if receipt is not None:
        receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.status == ReceiptStatus.CLOSED:
            raise Conflict(
                _("Receipt %(receipt)s is closed.") % {"receipt": receipt.reference},
                field="receipt",
            )
        if receipt.warehouse_id != location.warehouse_id:
            raise DomainError(_("The location is in another warehouse."), field="location")
        reference = receipt.reference
        line = ReceiptLine.objects.filter(receipt=receipt, item=item).first()
        if line is None:
            # Goods not on the ASN are still received (they are on the dock) as an extra line.
            line = ReceiptLine.objects.create(receipt=receipt, item=item, expected_quantity=0)
        ReceiptLine.objects.filter(pk=line.pk).update(
            received_quantity=F("received_quantity") + quantity
        )
        if receipt.status == ReceiptStatus.EXPECTED:
            Receipt.objects.filter(pk=receipt.pk).update(status=ReceiptStatus.RECEIVING)
    lot = (
        lot_get_or_create(item=item, code=lot_code, expires_on=expires_on, received_on=today)
        if lot_code
        else None
    )
    movement = movement_post(
        Posting(MovementKind.RECEIPT, item, lot, quantity, None, location),
        event_type="stock.received",
        event_payload={"receipt": receipt.reference if receipt else None},
        reference=reference,
        actor=actor,
    )
    task = None
    if location.zone.kind in (ZoneKind.RECEIVING, ZoneKind.DOCK):
        target = location_suggest(item=item, quantity=quantity, warehouse_id=location.warehouse_id)
        if target is not None:
            task = Task.objects.create(
                warehouse_id=location.warehouse_id,
                kind=TaskKind.PUTAWAY,
                item=item,
                lot=lot,
                location=location,
                to_location=target,
                quantity=quantity,
                reference=reference or f"receipt-move-{movement.pk}",
            )
    return movement, task


@service
def receipt_close(*, receipt: Receipt, actor: AbstractBaseUser | None) -> Receipt:
    """Close a receipt; `receipt.closed` lists each line's over- or under-receipt."""
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.status == ReceiptStatus.CLOSED:
        raise Conflict(
            _("Receipt %(reference)s is already closed.") % {"reference": receipt.reference}
        )
    now = timezone.now()
    Receipt.objects.filter(pk=receipt.pk).update(status=ReceiptStatus.CLOSED, closed_at=now)
    lines = list(receipt.lines.select_related("item"))
    event_record(
        type="receipt.closed",
        aggregate_type="receipt",
        aggregate_id=receipt.pk,
        warehouse=receipt.warehouse_id,
        payload={
            "reference": receipt.reference,
            "lines": [
                {
                    "item": line.item.sku,
                    "expected": line.expected_quantity,
                    "received": line.received_quantity,
                    "variance": line.variance,
                }
                for line in lines
            ],
        },
        actor=actor,
    )
    receipt.refresh_from_db()
    return receipt
