"""GS1 EPCIS 2.0 in: what RFID portals and scanners saw, as a JSON (JSON-LD) EPCIS document,
read as Handoff acts on it.

Handoff's reading, for the middleware's integrators:
- the document is an `EPCISDocument` whose `epcisBody.eventList` holds the events (1,000 at
  most); each has a `type`, an `action` (ADD, OBSERVE, DELETE) and an `eventTime` with its
  zone (ISO 8601);
- the handling units are SSCCs, as EPC URNs (`urn:epc:id:sscc:0614141.1234567890`, the
  extension digit first in the serial reference) or GS1 Digital Link URIs
  (`https://id.gs1.org/00/106141412345678908`); an ObjectEvent names them in `epcList`, an
  AggregationEvent in `parentID` and `childEPCs`; other EPCs (SGTINs, GRAIs…) are counted,
  not acted on;
- `bizStep` `loading` (in any of the CBV's spellings: `loading`,
  `urn:epcglobal:cbv:bizstep:loading`, `https://ref.gs1.org/cbv/BizStep-loading`) with ADD or
  OBSERVE puts the units onto their trucks (`shipping.services.load_scan`); `receiving` with
  ADD or OBSERVE receives the pallets a supplier's ship notice announced, each whole
  (`inventory.services.receipt_unit_receive`); other steps are read and skipped, and said so;
- `readPoint.id` names where: an SGLN URN (`urn:epc:id:sgln:0614141.00777.D3`) or a Digital
  Link (`https://id.gs1.org/414/0614141007770/254/D3`) whose extension is a dock's code;
  `bizLocation.id`, written the same way, is where received goods now are: its extension is
  a location's barcode (without one, the read point's extension is).
A document that cannot be read is refused whole, naming the field (`epcisBody.eventList[2]
.eventTime`); what a read means for a unit is said unit by unit.
"""

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from core.gs1 import gs1_check_digit

LOADING, RECEIVING = "loading", "receiving"
ACTING = ("ADD", "OBSERVE")
MAX_EVENTS = 1000
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
_BIZSTEP = re.compile(
    r"(?:urn:epcglobal:cbv:bizstep:|https?://ref\.gs1\.org/cbv/BizStep-|https?://gs1\.org/voc/Bizstep-)?"
    r"([a-z_]+)"
)
_SSCC_URN = re.compile(r"urn:epc:id:sscc:(\d{6,12})\.(\d{5,11})")
_SSCC_LINK = re.compile(r"https?://[^/]+/00/(\d{18})")
_SGLN_URN = re.compile(r"urn:epc:id:sgln:\d+\.\d*\.(.+)")
_GLN_LINK = re.compile(r"https?://[^/]+/414/\d{13}/254/([^/?#]+)")


