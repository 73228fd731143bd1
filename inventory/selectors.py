"""Reads of stock: availability, positions, reorder needs, the ledger, and its invariants."""

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from core.db import Prepared, from_db_row, select_list
from core.models import Warehouse
from inventory.choices import (
    OPEN_TASK_STATUSES,
    PICKABLE_ZONE_KINDS,
    MovementKind,
    ReceiptStatus,
    Velocity,
)
from inventory.models import (
    Allocation,
    Item,
    Location,
    Lot,
    Receipt,
    ReorderPolicy,
    StockBalance,
    StockMovement,
    Supplier,
    Task,
    Zone,
)


def items_by_sku(skus: Iterable[str]) -> dict[str, Item]:
    """{sku: Item} for the SKUs that name an item (active or not), in one plain query: read
    for every order an ERP posts."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        _items_by_sku().run(cursor, {"skus": wanted})
        items = [from_db_row(Item, row) for row in cursor.fetchall()]
    return {item.sku: item for item in items}


def items_by_gtin(gtins: Iterable[str]) -> dict[str, str]:
    """{gtin: sku} of the items that have these GTINs. One query."""
    return dict(Item.objects.filter(gtin__in=list(gtins)).values_list("gtin", "sku"))


def available_to_reserve(
    *, warehouse_ids: list[int], item_ids: list[int], today: datetime.date
) -> dict[tuple[int, int], int]:
    """{(warehouse id, item id): units a reservation could take now}: on hand less reserved
    in pickable, unblocked locations, of lots not held and not expired by `today` (the
    latest of the warehouses' dates) only; the `available` of stock_available, in one lean
    grouped query for allocation. Pairs with none are absent."""
    if not warehouse_ids or not item_ids:
        return {}
    # Plain SQL: the ORM spent longer building this query than the database running it, and
    # it runs for every order taken; prepared once per session on PostgreSQL.
    with connection.cursor() as cursor:
        _AVAILABLE.run(
            cursor,
            {
                "warehouses": warehouse_ids,
                "items": item_ids,
                "kinds": [str(k) for k in PICKABLE_ZONE_KINDS],
                "today": connection.ops.adapt_datefield_value(today),
            },
        )
        return {(warehouse, item): int(free) for warehouse, item, free in cursor.fetchall()}


_AVAILABLE = Prepared(
    "handoff_available_to_reserve",
    f"""
    SELECT b.warehouse_id, b.item_id, SUM(b.on_hand - b.reserved)
    FROM {StockBalance._meta.db_table} b
    JOIN {Location._meta.db_table} l ON l.id = b.location_id
    JOIN {Zone._meta.db_table} z ON z.id = l.zone_id
    LEFT JOIN {Lot._meta.db_table} lot ON lot.id = b.lot_id
    WHERE b.warehouse_id = ANY(%(warehouses)s) AND b.item_id = ANY(%(items)s)
      AND b.on_hand > b.reserved
      AND z.kind = ANY(%(kinds)s)
      AND NOT l.is_blocked AND NOT b.held
      AND (lot.expires_on IS NULL OR lot.expires_on >= %(today)s)
    GROUP BY b.warehouse_id, b.item_id
    """,
    {"warehouses": "bigint[]", "items": "bigint[]", "kinds": "text[]", "today": "date"},
)


@functools.cache
def _items_by_sku() -> Prepared:
    _, columns = select_list(Item, "i")
    return Prepared(
        "handoff_items_by_sku",
        f'SELECT {columns} FROM "{Item._meta.db_table}" i WHERE i."sku" = ANY(%(skus)s)',
        {"skus": "text[]"},
    )


def stock_available(*, warehouse_ids: list[int], items: list[Item] | None = None) -> list[dict]:
    """Per item and warehouse: on hand, reserved, available (pickable, not held, unexpired), and per lot.

    One grouped query, whatever the number of items: cheap enough for an ERP to poll.
    """
    rows = StockBalance.objects.filter(warehouse_id__in=warehouse_ids, on_hand__gt=0)
    if items is not None:
        rows = rows.filter(item__in=items)
    today = {  # each warehouse's lots expire by its own calendar
        w.code: w.today()
        for w in Warehouse.objects.filter(pk__in=warehouse_ids).only("code", "time_zone")
    }
    unexpired = Q(lot__isnull=True) | Q(lot__expires_on__isnull=True)
    for code, date in today.items():
        unexpired |= Q(warehouse__code=code, lot__expires_on__gte=date)
    pickable = (
        Q(location__zone__kind__in=PICKABLE_ZONE_KINDS, location__is_blocked=False, held=False)
        & unexpired
    )
    grouped = (
        rows.values(
            "warehouse__code", "item__sku", "lot__code", "lot__expires_on", "lot__hold_reason"
        )
        .annotate(
            total_on_hand=Sum("on_hand"),
            total_reserved=Sum("reserved"),
            pickable_on_hand=Coalesce(Sum("on_hand", filter=pickable), 0),
            pickable_reserved=Coalesce(Sum("reserved", filter=pickable), 0),
        )
        .order_by("warehouse__code", "item__sku", "lot__expires_on", "lot__code")
    )
    result: dict[tuple[str, str], dict[str, Any]] = {}
    for row in grouped:
        key = (row["warehouse__code"], row["item__sku"])
        entry = result.setdefault(
            key,
            {
                "warehouse": key[0],
                "item": key[1],
                "on_hand": 0,
                "reserved": 0,
                "available": 0,
                "lots": [],
            },
        )
        available = row["pickable_on_hand"] - row["pickable_reserved"]
        entry["on_hand"] += row["total_on_hand"]
        entry["reserved"] += row["total_reserved"]
        entry["available"] += available
        if row["lot__code"] is not None:
            entry["lots"].append(
                {
                    "lot": row["lot__code"],
                    "expires_on": row["lot__expires_on"],
                    "on_hand": row["total_on_hand"],
                    "reserved": row["total_reserved"],
                    "available": available,
                    "expired": bool(
                        row["lot__expires_on"] and row["lot__expires_on"] < today[key[0]]
                    ),
                    "held": bool(row["lot__hold_reason"]),
                }
            )
    return list(result.values())


def stock_by_location(*, warehouse_ids: list[int]) -> QuerySet[StockBalance]:
    """Positions with stock, with item, lot and location joined."""
    return (
        StockBalance.objects.filter(warehouse_id__in=warehouse_ids, on_hand__gt=0)
        .select_related("item", "lot", "location__zone", "warehouse")
        .order_by("location__pick_sequence", "location__barcode", "item__sku")
    )


def items_below_reorder_point(*, warehouse_ids: list[int]) -> list[dict]:
    """Items whose available stock is below their reorder point, with safety-stock breaches flagged."""
    pickable = Q(
        item__balances__location__zone__kind__in=PICKABLE_ZONE_KINDS,
        item__balances__warehouse_id=F("warehouse_id"),
    )
    policies = (
        ReorderPolicy.objects.filter(warehouse_id__in=warehouse_ids, reorder_point__gt=0)
        .annotate(
            available=Coalesce(Sum("item__balances__on_hand", filter=pickable), 0)
            - Coalesce(Sum("item__balances__reserved", filter=pickable), 0)
        )
        .filter(available__lt=F("reorder_point"))
        .select_related("item", "warehouse")
        .order_by("warehouse__code", "available", "item__sku")
    )
    return [
        {
            "warehouse": p.warehouse.code,
            "item": p.item.sku,
            "name": p.item.name,
            "available": p.available,
            "reorder_point": p.reorder_point,
            "safety_stock": p.safety_stock,
            "below_safety_stock": p.available < p.safety_stock,
        }
        for p in policies
    ]


def movements_recent(*, warehouse_ids: list[int]) -> QuerySet[StockMovement]:
    """The ledger of the given warehouses, newest first, with what the list shows joined."""
    return (
        StockMovement.objects.filter(warehouse_id__in=warehouse_ids)
        .select_related("item", "lot", "from_location", "to_location", "warehouse", "actor")
        .order_by("-pk")
    )


def location_suggest(*, item: Item, quantity: int, warehouse_id: int) -> Location | None:
    """Where to put `quantity` of an item away: the best open storage location that fits.

    It must match the item's temperature class, allow hazmat if needed, be unblocked and have
    room by volume and weight. Among those: a location already holding the item first (fewer
    split positions), then fast movers nearest the dock and slow movers farthest from it.
    """
    candidates = (
        Location.objects.filter(
            warehouse_id=warehouse_id,
            zone__kind__in=PICKABLE_ZONE_KINDS,
            zone__temperature_class=item.temperature_class,
            is_blocked=False,
        )
        .filter(Q(zone__hazmat_allowed=True) if item.hazmat else Q())
        .annotate(
            used_volume=Coalesce(
                Sum(F("balances__on_hand") * F("balances__item__volume_l")),
                Value(Decimal(0)),
                output_field=DecimalField(),
            ),
            used_weight=Coalesce(
                Sum(F("balances__on_hand") * F("balances__item__weight_kg")),
                Value(Decimal(0)),
                output_field=DecimalField(),
            ),
            holds_item=Sum(
                Case(
                    When(balances__item=item, balances__on_hand__gt=0, then=1),
                    default=0,
                    output_field=IntegerField(),
                )
            ),
        )
        .filter(
            used_volume__lte=F("capacity_volume_l") - item.volume_l * quantity,
            used_weight__lte=F("capacity_weight_kg") - item.weight_kg * quantity,
        )
        .select_related("zone")
    )
    distance = "dock_distance_m" if item.velocity == Velocity.FAST else "-dock_distance_m"
    if item.velocity == Velocity.MEDIUM:
        distance = "pick_sequence"
    return candidates.order_by("-holds_item", distance, "pk").first()


def ledger_drift(*, warehouse_ids: list[int] | None = None) -> list[dict]:
    """Every balance that does not equal its ledger: on hand vs the sum of movements, reserved
    vs the sum of allocations. An empty list means the books are exact."""
    movements = StockMovement.objects.all()
    balances = StockBalance.objects.all()
    allocations = Allocation.objects.all()
    if warehouse_ids is not None:
        movements = movements.filter(warehouse_id__in=warehouse_ids)
        balances = balances.filter(warehouse_id__in=warehouse_ids)
        allocations = allocations.filter(balance__warehouse_id__in=warehouse_ids)
    ledger: dict[tuple, int] = defaultdict(int)
    for row in movements.values("item_id", "lot_id", "to_location_id").annotate(q=Sum("quantity")):
        if row["to_location_id"]:
            ledger[(row["item_id"], row["to_location_id"], row["lot_id"])] += row["q"]
    for row in movements.values("item_id", "lot_id", "from_location_id").annotate(
        q=Sum("quantity")
    ):
        if row["from_location_id"]:
            ledger[(row["item_id"], row["from_location_id"], row["lot_id"])] -= row["q"]
    held: dict[int, int] = {
        row["balance_id"]: row["q"]
        for row in allocations.values("balance_id").annotate(q=Sum("quantity"))
    }
    drift = []
    seen = set()
    for b in balances.values("pk", "item_id", "location_id", "lot_id", "on_hand", "reserved"):
        key = (b["item_id"], b["location_id"], b["lot_id"])
        seen.add(key)
        if b["on_hand"] != ledger.get(key, 0) or b["reserved"] != held.get(b["pk"], 0):
            drift.append(
                {
                    "balance": b["pk"],
                    "on_hand": b["on_hand"],
                    "ledger": ledger.get(key, 0),
                    "reserved": b["reserved"],
                    "allocated": held.get(b["pk"], 0),
                }
            )
    for key, quantity in ledger.items():
        if key not in seen and quantity != 0:
            drift.append({"balance": None, "key": key, "on_hand": 0, "ledger": quantity})
    return drift


def tasks_open_by_kind(*, warehouse_ids: list[int]) -> dict[str, int]:
    """How many floor tasks are open (or assigned) per kind."""
    rows = (
        Task.objects.filter(warehouse_id__in=warehouse_ids, status__in=OPEN_TASK_STATUSES)
        .values("kind")
        .annotate(n=Count("pk"))
    )
    return {row["kind"]: row["n"] for row in rows}


def stock_totals(*, warehouse_ids: list[int]) -> dict[str, int]:
    """Positions, units on hand and units reserved in the given warehouses."""
    totals = StockBalance.objects.filter(warehouse_id__in=warehouse_ids, on_hand__gt=0).aggregate(
        positions=Count("pk"), on_hand=Sum("on_hand"), reserved=Sum("reserved")
    )
    return {key: value or 0 for key, value in totals.items()}


def units_moved(*, references: Iterable[str], kinds: Iterable[str]) -> dict[tuple[str, str], int]:
    """Per (reference, movement kind): the units moved under that reference, for these
    references and kinds, in one query. A pair that moved nothing is absent."""
    return {
        (row["reference"], row["kind"]): row["q"]
        for row in StockMovement.objects.filter(reference__in=list(references), kind__in=kinds)
        .values("reference", "kind")
        .annotate(q=Sum("quantity"))
    }


def last_moved(*, references: Iterable[str], kind: str) -> datetime.datetime | None:
    """When the last movement of this kind under any of these references was (None if none),
    in one query on the references' index."""
    return StockMovement.objects.filter(reference__in=list(references), kind=kind).aggregate(
        at=Max("created_at")
    )["at"]


def picked_stock(*, references: Iterable[str]) -> list[dict]:
    """Where the stock picked for these references now is: per reference, item, lot and
    location, the units picked or moved there under the reference (a drop location, a
    staging lane) less those shipped, moved on from there, or taken back to stock (`unpick`:
    they are the reference's no more); in the order of `references`, then by location and
    lot. One query."""
    order = {reference: n for n, reference in enumerate(dict.fromkeys(references))}
    moves = StockMovement.objects.filter(
        reference__in=list(order)
    ).order_by()  # no ORDER BY in a union
    into = (
        moves.filter(to_location__isnull=False)
        .exclude(kind__in=("receipt", "adjustment", "count", "unpick"))
        .values("reference", "item_id", "lot_id", location_id=F("to_location_id"))
        .annotate(q=Sum("quantity"))
    )
    out_of = (
        moves.exclude(kind="pick")
        .filter(from_location__isnull=False)
        .values("reference", "item_id", "lot_id", location_id=F("from_location_id"))
        .annotate(q=-Sum("quantity"))
    )
    here: dict[tuple, int] = defaultdict(int)
    for row in into.union(out_of, all=True):
        here[(row["reference"], row["item_id"], row["lot_id"], row["location_id"])] += row["q"]
    return [
        {"reference": k[0], "item_id": k[1], "lot_id": k[2], "location_id": k[3], "quantity": q}
        for k, q in sorted(here.items(), key=lambda kq: (order[kq[0][0]], kq[0][3], kq[0][2] or 0))
        if q > 0
    ]


def tasks_for_floor(*, warehouse_id: int, user_id: int, limit: int = 20) -> list[Task]:
    """Open floor tasks of a warehouse in the order a person should do them: mine first,
    then unassigned; picks before putaways before counts; along the pick path."""
    kind_order = Case(
        When(kind="pick", then=0),
        When(kind="putaway", then=1),
        When(kind="replenish", then=2),
        default=3,
        output_field=IntegerField(),
    )
    mine = Case(When(assigned_to_id=user_id, then=0), default=1, output_field=IntegerField())
    return list(
        Task.objects.filter(warehouse_id=warehouse_id, status__in=OPEN_TASK_STATUSES)
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to_id=user_id))
        .select_related("item", "lot", "location__zone", "to_location__zone")
        .annotate(mine=mine, kind_rank=kind_order)
        .order_by("mine", "kind_rank", "location__pick_sequence", "pk")[:limit]
    )


