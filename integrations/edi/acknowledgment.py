"""X12 997 (Functional Acknowledgment) from a partner: whether it took the interchanges
Handoff sent it (945s, 856s, 204s, 820s), as Handoff reads it.

- AK1-02 is the group control number of the group acknowledged, which in an interchange
  Handoff starts is its ISA13 and GS06 alike (`x12.interchange_write`);
- AK2 names a transaction set (AK2-01 its code, AK2-02 its control number), AK5-01 its
  status: A accepted, E accepted with errors, R rejected (AK5-02 … its error codes);
- AK9-01 is the group's status: A accepted, E accepted with errors, P partly accepted,
  R rejected; AK9-05 … its error codes. A group partly accepted, or with errors, is told
  with the sets' statuses.
Handoff never acknowledges a 997 (X12 says none is): the answer says what was read.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from integrations.edi.x12 import FunctionalGroup, Segment, TransactionSet, X12Error

ACCEPTED, ACCEPTED_WITH_ERRORS, PARTLY, REJECTED = "A", "E", "P", "R"
GROUP_STATUSES = {ACCEPTED, ACCEPTED_WITH_ERRORS, PARTLY, REJECTED}
SET_STATUSES = {ACCEPTED, ACCEPTED_WITH_ERRORS, REJECTED}


@dataclass(frozen=True)
class SetAck:
    code: str  # AK2-01: 945, 856, 204, 820
    control: str  # AK2-02
    status: str  # AK5-01
    errors: tuple[str, ...] = ()  # AK5-02 …


@dataclass
class Acknowledgment:
    """One 997: the group it acknowledges, its status, and what it says of each set."""

    where: str  # "ST 0001": for messages
    segment: Segment  # the AK1
    group_code: str  # AK1-01: SW, SH, SM
    control: str  # AK1-02, as Handoff wrote it (leading zeros aside)
    status: str = ""  # AK9-01
    errors: tuple[str, ...] = ()  # AK9-05 …
    sets: list[SetAck] = field(default_factory=list)

    @property
    def taken(self) -> bool:
        """The partner took the group (all of it or some, with errors or not)."""
        return self.status != REJECTED


def _ack_of(transaction: TransactionSet) -> Acknowledgment:
    ak1 = next((s for s in transaction.segments if s.tag == "AK1"), None)
    if ak1 is None:
        raise X12Error(_("A 997 begins with an AK1."), where=transaction.header.where)
    if not ak1.get(2).strip().isdigit():
        raise ak1.error(_("The acknowledged group's control number is digits."), 2)
    ack = Acknowledgment(
        where=f"ST {transaction.control}",  # a field's name: not translated
        segment=ak1,
        group_code=ak1.get(1).strip(),
        control=f"{int(ak1.get(2)):09d}",
    )
    pending: tuple[str, str] | None = None
    for segment in transaction.segments:
        if segment.tag == "AK2":
            pending = (segment.get(1).strip(), segment.get(2).strip())
        elif segment.tag == "AK5":
            status = segment.get(1).strip()
            if status not in SET_STATUSES:
                raise segment.error(
                    _("Not a set's status Handoff reads: %(value)s (A, E or R).")
                    % {"value": status or "—"},
                    1,
                )
            if pending is None:
                raise segment.error(_("An AK5 answers the AK2 before it."))
            errors = tuple(e for e in segment.elements[1:6] if e.strip())
            ack.sets.append(SetAck(pending[0], pending[1], status, errors))
            pending = None
        elif segment.tag == "AK9":
            status = segment.get(1).strip()
            if status not in GROUP_STATUSES:
                raise segment.error(
                    _("Not a group's status Handoff reads: %(value)s (A, E, P or R).")
                    % {"value": status or "—"},
                    1,
                )
            ack.status = status
            ack.errors = tuple(e for e in segment.elements[4:9] if e.strip())
    if not ack.status:
        raise X12Error(_("A 997 ends with the group's status, an AK9."), where=ak1.where)
    return ack


def acknowledgments(group: FunctionalGroup) -> list[Acknowledgment]:
    """The 997s of a functional group of them (GS01 FA), in the order sent, or X12Error
    naming what cannot be read."""
    if group.code != "FA":
        raise X12Error(
            _("Handoff reads functional acknowledgments (GS01 FA), not %(code)s.")
            % {"code": group.code or "—"},
            where="GS",
            element="GS01",
        )
    out = []
    for transaction in group.sets:
        if transaction.code != "997":
            raise transaction.header.error(
                _("An FA group holds 997s, not %(code)s.") % {"code": transaction.code}, 1
            )
        out.append(_ack_of(transaction))
    return out
