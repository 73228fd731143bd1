"""Goods in: expected receipts (ASNs), scan-confirmed receiving, putaway tasks."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.gs1 import sscc_problem, sscc_scanned
from core.models import Warehouse
from inventory.choices import MovementKind, ReceiptStatus, TaskKind, ZoneKind
from inventory.models import (
    Item,
    Location,
    Receipt,
    ReceiptLine,
    ReceiptUnit,
    ReceiptUnitLine,
    StockMovement,
    Task,
)
from inventory.selectors import location_suggest, supplier_named
from inventory.services.ledger import Posting, location_accepts, movement_post, quantity_check
from inventory.services.master import lot_get_or_create


@dataclass(frozen=True)
class UnitContent:
    """What an expected pallet holds of one item: how many, of which lot, expiring when."""

    item: Item
    quantity: int
    lot_code: str = ""
    expires_on: datetime.date | None = None


@dataclass(frozen=True)
class UnitExpected:
    """A pallet a ship notice says is coming, by its SSCC, and what it holds."""

    sscc: str
    contents: list[UnitContent] = field(default_factory=list)


def _units_check(
    warehouse: Warehouse, units: Sequence[UnitExpected], lines: Sequence[tuple[Item, int]]
) -> None:
    """Each pallet has a valid SSCC not expected twice here (on this receipt or another
    one still open), holds something, and holds only items of the receipt's lines, no more
    of any than its line expects."""
    expected = {item.pk: quantity for item, quantity in lines}
    held: dict[int, int] = {}
    seen: set[str] = set()
    for u, unit in enumerate(units):
        where = f"units[{u}]"
        problem = sscc_problem(unit.sscc)
        if problem:
            raise DomainError(
                _("Malformed SSCC %(sscc)s: %(problem)s") % {"sscc": unit.sscc, "problem": problem},
                field=f"{where}.sscc",
            )
        if unit.sscc in seen:
            raise DomainError(
                _("Pallet %(sscc)s appears twice.") % {"sscc": unit.sscc}, field=f"{where}.sscc"
            )
        seen.add(unit.sscc)
        if not unit.contents:
            raise DomainError(
                _("Pallet %(sscc)s holds nothing.") % {"sscc": unit.sscc},
                field=f"{where}.contents",
            )
        for c, content in enumerate(unit.contents):
            quantity_check(content.quantity, field=f"{where}.contents[{c}].quantity")
            if content.item.pk not in expected:
                raise DomainError(
                    _("Pallet %(sscc)s holds %(sku)s, which no line of the receipt expects.")
                    % {"sscc": unit.sscc, "sku": content.item.sku},
                    field=f"{where}.contents[{c}].item",
                )
            held[content.item.pk] = held.get(content.item.pk, 0) + content.quantity
            if held[content.item.pk] > expected[content.item.pk]:
                raise DomainError(
                    _("The pallets hold %(held)s of %(sku)s; its line expects %(expected)s.")
                    % {
                        "held": held[content.item.pk],
                        "sku": content.item.sku,
                        "expected": expected[content.item.pk],
                    },
                    field=f"{where}.contents[{c}].quantity",
                )
    taken = (
        ReceiptUnit.objects.filter(receipt__warehouse=warehouse, sscc__in=seen)
        .exclude(receipt__status=ReceiptStatus.CLOSED)
        .select_related("receipt")
        .first()
    )
    if taken is not None:
        raise Conflict(
            _("Pallet %(sscc)s is already expected on receipt %(receipt)s.")
            % {"sscc": taken.sscc, "receipt": taken.receipt.reference},
            field=f"units[{[u.sscc for u in units].index(taken.sscc)}].sscc",
        )


@service
def receipt_create(
    *,
    warehouse: Warehouse,
    reference: str,
    supplier: str,
    expected_on: datetime.date,
    lines: Sequence[tuple[Item, int]],
    actor: AbstractBaseUser | None,
    units: Sequence[UnitExpected] = (),
    edi_id: str = "",
) -> Receipt:
    """Record an expected receipt with its lines (`receipt.expected`), and the pallets its
    ship notice says are coming, each by its SSCC with what it holds, so that scanning a
    pallet's label receives it whole (`receipt_unit_receive`). The receipt is of the
    supplier of the master data it names (`supplier_named`: by the EDI ID its 856 came from,
    its code or its name), when it names one."""
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
    _units_check(warehouse, units, lines)
    receipt = Receipt.objects.create(
        warehouse=warehouse,
        reference=reference,
        supplier=supplier,
        from_supplier=supplier_named(name=supplier, edi_id=edi_id),
        expected_on=expected_on,
    )
    ReceiptLine.objects.bulk_create(
        ReceiptLine(receipt=receipt, item=item, expected_quantity=qty) for item, qty in lines
    )
    for unit in units:
        kept = ReceiptUnit.objects.create(receipt=receipt, sscc=unit.sscc)
        ReceiptUnitLine.objects.bulk_create(
            ReceiptUnitLine(
                unit=kept,
                item=c.item,
                quantity=c.quantity,
                lot_code=c.lot_code,
                expires_on=c.expires_on,
            )
            for c in unit.contents
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
            "units": [unit.sscc for unit in units],
        },
        actor=actor,
    )
    return receipt


@service
def receipt_unit_receive(
    *, receipt: Receipt, sscc: str, location: Location, actor: AbstractBaseUser | None
) -> ReceiptUnit:
    """Receive a whole pallet of the receipt by the scan of its label (the SSCC as printed,
    or as a GS1-128 scanner sends it): each item it holds, with its lot and expiry, as
    `stock_receive` receives it at the location (putaway tasks included), once
    (`receipt.unit_received`). A pallet not on the receipt, or one already received, is
    refused saying so."""
    sscc = sscc_scanned(sscc)
    unit = (
        ReceiptUnit.objects.select_for_update(of=("self",))
        .filter(receipt=receipt, sscc=sscc)
        .select_related("location")
        .first()
    )
    if unit is None:
        raise DomainError(
            _("Pallet %(sscc)s is not on receipt %(receipt)s.")
            % {"sscc": sscc, "receipt": receipt.reference},
            field="sscc",
        )
    if unit.received_at is not None:
        raise Conflict(
            _("Pallet %(sscc)s was received at %(location)s on %(at)s.")
            % {
                "sscc": sscc,
                "location": unit.location.barcode if unit.location else "—",
                "at": timezone.localtime(unit.received_at, receipt.warehouse.zone()).strftime(
                    "%m-%d %H:%M"
                ),
            },
            field="sscc",
            code="received",
        )
    contents = list(unit.lines.select_related("item"))
    for content in contents:
        stock_receive(
            item=content.item,
            quantity=content.quantity,
            location=location,
            receipt=receipt,
            lot_code=content.lot_code or None,
            expires_on=content.expires_on,
            actor=actor,
        )
    now = timezone.now()
    ReceiptUnit.objects.filter(pk=unit.pk).update(received_at=now, location=location)
    event_record(
        type="receipt.unit_received",
        aggregate_type="receipt",
        aggregate_id=receipt.pk,
        warehouse=receipt.warehouse_id,
        payload={
            "reference": receipt.reference,
            "sscc": sscc,
            "location": location.barcode,
            "contents": [
                {"item": c.item.sku, "quantity": c.quantity, "lot": c.lot_code or None}
                for c in contents
            ],
        },
        actor=actor,
    )
    unit.refresh_from_db()
    return unit


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
