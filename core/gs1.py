"""GS1 identifiers: GTIN check digits now, SSCCs for handling units later."""


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
