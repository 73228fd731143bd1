"""A unit's label prints its SSCC as a GS1-128 symbol at the size GS1 asks of a logistic
label, within the 4x6 inch label."""

import re

from shipping.labels import sscc_barcode_svg


def test_the_sscc_symbol_has_gs1_logistic_label_dimensions():
    svg = sscc_barcode_svg("069012340000000047")
    width, height = (
        float(v) for v in re.search(r'width="([\d.]+)mm" height="([\d.]+)mm"', svg).groups()
    )
    bars = [
        (float(w), float(h))
        for w, h in re.findall(
            r'<rect x="[\d.]+mm" y="[\d.]+mm" width="([\d.]+)mm" height="([\d.]+)mm" style="fill:black;"',
            svg,
        )
    ]
    assert min(w for w, _ in bars) >= 0.495  # the X-dimension
    assert min(h for _, h in bars) >= 31.75  # bar height
    assert width <= 3.7 * 25.4 and height < 40  # fits across the label's printable width
    # Start C, FNC1, "00" and the 18 digits in ten pairs, the check symbol: 13 symbols of
    # three bars each, and the stop's four: the SSCC is encoded as GS1-128 asks.
    assert len(bars) == 13 * 3 + 4
