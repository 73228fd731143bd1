"""GS1 identifiers as labels carry them and scanners send them."""

from core.gs1 import sscc_build, sscc_problem, sscc_scanned


def test_a_pallet_label_scan_gives_its_sscc_however_the_scanner_sends_it():
    sscc = sscc_build(extension=1, company_prefix="6901234", serial=42)
    assert sscc_problem(sscc) is None
    for scanned in (sscc, f"00{sscc}", f"]C100{sscc}", f"(00){sscc}", f" (00) {sscc}\n"):
        assert sscc_scanned(scanned) == sscc
    assert sscc_scanned("0012345") == "0012345"  # not an SSCC: given back for a refusal
    assert sscc_problem(sscc[:-1] + str((int(sscc[-1]) + 1) % 10)).startswith("Check digit")
    assert sscc_problem("12345") == "An SSCC has 18 digits."