def work_by_zone(*, warehouse_id: int, since) -> list[dict]:  # type: ignore[no-untyped-def]
    """Per zone: tasks still open, and tasks done since `since` (today's progress)."""
    rows = (
        Task.objects.filter(warehouse_id=warehouse_id)
        .filter(Q(status__in=OPEN_TASK_STATUSES) | Q(status="done", done_at__gte=since))
        .values("location__zone__code", "location__zone__name")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN_TASK_STATUSES)),
            done=Count("pk", filter=Q(status="done")),
        )
        .order_by("location__zone__code")
    )
    return [
        {
            "zone": r["location__zone__code"],
            "name": r["location__zone__name"],
            "open": r["open"],
            "done": r["done"],
        }
        for r in rows
    ]


def skus_by_gtin(codes: Iterable[str]) -> dict[str, str]:
    """The SKU of each item these GTINs name, in one query, by the code as given: a code
    finds a GTIN written with more or fewer leading zeros (a U.P.C.'s 12 digits, an EAN's
    13, a GTIN-14). Codes no item has are left out."""
    forms = {
        code: {code.lstrip("0").zfill(n) for n in (8, 12, 13, 14)} for code in set(codes) if code
    }
    found = dict(
        Item.objects.filter(gtin__in={f for fs in forms.values() for f in fs}).values_list(
            "gtin", "sku"
        )
    )
    return {code: found[form] for code, fs in forms.items() for form in sorted(fs) if form in found}


