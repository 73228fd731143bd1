"""ASC X12 interchanges: reading one (its envelopes checked) and the 997 that acknowledges it.

An interchange is an ISA header, functional groups (GS … GE) of transaction sets (ST … SE),
and an IEA trailer. The ISA is fixed-length, so it names the delimiters the rest uses: the
element separator is its 4th character, the component separator its 105th and the segment
terminator its 106th. Line breaks after a terminator are allowed, as many senders write
them. Every count and control number of the envelopes is checked; a fault is an X12Error
that names the segment (by its position in the interchange and its tag) and the element.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.api.parsers import control_character

ISA_LENGTH = 106
CONTROL_NUMBER = re.compile(r"\d{9}")


class X12Error(Exception):
    """An interchange that cannot be read as sent: where (`where`: "segment 7 (SE)",
    `element`: "SE01") and why."""

    def __init__(self, message: str, *, where: str = "", element: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.element = element

    @property
    def field(self) -> str:
        """The place named as a field: "segment 7 (SE) SE01"."""
        return " ".join(part for part in (self.where, self.element) if part) or "interchange"


@dataclass(frozen=True)
class Segment:
    tag: str
    elements: tuple[str, ...]  # after the tag: elements[0] is <tag>01
    position: int  # 1 for the ISA

    def get(self, n: int) -> str:
        """Element n (1 for <tag>01), "" if the segment has fewer."""
        return self.elements[n - 1] if n <= len(self.elements) else ""

    @property
    def where(self) -> str:
        # Not translated: it names a field, which code reads the same in every language.
        return f"segment {self.position} ({self.tag})"

    def error(self, message: str, n: int | None = None) -> X12Error:
        return X12Error(message, where=self.where, element=f"{self.tag}{n:02d}" if n else "")


@dataclass
class TransactionSet:
    code: str  # ST01: 214, …
    control: str  # ST02
    header: Segment
    segments: list[Segment] = field(default_factory=list)  # between ST and SE


@dataclass
class FunctionalGroup:
    code: str  # GS01: QM for 214s
    sender: str  # GS02
    receiver: str  # GS03
    sent_at: tuple[str, str]  # GS04 (CCYYMMDD), GS05 (HHMM…): on the sender's clock
    control: str  # GS06
    version: str  # GS08: 004010, …
    sets: list[TransactionSet] = field(default_factory=list)


@dataclass
class Interchange:
    sender_qualifier: str  # ISA05
    sender: str  # ISA06, trimmed
    receiver_qualifier: str  # ISA07
    receiver: str  # ISA08, trimmed
    control: str  # ISA13
    test: bool  # ISA15 is T: to be checked, not acted on
    separators: tuple[str, str, str]  # element, component, segment terminator
    groups: list[FunctionalGroup] = field(default_factory=list)

    @property
    def partner(self) -> str:
        """Who sent it, as Handoff keeps a trading partner: "ISA05:ISA06"."""
        return f"{self.sender_qualifier}:{self.sender}"


def _segments(text: str) -> tuple[list[Segment], tuple[str, str, str]]:
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("ISA"):
        raise X12Error(_("An X12 interchange begins with ISA."), where="ISA")
    if len(text) < ISA_LENGTH:
        raise X12Error(
            _("The ISA is %(n)s characters long, not %(length)s.")
            % {"n": len(text), "length": ISA_LENGTH},
            where="ISA",
        )
    element, component, terminator = text[3], text[104], text[105]
    if len({element, component, terminator}) < 3 or any(
        c.isalnum() or c == " " for c in (element, component, terminator)
    ):
        raise X12Error(
            _(
                "The ISA's separators (element %(element)r, component %(component)r, "
                "segment %(segment)r) must be three different characters that are not "
                "letters, digits or spaces."
            )
            % {"element": element, "component": component, "segment": terminator},
            where="ISA",
        )
    segments = []
    for position, raw in enumerate(
        (part.strip("\r\n") for part in text.split(terminator)), start=1
    ):
        if not raw.strip():
            continue
        tag, *elements = raw.split(element)
        segment = Segment(tag=tag.strip(), elements=tuple(elements), position=position)
        for n, value in enumerate(elements, start=1):
            char = control_character(value)
            if char is not None or "\n" in value or "\r" in value:
                raise segment.error(
                    _("Holds a control character (U+%(code)04X), which is not text.")
                    % {"code": ord(char or "\n")},
                    n,
                )
        if not re.fullmatch(r"[A-Z][A-Z0-9]{1,2}", segment.tag):
            raise X12Error(
                _("%(tag)r is not a segment tag.") % {"tag": segment.tag[:10]},
                where=f"segment {position}",
            )
        segments.append(segment)
    return segments, (element, component, terminator)


def _count(segment: Segment, n: int, expected: int) -> None:
    said = segment.get(n)
    if not said.isdigit() or int(said) != expected:
        raise segment.error(
            _("Says %(said)s; there are %(n)s.") % {"said": said or "nothing", "n": expected}, n
        )


def _same(segment: Segment, n: int, control: str, header: Segment) -> None:
    if segment.get(n).strip() != control.strip():
        raise segment.error(
            _("%(said)s is not the control number of its header, %(where)s: %(control)s.")
            % {"said": segment.get(n) or "—", "where": header.where, "control": control},
            n,
        )


def segment_date(segment: Segment, n: int) -> datetime.date | None:
    """Element n as a date (CCYYMMDD); None if empty, an X12Error naming it if not a date."""
    raw = segment.get(n)
    if not raw:
        return None
    try:
        return datetime.datetime.strptime(raw, "%Y%m%d").date()
    except ValueError:
        raise segment.error(
            _("Not a date (CCYYMMDD): %(value)s") % {"value": raw[:20]}, n
        ) from None


def segment_time(segment: Segment, n: int) -> datetime.time | None:
    """Element n as a time (HHMM, HHMMSS, more digits ignored); None if empty."""
    raw = segment.get(n)
    if not raw:
        return None
    match = re.fullmatch(r"(\d\d)(\d\d)(\d\d)?\d*", raw)
    try:
        if match is None:
            raise ValueError
        return datetime.time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        raise segment.error(
            _("Not a time (HHMM or HHMMSS): %(value)s") % {"value": raw[:20]}, n
        ) from None


def interchange_read(text: str) -> Interchange:
    """The interchange in `text`, its envelopes checked: one ISA … IEA; each GS … GE and
    ST … SE closed, with the counts (IEA01, GE01, SE01) and control numbers (IEA02, GE02,
    SE02) their headers call for; nothing after the IEA. Raises X12Error naming the first
    fault's segment and element."""
    segments, separators = _segments(text)
    isa = segments[0]
    if len(isa.elements) != 16:
        raise isa.error(_("An ISA has 16 elements; this one has %(n)s.") % {"n": len(isa.elements)})
    control = isa.get(13)
    if not CONTROL_NUMBER.fullmatch(control):
        raise isa.error(_("The interchange control number is 9 digits."), 13)
    if isa.get(15) not in ("P", "T"):
        raise isa.error(_("The usage indicator is P (production) or T (test)."), 15)
    interchange = Interchange(
        sender_qualifier=isa.get(5).strip(),
        sender=isa.get(6).strip(),
        receiver_qualifier=isa.get(7).strip(),
        receiver=isa.get(8).strip(),
        control=control,
        test=isa.get(15) == "T",
        separators=separators,
    )
    if not interchange.sender:
        raise isa.error(_("The interchange sender is missing."), 6)
    group: FunctionalGroup | None = None
    group_header: Segment | None = None
    current: TransactionSet | None = None
    ended = False
    for segment in segments[1:]:
        if ended:
            raise segment.error(_("Nothing may follow the IEA."))
        if current is not None and segment.tag not in ("SE", "ST", "GE", "IEA"):
            current.segments.append(segment)
            continue
        if segment.tag == "GS":
            if group is not None:
                raise segment.error(_("A GS before the GE of the group before."))
            if not segment.get(6).isdigit():
                raise segment.error(_("The group control number is digits."), 6)
            group = FunctionalGroup(
                code=segment.get(1),
                sender=segment.get(2).strip(),
                receiver=segment.get(3).strip(),
                sent_at=(segment.get(4), segment.get(5)),
                control=segment.get(6),
                version=segment.get(8),
            )
            group_header = segment
        elif segment.tag == "ST":
            if group is None:
                raise segment.error(_("An ST outside a functional group (GS … GE)."))
            if current is not None:
                raise segment.error(_("An ST before the SE of the transaction set before."))
            if not segment.get(2):
                raise segment.error(_("The transaction set control number is missing."), 2)
            current = TransactionSet(code=segment.get(1), control=segment.get(2), header=segment)
        elif segment.tag == "SE":
            if current is None:
                raise segment.error(_("An SE with no ST before it."))
            _count(segment, 1, len(current.segments) + 2)
            _same(segment, 2, current.control, current.header)
            assert group is not None
            group.sets.append(current)
            current = None
        elif segment.tag == "GE":
            if group is None or group_header is None:
                raise segment.error(_("A GE with no GS before it."))
            if current is not None:
                raise segment.error(_("A GE before the SE of its last transaction set."))
            _count(segment, 1, len(group.sets))
            _same(segment, 2, group.control, group_header)
            interchange.groups.append(group)
            group, group_header = None, None
        elif segment.tag == "IEA":
            if group is not None or current is not None:
                raise segment.error(_("The IEA before the GE of the last group."))
            _count(segment, 1, len(interchange.groups))
            _same(segment, 2, interchange.control, isa)
            ended = True
        else:
            raise segment.error(
                _("A %(tag)s outside any transaction set (ST … SE).") % {"tag": segment.tag}
            )
    if not ended:
        raise X12Error(_("The interchange does not end with an IEA."), where="IEA")
    return interchange


