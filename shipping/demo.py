"""Demo carriers, vehicles, docks, customers and orders in every state, made by the services."""

import datetime
import random
from decimal import Decimal
from typing import TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from core.exceptions import DomainError
from core.models import Warehouse
from core.services import record_save
from inventory.choices import ReceiptStatus, TemperatureClass, ZoneKind
from inventory.models import Item, Location, Receipt, Task
from inventory.selectors import available_to_reserve
from inventory.services import receipt_create
from shipping import services
from shipping.models import (
    Carrier,
    Customer,
    Dock,
    DockAppointment,
    Driver,
    Load,
    Order,
    ShipTo,
    Vehicle,
)
from shipping.planning import SLOT, departure_planned
from shipping.selectors import Goods, goods_by_order, trips_holding, vehicle_carries

# Code, name, service level, km a day through its own network (0: its trucks drive our
# routes; the LTL carrier's are hired with their drivers) and its daily collection.
CARRIERS = [
    ("OWN", "自有车队 Own fleet", "own_fleet", 0, None),
    ("DEPPON", "德邦快运 Deppon LTL", "ltl", 0, None),
    ("SF", "顺丰速运 SF Express", "parcel", 800, datetime.time(18, 0)),
    ("ZTO", "中通快运 ZTO Freight", "ltl", 0, None),
]
# The parcel carrier's truck that collects at each warehouse: kg, litres.
COLLECTION_VAN = (1500, 10000)
# Their tariffs (CNY): per trip, per stop, per kg, minimum charge. The own fleet's cost is
# its trucks' running cost per km (FLEET); the LTL carrier charges by the kg.
TARIFFS = {
    "OWN": (0, 0, 0, 0),
    "DEPPON": (60, 25, Decimal("0.45"), 150),
    "SF": (0, 12, Decimal("2.2"), 20),
    "ZTO": (80, 30, Decimal("0.5"), 180),
}
# The truck hired from ZTO in Beijing, free today: the load Deppon declines goes on to it.
# Plate, kg, litres.
SPARE_TRUCK = ("京C-ZT001", 3000, 16000)
DISTRICTS = {
    "BJ1": ["朝阳 Chaoyang", "海淀 Haidian", "通州 Tongzhou", "丰台 Fengtai", "顺义 Shunyi"],
    "TJ1": ["和平 Heping", "南开 Nankai", "滨海 Binhai", "西青 Xiqing", "武清 Wuqing"],
    "SH1": ["浦东 Pudong", "徐汇 Xuhui", "静安 Jing'an", "闵行 Minhang", "嘉定 Jiading"],
}
DRIVERS = [
    "张伟 Zhang Wei",
    "李强 Li Qiang",
    "王磊 Wang Lei",
    "赵军 Zhao Jun",
    "刘洋 Liu Yang",
    "陈刚 Chen Gang",
    "杨勇 Yang Yong",
    "黄涛 Huang Tao",
    "周杰 Zhou Jie",
    "吴斌 Wu Bin",
    "徐明 Xu Ming",
    "孙浩 Sun Hao",
]
SHOPS = ["便利店 Mart", "超市 Supermarket", "餐厅 Restaurant", "药房 Pharmacy", "食堂 Canteen"]
# Cases a line of each kind of shop orders, fewest and most: a supermarket by the pallet
# layer, a pharmacy a few cases.
SHOP_CASES = [(2, 8), (12, 30), (4, 12), (1, 5), (6, 16)]
# When each kind of shop takes deliveries: a supermarket's dock in the morning, a restaurant
# before lunch, a canteen before it serves; a mart all day.
SHOP_WINDOWS = [
    ("06:00", "22:00"),
    ("07:00", "11:00"),
    ("09:00", "11:00"),
    ("09:00", "17:00"),
    ("06:30", "10:00"),
]


