"""X12 214 (Transportation Carrier Shipment Status Message): what a carrier says of its
consignments, as Handoff reads it.

Handoff's reading of a 214, for the carriers' implementation guides:
- B10-01 is the carrier's own number for the consignment (its waybill or PRO number, which
  the stop keeps: `Stop.waybill`), B10-03 its SCAC, which is the carrier's code here;
- each LX loop holds one or more AT7 statuses, each followed by an optional MS1 (where:
  city, state, country; or longitude and latitude), and the loop's K1 remarks;
- AT7-01 is the status (`STATUSES`), AT7-02 its reason, AT7-05 and AT7-06 its date and
  time, AT7-07 the time's zone (`ZONES`; LT or none: the warehouse's clock);
- a delivery (D1) names who signed for it in the loop's first K1; a refusal (A7) or an
  exception may say why there.
A status Handoff does not act on (an appointment, AT7-03; a code not in `STATUSES`) is
listed as skipped, not refused.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from integrations.edi.x12 import (
    FunctionalGroup,
    Segment,
    TransactionSet,
    X12Error,
    segment_date,
    segment_time,
)

# AT7-01 (X12 element 1650) as Handoff's tracking reads it.
ARRIVED, DELIVERED, REFUSED, DELAYED, POSITION, ESTIMATE, EXCEPTION = (
    "arrived",
    "delivered",
    "refused",
    "delayed",
    "position",
    "estimate",
    "exception",
)
STATUSES: dict[str, str] = {
    "X1": ARRIVED,  # arrived at delivery location
    "D1": DELIVERED,  # completed unloading at delivery location
    "A7": REFUSED,  # refused by consignee
    "SD": DELAYED,  # shipment delayed
    "AG": ESTIMATE,  # estimated delivery
    "X2": ESTIMATE,  # estimated date and/or time of arrival at consignee's location
    "AF": POSITION,  # carrier departed pick-up location with shipment
    "X3": POSITION,  # arrived at pick-up location
    "X4": POSITION,  # arrived at terminal location
    "X6": POSITION,  # en route to delivery location
    "P1": POSITION,  # departed terminal location
    "I1": POSITION,  # in-gate
    "OA": POSITION,  # out-gate
    "J1": POSITION,  # delivered to connecting line
    "A9": EXCEPTION,  # shipment damaged
    "AP": EXCEPTION,  # delivery not completed
    "S1": EXCEPTION,  # trailer spotted at consignee's location (not yet unloaded)
}
_FIXED = {"S": 0, "D": 1}  # standard time, daylight time: hours added
_US = {"E": -5, "C": -6, "M": -7, "P": -8, "A": -9, "H": -10}
ZONES: dict[str, datetime.tzinfo | None] = {
    "": None,
    "LT": None,  # local: the warehouse's clock
    "UT": datetime.UTC,
    "GM": datetime.UTC,
    "ET": ZoneInfo("America/New_York"),
    "CT": ZoneInfo("America/Chicago"),
    "MT": ZoneInfo("America/Denver"),
    "PT": ZoneInfo("America/Los_Angeles"),
    "AT": ZoneInfo("America/Anchorage"),
    "HT": ZoneInfo("Pacific/Honolulu"),
    **{
        f"{zone}{kind}": datetime.timezone(datetime.timedelta(hours=hours + extra))
        for zone, hours in _US.items()
        for kind, extra in _FIXED.items()
    },
}


@dataclass
class CarrierStatus:
    """One AT7 of a 214: `kind` is Handoff's reading of its code (None: skipped, and why)."""

    where: str  # "ST 0001, LX 1": for messages
    segment: Segment  # the AT7
    carrier: str  # B10-03 (SCAC)
    waybill: str  # B10-01
    code: str  # AT7-01
    kind: str | None
    reason: str = ""  # AT7-02
    date: datetime.date | None = None
    time: datetime.time | None = None
    zone: datetime.tzinfo | None = None  # None: the warehouse's
    place: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    remarks: list[str] = field(default_factory=list)  # the loop's K1s
    skipped: str = ""

    def moment(self, local: datetime.tzinfo) -> datetime.datetime | None:
        """When it happened (or, for an estimate, is expected), on `local`'s clock if the
        214 gave no zone; None without a date."""
        if self.date is None:
            return None
        return datetime.datetime.combine(
            self.date, self.time or datetime.time(0), self.zone or local
        )

    @property
    def note(self) -> str:
        """What the tracking event keeps: the code, its reason, and the remarks."""
        head = f"EDI 214 {self.code}" + (f"/{self.reason}" if self.reason else "")
        return " · ".join([head, *self.remarks])[:255]


