"""Demo zones, locations, items and opening stock; all stock enters through the services."""

import datetime
from decimal import Decimal

from django.db import transaction

from core.gs1 import gs1_check_digit, sscc_build
from core.models import Warehouse
from inventory.choices import TemperatureClass, Velocity, ZoneKind
from inventory.models import Item, Location, ReorderPolicy, Supplier, Zone
from inventory.services import (
    UnitContent,
    UnitExpected,
    receipt_create,
    stock_receive,
)

# code, name, kind, temperature, hazmat, how many locations
ZONES = [
    ("RCV", "收货区 Receiving", ZoneKind.RECEIVING, TemperatureClass.AMBIENT, False, 4),
    ("PF", "拣货面 Pick face", ZoneKind.PICK_FACE, TemperatureClass.AMBIENT, False, 20),
    ("A", "常温存储 Ambient storage", ZoneKind.STORAGE, TemperatureClass.AMBIENT, False, 42),
    ("C", "冷藏 Chilled 0-4°C", ZoneKind.STORAGE, TemperatureClass.CHILLED, False, 12),
    ("F", "冷冻 Frozen -18°C", ZoneKind.STORAGE, TemperatureClass.FROZEN, False, 8),
    ("HZ", "危险品 Hazmat cage", ZoneKind.STORAGE, TemperatureClass.AMBIENT, True, 4),
    ("STG", "集货区 Staging lanes", ZoneKind.STAGING, TemperatureClass.AMBIENT, False, 6),
    ("DK", "月台 Dock doors", ZoneKind.DOCK, TemperatureClass.AMBIENT, False, 4),
]

# name stem, temperature, hazmat, lot tracked, shelf life, velocity, unit weight kg, volume l
FAMILIES = [
    (
        "Mineral water 550ml×24 矿泉水",
        TemperatureClass.AMBIENT,
        False,
        False,
        None,
        "A",
        "13.2",
        "14",
    ),
    ("Green tea 500ml×15 绿茶", TemperatureClass.AMBIENT, False, False, None, "A", "7.9", "9"),
    ("Instant noodles ×24 方便面", TemperatureClass.AMBIENT, False, True, 180, "A", "2.6", "18"),
    ("Rice 5kg 大米", TemperatureClass.AMBIENT, False, True, 365, "B", "5.0", "6"),
    ("Soy sauce 1.9L×6 酱油", TemperatureClass.AMBIENT, False, False, None, "B", "12.5", "13"),
    ("Yogurt 200g×12 酸奶", TemperatureClass.CHILLED, False, True, 21, "A", "2.6", "4"),
    ("Fresh milk 950ml×12 鲜牛奶", TemperatureClass.CHILLED, False, True, 10, "A", "12.0", "13"),
    (
        "Frozen dumplings 1kg×10 速冻水饺",
        TemperatureClass.FROZEN,
        False,
        True,
        270,
        "B",
        "10.4",
        "16",
    ),
    (
        "Kitchen cleaner 500ml×12 厨房清洁剂",
        TemperatureClass.AMBIENT,
        True,
        False,
        None,
        "C",
        "6.8",
        "8",
    ),
    ("Paper towels ×12 纸巾", TemperatureClass.AMBIENT, False, False, None, "C", "1.9", "30"),
]
ITEMS_PER_FAMILY = 20  # 10 families × 20 = 200 items


def _gtin(number: int) -> str:
    body = f"690123{number:06d}"
    return body + str(gs1_check_digit(body))


SUPPLIER_PREFIX = "6920000"  # the GS1 company prefix on the demo supplier's pallet labels


def _pallets(
    lines: list[tuple[Item, int]], w_index: int, today: datetime.date
) -> list[UnitExpected]:
    """A pallet for each line, as a supplier's ship notice announces them: its SSCC, and
    the line's goods (of a lot, with its expiry, for a lot-tracked item)."""
    return [
        UnitExpected(
            sscc=sscc_build(
                extension=0, company_prefix=SUPPLIER_PREFIX, serial=w_index * 100 + k + 1
            ),
            contents=[
                UnitContent(
                    item=item,
                    quantity=quantity,
                    lot_code=f"S{today:%y%m}{k}" if item.lot_tracked else "",
                    expires_on=today + datetime.timedelta(days=item.shelf_life_days)
                    if item.lot_tracked and item.shelf_life_days
                    else None,
                )
            ],
        )
        for k, (item, quantity) in enumerate(lines)
    ]


def _items() -> list[Item]:
    if Item.objects.exists():
        return list(Item.objects.order_by("sku"))
    items = []
    for family_index, family in enumerate(FAMILIES):
        stem, temp, hazmat, lot, life, velocity, weight, volume = family
        for variant in range(ITEMS_PER_FAMILY):
            number = family_index * 100 + variant + 1
            velocity_here = velocity if variant < 10 else Velocity.SLOW
            items.append(
                Item(
                    sku=f"SKU-{number:05d}",
                    gtin=_gtin(number),
                    name=f"{stem} · {variant + 1}",
                    unit="CS",
                    weight_kg=Decimal(weight),
                    volume_l=Decimal(volume),
                    temperature_class=temp,
                    hazmat=hazmat,
                    lot_tracked=lot,
                    shelf_life_days=life,
                    velocity=velocity_here,
                )
            )
    return Item.objects.bulk_create(items)