# Licence plates start with the province's character: trucks are registered where they live.
PLATE_PREFIX = {"Beijing": "京", "Tianjin": "津", "Shanghai": "沪"}
# A city fleet: light trucks of the own fleet, bigger ones hired. Kg, litres, temperature,
# cost per km (CNY: the own trucks' running cost, a reefer's more).
FLEET = [
    (1500, 9000, "ambient", Decimal("2.6")),
    (1500, 8000, "chilled", Decimal("3.1")),
    (2000, 10000, "frozen", Decimal(0)),
    (3000, 18000, "ambient", Decimal(0)),
]
# A shop far from every warehouse (Guangzhou): the nearest, Shanghai, ships to it through the
# parcel carrier's network. Code, name, address, city, latitude, longitude, window.
FAR_SHOP = (
    "C051",
    "天河超市 Tianhe Supermarket #51",
    "天河 Tianhe 体育西路 51号",
    "Guangzhou",
    Decimal("23.135120"),
    Decimal("113.321460"),
    ("07:00", "11:00"),
)
# Where the parcel carrier's hub says the goods are, a little after they left.
FAR_HUB = ("顺丰上海转运中心 SF Shanghai hub", Decimal("31.197000"), Decimal("121.336000"))
TRUCK_FULL = Decimal("0.9")  # the demo's trucks are loaded to this share of their payload
TRUCK_ORDERS = 5  # at most, so that orders are left for the dispatcher to plan


M = TypeVar("M", bound=Model)


def _kept(record: M, warehouse: Warehouse | None = None) -> M:
    """A master-data record of the demo, saved as the API saves one (`record_save`)."""
    return record_save(
        instance=record, actor=None, warehouse_id=warehouse.pk if warehouse else None
    )


@transaction.atomic
def shipping_demo_load(*, warehouses: dict[str, Warehouse], today: datetime.date) -> str:
    """Idempotent: does nothing if the demo customers exist."""
    if Customer.objects.exists():
        return "shipping demo already loaded"
    rng = random.Random(20261124)
    carriers = {
        code: _kept(
            Carrier(
                code=code,
                name=name,
                service_level=level,
                rate_per_trip=TARIFFS[code][0],
                rate_per_stop=TARIFFS[code][1],
                rate_per_kg=TARIFFS[code][2],
                minimum_charge=TARIFFS[code][3],
                network_km_per_day=network,
                collects_at=collects_at,
            )
        )
        for code, name, level, network, collects_at in CARRIERS
    }
    for w_index, warehouse in enumerate(warehouses.values()):
        for n in range(4):
            _kept(Dock(warehouse=warehouse, code=f"D{n + 1}"), warehouse)
        for n in range(4):
            _kept(
                Driver(
                    carrier=carriers["OWN" if n < 2 else "DEPPON"],
                    name=DRIVERS[w_index * 4 + n],
                    phone=f"13{w_index + 5}{n + 1}{(w_index * 4 + n + 1) * 8763 % 10_000_000:07d}",
                    home_warehouse=warehouse,
                ),
                warehouse,
            )
            _kept(
                Vehicle(
                    carrier=carriers["OWN" if n < 2 else "DEPPON"],
                    plate=f"{PLATE_PREFIX.get(warehouse.city, '京')}A-{w_index}{n}8{n}6",
                    home_warehouse=warehouse,
                    capacity_weight_kg=Decimal(FLEET[n][0]),
                    capacity_volume_l=Decimal(FLEET[n][1]),
                    temperature_class=FLEET[n][2],
                    cost_per_km=FLEET[n][3],
                ),
                warehouse,
            )
        _kept(
            Vehicle(
                carrier=carriers["SF"],
                plate=f"{PLATE_PREFIX.get(warehouse.city, '京')}B-SF{w_index}01",
                home_warehouse=warehouse,
                capacity_weight_kg=Decimal(COLLECTION_VAN[0]),
                capacity_volume_l=Decimal(COLLECTION_VAN[1]),
            ),
            warehouse,
        )
    if "BJ1" in warehouses:
        _kept(
            Vehicle(
                carrier=carriers["ZTO"],
                plate=SPARE_TRUCK[0],
                home_warehouse=warehouses["BJ1"],
                capacity_weight_kg=Decimal(SPARE_TRUCK[1]),
                capacity_volume_l=Decimal(SPARE_TRUCK[2]),
            ),
            warehouses["BJ1"],
        )
    ship_tos = []
    for n in range(50):
        code = list(warehouses)[n % 3]
        warehouse = warehouses[code]
        district = DISTRICTS[code][n % 5]
        customer = _kept(
            Customer(code=f"C{n + 1:03d}", name=f"{district.split()[0]}{SHOPS[n % 5]} #{n + 1}")
        )
        ship_tos.append(
            _kept(
                ShipTo(
                    customer=customer,
                    code="MAIN",
                    name=customer.name,
                    address=f"{district} {10 + n}号",
                    city=warehouse.city,
                    latitude=warehouse.latitude
                    + Decimal(rng.uniform(-0.25, 0.25)).quantize(Decimal("0.000001")),
                    longitude=warehouse.longitude
                    + Decimal(rng.uniform(-0.3, 0.3)).quantize(Decimal("0.000001")),
                    window_opens=SHOP_WINDOWS[n % 5][0],
                    window_closes=SHOP_WINDOWS[n % 5][1],
                )
            )
        )
    # Each customer orders what its nearest warehouse carries (so most orders ship complete).
    carried = {
        w.pk: list(
            Item.objects.filter(
                balances__warehouse=w,
                balances__on_hand__gte=40,
                balances__location__zone__kind__in=("storage", "pick_face"),
                hazmat=False,
                temperature_class="ambient",
            )
            .distinct()
            .order_by("sku")[:60]
        )
        for w in warehouses.values()
    }
    items = carried[next(iter(warehouses.values())).pk]
    orders = []
    for n in range(100):
        ship_to = ship_tos[n % 50]
        mine = carried[list(warehouses.values())[(n % 50) % 3].pk]
        fewest, most = SHOP_CASES[(n % 50) % 5]
        lines = [
            services.LineInput(
                mine[(n * 7 + k * 13) % len(mine)], fewest + (n * 7 + k * 5) % (most - fewest + 1)
            )
            for k in range(1 + n % 4)
        ]
        orders.append(
            services.order_create(
                customer=ship_to.customer,
                ship_to=ship_to,
                external_ref=f"SO-{today:%y%m%d}-{n + 1:03d}",
                lines=lines,
                requested_delivery_date=today + datetime.timedelta(days=1 + n % 3),
                promised_ship_date=today + datetime.timedelta(days=n % 2),
                priority=1 if n % 17 == 0 else 3,
                actor=None,
            )
        )
    for order in orders[90:93]:
        services.order_cancel(order=order, reason="客户取消 customer cancelled", actor=None)
    for n in range(4):  # more than any warehouse holds: backordered until stock arrives
        ship_to = ship_tos[n]
        services.order_create(
            customer=ship_to.customer,
            ship_to=ship_to,
            external_ref=f"SO-{today:%y%m%d}-B{n + 1}",
            lines=[services.LineInput(items[n], 5000)],
            requested_delivery_date=today + datetime.timedelta(days=3),
            promised_ship_date=today + datetime.timedelta(days=2),
            actor=None,
        )
    _journeys(warehouses, today)
    if "SH1" in warehouses:
        _through_the_network(warehouses["SH1"], carried[warehouses["SH1"].pk], today)
    if "BJ1" in warehouses:
        _doors_held(warehouses["BJ1"], today)
    by_status: dict[str, int] = {}
    for status in Order.objects.values_list("status", flat=True):
        by_status[status] = by_status.get(status, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))


