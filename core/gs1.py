"""GS1 identifiers: GTIN and SSCC check digits, SSCCs built for our handling units and read
from a scan of a label."""


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit for the given digits (without the check digit)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def gtin_problem(value: str) -> str | None:
    """Why a GTIN is malformed, or None if it is a valid GTIN-8, -12, -13 or -14."""
    if not value.isdigit():
        return "A GTIN has digits only."
    if len(value) not in (8, 12, 13, 14):
        return f"A GTIN has 8, 12, 13 or 14 digits, not {len(value)}."
    expected = gs1_check_digit(value[:-1])
    if int(value[-1]) != expected:
        return f"Check digit is {value[-1]}, expected {expected}."
    return None


def sscc_build(*, extension: int, company_prefix: str, serial: int) -> str:
    """An 18-digit SSCC: extension digit, company prefix, serial reference, check digit.

    Raises ValueError if the prefix is not 7-10 digits or the serial does not fit.
    """
    if not (company_prefix.isdigit() and 7 <= len(company_prefix) <= 10):
        raise ValueError("A GS1 company prefix has 7 to 10 digits.")
    if not 0 <= extension <= 9:
        raise ValueError("The SSCC extension digit is 0-9.")
    width = 16 - len(company_prefix)
    if not 0 <= serial < 10**width:
        raise ValueError(f"Serial reference {serial} does not fit in {width} digits.")
    body = f"{extension}{company_prefix}{serial:0{width}d}"
    return body + str(gs1_check_digit(body))


def sscc_problem(value: str) -> str | None:
    """Why an SSCC is malformed, or None if it is 18 digits with a valid check digit."""
    if not value.isdigit() or len(value) != 18:
        return "An SSCC has 18 digits."
    expected = gs1_check_digit(value[:-1])
    if int(value[-1]) != expected:
        return f"Check digit is {value[-1]}, expected {expected}."
    return None


def sscc_scanned(text: str) -> str:
    """The SSCC a scan of its label gives: as printed, or as a scanner sends the GS1-128
    barcode, its symbology identifier (]C1) and application identifier (00 or "(00)")
    first. Anything else comes back trimmed, for the caller to refuse."""
    value = (text or "").strip()
    value = value.removeprefix("]C1").replace("(00)", "", 1).replace(" ", "")
    if len(value) == 20 and value.startswith("00") and value.isdigit():
        return value[2:]
    return value
