"""Printable handling-unit labels: GS1-128 barcode of the SSCC (AI 00) as inline SVG."""

import io

import barcode
from barcode.writer import SVGWriter
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from shipping.models import HandlingUnit
from shipping.selectors import order_packing

# GS1 logistic label: X-dimension at least 0.495 mm, bars at least 31.75 mm high, quiet
# zones of ten modules; printed at this true size, so scanners at the dock read it.
SYMBOL = {"module_width": 0.495, "module_height": 31.75, "quiet_zone": 5.0}


def barcode_svg(symbology: str, data: str, size: dict) -> str:
    """A barcode of `data` as an SVG element, in millimetres, with no text under it: `size`
    gives its module width, bar height and quiet zone."""
    symbol = barcode.get(symbology, data, writer=SVGWriter())
    out = io.BytesIO()
    symbol.write(out, options={**size, "font_size": 0, "text_distance": 1})
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def sscc_barcode_svg(sscc: str) -> str:
    """The GS1-128 symbol (FNC1, AI 00, the 18-digit SSCC) as an SVG element, in millimetres
    at the size GS1 asks of a logistic label (about 87 x 34 mm)."""
    return barcode_svg("gs1_128", f"00{sscc}", SYMBOL)


def unit_label_html(unit: HandlingUnit, *, print_now: bool = False) -> str:
    """A 4x6 inch label page for the unit, ready to print: from, to, the order and its
    truck (load, plate, dock), which unit of the order it is (and of how many, once nothing
    is left to pack), its weight and contents, and the SSCC's barcode. With `print_now`,
    the page opens the browser's print dialogue as it loads."""
    packing = order_packing(order_id=unit.order_id, warehouse_ids=[unit.warehouse_id])
    assert packing is not None  # a unit is packed at the warehouse its order ships from
    order, units = packing["order"], packing["units"]
    number, this = next((n, u) for n, u in enumerate(units, start=1) if u.pk == unit.pk)
    with timezone.override(order.warehouse.zone()):  # times as on the warehouse's clock
        return render_to_string(
            "shipping/unit_label.html",
            {
                "unit": unit,
                "order": order,
                "ship_to": order.ship_to,
                "load": order.load,
                "appointment": getattr(order.load, "appointment", None) if order.load else None,
                "number": number,
                "of": None if packing["units_left"] else len(units),
                "lines": this.lines.all(),
                "barcode": mark_safe(sscc_barcode_svg(unit.sscc)),
                "human": f"(00) {unit.sscc}",
                "print_now": print_now,
            },
        )