def _yili_today(warehouse: Warehouse, today: datetime.date) -> Receipt | None:
    """A receipt of Yili's expected today, of the first chilled item the catalogue has (none
    without one)."""
    milk = (
        Item.objects.filter(temperature_class=TemperatureClass.CHILLED, is_active=True)
        .order_by("sku")
        .first()
    )
    if milk is None:
        return None
    return receipt_create(
        warehouse=warehouse,
        reference=f"ASN-{warehouse.code}-{today:%Y%m%d}-Y",
        supplier="伊利 Yili",
        expected_on=today,
        lines=[(milk, 48)],
        actor=None,
    )


def _doors_held(warehouse: Warehouse, today: datetime.date) -> None:
    """Beijing holds a door from loading three times: one whose leveller is mended in an
    hour, for two hours; one for Master Kong's truck, whose ship notice came, the morning it
    is expected; and one where a supplier's truck came in 25 minutes ago with today's
    goods (Yili's milk, when no receipt is expected today: the gate shows whom to call);
    each at the last door free then."""
    now = timezone.now().replace(second=0, microsecond=0)
    receipt = (
        Receipt.objects.filter(warehouse=warehouse, expected_on=today + datetime.timedelta(days=1))
        .order_by("pk")
        .first()
    )
    today_s = (
        Receipt.objects.filter(warehouse=warehouse, expected_on=today)
        .exclude(status=ReceiptStatus.CLOSED)
        .order_by("pk")
        .first()
    ) or _yili_today(warehouse, today)
    unloads_at = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(8, 0), warehouse.zone()
    )
    holds = [
        (
            now + datetime.timedelta(hours=1),
            datetime.timedelta(hours=2),
            "maintenance",
            None,
            "Dock leveller repair 升降平台维修",
        ),
        (unloads_at, datetime.timedelta(minutes=90), "receiving", receipt, ""),
        (
            now - datetime.timedelta(minutes=30),
            datetime.timedelta(hours=2),
            "receiving",
            today_s,
            "" if today_s else "伊利 Yili dairy, no ship notice",
        ),
    ]
    for starts_at, length, reason, brings, note in holds:
        if starts_at + length <= now:
            continue
        for dock in Dock.objects.filter(warehouse=warehouse).order_by("-code"):
            try:
                hold = services.dock_hold_place(
                    dock=dock,
                    starts_at=starts_at,
                    ends_at=starts_at + length,
                    reason=reason,
                    receipt=brings,
                    note=note,
                    actor=None,
                )
                break
            except DomainError:
                continue
        else:
            continue
        if starts_at < now:  # the truck is at the door already
            services.supplier_truck_check_in(
                hold=hold, plate="冀B-88321", actor=None, at=now - datetime.timedelta(minutes=25)
            )


