"""X12 945 (Warehouse Shipping Advice): Handoff telling the depositor that an order it sent
in a 940 (`integrations.edi.shipping_order`) has shipped, and how much of each line.

What Handoff writes, for the ERP's implementation guide:
- one interchange, one group (GS01 SW), one 945, from the 940's receiver to its sender;
- W06-01 N; W06-02 the depositor's order number; W06-03 the day the truck left, on the
  warehouse's clock; W06-04 the shipment's reference (letters and digits only); W06-06 the
  purchase order number;
- N1 SF the warehouse (N1-04 its code), N1 ST the ship-to (N1-04 its code);
- N9 BM the shipment's reference, N9 CN the carrier's waybill (when it gave one);
- G62 11 the day shipped; W27 M and the carrier's SCAC (its code in Handoff);
- per order line, an LX (its line number), a MAN GM for each SSCC of a unit it is packed in,
  and a W12: CC (complete) or CP (part of it, the rest not to follow); the quantity ordered,
  shipped and short; the unit and product as the 940 said them; an N9 LT for each lot;
- W03: the units shipped and their weight in KG.
An order split across warehouses ships as several orders, each answered by its own 945
under the same depositor's order number.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from integrations.edi.x12 import element_value, interchange_write


@dataclass(frozen=True)
class AdviceLine:
    line_no: int
    ordered: int
    shipped: int
    unit: str
    qualifier: str  # as the 940's W01-04; "" for a U.P.C. (W01-03)
    product: str
    lots: list[tuple[str, int]] = field(default_factory=list)
    ssccs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Advice:
    """What the 945 says: from `sender` to `receiver` (ISA qualifier and ID each)."""

    sender: tuple[str, str]
    receiver: tuple[str, str]
    group_sender: str
    group_receiver: str
    control: int
    at: datetime.datetime  # when it is written, in UTC
    depositor_order: str
    purchase_order: str
    shipped_on: datetime.date
    shipment: str
    waybill: str
    carrier: str
    ship_from: tuple[str, str]  # name, code
    ship_to: tuple[str, str]
    weight_kg: Decimal
    lines: list[AdviceLine]


def shipping_advice_945(advice: Advice) -> str:
    """The interchange, its envelopes' counts and control numbers right (ISA13 = GS06 =
    `control`), one segment a line."""
    shipment_id = re.sub(r"[^A-Za-z0-9]", "", advice.shipment)[:30]
    body: list[list[str]] = [
        ["ST", "945", "0001"],
        [
            "W06",
            "N",
            element_value(advice.depositor_order, 22),
            f"{advice.shipped_on:%Y%m%d}",
            shipment_id,
            "",
            element_value(advice.purchase_order, 22),
        ],
        [
            "N1",
            "SF",
            element_value(advice.ship_from[0]),
            "91",
            element_value(advice.ship_from[1], 80),
        ],
        ["N1", "ST", element_value(advice.ship_to[0]), "92", element_value(advice.ship_to[1], 80)],
        ["N9", "BM", element_value(advice.shipment, 30)],
    ]
    if advice.waybill:
        body.append(["N9", "CN", element_value(advice.waybill, 30)])
    body += [
        ["G62", "11", f"{advice.shipped_on:%Y%m%d}"],
        ["W27", "M", element_value(advice.carrier, 4)],
    ]
    for line in advice.lines:
        body.append(["LX", str(line.line_no)])
        body += [["MAN", "GM", sscc] for sscc in line.ssccs]
        body.append(
            [
                "W12",
                "CC" if line.shipped >= line.ordered else "CP",
                str(line.ordered),
                str(line.shipped),
                str(line.ordered - line.shipped),
                element_value(line.unit, 2),
                "" if line.qualifier else element_value(line.product, 12),
                line.qualifier,
                element_value(line.product, 48) if line.qualifier else "",
            ]
        )
        body += [["N9", "LT", element_value(lot, 30)] for lot, _ in line.lots]
    body.append(
        [
            "W03",
            str(sum(line.shipped for line in advice.lines)),
            f"{advice.weight_kg.quantize(Decimal('0.1'))}",
            "KG",
        ]
    )
    body.append(["SE", str(len(body) + 1), "0001"])
    return interchange_write(
        sender=advice.sender,
        receiver=advice.receiver,
        group=("SW", advice.group_sender, advice.group_receiver),
        control=advice.control,
        at=advice.at,
        body=body,
    )
