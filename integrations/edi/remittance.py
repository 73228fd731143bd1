"""X12 820 (Payment Order/Remittance Advice), as remittance information only: Handoff telling
a carrier, at its warehouse's payment run, what of each of its bills (an X12 210) decided
since the last run is to be paid: approved within its tariff as it came, or settled by the
office (paid as billed, at the tariff, or refused). No money moves with it; the accounts
payable system pays.

What Handoff writes, for the carrier's billing system:
- one interchange, one group (GS01 RA), one 820, from Handoff (HANDOFF_EDI_ID) to the
  partner that sent the 210s;
- BPR I (remittance information only), the total to be paid, C (credit), NON (no payment
  with it), BPR-16 the day of the payment run, on the warehouse's clock;
- TRN 1 the remittance's trace number, the same each time it is sent again;
- CUR PR the currency the bills are in;
- N1 PR the payer (the loads' warehouse, N1-04 its code), N1 PE the carrier (its code: 2,
  its SCAC, or ZZ for a code longer than a SCAC's four letters);
- ENT 1, then for each bill: RMR IV the carrier's invoice number, what is paid (RMR-04)
  and what it billed (RMR-05); NTE PMT the office's note, as the carrier was told (in lines
  of 80 characters at most); REF SI the load's reference (the 210's B3-03); DTM 003 the
  invoice's date; ADX when less is paid than billed: the amount held back (negative), and
  why: 46 (transportation charge incorrect) for a bill paid at its tariff, 20 (balance due
  declined) for one refused.
Amounts are X12's R: a decimal number, trailing zeros left out ("1006.5").
"""

import datetime
import textwrap
from dataclasses import dataclass
from decimal import Decimal

from integrations.edi.x12 import element_value, interchange_write

NOTE_PIECE = 80  # NTE-02's length
SCAC_MOST = 4  # a Standard Carrier Alpha Code's letters, at most
# ADX-02 (X12 element 426) by how the bill was settled.
HELD_BACK_AT_TARIFF = "46"  # Transportation Charge Incorrect
HELD_BACK_REFUSED = "20"  # Balance Due Declined


@dataclass(frozen=True)
class RemittanceBill:
    """One bill of a remittance: what the carrier billed, what is paid, and why any less."""

    invoice: str  # the carrier's number
    invoiced_on: datetime.date
    load: str
    billed: Decimal
    paid: Decimal
    held_back_because: str = ""  # ADX-02, when paid < billed
    note: str = ""


@dataclass(frozen=True)
class Remittance:
    sender: tuple[str, str]  # ISA qualifier, ID
    receiver: tuple[str, str]
    control: int
    at: datetime.datetime  # when written, UTC
    trace: str  # TRN-02
    paid_on: datetime.date  # the payment run's day, on the warehouse's clock
    currency: str
    payer: tuple[str, str]  # name, code
    carrier: tuple[str, str]  # name, SCAC
    bills: tuple[RemittanceBill, ...]

    @property
    def paid(self) -> Decimal:
        """What the remittance pays in all: BPR-02."""
        return sum((bill.paid for bill in self.bills), Decimal(0))


def amount_r(amount: Decimal) -> str:
    """An amount as X12's R: its cents, no trailing zeros, no exponent."""
    text = format(amount.quantize(Decimal("0.01")).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _bill_segments(bill: RemittanceBill) -> list[list[str]]:
    """A bill's RMR loop: RMR, its note (NTE), REF, DTM, and ADX when less is paid."""
    segments = [
        [
            "RMR",
            "IV",
            element_value(bill.invoice, 30),
            "",
            amount_r(bill.paid),
            amount_r(bill.billed),
        ]
    ]
    segments += [
        ["NTE", "PMT", piece]
        for piece in textwrap.wrap(element_value(bill.note, 10_000), NOTE_PIECE)
    ]
    segments += [
        ["REF", "SI", element_value(bill.load, 30)],
        ["DTM", "003", f"{bill.invoiced_on:%Y%m%d}"],
    ]
    if bill.paid < bill.billed:
        segments.append(["ADX", amount_r(bill.paid - bill.billed), bill.held_back_because])
    return segments


def remittance_820(remittance: Remittance) -> str:
    """The interchange, its envelopes' and SE's counts right, one segment a line; its bills
    in the order given."""
    body: list[list[str]] = [
        ["ST", "820", "0001"],
        [
            "BPR",
            "I",
            amount_r(remittance.paid),
            "C",
            "NON",
            *[""] * 11,
            f"{remittance.paid_on:%Y%m%d}",
        ],
        ["TRN", "1", element_value(remittance.trace, 30)],
        ["CUR", "PR", element_value(remittance.currency, 3)],
        [
            "N1",
            "PR",
            element_value(remittance.payer[0]),
            "91",
            element_value(remittance.payer[1], 80),
        ],
        [
            "N1",
            "PE",
            element_value(remittance.carrier[0]),
            "2" if len(remittance.carrier[1]) <= SCAC_MOST else "ZZ",
            element_value(remittance.carrier[1], 80),
        ],
        ["ENT", "1"],
    ]
    for bill in remittance.bills:
        body += _bill_segments(bill)
    body.append(["SE", str(len(body) + 1), "0001"])
    return interchange_write(
        sender=remittance.sender,
        receiver=remittance.receiver,
        group=("RA", remittance.sender[1], remittance.receiver[1]),
        control=remittance.control,
        at=remittance.at,
        body=body,
    )