def _journeys(warehouses: dict[str, Warehouse], today: datetime.date) -> None:
    """In each warehouse: one load delivered (or on the road), one picking, one planned (in
    Beijing; elsewhere that truck is free), and one truck at the dock with its goods picked:
    one order to pack, one to stage, one on."""
    now = timezone.now()
    for warehouse in warehouses.values():
        lane = Location.objects.filter(warehouse=warehouse, zone__kind=ZoneKind.DOCK).first()
        vehicles = list(
            Vehicle.objects.filter(
                home_warehouse=warehouse,
                temperature_class__in=["ambient", "frozen"],
                carrier__network_km_per_day=0,
            ).order_by("plate")
        )
        docks = list(Dock.objects.filter(warehouse=warehouse))
        allocated = [
            o
            for o in Order.objects.filter(warehouse=warehouse, status="allocated").order_by("pk")
            if not o.lines.exclude(reservations__warehouse=warehouse).exists()
        ]
        goods = goods_by_order(orders=allocated, warehouse_id=warehouse.pk)
        for step, vehicle in enumerate(vehicles[:3]):
            group = _truckload(vehicle, allocated, goods)
            if not group or (step == 2 and warehouse.code != "BJ1"):
                break  # Tianjin and Shanghai keep a truck free for the dispatcher's next load
            allocated = [o for o in allocated if o not in group]
            try:
                load = services.load_build(
                    warehouse=warehouse,
                    vehicle=vehicle,
                    orders=group,
                    driver=_driver_for(vehicle),
                    actor=None,
                )
            except Exception:
                continue
            # The first truck is in at its slot and leaves at once; the others leave as the
            # planner would have them, two and four hours on at the soonest.
            start = now + datetime.timedelta(minutes=1)
            if step:
                leaves, _ = departure_planned(
                    warehouse=warehouse,
                    ship_tos=[o.ship_to for o in group],
                    soonest=now + datetime.timedelta(hours=2 + 2 * step),
                )
                start = leaves - SLOT
            appointment = _hour_booked(docks[step], load, start)
            if step == 0:  # its next trip, booked before it leaves on this one
                allocated = _next_trip(warehouse, vehicle, allocated, goods, docks)
            wave = services.wave_plan(load=load, actor=None)
            if step == 2:
                continue  # planned, not yet on the floor
            services.wave_release(wave=wave, actor=None)
            if step == 1:
                continue  # picking in progress
            services.vehicle_check_in(appointment=appointment, actor=None)
            for order in group:
                if _picked_whole(order):
                    unit = services.unit_pack(order=order, contents=None, actor=None)
                    services.unit_stage(unit=unit, lane=lane, actor=None)
                    services.load_scan(load=load, sscc=unit.sscc, actor=None)
            try:
                shipment = services.load_depart(load=load, actor=None)
            except Exception:
                continue
            services.tracking_record(
                shipment=shipment,
                status="position",
                at=timezone.now(),
                place="在途 on the road",
                actor=None,
            )
            if warehouse.code != "SH1":  # Shanghai's truck is still on the road
                services.delivery_record(
                    stop=shipment.stops.order_by("sequence").first(),
                    outcome="delivered",
                    receiver_name="店长 Store manager",
                    at=timezone.now(),
                    actor=None,
                )
        chilled = Vehicle.objects.filter(
            home_warehouse=warehouse, temperature_class="chilled"
        ).first()
        if chilled is not None:
            group = _truckload(chilled, allocated, goods)
            _at_the_dock(warehouse, chilled, group, docks[3], lane, now)