def _layout(warehouse: Warehouse) -> dict[str, list[Location]]:
    by_zone: dict[str, list[Location]] = {}
    sequence = 0
    for code, name, kind, temp, hazmat, count in ZONES:
        zone = Zone.objects.create(
            warehouse=warehouse,
            code=code,
            name=name,
            kind=kind,
            temperature_class=temp,
            hazmat_allowed=hazmat,
        )
        locations = []
        for n in range(count):
            sequence += 10
            aisle, bay = divmod(n, 6)
            locations.append(
                Location(
                    warehouse=warehouse,
                    zone=zone,
                    barcode=f"{warehouse.code}-{code}-{aisle + 1:02d}-{bay + 1:02d}",
                    pick_sequence=sequence,
                    dock_distance_m=5 + sequence // 4,
                    capacity_volume_l=Decimal("8000"),
                    capacity_weight_kg=Decimal("6000"),
                )
            )
        by_zone[code] = Location.objects.bulk_create(locations)
    return by_zone


def _home_zone(item: Item) -> str:
    if item.temperature_class == TemperatureClass.CHILLED:
        return "C"
    if item.temperature_class == TemperatureClass.FROZEN:
        return "F"
    if item.hazmat:
        return "HZ"
    return "PF" if item.velocity == Velocity.FAST else "A"


# The suppliers of the master data: code, name, the EDI ID their 856s come from, phone.
SUPPLIERS = [
    ("KSF", "康师傅 Master Kong", "", "022-2886 5000"),
    ("YILI", "伊利 Yili", "ZZ:YILIEDI", "0471-360 1234"),
    ("NONGFU", "农夫山泉 Nongfu Spring", "", "0571-8763 1234"),
]


def _suppliers() -> None:
    """The demo's suppliers (idempotent)."""
    for code, name, edi_id, phone in SUPPLIERS:
        Supplier.objects.get_or_create(
            code=code, defaults={"name": name, "edi_id": edi_id, "phone": phone}
        )


@transaction.atomic
def inventory_demo_load(*, warehouses: dict[str, Warehouse], today: datetime.date) -> str:
    """Zones and ~100 locations per warehouse, 200 items, the suppliers, reorder policies and
    opening stock (with a few lots close to expiry), received through `stock_receive`.
    Idempotent."""
    _suppliers()
    items = _items()
    created = 0
    for w_index, warehouse in enumerate(warehouses.values()):
        if Zone.objects.filter(warehouse=warehouse).exists():
            continue
        layout = _layout(warehouse)
        # Policies only for the items this warehouse carries (a quarter of the range is not).
        ReorderPolicy.objects.bulk_create(
            ReorderPolicy(
                item=item,
                warehouse=warehouse,
                reorder_point=40 if item.velocity == Velocity.FAST else 20,
                safety_stock=15 if item.velocity == Velocity.FAST else 5,
            )
            for i, item in enumerate(items)
            if (i + w_index) % 4 != 0
        )
        cursor: dict[str, int] = {}
        for i, item in enumerate(items):
            if (i + w_index) % 4 == 0:
                continue  # a quarter of the range is not stocked here
            zone = _home_zone(item)
            spot = cursor.get(zone, 0)
            cursor[zone] = spot + 1
            location = layout[zone][spot % len(layout[zone])]
            quantity = 12 + (i * 37 + w_index * 11) % 160
            lot_code = expires = None
            if item.lot_tracked:
                lot_code = f"L{today:%y%m}{i:03d}{w_index}"
                # Every seventh lot-tracked item has a lot that expires within days.
                days = 3 + i % 5 if i % 7 == 0 else item.shelf_life_days or 90
                expires = today + datetime.timedelta(days=days)
            stock_receive(
                item=item,
                quantity=quantity,
                location=location,
                lot_code=lot_code,
                expires_on=expires,
                actor=None,
            )
            created += 1
        # Goods on the receiving dock of the first ASN, waiting to be put away.
        dock = layout["RCV"][0]
        for k in range(3):
            item = items[(w_index * 7 + k * 11 + 1) % 40]
            stock_receive(
                item=item,
                quantity=24,
                location=dock,
                lot_code=f"L{today:%y%m}R{k}" if item.lot_tracked else None,
                actor=None,
            )
        for n in range(2):
            lines = [
                (items[(w_index * 13 + n * 29 + k * 17) % 100], 24 * (k + 1)) for k in range(4)
            ]
            receipt_create(
                warehouse=warehouse,
                reference=f"ASN-{warehouse.code}-{today:%Y%m%d}-{n + 1}",
                supplier=["康师傅 Master Kong", "伊利 Yili"][n],
                expected_on=today + datetime.timedelta(days=n + 1),
                lines=lines,
                # The first supplier's ship notice announces a pallet a line, by its SSCC.
                units=[] if n else _pallets(lines, w_index, today),
                actor=None,
            )
    return (
        f"{len(items)} items, {Location.objects.count()} locations, {created} stock positions added"
    )
