"""Demo history: some weeks of finished work behind today, so the KPI trends mean something.

What the KPI board reads, as it would be after weeks of use: orders received, shipped and
delivered (some late, some backordered, a few refused), the loads that carried them with
their fill, gate check-in and check-out at the docks, pick, putaway and count tasks done by
the demo operators, and alerts someone acknowledged and resolved. It is finished work, so it
holds no stock: today's stock and open work come from the inventory and shipping demos.
Rows are written in bulk (a replay through the services would take minutes) and carry no
events: the feed starts today.
"""

import datetime
import random
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from core.models import Warehouse
from dashboards.models import Alert
from inventory.models import Item, Location, Receipt, ReceiptLine, Task
from inventory.selectors import supplier_named
from shipping.models import (
    Dock,
    DockAppointment,
    DockHold,
    Load,
    Order,
    OrderLine,
    Shipment,
    ShipTo,
    Stop,
    Vehicle,
)
from shipping.tariffs import trip_cost

HISTORY_DAYS = 42
ORDERS_PER_DAY = 12
Progress = Callable[[int, int], None]


# The suppliers whose trucks come each morning in turn, and how many hours late each tends
# to be.
HISTORY_SUPPLIERS = [
    ("康师傅 Master Kong", 0.0),
    ("伊利 Yili", 0.0),
    ("农夫山泉 Nongfu Spring", 0.6),
]


def _at(day: datetime.date, hour: float, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), zone) + datetime.timedelta(hours=hour)


@transaction.atomic
def kpi_history_load(
    *,
    warehouses: dict[str, Warehouse],
    today: datetime.date,
    days: int = HISTORY_DAYS,
    progress: Progress | None = None,
) -> str:
    """Write `days` days of finished work before `today` for every warehouse.

    Idempotent: does nothing if the history is there. Deterministic for a given `today`.
    Calls `progress(done, total)` after each warehouse-day.
    """
    if Order.objects.filter(external_ref__startswith="HIST-").exists():
        return "history already loaded"
    rng = random.Random(20261125)
    users = get_user_model().objects
    pickers = [
        u.pk for u in users.filter(username__in=["operator", "operator.sh", "supervisor"])
    ] or [None]
    total, done = len(warehouses) * days, 0
    counts = {"orders": 0, "loads": 0, "tasks": 0, "alerts": 0}
    for code, warehouse in warehouses.items():
        zone = zoneinfo.ZoneInfo(warehouse.time_zone)
        ship_tos = list(ShipTo.objects.filter(city=warehouse.city).select_related("customer"))
        vehicles = list(
            Vehicle.objects.filter(home_warehouse=warehouse)
            .select_related("carrier")
            .order_by("plate")
        )
        docks = list(Dock.objects.filter(warehouse=warehouse).order_by("code"))
        items = list(Item.objects.filter(balances__warehouse=warehouse).distinct()[:80])
        places = list(
            Location.objects.filter(warehouse=warehouse, zone__kind__in=("storage", "pick_face"))[
                :120
            ]
        )
        if not (ship_tos and vehicles and docks and items and places):
            continue
        for back in range(days, 0, -1):
            day = today - datetime.timedelta(days=back)
            if day.weekday() != 6:  # closed on Sundays
                _day(
                    rng=rng,
                    warehouse=warehouse,
                    code=code,
                    day=day,
                    zone=zone,
                    ship_tos=ship_tos,
                    vehicles=vehicles,
                    docks=docks,
                    items=items,
                    places=places,
                    pickers=pickers,
                    counts=counts,
                )
            done += 1
            if progress:
                progress(done, total)
    return (
        f"{days} days of history: {counts['orders']} orders, {counts['loads']} loads, "
        f"{counts['tasks']} tasks, {counts['alerts']} alerts"
    )