def item_by_code(code: str) -> Item | None:
    """The item a scanned code names: its SKU or its GTIN (barcode)."""
    code = code.strip()
    return Item.objects.filter(Q(sku=code) | Q(gtin=code)).first() if code else None


def location_by_barcode(*, warehouse_id: int, barcode: str) -> Location | None:
    """The warehouse's location with this barcode (as scanned), or None."""
    return Location.objects.filter(warehouse_id=warehouse_id, barcode=barcode).first()


def stock_lookup(*, warehouse_id: int, code: str) -> dict:
    """What a scanned code is and the stock behind it: an item (by SKU or GTIN) and where it
    lies, or a location (by barcode) and what lies there. {"kind": None} for an unknown code."""
    code = code.strip()
    positions = StockBalance.objects.filter(
        warehouse_id=warehouse_id, on_hand__gt=0
    ).select_related("item", "lot", "location")
    item = item_by_code(code)
    if item is not None:
        rows = positions.filter(item=item).order_by("location__pick_sequence", "location__barcode")
        return {"kind": "item", "item": item, "rows": list(rows)}
    location = location_by_barcode(warehouse_id=warehouse_id, barcode=code)
    if location is not None:
        rows = positions.filter(location=location).order_by("item__sku")
        return {"kind": "location", "location": location, "rows": list(rows)}
    return {"kind": None, "code": code}


