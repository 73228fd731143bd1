"""Tables people take away: a pandas table answered as a CSV or XLSX download."""

import io

import pandas as pd
from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_response(
    table: pd.DataFrame, *, name: str, kind: str, sheet: str, bom: bool = False
) -> HttpResponse:
    """`table` as `<name>.csv` or `<name>.xlsx` (`kind`), downloaded as a file. With `bom`,
    the CSV starts with a byte-order mark, as Excel needs to read UTF-8 (Chinese names) as
    UTF-8; systems reading the CSV themselves do without."""
    if kind == "csv":
        text = table.to_csv(index=False)
        response = HttpResponse(
            ("\ufeff" if bom else "") + text, content_type="text/csv; charset=utf-8"
        )
    else:
        out = io.BytesIO()
        table.to_excel(out, index=False, sheet_name=sheet)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response
