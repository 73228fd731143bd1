"""Orders from a sheet an ERP exported, CSV or XLSX: one row an order line, the rows of one
order (its reference and customer) anywhere in the sheet.

Headers name the columns, in English or Chinese, in any case and order (`COLUMNS`); other
columns are left alone. A CSV may be UTF-8 (with or without a BOM) or GB 18030, which
includes the GBK that Chinese Excel writes. Dates may be written 2026-12-09, 2026/12/09,
2026.12.09 or 20261209, or be a spreadsheet's dates; a priority is 1 to 4 or its name
(urgent, high, normal, low; 加急 or 紧急, 高, 普通 or 一般, 低); a cut-off without a UTC offset is on the
clock of the warehouse the import is for.

The whole sheet is read and checked before anything is written, every problem reported at
once by its row (the header is row 1) and column, as the sheet names it; then all its
orders are taken in one transaction, or none (`shipping.services.orders_import`).
"""

import csv
import datetime
import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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
from shipping import services
from shipping.api.serializers import OrderCreateInput
from shipping.choices import Priority
from shipping.models import Order

# field: the names a header may give it, in any case: its English and Chinese names first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_ref": ("external_ref", "订单号", "order", "order_ref", "order reference", "订单编号"),
    "customer": ("customer", "客户编码", "customer_code", "customer code", "客户", "客户代码"),
    "ship_to": ("ship_to", "收货点编码", "ship-to", "ship to", "收货点"),
    "requested_delivery_date": (
        "requested_delivery_date",
        "要求送达日期",
        "delivery date",
        "requested delivery",
        "送达日期",
    ),
    "promised_ship_date": ("promised_ship_date", "承诺发货日期", "ship date", "发货日期"),
    "priority": ("priority", "优先级"),
    "cutoff_at": ("cutoff_at", "截单时间", "cut-off", "cutoff"),
    "item": ("item", "货号", "sku", "商品编码", "物料编码"),
    "quantity": ("quantity", "数量", "qty"),
}
REQUIRED = ("external_ref", "customer", "ship_to", "requested_delivery_date", "promised_ship_date")
LINE_FIELDS = ("item", "quantity")
ORDER_FIELDS = tuple(name for name in COLUMNS if name not in (*LINE_FIELDS, "external_ref"))
PRIORITY_SYNONYMS = {"紧急": Priority.URGENT, "特急": Priority.URGENT, "一般": Priority.NORMAL}
_DATE = re.compile(r"(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})")


@dataclass
class SheetOrder:
    """An order as the sheet gives it: OrderCreateInput's input, and the sheet row of each
    of its lines."""

    rows: list[int]
    data: dict[str, Any]
    cells: dict[str, str] = field(default_factory=dict)  # field: its column's header


def _date(value: Any) -> Any:
    """A date as ISO text, if it reads as one; else as it was, for the check to refuse."""
    if isinstance(value, datetime.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = cell_text(value)
    match = _DATE.fullmatch(text)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups())).isoformat()
        except ValueError:
            return text
    return text


@functools.cache
def _priorities() -> dict[str, int]:
    """Each priority by its number, its English name and its Chinese ones."""
    names = {str(p.value): p.value for p in Priority}
    names.update({p.name.lower(): p.value for p in Priority})
    with translation.override("zh-hans"):
        names.update({str(p.label).lower(): p.value for p in Priority})
    return {**names, **PRIORITY_SYNONYMS}


def _priority(value: Any) -> Any:
    text = cell_text(value).lower()
    return _priorities().get(text, text) if text else None


def _cutoff(value: Any, zone: datetime.tzinfo) -> Any:
    if isinstance(value, datetime.datetime | pd.Timestamp):
        moment = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()
    text = cell_text(value)
    return text or None