def short_picks(*, warehouse_id: int, since) -> list[StockMovement]:  # type: ignore[no-untyped-def]
    """Units pickers did not find since `since`: the adjustments their short picks wrote."""
    return list(
        StockMovement.objects.filter(
            warehouse_id=warehouse_id,
            kind=MovementKind.ADJUSTMENT,
            reason__startswith="Short pick",
            created_at__gte=since,
        )
        .select_related("item", "from_location", "actor")
        .order_by("-created_at")[:20]
    )


def receipts_expected(*, warehouse_id: int) -> list[Receipt]:
    """Expected receipts (ASNs) still open, with their lines and items, and the pallets their
    ship notices announced (with what each holds, and where it was received)."""
    return list(
        Receipt.objects.filter(warehouse_id=warehouse_id)
        .exclude(status__in=[ReceiptStatus.CLOSED])
        .prefetch_related("lines__item", "units__lines__item", "units__location")
        .order_by("expected_on", "pk")[:10]
    )


def receipts_due(*, warehouse_id: int, limit: int = 30) -> list[Receipt]:
    """The warehouse's receipts not closed, soonest expected first (`limit` at most): what a
    supplier's truck may bring to a door held for receiving. One query, no lines."""
    return list(
        Receipt.objects.filter(warehouse_id=warehouse_id)
        .exclude(status=ReceiptStatus.CLOSED)
        .order_by("expected_on", "pk")[:limit]
    )


