"""Reading a sheet another system exported, CSV or XLSX, whatever it holds.

An XLSX's first worksheet, or a CSV in UTF-8 (with or without a BOM) or GB 18030 (which
includes the GBK that Chinese Excel writes), comma-, semicolon- or tab-separated. The first
row names the columns, in any case and order, by any of the names a reader gives each field
(`columns_found`); other columns are left alone. Problems are told by cell: "row 4 数量"
(the header is row 1), up to MAX_PROBLEMS at once.
"""

import csv
import io
from typing import Any

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import DocumentRefused

MAX_BYTES = 5 * 1024 * 1024
TOO_BIG = gettext_lazy("A sheet is at most 5 MB; send it in parts.")
MAX_ROWS = 10_000
MAX_PROBLEMS = 50  # told at once; the rest after those are mended


class SheetRefused(DocumentRefused):
    """A sheet refused, nothing of it written: every problem found by its cell ("row 4
    数量"), up to MAX_PROBLEMS."""


def sheet_table(content: bytes, name: str) -> list[list[Any]]:
    """The sheet's rows, the header first: an XLSX's first worksheet, or a CSV."""
    if len(content) > MAX_BYTES:
        raise SheetRefused({"file": [str(TOO_BIG)]})
    if content[:4] == b"PK\x03\x04" or name.lower().endswith(".xlsx"):
        try:
            frame = pd.read_excel(
                io.BytesIO(content),
                header=None,
                dtype=object,
                engine="openpyxl",
                nrows=MAX_ROWS + 2,  # the header, and one row too many to tell it is
            )
        except Exception:  # openpyxl and zipfile raise a dozen kinds
            raise SheetRefused({"file": [_("Not an XLSX workbook Handoff can read.")]}) from None
        return [[None if pd.isna(v) else v for v in row] for row in frame.itertuples(index=False)]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover  (gb18030 decodes any byte sequence but a few)
        raise SheetRefused({"file": [_("Not text in UTF-8 or GB 18030.")]})
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def cell_text(value: Any) -> str:
    """A cell as text: "" for an empty one, a spreadsheet's whole number without its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def columns_found(
    table: list[list[Any]], columns: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> tuple[dict[str, int], dict[str, str]]:
    """Where each field's column is in the sheet's header (the first column a field's name
    heads), and the header as the sheet writes it: SheetRefused if the sheet is empty or a
    required field has no column."""
    if not table or not any(cell_text(v) for v in table[0]):
        raise SheetRefused({"file": [_("The sheet is empty: its first row names the columns.")]})
    header = [cell_text(v) for v in table[0]]
    aliases = {alias: name for name, names in columns.items() for alias in names}
    where: dict[str, int] = {}
    for index, title in enumerate(header):
        known = aliases.get(title.lower())
        if known and known not in where:
            where[known] = index
    missing = [n for n in required if n not in where]
    if missing:
        raise SheetRefused(
            {
                "row 1": [
                    _("No column for %(fields)s (headers such as %(examples)s).")
                    % {
                        "fields": ", ".join(missing),
                        "examples": ", ".join(
                            f"{columns[n][0]} / {columns[n][1]}" for n in missing
                        ),
                    }
                ]
            }
        )
    return where, {name: header[index] for name, index in where.items()}


def rows_with_something(table: list[list[Any]], what: str) -> list[tuple[int, list[Any]]]:
    """The rows after the header that hold anything, each with its number in the sheet;
    SheetRefused past MAX_ROWS (`what` the rows are, for the message: "lines")."""
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(cell_text(v) for v in row)]
    if len(body) > MAX_ROWS:
        raise SheetRefused(
            {
                "file": [
                    _("At most %(n)s %(what)s a sheet; send it in parts.")
                    % {"n": MAX_ROWS, "what": what}
                ]
            }
        )
    return body


def cell_of(row: list[Any], where: dict[str, int], name: str) -> Any:
    """The row's cell in the field's column (None if it has none, or the row is shorter)."""
    index = where.get(name)
    return row[index] if index is not None and index < len(row) else None