def _isa(
    sender: tuple[str, str],
    receiver: tuple[str, str],
    number: str,
    at: datetime.datetime,
    *,
    test: bool = False,
    component: str = ">",
) -> list[str]:
    """An ISA's elements, from `sender` to `receiver` (qualifier and ID each), under the
    control number `number` (9 digits), dated `at`."""
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender[0],
        f"{sender[1]:<15}",
        receiver[0],
        f"{receiver[1]:<15}",
        f"{at:%y%m%d}",
        f"{at:%H%M}",
        "U",
        "00401",
        number,
        "0",
        "T" if test else "P",
        component,
    ]


def acknowledgment_997(interchange: Interchange, *, control: int, at: datetime.datetime) -> str:
    """The 997 that acknowledges every functional group and transaction set of the
    interchange as accepted (AK5 and AK9: A), sent back from its receiver to its sender
    under our interchange and group control number `control`, dated `at` (UTC), written with
    the interchange's own delimiters. (A refused interchange is answered with the API's
    error, not a 997.)"""
    element, component, terminator = interchange.separators
    number = f"{control:09d}"
    lines = [
        _isa(
            (interchange.receiver_qualifier, interchange.receiver),
            (interchange.sender_qualifier, interchange.sender),
            number,
            at,
            test=interchange.test,
            component=component,
        )
    ]
    for group in interchange.groups:
        body = [["ST", "997", "0001"], ["AK1", group.code, group.control]]
        for transaction in group.sets:
            body += [["AK2", transaction.code, transaction.control], ["AK5", "A"]]
        n = len(group.sets)
        body.append(["AK9", "A", str(n), str(n), str(n)])
        body.append(["SE", str(len(body) + 1), "0001"])
        lines += [
            [
                "GS",
                "FA",
                group.receiver,
                group.sender,
                f"{at:%Y%m%d}",
                f"{at:%H%M}",
                str(control),
                "X",
                group.version or "004010",
            ],
            *body,
            ["GE", "1", str(control)],
        ]
    lines.append(["IEA", str(len(interchange.groups)), number])
    return "".join(element.join(parts) + terminator + "\n" for parts in lines)


def element_value(text: object, most: int = 60) -> str:
    """A value as an element of an interchange Handoff writes (`interchange_write`): no
    delimiter, control character or line break in it, at most `most` characters."""
    return re.sub(r"[*>~^\x00-\x1f]+", " ", str(text)).strip()[:most]


def interchange_write(
    *,
    sender: tuple[str, str],
    receiver: tuple[str, str],
    group: tuple[str, str, str],
    control: int,
    at: datetime.datetime,
    body: list[list[str]],
) -> str:
    """One interchange Handoff starts: ISA (from `sender` to `receiver`, qualifier and ID
    each), one functional group (GS01, GS02, GS03 as `group`), the transaction set `body`
    (ST … SE), GE and IEA, under `control` (ISA13 and GS06), dated `at` (UTC); `*`, `>` and
    `~` its delimiters, one segment a line, trailing empty elements left out."""
    number = f"{control:09d}"
    segments = [
        _isa(sender, receiver, number, at),
        ["GS", *group, f"{at:%Y%m%d}", f"{at:%H%M}", str(control), "X", "004010"],
        *body,
        ["GE", "1", str(control)],
        ["IEA", "1", number],
    ]
    return "".join("*".join(parts).rstrip("*") + "~\n" for parts in segments)
