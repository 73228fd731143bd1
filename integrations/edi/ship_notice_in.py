"""X12 856 (Ship Notice/Manifest) from a supplier: what is coming to one of our warehouses,
pallet by pallet, as Handoff reads it to expect the receipt (an ASN).

Handoff's reading of an inbound 856:
- BSN-02 is the supplier's number for the shipment, which the receipt takes as its
  reference; DTM 017 (estimated delivery) is the day expected, else DTM 011 (shipped), else
  BSN-03; DTM 017's time (DTM-03, on the warehouse's clock: DTM-04 empty or LT) is when its
  truck comes, and a door is held for it then, expecting the truck TD3-03 names (its plate);
- N1 SF names the supplier (N1-02, or N1-04), N1 ST our warehouse by its code in N1-04;
- HL P (a pack) is a pallet or case, MAN GM its SSCC; HL I (an item) under it is what it
  holds: LIN the product by SKU (SK, VN, BP, IN, MG) or GTIN (UP, UK, EN, UA, UI), the first
  of its pairs Handoff reads; SN1-02 the quantity in the item's unit (SN1-03); REF LT its lot
  and DTM 036 its expiry. An HL I under no pack is received by item scan, as goods loose on
  the truck. HL O (PRF) and HL T are read through.
One 856 is one receipt; an interchange may hold several.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from integrations.edi.shipping_order import GTIN_QUALIFIERS, SKU_QUALIFIERS
from integrations.edi.x12 import (
    FunctionalGroup,
    Segment,
    TransactionSet,
    X12Error,
    segment_date,
    segment_time,
)
from shipping.choices import PLATE_MOST


@dataclass
class ItemSaid:
    """An HL I: the product as named (`by_gtin`: a GTIN, else a SKU), how many, its lot."""

    lin: Segment
    qualifier: str
    product: str
    by_gtin: bool
    sn1: Segment | None = None
    quantity: int = 0
    unit: str = ""
    lot: str = ""
    expires_on: datetime.date | None = None


@dataclass
class PackSaid:
    """An HL P: its SSCC (MAN GM), and the items it holds."""

    hl: Segment
    man: Segment | None = None
    sscc: str = ""
    items: list[ItemSaid] = field(default_factory=list)


@dataclass
class ShipNoticeSaid:
    where: str  # "ST 0001": for messages
    header: Segment  # the BSN
    reference: str
    expected_on: datetime.date | None
    supplier: str
    warehouse: str  # N1 ST N1-04
    warehouse_segment: Segment | None
    packs: list[PackSaid] = field(default_factory=list)
    loose: list[ItemSaid] = field(default_factory=list)
    # DTM 017's time: when the truck comes, on the warehouse's clock (None: the day only).
    arrives_at: datetime.time | None = None
    plate: str = ""  # TD3-03: the truck's (or trailer's) number, its plate

    @property
    def items(self) -> list[ItemSaid]:
        return [i for p in self.packs for i in p.items] + self.loose

    def place(self, path: str) -> str:
        """The segment and element that said a field of the receipt: `reference` (BSN-02),
        `warehouse`, `units[i].sscc`, `units[i].contents[j].<field>`, `lines[k].<field>`."""
        parts = path.replace("]", "").replace("[", ".").split(".")
        if parts[0] == "units" and len(parts) > 1 and parts[1].isdigit():
            pack = self.packs[int(parts[1])]
            if len(parts) > 3 and parts[2] == "contents" and parts[3].isdigit():
                return self._item_place(pack.items[int(parts[3])], parts[4:])
            return f"{pack.man.where} MAN02" if pack.man is not None else pack.hl.where
        if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            items = self.items
            return self._item_place(items[index], parts[2:]) if index < len(items) else ""
        if parts[0] == "warehouse" and self.warehouse_segment is not None:
            return f"{self.warehouse_segment.where} N104"
        return f"{self.header.where} BSN02"

    @staticmethod
    def _item_place(item: ItemSaid, rest: list[str]) -> str:
        if rest and rest[0] == "quantity" and item.sn1 is not None:
            return f"{item.sn1.where} SN102"
        return f"{item.lin.where} LIN03"


def _product(lin: Segment) -> tuple[str, str]:
    """The first (qualifier, product) pair of a LIN that Handoff reads."""
    for n in range(2, 30, 2):
        qualifier, product = lin.get(n).strip().upper(), lin.get(n + 1).strip()
        if not qualifier and not product:
            break
        if qualifier in SKU_QUALIFIERS | GTIN_QUALIFIERS and product:
            return qualifier, product
    raise lin.error(
        _(
            "Names no product Handoff reads: a SKU (SK, VN, BP, IN, MG) or a GTIN (UP, UK, EN, "
            "UA, UI) with its qualifier."
        ),
        3,
    )


def _quantity(sn1: Segment) -> int:
    raw = sn1.get(2).strip()
    try:
        value = float(raw)
    except ValueError:
        raise sn1.error(_("Not a quantity: %(value)s") % {"value": raw or "—"}, 2) from None
    if value <= 0 or not value.is_integer():
        raise sn1.error(
            _("A quantity is a whole number above 0, not %(value)s.") % {"value": raw}, 2
        )
    return int(value)


def _notice_of(transaction: TransactionSet) -> ShipNoticeSaid:
    bsn = next((s for s in transaction.segments if s.tag == "BSN"), None)
    if bsn is None:
        raise X12Error(_("An 856 begins with a BSN."), where=transaction.header.where)
    if not bsn.get(2).strip():
        raise bsn.error(_("The supplier's number for the shipment is missing."), 2)
    notice = ShipNoticeSaid(
        where=f"ST {transaction.control}",  # a field's name: not translated
        header=bsn,
        reference=bsn.get(2).strip(),
        expected_on=segment_date(bsn, 3),
        supplier="",
        warehouse="",
        warehouse_segment=None,
    )
    shipped: datetime.date | None = None
    eta: datetime.date | None = None
    packs: dict[str, PackSaid] = {}
    level = ""
    pack: PackSaid | None = None
    item: ItemSaid | None = None
    for segment in transaction.segments:
        tag = segment.tag
        if tag == "HL":
            level = segment.get(3).strip().upper()
            item = None
            if level == "P":
                pack = PackSaid(hl=segment)
                packs[segment.get(1)] = pack
                notice.packs.append(pack)
            elif level == "I":
                pack = packs.get(segment.get(2))
            else:
                pack = None
        elif tag == "N1" and segment.get(1) == "SF":
            notice.supplier = (segment.get(2) or segment.get(4)).strip()
        elif tag == "N1" and segment.get(1) == "ST":
            notice.warehouse = segment.get(4).strip()
            notice.warehouse_segment = segment
        elif tag == "DTM" and level == "S" and segment.get(1) in ("017", "011"):
            day = segment_date(segment, 2)
            if segment.get(1) == "017":
                eta = day
                notice.arrives_at = segment_time(segment, 3)
                if segment.get(4).strip().upper() not in ("", "LT"):
                    raise segment.error(
                        _(
                            "Handoff reads the time on the warehouse's clock: LT, or none, "
                            "not %(code)s."
                        )
                        % {"code": segment.get(4)[:4]},
                        4,
                    )
            else:
                shipped = day
        elif tag == "TD3" and level == "S":
            notice.plate = " ".join(segment.get(3).split())
            if len(notice.plate) > PLATE_MOST:
                raise segment.error(
                    _("A plate of at most %(n)s characters, not %(value)s.")
                    % {"n": PLATE_MOST, "value": notice.plate[:30]},
                    3,
                )
        elif tag == "MAN" and level == "P" and pack is not None:
            if segment.get(1) != "GM":
                raise segment.error(
                    _("A pack's mark is its SSCC, MAN01 GM, not %(code)s.")
                    % {"code": segment.get(1) or "—"},
                    1,
                )
            pack.man, pack.sscc = segment, segment.get(2).strip()
        elif tag == "LIN" and level == "I":
            qualifier, product = _product(segment)
            item = ItemSaid(
                lin=segment,
                qualifier=qualifier,
                product=product,
                by_gtin=qualifier in GTIN_QUALIFIERS,
            )
            (pack.items if pack is not None else notice.loose).append(item)
        elif tag == "SN1" and item is not None:
            item.sn1, item.quantity, item.unit = segment, _quantity(segment), segment.get(3).strip()
        elif tag == "REF" and item is not None and segment.get(1) == "LT":
            item.lot = segment.get(2).strip()
        elif tag == "DTM" and item is not None and segment.get(1) == "036":
            item.expires_on = segment_date(segment, 2)
    notice.expected_on = eta or shipped or notice.expected_on
    if notice.warehouse_segment is None or not notice.warehouse:
        raise X12Error(
            _("Which warehouse it is coming to: an N1 ST with its code in N1-04."),
            where=bsn.where,
        )
    for pack in notice.packs:
        if pack.man is None:
            raise pack.hl.error(_("A pack (HL P) has its SSCC in a MAN GM."))
        if not pack.items:
            raise pack.hl.error(_("Pallet %(sscc)s holds nothing.") % {"sscc": pack.sscc})
    for said in notice.items:
        if said.sn1 is None:
            raise said.lin.error(_("How many: an SN1 follows the LIN."))
    if not notice.items:
        raise bsn.error(_("The ship notice lists no item (HL I with LIN and SN1)."))
    if notice.expected_on is None:
        raise bsn.error(_("When it is expected: DTM 017, DTM 011 or BSN-03."), 3)
    return notice


def ship_notices_in(group: FunctionalGroup) -> list[ShipNoticeSaid]:
    """The ship notices of a functional group of 856s, in the order sent. Raises X12Error
    if the group is not of 856s (GS01 SH) or an 856 cannot be read as `ship_notice_in`
    says."""
    if group.code != "SH":
        raise X12Error(
            _("Handoff reads ship notices (GS01 SH), not %(code)s.") % {"code": group.code or "—"},
            where="GS",
            element="GS01",
        )
    out = []
    for transaction in group.sets:
        if transaction.code != "856":
            raise transaction.header.error(
                _("An SH group holds 856s, not %(code)s.") % {"code": transaction.code}, 1
            )
        out.append(_notice_of(transaction))
    return out
