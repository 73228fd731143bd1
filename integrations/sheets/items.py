"""The item catalogue from a sheet an ERP exported, CSV or XLSX (read as `reading` says):
one row an item, found by its SKU.

A known SKU is updated with what its row says, an empty cell leaving its field as it is; a
new SKU is added (it needs a name). Headers name the columns in English or Chinese
(`COLUMNS`). A temperature class is ambient, chilled or frozen (常温, 冷藏, 冷冻); a yes/no
is yes, no, true, false, 1, 0, 是 or 否; a velocity class is A, B or C.

The whole sheet is checked before anything is written, every problem told by its cell, as
the API's item catalogue checks an item; then every item is saved in one transaction, or
none (`inventory.services.items_import`).
"""

import csv
import functools
import io
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.errors import fields_flattened
from core.exceptions import DomainError
from integrations.sheets.reading import (
    MAX_PROBLEMS,
    SheetRefused,
    cell_of,
    cell_text,
    columns_found,
    rows_with_something,
    sheet_table,
)
from inventory.api.serializers import ItemSerializer
from inventory.choices import TemperatureClass
from inventory.models import Item
from inventory.selectors import items_by_gtin, items_by_sku
from inventory.services import items_import

# field: the names a header may give it, in any case: its English and Chinese names first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "货号", "item", "商品编码", "物料编码", "sku code"),
    "name": ("name", "品名", "商品名称", "名称", "item name"),
    "gtin": ("gtin", "条码", "商品条码", "ean", "upc", "barcode"),
    "unit": ("unit", "单位", "uom"),
    "weight_kg": ("weight_kg", "重量(kg)", "重量", "weight", "weight (kg)", "重量（kg）"),
    "volume_l": ("volume_l", "体积(l)", "体积", "volume", "volume (l)", "体积（l）"),
    "temperature_class": ("temperature_class", "温层", "temperature", "储存温层"),
    "hazmat": ("hazmat", "危险品", "hazardous", "dangerous goods"),
    "lot_tracked": ("lot_tracked", "批次管理", "lot tracked", "lots"),
    "shelf_life_days": (
        "shelf_life_days",
        "保质期(天)",
        "保质期",
        "shelf life",
        "shelf life (days)",
    ),
    "velocity": ("velocity", "ABC分类", "abc", "velocity class"),
    "is_active": ("is_active", "启用", "active"),
}
YES = {"yes", "y", "true", "1", "是", "√", "✓", "x"}
NO = {"no", "n", "false", "0", "否", ""}
FLAGS = ("hazmat", "lot_tracked", "is_active")


@dataclass(frozen=True)
class SheetItem:
    row: int
    item: Item  # as it is to be saved: a known one changed, or a new one


class RowCheck(ItemSerializer):
    """A row's item checked as the item catalogue's API checks one, but for its SKU and GTIN
    being no other item's: those are checked for the whole sheet at once (`_gtins_checked`,
    and `items_import`'s guarantee), not with a query a row."""

    class Meta(ItemSerializer.Meta):
        extra_kwargs = {"sku": {"validators": []}, "gtin": {"validators": []}}


def _gtins_checked(said: list[SheetItem], column: str, problems: dict[str, list[str]]) -> None:
    """Note, by its cell, each GTIN another row of the sheet or another item already has.
    One query."""
    first: dict[str, SheetItem] = {}
    for entry in said:
        gtin = entry.item.gtin
        if not gtin:
            continue
        if gtin in first:
            problems[f"row {entry.row} {column}"] = [
                _("GTIN %(gtin)s is on row %(row)s too.") % {"gtin": gtin, "row": first[gtin].row}
            ]
            continue
        first[gtin] = entry
    for gtin, owner in items_by_gtin(first).items():
        if first[gtin].item.sku != owner:
            problems[f"row {first[gtin].row} {column}"] = [
                _("GTIN %(gtin)s is %(sku)s's.") % {"gtin": gtin, "sku": owner}
            ]


@functools.cache
def _temperatures() -> dict[str, str]:
    """Each temperature class by its code, its English name and its Chinese one."""
    names = {t.value: t.value for t in TemperatureClass}
    names.update({str(t.label).lower(): t.value for t in TemperatureClass})
    with translation.override("zh-hans"):
        names.update({str(t.label).lower(): t.value for t in TemperatureClass})
    return {**names, "常温": "ambient", "冷藏": "chilled", "冷冻": "frozen"}


