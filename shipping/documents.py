"""Printed papers that travel with the goods: the delivery note (送货单) each order's
receiver signs, one page an order, and the load's manifest (装车交接单) its driver signs
for the units at the dock; each with a Code 128 barcode of its reference for the other
side's scanner."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from shipping.labels import barcode_svg

# A document barcode, not a logistic label: 0.33 mm modules, 12 mm bars.
SYMBOL = {"module_width": 0.33, "module_height": 12.0, "quiet_zone": 3.3}


def reference_barcode_svg(reference: str) -> str:
    """A Code 128 symbol of the reference as an SVG element, in millimetres; "" for a
    reference Code 128 cannot carry (beyond printable ASCII: an ERP's Chinese reference,
    say), which the note then shows as text only."""
    if not reference or not all(" " <= c <= "~" for c in reference):
        return ""
    return barcode_svg("code128", reference, SYMBOL)


def delivery_notes_html(notes: list[dict], *, print_now: bool = False) -> str:
    """The delivery notes (`shipping.selectors.delivery_notes`) as one A4 page each, ready
    to print, on the shipping warehouse's clock: from whom and to whom, the order, its
    truck and stop, each line ordered and in this delivery (with lots), the units' SSCCs,
    and the receiver's box to sign. With `print_now`, the page opens the browser's print
    dialogue as it loads."""
    zone = notes[0]["order"].warehouse.zone() if notes else timezone.get_current_timezone()
    with timezone.override(zone):
        return render_to_string(
            "shipping/delivery_notes.html",
            {
                "notes": [
                    {
                        **note,
                        "barcode": mark_safe(reference_barcode_svg(note["order"].external_ref)),
                    }
                    for note in notes
                ],
                "printed_at": timezone.localtime(),
                "print_now": print_now,
            },
        )


def load_manifest_html(manifest: dict, *, print_now: bool = False) -> str:
    """The load's manifest (`shipping.selectors.load_manifest`) as an A4 page, ready to
    print, on the warehouse's clock: the truck, its carrier and driver, the dock slot; each
    order in the order of the stops, with its receiver, units (how many on the truck) and
    weight; the totals; the boxes for the loader and the driver to sign. With `print_now`,
    the page opens the browser's print dialogue as it loads."""
    load = manifest["load"]
    with timezone.override(load.warehouse.zone()):
        return render_to_string(
            "shipping/load_manifest.html",
            {
                **manifest,
                "barcode": mark_safe(reference_barcode_svg(load.reference)),
                "printed_at": timezone.localtime(),
                "print_now": print_now,
            },
        )