def tasks_open(*, warehouse_id: int, limit: int = 30) -> list[Task]:
    """Open floor tasks of a warehouse along the pick path, with who has them."""
    return list(
        Task.objects.filter(warehouse_id=warehouse_id, status__in=OPEN_TASK_STATUSES)
        .select_related("item", "location", "to_location", "assigned_to")
        .order_by("location__pick_sequence", "pk")[:limit]
    )


def supplier_named(*, name: str, edi_id: str = "") -> Supplier | None:
    """The active supplier of the master data a receipt names: by the EDI ID its 856 came
    from (`edi_id`), else by its code or its name (case and runs of spaces aside, as the
    master data keeps names); None for one the master data does not know. Two queries at
    most."""
    if edi_id:
        found = Supplier.objects.filter(edi_id=edi_id, is_active=True).first()
        if found is not None:
            return found
    text = " ".join(name.split())
    if not text:
        return None
    return (
        Supplier.objects.filter(Q(code__iexact=text) | Q(name__iexact=text), is_active=True)
        .order_by(Case(When(code__iexact=text, then=0), default=1), "pk")  # a code first
        .first()
    )


def receipt_by_reference(*, warehouse_id: int, reference: str) -> Receipt | None:
    """The warehouse's receipt of that reference (as its supplier or the ERP gave it, case
    aside), or None. One query."""
    return (
        Receipt.objects.filter(warehouse_id=warehouse_id, reference__iexact=reference.strip())
        .order_by("pk")
        .first()
    )


