"""X12 940 (Warehouse Shipping Order): a depositor's order to ship, as Handoff reads it.

An ERP (the depositor) tells its warehouse what to ship in a 940; the warehouse answers each
shipment with a 945 (`integrations.edi.shipping_advice`). Handoff's reading, for the ERP's
implementation guide:
- the group is a warehouse shipping order group (GS01 OW); each 940 (ST … SE) is one order;
- W05-01 is what to do: N an original order, F cancel it; W05-02 is the depositor's order
  number, which is the order's reference in Handoff; W05-03 the purchase order number;
- an N1 ST names the ship-to by its code in N1-04 (N1-03 any qualifier); an N1 BY (or BT)
  names the customer by its code the same way. Without one, the customer is the one whose
  ship-to that is, if only one customer has a ship-to of that code;
- G62 dates: 02 (delivery requested) is the requested delivery date; 10 (requested ship
  date), or else 38 (ship no later), the promised ship date;
- each W01 is a line: W01-01 the quantity (whole units), W01-02 its unit (the item's own:
  EA, CS, or CA for a CS); the item by W01-04/05 (SK, VN, BP, IN, MG: its SKU; UP, UK, EN,
  UA, UI: its GTIN) or else by the U.P.C. in W01-03;
- a W76, if sent, totals the lines' quantities (W76-01), which is checked;
- for a cancel (F), an NTE's text is the reason given; lines are not read.
Other segments (N2 … N4, N9, W66, LX, G69, AT8, …) are left alone.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from integrations.edi.x12 import FunctionalGroup, Segment, TransactionSet, X12Error, segment_date

NEW, CANCEL = "N", "F"
SKU_QUALIFIERS = frozenset({"SK", "VN", "BP", "IN", "MG"})
GTIN_QUALIFIERS = frozenset({"UP", "UK", "EN", "UA", "UI"})
CUSTOMER_ENTITIES = ("BY", "BT")  # buying party, bill-to party: the first one sent counts
DELIVERY_DATE, SHIP_DATES = "02", ("10", "38")
QUANTITY_MAX = 1_000_000


@dataclass
class LineSaid:
    """A W01: `product` by `qualifier` (SK…: a SKU; UP…: a GTIN; "" for W01-03's U.P.C.)."""

    segment: Segment
    quantity: int
    unit: str
    qualifier: str
    product: str

    @property
    def by_gtin(self) -> bool:
        return self.qualifier in GTIN_QUALIFIERS or not self.qualifier

    @property
    def product_element(self) -> int:
        """Where the product is: W01-05, or W01-03 for a U.P.C."""
        return 5 if self.qualifier else 3


@dataclass
class ShippingOrder:
    """One 940, as sent: `place` names where each of an order's fields was said (for a
    refusal: "segment 4 (W05) W0502")."""

    where: str  # "ST 0001"
    header: Segment  # the W05
    purpose: str  # NEW or CANCEL
    depositor_order: str  # W05-02
    purchase_order: str  # W05-03
    customer: str = ""  # an N1 BY or BT's N1-04
    customer_segment: Segment | None = None
    ship_to: str = ""  # the N1 ST's N1-04
    ship_to_segment: Segment | None = None
    delivery_date: Segment | None = None  # the G62 02
    ship_date: Segment | None = None  # the G62 10 or 38
    lines: list[LineSaid] = field(default_factory=list)
    note: str = ""  # the NTEs' text

    def place(self, name: str) -> str:
        """Where a field of the order (OrderCreateInput's: `customer`, `lines[2].quantity`)
        was said, as "segment 9 (W01) W0101"; the W05 for what no segment said."""
        if name.startswith("lines["):
            index, _, rest = name[len("lines[") :].partition("]")
            if index.isdigit() and int(index) < len(self.lines):
                line = self.lines[int(index)]
                n = 1 if rest == ".quantity" else line.product_element
                return f"{line.segment.where} W01{n:02d}"
        spots = {
            "customer": (self.customer_segment or self.ship_to_segment, 4),
            "ship_to": (self.ship_to_segment, 4),
            "requested_delivery_date": (self.delivery_date, 2),
            "promised_ship_date": (self.ship_date, 2),
        }
        segment, n = spots.get(name, (None, 0))
        if segment is None:
            return f"{self.header.where} W0502"
        return f"{segment.where} {segment.tag}{n:02d}"


def _quantity(segment: Segment) -> int:
    raw = segment.get(1)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or value != value.to_integral_value() or not 0 < value <= QUANTITY_MAX:
        raise segment.error(
            _("The quantity is a whole number of units from 1 to %(most)s, not %(value)s.")
            % {"most": QUANTITY_MAX, "value": raw[:20] or "—"},
            1,
        )
    return int(value)


def _line(segment: Segment) -> LineSaid:
    quantity = _quantity(segment)
    unit = segment.get(2).strip().upper()
    if not unit:
        raise segment.error(_("The unit of the quantity is missing."), 2)
    qualifier, product = segment.get(4).strip().upper(), segment.get(5).strip()
    if qualifier or product:
        if qualifier not in SKU_QUALIFIERS | GTIN_QUALIFIERS:
            raise segment.error(
                _(
                    "Product qualifier %(code)s is not one Handoff reads (SK, VN, BP, IN, MG: "
                    "the SKU; UP, UK, EN, UA, UI: the GTIN)."
                )
                % {"code": qualifier or "—"},
                4,
            )
        if not product:
            raise segment.error(_("The product is missing."), 5)
    else:
        qualifier, product = "", segment.get(3).strip()
        if not product:
            raise segment.error(
                _("Names no product: a U.P.C. in W01-03, or a qualifier and product in W01-04/05."),
                3,
            )
    by_gtin = qualifier in GTIN_QUALIFIERS or not qualifier
    if by_gtin and (not product.isdigit() or len(product) > 14):
        raise segment.error(
            _("A GTIN or U.P.C. is up to 14 digits, not %(value)s.") % {"value": product[:20]},
            5 if qualifier else 3,
        )
    return LineSaid(segment, quantity, unit, qualifier, product)


def _order_of(transaction: TransactionSet) -> ShippingOrder:
    w05 = next((s for s in transaction.segments if s.tag == "W05"), None)
    if w05 is None:
        raise X12Error(_("A 940 begins with a W05."), where=transaction.header.where)
    purpose = w05.get(1)
    if purpose not in (NEW, CANCEL):
        raise w05.error(
            _(
                "Handoff takes N (an original order) or F (cancel it), not %(code)s; change an "
                "order through the API, or cancel it and send it again under a new number."
            )
            % {"code": purpose or "—"},
            1,
        )
    if not w05.get(2).strip():
        raise w05.error(_("The depositor's order number is missing."), 2)
    if len(w05.get(2).strip()) > 64:
        raise w05.error(_("An order number is at most 64 characters."), 2)
    order = ShippingOrder(
        where=f"ST {transaction.control}",  # a field's name: not translated
        header=w05,
        purpose=purpose,
        depositor_order=w05.get(2).strip(),
        purchase_order=w05.get(3).strip()[:22],
    )
    totals: Segment | None = None
    notes: list[str] = []
    for segment in transaction.segments:
        if segment.tag == "N1":
            entity = segment.get(1).strip().upper()
            if entity == "ST":
                if not segment.get(4).strip():
                    raise segment.error(_("The ship-to's code is missing."), 4)
                order.ship_to, order.ship_to_segment = segment.get(4).strip(), segment
            elif entity in CUSTOMER_ENTITIES and order.customer_segment is None:
                if not segment.get(4).strip():
                    raise segment.error(_("The customer's code is missing."), 4)
                order.customer, order.customer_segment = segment.get(4).strip(), segment
        elif segment.tag == "G62":
            qualifier = segment.get(1)
            if qualifier == DELIVERY_DATE or qualifier in SHIP_DATES:
                if segment_date(segment, 2) is None:
                    raise segment.error(_("The date is missing."), 2)
                if qualifier == DELIVERY_DATE:
                    order.delivery_date = segment
                elif order.ship_date is None or qualifier == SHIP_DATES[0]:
                    order.ship_date = segment
        elif segment.tag == "W01":
            if purpose == NEW:
                order.lines.append(_line(segment))
        elif segment.tag == "W76":
            totals = segment
        elif segment.tag == "NTE":
            notes.append(segment.get(2).strip())
    order.note = " ".join(n for n in notes if n)[:200]
    if purpose == CANCEL:
        return order
    for absent, problem, element in (
        (
            order.ship_to_segment is None,
            _("Names no ship-to: an N1 ST with its code in N1-04."),
            "N1",
        ),
        (order.delivery_date is None, _("Says no delivery date: a G62 02."), "G62"),
        (order.ship_date is None, _("Says no ship date: a G62 10 (or 38)."), "G62"),
        (not order.lines, _("Has no lines (W01)."), "W01"),
    ):
        if absent:
            raise X12Error(problem, where=transaction.header.where, element=element)
    if totals is not None and totals.get(1):
        said = sum(line.quantity for line in order.lines)
        try:
            total = Decimal(totals.get(1))
        except InvalidOperation:
            total = None
        if total != said:
            raise totals.error(
                _("Totals %(total)s; the lines add up to %(said)s.")
                % {"total": totals.get(1)[:20], "said": said},
                1,
            )
    return order


def shipping_orders(group: FunctionalGroup) -> list[ShippingOrder]:
    """The orders of a functional group of 940s, in the order sent. Raises X12Error if the
    group is not of 940s (GS01 OW) or a 940 cannot be read as `shipping_order` says."""
    if group.code != "OW":
        raise X12Error(
            _("Handoff reads warehouse shipping orders (GS01 OW) here, not %(code)s.")
            % {"code": group.code or "—"},
            where="GS",
            element="GS01",
        )
    out = []
    for transaction in group.sets:
        if transaction.code != "940":
            raise transaction.header.error(
                _("An OW group holds 940s, not %(code)s.") % {"code": transaction.code}, 1
            )
        out.append(_order_of(transaction))
    return out
