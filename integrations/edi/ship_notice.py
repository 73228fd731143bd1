"""X12 856 (Ship Notice/Manifest): Handoff telling a customer, as the truck leaves, what is
coming to one of its ship-tos: which orders, in which handling units (SSCCs), holding what.

What Handoff writes, for the customer's receiving system:
- one interchange, one group (GS01 SH), one 856, from Handoff (HANDOFF_EDI_ID) to the
  customer's EDI ID;
- BSN 00, the notice's number (the shipment's reference and the stop), the day and time it
  left, structure 0001 (shipment, order, pack, item);
- HL S (the shipment): TD1 the units and their weight in KG, TD5 the carrier's SCAC, REF BM
  the shipment, REF CN the carrier's waybill (when it gave one), DTM 011 when it left, DTM
  017 its estimated delivery, N1 ST the ship-to (N1-04 its code), N1 SF the warehouse;
- HL O (each order): PRF its reference (the customer's order number);
- HL P (each unit): MAN GM its SSCC, as on its label;
- HL I (each item in it): LIN its SKU (SK) and GTIN (EN, when it has one), SN1 the quantity in
  the item's unit, with its lot (REF LT) when it has one.
CTT counts the HLs. Times are on the warehouse's clock.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from integrations.edi.x12 import element_value, interchange_write


@dataclass(frozen=True)
class NoticeItem:
    sku: str
    gtin: str
    quantity: int
    unit: str
    lot: str = ""


@dataclass(frozen=True)
class NoticeUnit:
    sscc: str
    items: list[NoticeItem] = field(default_factory=list)


@dataclass(frozen=True)
class NoticeOrder:
    reference: str
    units: list[NoticeUnit] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    sender: tuple[str, str]  # ISA qualifier, ID
    receiver: tuple[str, str]
    control: int
    at: datetime.datetime  # when written, UTC
    number: str  # BSN-02
    left_at: datetime.datetime  # on the warehouse's clock
    eta: datetime.datetime  # on the warehouse's clock
    shipment: str
    waybill: str
    carrier: str
    ship_to: tuple[str, str]  # name, code
    ship_from: tuple[str, str]
    weight_kg: Decimal
    orders: list[NoticeOrder] = field(default_factory=list)


def ship_notice_856(notice: Notice) -> str:
    """The interchange, its envelopes' and CTT's counts right, one segment a line."""
    units = sum(len(o.units) for o in notice.orders)
    body: list[list[str]] = [
        ["ST", "856", "0001"],
        [
            "BSN",
            "00",
            element_value(notice.number, 30),
            f"{notice.left_at:%Y%m%d}",
            f"{notice.left_at:%H%M}",
            "0001",
        ],
        ["HL", "1", "", "S"],
        [
            "TD1",
            "PLT",
            str(units),
            "",
            "",
            "",
            "G",
            f"{notice.weight_kg.quantize(Decimal('0.1'))}",
            "KG",
        ],
        ["TD5", "", "2", element_value(notice.carrier, 4)],
        ["REF", "BM", element_value(notice.shipment, 30)],
    ]
    if notice.waybill:
        body.append(["REF", "CN", element_value(notice.waybill, 30)])
    body += [
        ["DTM", "011", f"{notice.left_at:%Y%m%d}", f"{notice.left_at:%H%M}"],
        ["DTM", "017", f"{notice.eta:%Y%m%d}", f"{notice.eta:%H%M}"],
        ["N1", "ST", element_value(notice.ship_to[0]), "92", element_value(notice.ship_to[1], 80)],
        [
            "N1",
            "SF",
            element_value(notice.ship_from[0]),
            "91",
            element_value(notice.ship_from[1], 80),
        ],
    ]
    hl = 1
    for order in notice.orders:
        hl += 1
        order_hl = hl
        body += [["HL", str(order_hl), "1", "O"], ["PRF", element_value(order.reference, 22)]]
        for unit in order.units:
            hl += 1
            unit_hl = hl
            body += [["HL", str(unit_hl), str(order_hl), "P"], ["MAN", "GM", unit.sscc]]
            for item in unit.items:
                hl += 1
                lin = ["LIN", "", "SK", element_value(item.sku, 48)]
                if item.gtin:
                    lin += ["EN", item.gtin]
                body += [
                    ["HL", str(hl), str(unit_hl), "I"],
                    lin,
                    ["SN1", "", str(item.quantity), element_value(item.unit, 2)],
                ]
                if item.lot:
                    body.append(["REF", "LT", element_value(item.lot, 30)])
    body.append(["CTT", str(hl)])
    body.append(["SE", str(len(body) + 1), "0001"])
    return interchange_write(
        sender=notice.sender,
        receiver=notice.receiver,
        group=("SH", notice.sender[1], notice.receiver[1]),
        control=notice.control,
        at=notice.at,
        body=body,
    )