def suppliers_listed() -> list[Supplier]:
    """Every supplier of the master data, the active first, by code. One query."""
    return list(Supplier.objects.order_by("-is_active", "code"))


def supplier_by_code(code: str) -> Supplier | None:
    """The supplier of that code (case aside), active or not, or None. One query."""
    return Supplier.objects.filter(code__iexact=code.strip()).first() if code.strip() else None


def lots_held() -> list[Lot]:
    """Every lot on hold, the longest held first, with its item. One query."""
    return list(
        Lot.objects.filter(held_at__isnull=False).select_related("item").order_by("held_at", "pk")
    )


def lots_found(*, item_code: str, lot_code: str = "") -> list[Lot]:
    """The lots of the item of that SKU or GTIN (the SKU case aside), latest expiry first;
    with `lot_code`, only the lot of that code (case aside). One query."""
    code = item_code.strip()
    if not code:
        return []
    lots = Lot.objects.filter(Q(item__sku__iexact=code) | Q(item__gtin=code)).select_related("item")
    if lot_code.strip():
        lots = lots.filter(code__iexact=lot_code.strip())
    return list(lots.order_by(F("expires_on").desc(nulls_last=True), "-pk")[:50])


def lots_in_zone(zone: Zone) -> tuple[list[dict], int]:
    """What of each lot is on hand in the zone (a cold room): [{lot, on_hand}], by item and
    lot, the held ones too; and how many positions there hold goods of no lot (which no
    hold reaches). Three queries."""
    rows = StockBalance.objects.filter(location__zone=zone, on_hand__gt=0)
    by_lot = (
        rows.filter(lot__isnull=False)
        .values("lot_id")
        .annotate(units=Sum("on_hand"))
        .order_by("lot_id")
    )
    units = {row["lot_id"]: row["units"] for row in by_lot}
    lots = (
        Lot.objects.filter(pk__in=list(units)).select_related("item").order_by("item__sku", "code")
    )
    no_lot = rows.filter(lot__isnull=True).count()
    return [{"lot": lot, "on_hand": units[lot.pk]} for lot in lots], no_lot