def _day(
    *,
    rng: random.Random,
    warehouse: Warehouse,
    code: str,
    day: datetime.date,
    zone: zoneinfo.ZoneInfo,
    ship_tos: list[ShipTo],
    vehicles: list[Vehicle],
    docks: list[Dock],
    items: list[Item],
    places: list[Location],
    pickers: list[int | None],
    counts: dict[str, int],
) -> None:
    """One working day of one warehouse: orders on two trucks, the floor's tasks, alerts."""
    stamp = f"{code}-{day:%y%m%d}"
    # Later weeks run a little better than earlier ones: the trend has a direction.
    learning = (day.toordinal() % 7) / 40
    trucks = []
    # The trucks of the day take turns, own fleet and hired carriers' (those that drive our
    # routes), so each carrier has a record on the board.
    routable = [v for v in vehicles if not v.network] or vehicles
    for n in range(2):
        vehicle = routable[(day.toordinal() + n) % len(routable)]
        depart_at = _at(day, 14 + 3 * n + rng.uniform(0, 0.8), zone)
        load = Load.objects.create(
            warehouse=warehouse,
            reference=f"H-{stamp}-{n + 1}",
            vehicle=vehicle,
            status="departed",
            created_at=depart_at - datetime.timedelta(hours=6),
            departed_at=depart_at,
            weight_fill_pct=Decimal(str(round(rng.uniform(55, 96), 1))),
            volume_fill_pct=Decimal(str(round(rng.uniform(48, 92), 1))),
        )
        arrive = depart_at - datetime.timedelta(minutes=rng.uniform(25, 80))
        # The trucks' gate times: the dwell KPI. Each truck its own dock, so none overlaps.
        DockAppointment.objects.create(
            dock=docks[n % len(docks)],
            vehicle=vehicle,
            load=load,
            starts_at=arrive.replace(minute=0, second=0, microsecond=0),
            ends_at=arrive.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=2),
            status="checked_out",
            checked_in_at=arrive,
            checked_out_at=depart_at,
        )
        # Its route, there and back: 30 to 90 km (not drawn from `rng`, which the rest of
        # the history follows), costed by the vehicle's tariff.
        km = 30 + (day.toordinal() * 7 + n * 29) % 61
        kg = load.weight_fill_pct * vehicle.capacity_weight_kg / 100
        shipment = Shipment.objects.create(
            load=load,
            reference=f"HS-{stamp}-{n + 1}",
            carrier_id=vehicle.carrier_id,
            status="completed",
            departed_at=depart_at,
            completed_at=depart_at + datetime.timedelta(hours=8),
            km_planned=km,
            freight_cost=trip_cost(vehicle, km=km, stops=ORDERS_PER_DAY // 2, kg=kg),
        )
        trucks.append((load, shipment, depart_at))
    # A supplier's truck unloads at the last door each morning, at the hours held for it,
    # its receipt closed when it is put away: the suppliers' KPI and scorecard (their
    # minutes and shortfalls not drawn from `rng` either). Nongfu comes late, Yili short.
    turn = day.toordinal()
    supplier, late_by = HISTORY_SUPPLIERS[turn % len(HISTORY_SUPPLIERS)]
    came = _at(day, 7.75 + (turn % 5) / 10 + late_by, zone)
    left = came + datetime.timedelta(minutes=40 + (turn * 13) % 55)
    receipt = Receipt.objects.create(
        warehouse=warehouse,
        reference=f"H-{stamp}",
        supplier=supplier,
        from_supplier=supplier_named(name=supplier),
        expected_on=day,
        status="closed",
        created_at=_at(day, -24, zone),
        closed_at=left + datetime.timedelta(minutes=30),
    )
    short = 4 if supplier.startswith("伊利") and turn % 2 else 0
    ReceiptLine.objects.bulk_create(
        ReceiptLine(
            receipt=receipt,
            item=items[(turn + k * 17) % len(items)],
            expected_quantity=48 // (k + 1),
            received_quantity=48 // (k + 1) - (short if k == 0 else 0),
        )
        for k in range(2)
    )
    DockHold.objects.create(
        dock=docks[-1],
        starts_at=_at(day, 8, zone),
        ends_at=max(left, _at(day, 8.25, zone)),
        reason="receiving",
        receipt=receipt,
        plate=f"冀B-{turn % 90000 + 10000}",
        checked_in_at=came,
        checked_out_at=left,
    )
    lines, tasks, orders, picks = [], [], [], []
    for n in range(ORDERS_PER_DAY):
        load, shipment, depart_at = trucks[n % 2]
        received = _at(day, 7 + rng.uniform(0, 6), zone) - datetime.timedelta(days=n % 3 // 2)
        late = rng.random() < 0.12 - learning
        shipped = depart_at + (datetime.timedelta(days=1) if late else datetime.timedelta())
        delivered = shipped + datetime.timedelta(hours=rng.uniform(2, 9))
        outcome = rng.choices(["delivered", "partial", "refused"], weights=[92, 6, 2])[0]
        ship_to = ship_tos[(n * 7 + day.toordinal()) % len(ship_tos)]
        stop = Stop.objects.create(
            shipment=shipment,
            sequence=n // 2 + 1,
            ship_to=ship_to,
            status=outcome,
            planned_eta=delivered - datetime.timedelta(minutes=20),
            eta=delivered,
            arrived_at=delivered - datetime.timedelta(minutes=10),
            delivered_at=delivered,
            receiver_name="店长 Store manager",
        )
        order = Order(
            external_ref=f"HIST-{stamp}-{n + 1:02d}",
            customer=ship_to.customer,
            ship_to=ship_to,
            warehouse=warehouse,
            status="refused" if outcome == "refused" else "delivered",
            priority=1 if n == 0 else 3,
            requested_delivery_date=day + datetime.timedelta(days=1),
            promised_ship_date=day,
            load=load,
            stop=stop,
            received_at=received,
            allocated_at=received + datetime.timedelta(minutes=1),
            ever_backordered=rng.random() < 0.06,
            shipped_at=shipped,
            delivered_at=None if outcome == "refused" else delivered,
        )
        orders.append(order)
        for k in range(1 + n % 4):
            item = items[(n * 5 + k * 11 + day.toordinal()) % len(items)]
            lines.append((order, k + 1, item))
            # Each truck's orders are picked by one picker in the half hour before it loads.
            picked = depart_at - datetime.timedelta(minutes=rng.uniform(50, 80))
            picks.append((order, k + 1))
            tasks.append(
                Task(
                    warehouse=warehouse,
                    kind="pick",
                    status="done",
                    item=item,
                    location=places[(n + k) % len(places)],
                    quantity=Decimal(1 + (n + k) % 4),
                    done_by_id=pickers[n % 2 % len(pickers)],
                    created_at=picked - datetime.timedelta(minutes=30),
                    done_at=picked,
                )
            )
    Order.objects.bulk_create(orders)
    for task, (order, line_no) in zip(tasks, picks, strict=True):
        task.reference = f"order:{order.pk}:line:{line_no}"
    OrderLine.objects.bulk_create(
        OrderLine(order=o, line_no=no, item=item, quantity=Decimal(1 + no % 3))
        for o, no, item in lines
    )
    for n in range(8):  # goods received in the morning and put away
        created = _at(day, 6 + n * 0.5, zone)
        tasks.append(
            Task(
                warehouse=warehouse,
                kind="putaway",
                status="done",
                item=items[(n * 3 + day.toordinal()) % len(items)],
                location=places[n % len(places)],
                to_location=places[(n + 7) % len(places)],
                quantity=Decimal(12),
                reference=f"receipt:H-{stamp}",
                done_by_id=pickers[n % len(pickers)],
                created_at=created,
                done_at=created + datetime.timedelta(minutes=rng.uniform(15, 120 - 60 * learning)),
            )
        )
    for n in range(10):  # the day's cycle counts: most match the books
        system = Decimal(rng.randint(10, 80))
        miss = rng.random() < 0.06
        tasks.append(
            Task(
                warehouse=warehouse,
                kind="count",
                status="done",
                item=items[(n * 13 + day.toordinal()) % len(items)],
                location=places[(n * 9 + day.toordinal()) % len(places)],
                blind=True,
                system_quantity=system,
                counted_quantity=system - (rng.randint(1, 3) if miss else 0),
                reference=f"count:H-{stamp}",
                done_by_id=pickers[n % len(pickers)],
                created_at=_at(day, 16, zone),
                done_at=_at(day, 16.5 + n * 0.1, zone),
            )
        )
    Task.objects.bulk_create(tasks)
    alerts = []
    for n, (rule, department) in enumerate(
        [("below_reorder_point", "warehouse"), ("truck_waiting", "logistics")]
    ):
        opened = _at(day, 9 + 5 * n + rng.uniform(0, 2), zone)
        acknowledged = opened + datetime.timedelta(minutes=rng.uniform(3, 45))
        alerts.append(
            Alert(
                rule=rule,
                key=f"H-{stamp}-{n}",
                warehouse=warehouse,
                department=department,
                severity="warning",
                status="resolved",
                message=f"{rule} ({day:%Y-%m-%d})",
                subject_type="warehouse",
                subject_id=str(warehouse.pk),
                opened_at=opened,
                acknowledged_at=acknowledged,
                resolved_at=acknowledged + datetime.timedelta(minutes=30),
            )
        )
    Alert.objects.bulk_create(alerts)
    counts["orders"] += len(orders)
    counts["loads"] += len(trucks)
    counts["tasks"] += len(tasks)
    counts["alerts"] += len(alerts)


# Code, title, scope, days valid, procedure; then who in Beijing is trained on it.
DEMO_SOPS = [
    (
        "GEN-01",
        "现场安全与扫码作业 Floor safety and scanning",
        "all",
        365,
        "1. Safety shoes and vest on the floor. 穿安全鞋和反光背心。\n"
        "2. Scan the place, then the item, then count: the scanner says what it expects.\n"
        "3. Fewer than asked: enter it twice; the rest is found by a count.",
    ),
    (
        "COLD-01",
        "冷藏库作业 Work in the chilled room",
        "chilled",
        180,
        "1. Thermal jacket on. 穿保温服。\n2. Door shut behind you: more than 10 minutes open "
        "is an alert.\n3. Chilled goods leave the room last, straight to the reefer truck.",
    ),
    (
        "FRZ-01",
        "冷冻库作业 Work in the freezer",
        "frozen",
        180,
        "1. Freezer suit and gloves. 穿防冻服和手套。\n2. At most 20 minutes inside, then 10 "
        "minutes out.\n3. Never alone: tell the supervisor when you go in.",
    ),
    (
        "HZ-01",
        "危险品搬运 Handling hazardous goods",
        "hazmat",
        365,
        "1. Goggles and gloves. 戴护目镜和手套。\n2. One drum at a time, upright.\n3. A leak: "
        "leave the cage, close it, call the supervisor; the spill kit is by the door.",
    ),
]


def sops_demo_load(*, warehouses: dict[str, Warehouse]) -> int:
    """The demo's procedures, for every warehouse (idempotent): Beijing's operator is
    trained on all but hazardous goods, so the cage's work waits for the supervisor."""
    from core.models import Sop
    from core.services import sop_publish, training_record

    if Sop.objects.exists():
        return Sop.objects.count()
    people = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["operator", "operator.sh", "supervisor"]
        )
    }
    today = next(iter(warehouses.values())).today()
    for code, title, scope, days, body in DEMO_SOPS:
        sop = sop_publish(
            code=code,
            title=title,
            scope=scope,
            body=body,
            valid_days=days,
            effective_from=today - datetime.timedelta(days=400),
            actor=None,
        )
        for username, person in people.items():
            if code == "HZ-01" and username != "supervisor":
                continue
            training_record(
                user=person,
                sop=sop,
                trained_on=today - datetime.timedelta(days=30),
                trainer=people.get("supervisor"),
            )
    return len(DEMO_SOPS)