def sheet_orders(content: bytes, name: str, *, zone: datetime.tzinfo) -> list[SheetOrder]:
    """The sheet's orders, in the order their first lines come, or SheetRefused naming
    every problem of its form (a column missing, an order's rows that disagree on its
    customer or dates): what the orders say is checked by `orders_from_sheet`."""
    table = sheet_table(content, name)
    where, cells = columns_found(table, COLUMNS, (*REQUIRED, *LINE_FIELDS))
    body = rows_with_something(table, _("lines"))
    orders: dict[tuple[str, str], SheetOrder] = {}
    problems: dict[str, list[str]] = {}

    def cell(row: list[Any], name: str) -> Any:
        return cell_of(row, where, name)

    for number, row in body:
        values = {
            "customer": cell_text(cell(row, "customer")),
            "ship_to": cell_text(cell(row, "ship_to")),
            "requested_delivery_date": _date(cell(row, "requested_delivery_date")),
            "promised_ship_date": _date(cell(row, "promised_ship_date")),
            "priority": _priority(cell(row, "priority")),
            "cutoff_at": _cutoff(cell(row, "cutoff_at"), zone),
        }
        ref = cell_text(cell(row, "external_ref"))
        key = (values["customer"], ref)
        line = {"item": cell_text(cell(row, "item")), "quantity": cell_text(cell(row, "quantity"))}
        order = orders.get(key)
        if order is None:
            data = {"external_ref": ref, **{k: v for k, v in values.items() if v is not None}}
            orders[key] = SheetOrder(rows=[number], data={**data, "lines": [line]}, cells=cells)
            continue
        for name in ORDER_FIELDS:
            if values[name] is not None and values[name] != order.data.get(name):
                problems[f"row {number} {cells.get(name, name)}"] = [
                    _("Order %(ref)s says %(value)s here and %(first)s on row %(row)s.")
                    % {
                        "ref": ref,
                        "value": values[name],
                        "first": order.data.get(name, "—"),
                        "row": order.rows[0],
                    }
                ]
        order.rows.append(number)
        order.data["lines"].append(line)
    if problems:
        raise SheetRefused(dict(list(problems.items())[:MAX_PROBLEMS]))
    return list(orders.values())


def _cell_of(order: SheetOrder, path: str) -> str:
    """The cell a problem's path points at: `lines[2].quantity` in the order's third row's
    quantity column, `customer` in its first row's customer column."""
    match = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", path)
    if match and int(match[1]) < len(order.rows):
        return f"row {order.rows[int(match[1])]} {order.cells.get(match[2], match[2])}"
    name = path.split(".")[0].split("[")[0]
    return f"row {order.rows[0]} {order.cells.get(name, name)}"


def orders_from_sheet(
    *,
    content: bytes,
    name: str,
    zone: datetime.tzinfo,
    actor: AbstractBaseUser | None,
    context: dict | None = None,
) -> list[Order]:
    """Every order of the sheet taken and allocated as the API's order intake takes one,
    in one transaction, or SheetRefused with each problem by its cell and nothing written:
    the sheet's form (`sheet_orders`), each order's fields and lines (unknown customers,
    ship-tos and SKUs, quantities, dates), and what the intake refuses (a reference the
    customer already used, a ship date in the past)."""
    drafts = sheet_orders(content, name, zone=zone)
    problems: dict[str, list[str]] = {}
    valid = []
    with timezone.override(zone):
        for order in drafts:
            check = OrderCreateInput(data=order.data, context=context or {})
            if check.is_valid():
                valid.append(check.validated_data)
                continue
            for path, messages in fields_flattened(check.errors).items():
                problems.setdefault(_cell_of(order, path), messages)
    if problems:
        raise SheetRefused(dict(list(problems.items())[:MAX_PROBLEMS]))
    try:
        return services.orders_import(
            orders=[
                services.OrderDraft(
                    customer=v["customer"],
                    ship_to=v["ship_to"],
                    external_ref=v["external_ref"],
                    lines=[
                        services.LineInput(line["item"], line["quantity"]) for line in v["lines"]
                    ],
                    priority=v["priority"],
                    requested_delivery_date=v["requested_delivery_date"],
                    promised_ship_date=v["promised_ship_date"],
                    cutoff_at=v.get("cutoff_at"),
                )
                for v in valid
            ],
            actor=actor,
        )
    except DomainError as refused:
        match = re.fullmatch(r"orders\[(\d+)\]\.?(.*)", refused.field or "")
        if match is None:
            raise
        cell = _cell_of(drafts[int(match[1])], match[2] or "external_ref")
        raise SheetRefused({cell: [refused.message]}) from refused


def template_csv(*, chinese: bool, example: Iterable[list[str]] = ()) -> str:
    """A sheet to fill in, UTF-8 with a BOM (so Excel opens it right): a row of the column
    names, in Chinese or English, and the example rows."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([names[1] if chinese else names[0] for names in COLUMNS.values()])
    for row in example:
        writer.writerow(row)
    return out.getvalue()