def _through_the_network(warehouse: Warehouse, carried: list[Item], today: datetime.date) -> None:
    """An order of the far shop, shipped from this warehouse on the parcel carrier's truck and
    on its way through the carrier's network, under the carrier's waybill, with a position
    from its hub: the dispatcher's board shows a shipment that is no route of ours."""
    code, name, address, city, latitude, longitude, (opens, closes) = FAR_SHOP
    customer = _kept(Customer(code=code, name=name))
    ship_to = _kept(
        ShipTo(
            customer=customer,
            code="MAIN",
            name=name,
            address=address,
            city=city,
            latitude=latitude,
            longitude=longitude,
            window_opens=opens,
            window_closes=closes,
        )
    )
    free = available_to_reserve(
        warehouse_ids=[warehouse.pk], item_ids=[i.pk for i in carried], today=today
    )
    wanted = [6, 4]
    stocked = [i for i in carried if free.get((warehouse.pk, i.pk), 0) >= max(wanted)][:2]
    van = Vehicle.objects.filter(
        home_warehouse=warehouse, carrier__network_km_per_day__gt=0
    ).first()
    lane = Location.objects.filter(warehouse=warehouse, zone__kind=ZoneKind.DOCK).first()
    if len(stocked) < 2 or van is None or lane is None:
        return
    order = services.order_create(
        customer=customer,
        ship_to=ship_to,
        external_ref=f"SO-{today:%y%m%d}-F1",
        lines=[services.LineInput(i, n) for i, n in zip(stocked, wanted, strict=True)],
        requested_delivery_date=today + datetime.timedelta(days=2),
        promised_ship_date=today,
        actor=None,
    )
    if order.status != "allocated" or order.warehouse_id != warehouse.pk:
        return
    load = services.load_build(warehouse=warehouse, vehicle=van, orders=[order], actor=None)
    start = timezone.now() + datetime.timedelta(minutes=1)
    for dock in Dock.objects.filter(warehouse=warehouse).order_by("-code"):
        try:
            appointment = _hour_booked(dock, load, start)
            break
        except DomainError:
            continue
    else:
        return  # every door is taken: the load waits for the dispatcher
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    if not _picked_whole(order):
        return
    services.vehicle_check_in(appointment=appointment, actor=None)
    unit = services.unit_pack(order=order, contents=None, actor=None)
    services.unit_stage(unit=unit, lane=lane, actor=None)
    services.load_scan(load=load, sscc=unit.sscc, actor=None)
    shipment = services.load_depart(load=load, actor=None)
    services.stop_waybill_record(  # as on the carrier's label: SF and 13 digits
        stop=shipment.stops.get(), waybill=f"SF14{today:%y%m%d}00817", actor=None
    )
    hub, hub_latitude, hub_longitude = FAR_HUB
    services.tracking_record(
        shipment=shipment,
        status="position",
        at=timezone.now(),
        place=hub,
        latitude=hub_latitude,
        longitude=hub_longitude,
        actor=None,
    )


def _next_trip(
    warehouse: Warehouse,
    vehicle: Vehicle,
    allocated: list[Order],
    goods: dict[int, Goods],
    docks: list[Dock],
) -> list[Order]:
    """The truck's trip after the one it has booked, by the same driver (as the
    planner would time it: its slot once the truck is back, leaving when its first shop is
    open), booked at the last door; the orders still allocated after it."""
    (first,) = trips_holding(vehicle_ids=[vehicle.pk])
    group = _truckload(vehicle, allocated, goods)
    if not group:
        return allocated
    leaves, _ = departure_planned(
        warehouse=warehouse,
        ship_tos=[o.ship_to for o in group],
        soonest=first.back_at + SLOT,
    )
    try:
        services.load_build(
            warehouse=warehouse,
            vehicle=vehicle,
            orders=group,
            driver=first.load.driver,
            slot=services.DockSlot(docks[-1], leaves - SLOT, leaves),
            actor=None,
        )
    except DomainError:  # that door is taken then: no second trip
        return allocated
    return [o for o in allocated if o not in group]


def _hour_booked(dock: Dock, load: Load, start: datetime.datetime) -> DockAppointment:
    """The load's truck booked at the dock for the hour from `start`."""
    return services.appointment_book(
        dock=dock,
        vehicle=load.vehicle,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        load=load,
        actor=None,
    )