class EpcisError(Exception):
    """A document that cannot be read: which field, and why."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Observation:
    """One event as Handoff reads it."""

    where: str  # "epcisBody.eventList[3]"
    type: str
    action: str
    biz_step: str  # the CBV step's short name, "" if none
    at: datetime.datetime
    read_point: str
    dock: str  # the read point's extension, a dock's code; "" if none
    place: str  # the business location's extension (else the read point's): a location
    ssccs: list[tuple[str, str]] = field(default_factory=list)  # (the EPC as sent, SSCC)
    others: int = 0  # EPCs that are not SSCCs

    @property
    def acts(self) -> bool:
        """Whether Handoff acts on it (loading or receiving, ADD or OBSERVE)."""
        return self.biz_step in (LOADING, RECEIVING) and self.action in ACTING


def sscc_of(epc: str, where: str) -> str | None:
    """The 18-digit SSCC an EPC names; None for an EPC of something else. Raises EpcisError
    for an SSCC that is malformed (its length, or a Digital Link's check digit)."""
    urn = _SSCC_URN.fullmatch(epc)
    if urn is not None:
        prefix, serial = urn.groups()
        if len(prefix) + len(serial) != 17:
            raise EpcisError(
                _("%(epc)s: company prefix and serial reference make 17 digits, not %(n)s.")
                % {"epc": epc, "n": len(prefix) + len(serial)},
                field=where,
            )
        body = serial[0] + prefix + serial[1:]
        return body + str(gs1_check_digit(body))
    link = _SSCC_LINK.fullmatch(epc)
    if link is not None:
        sscc = link.group(1)
        if int(sscc[-1]) != gs1_check_digit(sscc[:-1]):
            raise EpcisError(
                _("%(epc)s: the SSCC's check digit is %(said)s, not %(right)s.")
                % {"epc": epc, "said": sscc[-1], "right": gs1_check_digit(sscc[:-1])},
                field=where,
            )
        return sscc
    if epc.startswith("urn:epc:id:sscc:"):
        raise EpcisError(_("%(epc)s is not an SSCC EPC URN.") % {"epc": epc}, field=where)
    return None


def _dock_of(read_point: str) -> str:
    """An SGLN's (or a GLN Digital Link's) extension: a dock's code, or a location's
    barcode; "" if none."""
    for pattern in (_SGLN_URN, _GLN_LINK):
        found = pattern.fullmatch(read_point)
        if found is not None:
            extension = found.group(1)
            return "" if extension == "0" else extension
    return ""


def _text(event: dict, name: str, where: str, *, required: bool = True) -> str:
    value = event.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise EpcisError(_("Missing, or not text."), field=f"{where}.{name}")
    return value.strip()


def _moment(event: dict, where: str) -> datetime.datetime:
    raw = _text(event, "eventTime", where)
    try:
        moment = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise EpcisError(
            _("Not a time (ISO 8601): %(value)s") % {"value": raw[:40]}, field=f"{where}.eventTime"
        ) from None
    if moment.tzinfo is None:
        raise EpcisError(
            _("A time with its zone (2026-12-07T09:30:00+08:00), not %(value)s.")
            % {"value": raw[:40]},
            field=f"{where}.eventTime",
        )
    return moment


def _epcs(event: dict, where: str) -> list[tuple[str, str]]:
    """The EPCs an event names, each with the field it came in."""
    out = []
    names = [("parentID", event.get("parentID"))] if event.get("parentID") else []
    for name in ("epcList", "childEPCs", "inputEPCList", "outputEPCList"):
        values = event.get(name)
        if values is None:
            continue
        if not isinstance(values, list):
            raise EpcisError(_("A list of EPCs."), field=f"{where}.{name}")
        names += [(f"{name}[{n}]", value) for n, value in enumerate(values)]
    for name, value in names:
        if not isinstance(value, str) or not value.strip():
            raise EpcisError(_("An EPC is a URI."), field=f"{where}.{name}")
        out.append((f"{where}.{name}", value.strip()))
    return out


def observations(document: Any) -> list[Observation]:
    """The events of an EPCIS 2.0 document, in the order sent, or EpcisError naming the
    first field that cannot be read."""
    if not isinstance(document, dict) or document.get("type") != "EPCISDocument":
        raise EpcisError(_("An EPCIS document has type EPCISDocument."), field="type")
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, dict) else None
    if not isinstance(events, list):
        raise EpcisError(_("The events are a list."), field="epcisBody.eventList")
    if len(events) > MAX_EVENTS:
        raise EpcisError(
            _("At most %(n)s events a document; send it in parts.") % {"n": MAX_EVENTS},
            field="epcisBody.eventList",
        )
    out = []
    for index, event in enumerate(events):
        where = f"epcisBody.eventList[{index}]"
        if not isinstance(event, dict):
            raise EpcisError(_("An event is an object."), field=where)
        kind = _text(event, "type", where)
        if kind not in EVENT_TYPES:
            raise EpcisError(
                _("Not an EPCIS event type: %(type)s") % {"type": kind[:40]}, field=f"{where}.type"
            )
        action = event.get("action", "")
        if kind != "TransformationEvent" and action not in ("ADD", "OBSERVE", "DELETE"):
            raise EpcisError(
                _("The action is ADD, OBSERVE or DELETE, not %(action)s.")
                % {"action": str(action)[:20] or "—"},
                field=f"{where}.action",
            )
        step = _text(event, "bizStep", where, required=False)
        step_name = ""
        if step:
            found = _BIZSTEP.fullmatch(step)
            step_name = found.group(1) if found else step
        read_point = event.get("readPoint")
        point = read_point.get("id", "") if isinstance(read_point, dict) else ""
        if not isinstance(point, str):
            raise EpcisError(_("Missing, or not text."), field=f"{where}.readPoint.id")
        biz_location = event.get("bizLocation")
        located = biz_location.get("id", "") if isinstance(biz_location, dict) else ""
        if not isinstance(located, str):
            raise EpcisError(_("Missing, or not text."), field=f"{where}.bizLocation.id")
        observed = Observation(
            where=where,
            type=kind,
            action=str(action),
            biz_step=step_name,
            at=_moment(event, where),
            read_point=point,
            dock=_dock_of(point),
            place=_dock_of(located) or _dock_of(point),
        )
        for name, epc in _epcs(event, where):
            sscc = sscc_of(epc, name)
            if sscc is None:
                observed.others += 1
            else:
                observed.ssccs.append((epc, sscc))
        out.append(observed)
    return out
