"""X12 204 (Motor Carrier Load Tender): Handoff offering a load to the carrier whose vehicle
it is planned on, telling it of a change, or withdrawing it. The carrier answers with a 990
(`integrations.edi.tender_response`).

What Handoff writes, for the carrier's TMS:
- one interchange, one group (GS01 SM), one 204, from Handoff (HANDOFF_EDI_ID) to the
  carrier's EDI ID;
- B2-02 the carrier's SCAC (its code here), B2-04 the load's reference (which the 990's B1-02
  and the 214's stops answer to), B2-06 PP (we pay);
- B2A-01 00 a tender, 04 a change to it, 01 its withdrawal; B2A-02 LT;
- L11 SI the load's reference; G62 64 (time qualifier 1) the time the answer is due by;
- N7 the vehicle (its plate, N7-11 RT for a refrigerated one, else TV), and for chilled or
  frozen goods an NTE LOI with the range to keep;
- S5 1 LD, the pickup at the warehouse: its dock slot (G62 37/G and 38/K), N1 SF (N1-04 the
  warehouse's code), N3 and N4;
- an S5 UL for each delivery, in the order the truck drives them: the orders (L11 CO), the
  ship-to's window on the day it is due there (G62 53/X and 54/Z), N1 ST, N3, N4;
- S5-03/04 and -07/08: the weight in KG (K) and the volume in cubic metres (X);
- L3 the load's weight and volume.
Times are on the warehouse's clock. A withdrawal says the same of the load as its last
tender, with no answer due.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from integrations.edi.x12 import element_value, interchange_write

WEIGHT_KG, VOLUME_M3 = "K", "X"


@dataclass(frozen=True)
class Place:
    name: str
    code: str
    address: str
    city: str
    country: str


@dataclass(frozen=True)
class TenderStop:
    place: Place
    weight_kg: Decimal
    volume_l: Decimal
    orders: list[str] = field(default_factory=list)
    # Its window on the day the truck is due there (local times); None: not timed.
    window: tuple[datetime.datetime, datetime.datetime] | None = None


@dataclass(frozen=True)
class Tender:
    """What a 204 says of a load, apart from its envelope, its purpose and its answer's due
    time."""

    carrier: str  # SCAC
    load: str
    vehicle: str
    refrigerated: bool
    keep: str  # chilled or frozen goods' range, e.g. "2..8 C"; "" for ambient
    pickup: Place
    slot: tuple[datetime.datetime, datetime.datetime] | None  # the dock slot, local
    stops: list[TenderStop] = field(default_factory=list)


@dataclass(frozen=True)
class Envelope:
    sender: tuple[str, str]  # ISA qualifier, ID
    receiver: tuple[str, str]
    control: int
    at: datetime.datetime  # when written, UTC
    purpose: str  # B2A-01
    respond_by: datetime.datetime | None  # local


def _metric(weight: Decimal, volume_l: Decimal) -> list[str]:
    """S5-03 … S5-08: weight in kg, no units, volume in m³."""
    return [
        f"{weight.quantize(Decimal('1'))}",
        WEIGHT_KG,
        "",
        "",
        f"{(volume_l / 1000).quantize(Decimal('0.01'))}",
        VOLUME_M3,
    ]


def _place(qualifier: str, place: Place) -> list[list[str]]:
    return [
        ["N1", qualifier, element_value(place.name), "93", element_value(place.code, 80)],
        ["N3", element_value(place.address, 55)],
        ["N4", element_value(place.city, 30), "", "", element_value(place.country, 3)],
    ]


def _window(
    window: tuple[datetime.datetime, datetime.datetime], codes: tuple[str, str, str, str]
) -> list[list[str]]:
    opens, closes = window
    return [
        ["G62", codes[0], f"{opens:%Y%m%d}", codes[1], f"{opens:%H%M}"],
        ["G62", codes[2], f"{closes:%Y%m%d}", codes[3], f"{closes:%H%M}"],
    ]


def tender_segments(tender: Tender) -> list[list[str]]:
    """What the 204 says of the load, between its heading's references and its SE: the
    vehicle (N7, and NTE LOI for chilled or frozen goods), the stops (S5 loops) and the
    totals (L3). A withdrawal repeats its last tender's."""
    weight = sum((s.weight_kg for s in tender.stops), Decimal(0))
    volume = sum((s.volume_l for s in tender.stops), Decimal(0))
    body: list[list[str]] = []
    if tender.keep:
        body.append(["NTE", "LOI", element_value(f"Keep at {tender.keep}", 80)])
    body.append(
        [
            "N7",
            "",
            element_value(tender.vehicle, 10),
            *[""] * 8,
            "RT" if tender.refrigerated else "TV",
        ]
    )
    body.append(["S5", "1", "LD", *_metric(weight, volume)])
    if tender.slot is not None:
        body += _window(tender.slot, ("37", "G", "38", "K"))
    body += _place("SF", tender.pickup)
    for n, stop in enumerate(tender.stops, start=2):
        body.append(["S5", str(n), "UL", *_metric(stop.weight_kg, stop.volume_l)])
        body += [["L11", element_value(order, 30), "CO"] for order in stop.orders]
        if stop.window is not None:
            body += _window(stop.window, ("53", "X", "54", "Z"))
        body += _place("ST", stop.place)
    body.append(
        [
            "L3",
            f"{weight.quantize(Decimal('1'))}",
            "G",
            *[""] * 6,
            f"{(volume / 1000).quantize(Decimal('0.01'))}",
            VOLUME_M3,
            "",
            WEIGHT_KG,
        ]
    )
    return body


def load_tender_204(
    *, carrier: str, load: str, segments: list[list[str]], envelope: Envelope
) -> str:
    """The interchange that tenders, changes or withdraws (`envelope.purpose`) the load
    `segments` describe (`tender_segments`), its envelopes' and SE's counts right, one
    segment a line."""
    body: list[list[str]] = [
        ["ST", "204", "0001"],
        ["B2", "", element_value(carrier, 32), "", element_value(load, 30), "", "PP"],
        ["B2A", envelope.purpose, "LT"],
        ["L11", element_value(load, 30), "SI"],
    ]
    if envelope.respond_by is not None:
        by = envelope.respond_by
        body.append(["G62", "64", f"{by:%Y%m%d}", "1", f"{by:%H%M}"])
    body += segments
    body.append(["SE", str(len(body) + 1), "0001"])
    return interchange_write(
        sender=envelope.sender,
        receiver=envelope.receiver,
        group=("SM", envelope.sender[1], envelope.receiver[1]),
        control=envelope.control,
        at=envelope.at,
        body=body,
    )
