"""X12 210 (Motor Carrier Freight Details and Invoice): a carrier billing a load it carried,
as Handoff reads it, to check it against the carrier's tariff.

- B3-02 is the carrier's invoice number, B3-03 the load's reference as the 204's B2-04 gave
  it (or as the load was built, for a carrier not tendered by EDI), B3-06 the invoice's
  date, B3-07 the net amount due, B3-11 the carrier's SCAC (its code here);
- C3-01 (optional) the currency: Handoff's (`HANDOFF_CURRENCY`) unless it says another;
- each L1 (optional) a charge: L1-04 its amount, L1-08 its code (400 freight, FUE fuel,
  DET detention, …), L1-12 what it is;
- L3-05 (optional) the total charges, which must be B3-07's.
Amounts are X12's N2: a whole number of cents (the currency's hundredths), "12345" for
123.45. One 210 bills one load; an interchange may hold several.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from integrations.edi.x12 import FunctionalGroup, Segment, TransactionSet, X12Error, segment_date

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Charge:
    code: str  # L1-08
    description: str  # L1-12
    amount: Decimal  # L1-04


@dataclass(frozen=True)
class FreightInvoiceSaid:
    where: str  # "ST 0001": for messages
    segment: Segment  # the B3
    number: str  # B3-02
    load: str  # B3-03
    invoiced_on: object  # B3-06, a date
    amount: Decimal  # B3-07
    carrier: str  # B3-11
    currency: str = ""  # C3-01, "" if not said
    charges: list[Charge] = field(default_factory=list)


def _n2(segment: Segment, n: int, *, required: bool = True) -> Decimal | None:
    """Element n as an amount in X12's N2 (implied two decimals: "12345" is 123.45)."""
    raw = segment.get(n).strip()
    if not raw:
        if required:
            raise segment.error(_("The amount is missing."), n)
        return None
    digits = raw[1:] if raw.startswith("-") else raw
    if not digits.isdigit() or len(digits) > 12:
        raise segment.error(
            _('Not an amount in cents (X12 N2, "12345" for 123.45): %(value)s')
            % {"value": raw[:20]},
            n,
        )
    return (Decimal(int(raw)) / 100).quantize(CENT)


def _invoice_of(transaction: TransactionSet) -> FreightInvoiceSaid:
    b3 = next((s for s in transaction.segments if s.tag == "B3"), None)
    if b3 is None:
        raise X12Error(_("A 210 begins with a B3."), where=transaction.header.where)
    for n, missing in (
        (2, _("The invoice number is missing.")),
        (3, _("The load's reference, as the 204's B2-04 gave it, is missing.")),
        (11, _("The carrier's SCAC is missing.")),
    ):
        if not b3.get(n).strip():
            raise b3.error(missing, n)
    invoiced_on = segment_date(b3, 6)
    if invoiced_on is None:
        raise b3.error(_("The invoice's date is missing."), 6)
    amount = _n2(b3, 7)
    assert amount is not None
    if amount <= 0:
        raise b3.error(_("The amount due must be above zero."), 7)
    c3 = next((s for s in transaction.segments if s.tag == "C3"), None)
    charges = []
    for l1 in (s for s in transaction.segments if s.tag == "L1"):
        charge = _n2(l1, 4)
        assert charge is not None
        charges.append(
            Charge(code=l1.get(8).strip(), description=l1.get(12).strip()[:80], amount=charge)
        )
    l3 = next((s for s in transaction.segments if s.tag == "L3"), None)
    if l3 is not None:
        total = _n2(l3, 5, required=False)
        if total is not None and total != amount:
            raise l3.error(
                _("The total charges (%(total)s) are not the amount due in B3-07 (%(due)s).")
                % {"total": total, "due": amount},
                5,
            )
    return FreightInvoiceSaid(
        where=f"ST {transaction.control}",  # a field's name: not translated
        segment=b3,
        number=b3.get(2).strip()[:30],
        load=b3.get(3).strip(),
        invoiced_on=invoiced_on,
        amount=amount,
        carrier=b3.get(11).strip(),
        currency=c3.get(1).strip().upper() if c3 is not None else "",
        charges=charges,
    )


def freight_invoices(group: FunctionalGroup) -> list[FreightInvoiceSaid]:
    """The invoices of a functional group of 210s, in the order sent. Raises X12Error if
    the group is not of 210s (GS01 IM) or a 210 cannot be read as `freight_invoice` says."""
    if group.code != "IM":
        raise X12Error(
            _("Handoff reads freight invoices (GS01 IM), not %(code)s.")
            % {"code": group.code or "—"},
            where="GS",
            element="GS01",
        )
    out = []
    for transaction in group.sets:
        if transaction.code != "210":
            raise transaction.header.error(
                _("An IM group holds 210s, not %(code)s.") % {"code": transaction.code}, 1
            )
        out.append(_invoice_of(transaction))
    return out