def _truckload(vehicle: Vehicle, orders: list[Order], goods: dict[int, Goods]) -> list[Order]:
    """The first orders, in their order, that the vehicle carries and that keep it within
    `TRUCK_FULL` of its payload and space, `TRUCK_ORDERS` at most."""
    group: list[Order] = []
    kg = litres = Decimal(0)
    for order in orders:
        weight, volume, coldest = goods.get(order.pk, (Decimal(0), Decimal(0), "ambient"))
        if len(group) == TRUCK_ORDERS:
            break
        if not vehicle_carries(vehicle, coldest):
            continue
        if kg + weight > vehicle.capacity_weight_kg * TRUCK_FULL:
            continue
        if litres + volume > vehicle.capacity_volume_l * TRUCK_FULL:
            continue
        group.append(order)
        kg, litres = kg + weight, litres + volume
    return group


def _at_the_dock(
    warehouse: Warehouse,
    vehicle: Vehicle,
    group: list[Order],
    dock: Dock,
    lane: Location | None,
    now: datetime.datetime,
) -> None:
    """The vehicle checked in at the dock, its orders picked: the first waits at the packing
    bench, the second is packed and waits for a lane, the rest are staged and scanned on."""
    if lane is None or not group:
        return
    load = services.load_build(
        warehouse=warehouse,
        vehicle=vehicle,
        orders=group,
        driver=_driver_for(vehicle),
        actor=None,
    )
    start = now + datetime.timedelta(minutes=10)
    appointment = _hour_booked(dock, load, start)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    services.vehicle_check_in(appointment=appointment, actor=None)
    for n, order in enumerate(group):
        if not _picked_whole(order) or n == 0:
            continue
        unit = services.unit_pack(order=order, contents=None, actor=None)
        if n == 1:
            continue
        services.unit_stage(unit=unit, lane=lane, actor=None)
        services.load_scan(load=load, sscc=unit.sscc, actor=None)


def _driver_for(vehicle: Vehicle) -> Driver | None:
    """A driver of the vehicle's carrier, based at its warehouse, not driving another load."""
    return (
        Driver.objects.filter(carrier=vehicle.carrier, home_warehouse=vehicle.home_warehouse)
        .exclude(loads__status__in=("planned", "loading", "departed"))
        .order_by("pk")
        .first()
    )


def _picked_whole(order: Order) -> bool:
    """Scan every open pick task of the order as asked; True if the order is now picked."""
    for task in Task.objects.filter(reference__startswith=f"order:{order.pk}:", status="open"):
        services.order_pick_confirm(
            task=task,
            location_barcode=task.location.barcode,
            item_code=task.item.sku,
            lot_code=task.lot.code if task.lot else None,
            quantity=task.quantity,
            actor=None,
        )
    order.refresh_from_db()
    return order.status == "picked"


RECALL_NOTICE = (
    "供应商召回：黄曲霉毒素抽检超标 The supplier's recall: aflatoxin above the limit in a sample"
)


def lot_hold_demo_load(*, warehouses: dict[str, Warehouse]) -> str:
    """Beijing's quality team holds a lot on its supplier's recall (idempotent): of the lots
    Beijing shipped, the one it shipped most of and has none of packed for a truck still
    here, so that the recall's list has customers to call and no truck of the demo is kept
    at its door. Orders that held some of it reserve other lots, or wait."""
    from django.db.models import Sum

    from inventory.models import Lot
    from shipping.choices import UnitStatus
    from shipping.models import HandlingUnitLine

    if Lot.objects.filter(held_at__isnull=False).exists():
        return "a lot on hold"
    beijing = warehouses["BJ1"]
    here = HandlingUnitLine.objects.filter(unit__warehouse=beijing, lot__isnull=False)
    still_here = here.exclude(unit__status__in=[UnitStatus.SHIPPED, UnitStatus.CANCELLED])
    chosen = (
        here.filter(unit__status=UnitStatus.SHIPPED)
        .exclude(lot_id__in=still_here.values("lot_id"))
        .values("lot_id")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "lot_id")
        .first()
    )
    if chosen is None:
        return "no lot shipped to hold"
    lot = Lot.objects.select_related("item").get(pk=chosen["lot_id"])
    services.lot_hold(lot=lot, reason=RECALL_NOTICE, actor=None)
    return f"lot {lot.code} of {lot.item.sku} on hold"