def _degrees(segment: Segment, n: int, most: int, direction: str, negative: str) -> Decimal:
    """An X12 longitude (DDDMMSS) or latitude (DDMMSS) in decimal degrees."""
    raw = segment.get(n)
    digits = 3 if most == 180 else 2
    match = re.fullmatch(rf"(\d{{{digits}}})(\d\d)(\d\d)", raw)
    if match is None or int(match[2]) > 59 or int(match[3]) > 59:
        raise segment.error(_("Not degrees, minutes and seconds: %(value)s") % {"value": raw}, n)
    value = Decimal(match[1]) + Decimal(match[2]) / 60 + Decimal(match[3]) / 3600
    if value > most:
        raise segment.error(
            _("Beyond %(most)s degrees: %(value)s") % {"most": most, "value": raw}, n
        )
    value = value.quantize(Decimal("0.000001"))
    return -value if direction == negative else value


def _located(status: CarrierStatus, ms1: Segment) -> None:
    status.place = ", ".join(part for part in (ms1.get(1), ms1.get(2), ms1.get(3)) if part)[:120]
    if ms1.get(4) or ms1.get(5):
        status.longitude = _degrees(ms1, 4, 180, ms1.get(6), "W")
        status.latitude = _degrees(ms1, 5, 90, ms1.get(7), "S")


def _statuses_of(transaction: TransactionSet) -> list[CarrierStatus]:
    b10 = next((s for s in transaction.segments if s.tag == "B10"), None)
    if b10 is None:
        raise X12Error(
            _("A 214 begins with a B10."),
            where=transaction.header.where,
        )
    if not b10.get(1):
        raise b10.error(_("The carrier's number for the consignment (its waybill) is missing."), 1)
    if not b10.get(3):
        raise b10.error(_("The carrier's SCAC is missing."), 3)
    out: list[CarrierStatus] = []
    loop = ""
    in_loop: list[CarrierStatus] = []
    last: CarrierStatus | None = None
    for segment in transaction.segments:
        if segment.tag == "LX":
            loop, in_loop, last = segment.get(1), [], None
        elif segment.tag == "AT7":
            where = f"ST {transaction.control}, LX {loop or '—'}"  # a field's name: not translated
            code = segment.get(1)
            kind = STATUSES.get(code) if code else None
            skipped = ""
            if not code:
                skipped = _(
                    "An appointment (AT7-03 %(code)s): Handoff reads shipment statuses."
                ) % {"code": segment.get(3) or "—"}
            elif kind is None:
                skipped = _("Status %(code)s is not one Handoff acts on.") % {"code": code}
            zone_code = segment.get(7)
            if zone_code not in ZONES:
                raise segment.error(
                    _("Not a time code Handoff knows: %(value)s (LT, UT, GM, ET, CT, MT, PT, …)")
                    % {"value": zone_code},
                    7,
                )
            last = CarrierStatus(
                where=where,
                segment=segment,
                carrier=b10.get(3).strip(),
                waybill=b10.get(1).strip(),
                code=code,
                kind=kind,
                reason=segment.get(2),
                date=segment_date(segment, 5),
                time=segment_time(segment, 6),
                zone=ZONES[zone_code],
                skipped=skipped,
            )
            if kind is not None and last.date is None:
                raise segment.error(_("The status's date is missing."), 5)
            out.append(last)
            in_loop.append(last)
        elif segment.tag == "MS1" and last is not None:
            _located(last, segment)
        elif segment.tag == "K1" and segment.get(1):
            remark = " ".join(part for part in (segment.get(1), segment.get(2)) if part)
            for status in in_loop:
                status.remarks.append(remark)
    return out


def carrier_statuses(group: FunctionalGroup) -> list[CarrierStatus]:
    """The statuses of a functional group of 214s, in the order sent. Raises X12Error if
    the group is not of 214s (GS01 QM) or a 214 cannot be read as `carrier_status` says."""
    if group.code != "QM":
        raise X12Error(
            _("Handoff reads carrier shipment statuses (GS01 QM), not %(code)s.")
            % {"code": group.code or "—"},
            where="GS",
            element="GS01",
        )
    out = []
    for transaction in group.sets:
        if transaction.code != "214":
            raise transaction.header.error(
                _("A QM group holds 214s, not %(code)s.") % {"code": transaction.code}, 1
            )
        out += _statuses_of(transaction)
    return out
