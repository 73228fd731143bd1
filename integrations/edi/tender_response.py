"""X12 990 (Response to a Load Tender): a carrier accepting or declining a load Handoff
tendered it in a 204 (`integrations.edi.load_tender`), as Handoff reads it.

- B1-01 is the carrier's SCAC (its code here), B1-02 the load's reference as the 204's B2-04
  gave it, B1-03 the date of the answer, B1-04 the answer: A accepted, D declined;
- N9 (optional) the carrier's own reference for the load (N9-02), e.g. its PRO number;
- V9 (optional): a decline's reason, as its text (V9-02) or else its event code (V9-01), with
  its status reason code (V9-08).
One 990 answers one load; an interchange may hold several.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from integrations.edi.x12 import FunctionalGroup, Segment, TransactionSet, X12Error

ACCEPTED, DECLINED = "accepted", "declined"
ANSWERS = {"A": ACCEPTED, "D": DECLINED}


@dataclass(frozen=True)
class TenderResponse:
    where: str  # "ST 0001": for messages
    segment: Segment  # the B1
    carrier: str  # B1-01
    load: str  # B1-02
    answer: str  # ACCEPTED or DECLINED
    reference: str = ""  # N9-02
    reason: str = ""  # from the V9s


def _response_of(transaction: TransactionSet) -> TenderResponse:
    b1 = next((s for s in transaction.segments if s.tag == "B1"), None)
    if b1 is None:
        raise X12Error(_("A 990 begins with a B1."), where=transaction.header.where)
    if not b1.get(1).strip():
        raise b1.error(_("The carrier's SCAC is missing."), 1)
    if not b1.get(2).strip():
        raise b1.error(_("The load's reference, as the 204's B2-04 gave it, is missing."), 2)
    code = b1.get(4).strip()
    if code not in ANSWERS:
        raise b1.error(
            _("Not an answer Handoff reads: %(value)s (A accepted, D declined).")
            % {"value": code or "—"},
            4,
        )
    n9 = next((s for s in transaction.segments if s.tag == "N9"), None)
    reasons = []
    for v9 in (s for s in transaction.segments if s.tag == "V9"):
        said = v9.get(2).strip() or v9.get(1).strip()
        if v9.get(8).strip():
            said = f"{said} ({v9.get(8).strip()})" if said else v9.get(8).strip()
        if said:
            reasons.append(said)
    return TenderResponse(
        where=f"ST {transaction.control}",  # a field's name: not translated
        segment=b1,
        carrier=b1.get(1).strip(),
        load=b1.get(2).strip(),
        answer=ANSWERS[code],
        reference=n9.get(2).strip() if n9 is not None else "",
        reason=" · ".join(reasons)[:200],
    )


def tender_responses(group: FunctionalGroup) -> list[TenderResponse]:
    """The answers of a functional group of 990s, in the order sent. Raises X12Error if the
    group is not of 990s (GS01 GF) or a 990 cannot be read as `tender_response` says."""
    if group.code != "GF":
        raise X12Error(
            _("Handoff reads responses to load tenders (GS01 GF), not %(code)s.")
            % {"code": group.code or "—"},
            where="GS",
            element="GS01",
        )
    out = []
    for transaction in group.sets:
        if transaction.code != "990":
            raise transaction.header.error(
                _("A GF group holds 990s, not %(code)s.") % {"code": transaction.code}, 1
            )
        out.append(_response_of(transaction))
    return out
