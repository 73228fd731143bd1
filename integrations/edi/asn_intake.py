"""A supplier's 856s checked against what Handoff knows, before anything is written: each
one's warehouse (one the sender may receive for), its items by SKU or GTIN, and units as
the items keep them. Every problem is told at once, by the 856 and the segment and element
that said it (`ST 0001, segment 14 (LIN) LIN03`)."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.exceptions import DocumentRefused
from core.models import Warehouse
from integrations.edi.ship_notice_in import ItemSaid, ShipNoticeSaid
from inventory.models import Item
from inventory.selectors import items_by_sku, skus_by_gtin
from inventory.services import UnitContent, UnitExpected

MAX_PROBLEMS = 50
UNIT_SYNONYMS = {frozenset({"CA", "CS"})}  # X12's case is CA; Handoff's items say CS


@dataclass
class ReceiptSaid:
    """An 856 read and checked: the receipt it expects, as `receipt_create` takes it."""

    said: ShipNoticeSaid
    warehouse: Warehouse
    lines: list[tuple[Item, int]] = field(default_factory=list)
    units: list[UnitExpected] = field(default_factory=list)
    line_said: list[ItemSaid] = field(default_factory=list)  # each line's first LIN

    @property
    def arrives_at(self) -> datetime.datetime | None:
        """When its truck comes (DTM 017's day and time, on the warehouse's clock); None
        when the 856 says the day only."""
        if self.said.arrives_at is None or self.said.expected_on is None:
            return None
        return datetime.datetime.combine(
            self.said.expected_on, self.said.arrives_at, self.warehouse.zone()
        )

    def place(self, path: str) -> str:
        """The segment and element that said a field of the receipt (`ShipNoticeSaid.place`;
        a line, the first LIN of its item)."""
        head, _dot, rest = path.partition("].")
        if head.startswith("lines[") and head[6:].isdigit() and int(head[6:]) < len(self.line_said):
            said = self.line_said[int(head[6:])]
            if rest == "quantity" and said.sn1 is not None:
                return f"{said.sn1.where} SN102"
            return f"{said.lin.where} LIN03"
        return self.said.place(path)


def _item(
    said: ItemSaid, where: str, items: dict[str, Item], skus: dict[str, str], problems: dict
) -> Item | None:
    sku = skus.get(said.product) if said.by_gtin else said.product
    item = items.get(sku or "")
    if item is None:
        problems[f"{where}, {said.lin.where} LIN03"] = [
            _("No item has GTIN %(code)s.") % {"code": said.product}
            if said.by_gtin
            else _("Unknown SKU %(code)s.") % {"code": said.product}
        ]
        return None
    unit = said.unit.upper()
    if (
        unit
        and unit != item.unit.upper()
        and frozenset({unit, item.unit.upper()}) not in UNIT_SYNONYMS
    ):
        problems[f"{where}, {said.sn1.where} SN103"] = [  # type: ignore[union-attr]
            _("%(sku)s is kept in %(kept)s, not %(unit)s.")
            % {"sku": item.sku, "kept": item.unit, "unit": said.unit}
        ]
    return item


def receipts_said(
    notices: Iterable[ShipNoticeSaid], *, warehouses: Iterable[Warehouse]
) -> list[ReceiptSaid]:
    """Each 856 as the receipt it expects, or DocumentRefused naming every problem: a
    warehouse the sender does not receive for, an item no SKU or GTIN names, a unit the item
    is not kept in. The receipt's lines are its items' quantities summed; its pallets, the
    packs with what each holds."""
    notices = list(notices)
    by_code = {w.code: w for w in warehouses}
    said_items = [i for n in notices for i in n.items]
    skus = skus_by_gtin(i.product for i in said_items if i.by_gtin)
    items = items_by_sku([skus.get(i.product, "") if i.by_gtin else i.product for i in said_items])
    problems: dict[str, list[str]] = {}
    out = []
    for notice in notices:
        warehouse = by_code.get(notice.warehouse)
        if warehouse is None:
            problems[f"{notice.where}, {notice.place('warehouse')}"] = [
                _("No warehouse %(code)s of yours.") % {"code": notice.warehouse}
            ]
        totals: dict[int, int] = {}
        kept: dict[int, Item] = {}
        first: dict[int, ItemSaid] = {}
        units = []
        for pack in notice.packs:
            contents = []
            for said in pack.items:
                item = _item(said, notice.where, items, skus, problems)
                if item is None:
                    continue
                kept[item.pk] = item
                first.setdefault(item.pk, said)
                totals[item.pk] = totals.get(item.pk, 0) + said.quantity
                contents.append(UnitContent(item, said.quantity, said.lot, said.expires_on))
            units.append(UnitExpected(pack.sscc, contents))
        for said in notice.loose:
            item = _item(said, notice.where, items, skus, problems)
            if item is not None:
                kept[item.pk] = item
                first.setdefault(item.pk, said)
                totals[item.pk] = totals.get(item.pk, 0) + said.quantity
        if warehouse is not None:
            out.append(
                ReceiptSaid(
                    said=notice,
                    warehouse=warehouse,
                    lines=[(kept[pk], quantity) for pk, quantity in totals.items()],
                    units=units,
                    line_said=[first[pk] for pk in totals],
                )
            )
    if problems:
        raise DocumentRefused(dict(list(problems.items())[:MAX_PROBLEMS]))
    return out