def tickets_demo_load(*, warehouses: dict[str, Warehouse]) -> int:
    """Beijing's tickets (idempotent): dispatch asking the floor about an order the customer
    called about, waiting on the warehouse; and a crushed carton the floor handed to
    dispatch, who claimed it with the carrier, resolved."""
    from dashboards.models import Ticket
    from dashboards.services import ticket_hand_over, ticket_raise, ticket_resolve
    from shipping.models import Order

    bj = warehouses.get("BJ1")
    if bj is None or Ticket.objects.exists():
        return Ticket.objects.count()
    people = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["dispatcher", "supervisor"])
    }
    order = Order.objects.filter(warehouse=bj, status="allocated").order_by("pk").first()
    ticket_raise(
        warehouse=bj,
        kind="late",
        title="客户来电催货 Customer called: can it go on the morning truck?",
        department="warehouse",
        note="If it can be picked by 10:00 I will put it on the 11:00 truck.",
        subject_type="order" if order else "",
        subject_id=order.external_ref if order else "",
        actor=people.get("dispatcher"),
    )
    crushed = ticket_raise(
        warehouse=bj,
        kind="damage",
        title="纸箱压坏 Carton crushed on arrival from the supplier",
        department="warehouse",
        note="2 cartons of mineral water, lane R1, photos taken.",
        actor=people.get("supervisor"),
    )
    ticket_hand_over(
        ticket=crushed,
        note="Please claim it with the carrier; the goods are set aside.",
        actor=people.get("supervisor"),
    )
    ticket_resolve(
        ticket=crushed,
        resolution="Claimed with the carrier, credit note promised.",
        actor=people.get("dispatcher"),
    )
    return 2