def _flag(text: str) -> Any:
    low = text.lower()
    if low in YES:
        return True
    if low in NO:
        return False
    return text  # for the check to refuse


def _row_data(row: list[Any], where: dict[str, int]) -> dict[str, Any]:
    """What the row says of its item, field by field; an empty cell says nothing."""
    data: dict[str, Any] = {}
    for name in where:
        text = cell_text(cell_of(row, where, name))
        if not text:
            continue
        if name in FLAGS:
            data[name] = _flag(text)
        elif name == "temperature_class":
            data[name] = _temperatures().get(text.lower(), text)
        elif name == "velocity":
            data[name] = text.upper()
        else:
            data[name] = text
    return data


def items_from_sheet(
    *, content: bytes, name: str, actor: AbstractBaseUser | None
) -> tuple[list[Item], list[Item]]:
    """Every item of the sheet saved (`items_import`), or SheetRefused with each problem
    by its cell and nothing written: the sheet's form, an SKU twice, and each item's fields
    as the item catalogue checks them (a GTIN's check digit, a weight below zero, a new
    item without a name, an unknown temperature class). Answers the items added and those
    changed."""
    table = sheet_table(content, name)
    where, cells = columns_found(table, COLUMNS, ("sku",))
    body = rows_with_something(table, _("items"))
    rows = [(number, _row_data(row, where)) for number, row in body]
    known = items_by_sku([data.get("sku", "") for _n, data in rows])
    problems: dict[str, list[str]] = {}
    first_row: dict[str, int] = {}
    said: list[SheetItem] = []
    # One check of each kind for every row: building a serializer's fields costs more than
    # checking a row.
    checks = {False: RowCheck(), True: RowCheck(partial=True)}
    for number, data in rows:
        sku = data.get("sku", "")
        if sku in first_row:
            problems[f"row {number} {cells['sku']}"] = [
                _("SKU %(sku)s is on row %(row)s too; an item is one row.")
                % {"sku": sku, "row": first_row[sku]}
            ]
            continue
        first_row[sku] = number
        item = known.get(sku)
        try:
            values = checks[item is not None].run_validation(data)
        except serializers.ValidationError as refused:
            for path, messages in fields_flattened(refused.detail).items():
                problems.setdefault(f"row {number} {cells.get(path, path)}", messages)
            continue
        record = item if item is not None else Item()
        for field_name, value in values.items():
            setattr(record, field_name, value)
        said.append(SheetItem(number, record))
    _gtins_checked(said, cells.get("gtin", "gtin"), problems)
    if problems:
        raise SheetRefused(dict(list(problems.items())[:MAX_PROBLEMS]))
    new = [s.item.pk is None for s in said]
    try:
        items_import(items=[s.item for s in said], actor=actor)
    except DomainError as refused:  # what the database says: a GTIN another item has
        index, _dot, path = (refused.field or "").removeprefix("items[").partition("].")
        if not index.isdigit():
            raise
        row = said[int(index)].row
        raise SheetRefused({f"row {row} {cells.get(path, path)}": [refused.message]}) from refused
    added = [s.item for s, is_new in zip(said, new, strict=True) if is_new]
    changed = [s.item for s, is_new in zip(said, new, strict=True) if not is_new]
    return added, changed


def template_csv(*, chinese: bool) -> str:
    """The sheet to fill in, UTF-8 with a BOM (so Excel opens it right): the column names in
    Chinese or English, and two example items."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([names[1] if chinese else names[0] for names in COLUMNS.values()])
    ambient, chilled, no, yes = (
        ("常温", "冷藏", "否", "是") if chinese else ("ambient", "chilled", "no", "yes")
    )
    examples = [
        ["TEA-250", "绿茶 250g Green tea", "6901234000016", "EA", "0.3", "0.6", ambient],
        ["MILK-1L", "鲜牛奶 1L Fresh milk", "", "EA", "1.05", "1.1", chilled],
    ]
    flags = [[no, no, "540", "A", yes], [no, yes, "14", "A", yes]]
    for example, more in zip(examples, flags, strict=True):
        writer.writerow([*example, *more])
    return out.getvalue()