def demo_load(
    *, today: datetime.date | None = None, progress: Progress | None = None
) -> dict[str, str]:
    """Load the whole demo (idempotent): warehouses and people, stock, orders and trucks,
    the cold chain's sensors, then the KPI history and a carrier's bills of two of its trips,
    around `today`: by default the demo warehouses' own date (in
    Beijing it is already tomorrow from 16:00 UTC). `progress(done, total)` follows it step
    by step."""
    from core.demo import core_demo_load
    from integrations.demo import integrations_demo_load, invoices_demo_load
    from inventory.demo import inventory_demo_load
    from shipping.demo import lot_hold_demo_load, shipping_demo_load

    days = HISTORY_DAYS
    total = 3 + 3 * days

    def tell(done: int) -> None:
        if progress:
            progress(done, total)

    with transaction.atomic():
        warehouses = core_demo_load()
    today = today or next(iter(warehouses.values())).today()
    tell(1)
    stock = inventory_demo_load(warehouses=warehouses, today=today)
    tell(2)
    orders = shipping_demo_load(warehouses=warehouses, today=today)
    sensors = integrations_demo_load(warehouses=warehouses)
    tickets_demo_load(warehouses=warehouses)
    tell(3)
    history = kpi_history_load(
        warehouses=warehouses,
        today=today,
        days=days,
        progress=lambda done, _: tell(3 + done),
    )
    invoices_demo_load()  # of trips the history made
    sops_demo_load(warehouses=warehouses)
    held = lot_hold_demo_load(warehouses=warehouses)  # of a lot the history shipped
    tell(total)
    return {
        "stock": stock,
        "orders": orders,
        "sensors": sensors,
        "history": f"{history}; {held}",
    }
