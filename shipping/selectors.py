"""Reads for dispatch: how full a load is, when a wave must start and will be ready."""

import datetime
import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Max, Min, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import Prepared, from_db_row, select_list
from core.exceptions import DomainError
from core.models import Warehouse
from inventory.choices import MovementKind, TemperatureClass
from inventory.models import (
    Allocation,
    Item,
    Location,
    Lot,
    Receipt,
    ReceiptLine,
    StockBalance,
    StockMovement,
)
from inventory.selectors import last_moved, picked_stock, units_moved
from shipping.choices import (
    BUSY_LOAD_STATUSES,
    DONE_STOP_STATUSES,
    ORDERS_NOT_GONE,
    AppointmentStatus,
    HoldReason,
    LoadStatus,
    OrderStatus,
    ServiceLevel,
    ShipmentStatus,
    StopStatus,
    UnitStatus,
    WaveStatus,
)
from shipping.models import (
    Customer,
    Dock,
    Driver,
    HandlingUnit,
    HandlingUnitLine,
    LineReservation,
    Load,
    Order,
    OrderLine,
    Shipment,
    ShipTo,
    Stop,
    TrackingEvent,
    Vehicle,
    Wave,
)
from shipping.routing import (
    back_at,
    beyond_a_day,
    home_at,
    km_carried,
    km_driven,
    route_plan,
)
from shipping.tariffs import trip_cost
from shipping.waybills import waybill_clean

_COLD_RANK = {TemperatureClass.AMBIENT: 0, TemperatureClass.CHILLED: 1, TemperatureClass.FROZEN: 2}


def customer_and_ship_to(
    *, customer_code: str, ship_to_code: str
) -> tuple[Customer | None, ShipTo | None]:
    """The customer of that code and its ship-to of that code (None where there is none), in
    one plain query: read for every order an ERP posts. The ship-to's customer is the one
    returned."""
    customer_fields, _ = select_list(Customer, "c")
    with connection.cursor() as cursor:
        _customer_and_ship_to().run(cursor, {"ship_to": ship_to_code, "customer": customer_code})
        row = cursor.fetchone()
    if row is None:
        return None, None
    customer = from_db_row(Customer, row[: len(customer_fields)])
    if row[len(customer_fields)] is None:
        return customer, None
    ship_to = from_db_row(ShipTo, row[len(customer_fields) :])
    ship_to.customer = customer
    return customer, ship_to


def customers_with_ship_to(code: str) -> list[str]:
    """The codes of the customers that have a ship-to of this code, in order."""
    return list(
        ShipTo.objects.filter(code=code)
        .order_by("customer__code")
        .values_list("customer__code", flat=True)
    )


@functools.cache
def _customer_and_ship_to() -> Prepared:
    _, customer_columns = select_list(Customer, "c")
    _, ship_to_columns = select_list(ShipTo, "s")
    return Prepared(
        "handoff_customer_and_ship_to",
        f"SELECT {customer_columns}, {ship_to_columns} "
        f'FROM "{Customer._meta.db_table}" c '
        f'LEFT JOIN "{ShipTo._meta.db_table}" s '
        'ON s."customer_id" = c."id" AND s."code" = %(ship_to)s '
        'WHERE c."code" = %(customer)s',
    )


@dataclass(frozen=True)
class Fill:
    weight_kg: Decimal
    volume_l: Decimal
    weight_pct: float
    volume_pct: float
    coldest: str


def orders_fill(*, orders: Iterable[Order], warehouse_id: int, vehicle: Vehicle) -> Fill:
    """Weight and volume of what the orders hold in the warehouse, against the vehicle."""
    return _fill_of(_goods(orders=orders, warehouse_id=warehouse_id), vehicle)


Goods = tuple[Decimal, Decimal, str]  # kg, litres, the coldest temperature class


def goods_by_order(*, orders: Iterable[Order], warehouse_id: int) -> dict[int, Goods]:
    """Per order id: the weight (kg), volume (l) and coldest temperature class of what the
    order holds in the warehouse; orders holding nothing there are left out. Two queries."""
    held = LineReservation.objects.filter(
        line__order__in=list(orders), warehouse_id=warehouse_id, quantity__gt=0
    )
    sums = held.values("line__order").annotate(
        kg=Sum(F("quantity") * F("line__item__weight_kg")),
        litres=Sum(F("quantity") * F("line__item__volume_l")),
    )
    temps: dict[int, set[str]] = {}
    for order_id, temp in held.values_list("line__order", "line__item__temperature_class"):
        temps.setdefault(order_id, set()).add(temp)
    return {
        row["line__order"]: (
            row["kg"] or Decimal(0),
            row["litres"] or Decimal(0),
            coldest_class(temps[row["line__order"]]),
        )
        for row in sums
    }


def coldest_class(classes: Iterable[str]) -> str:
    """The coldest of these temperature classes (ambient if none)."""
    return max(classes, key=lambda t: _COLD_RANK[t], default=TemperatureClass.AMBIENT)


def _goods(*, orders: Iterable[Order], warehouse_id: int) -> Goods:
    """What the orders hold in the warehouse, all together."""
    each = goods_by_order(orders=orders, warehouse_id=warehouse_id).values()
    return (
        sum((g[0] for g in each), Decimal(0)),
        sum((g[1] for g in each), Decimal(0)),
        coldest_class(g[2] for g in each),
    )


def _fill_of(goods: Goods, vehicle: Vehicle) -> Fill:
    weight, volume, coldest = goods
    return Fill(
        weight_kg=weight,
        volume_l=volume,
        weight_pct=round(float(weight / vehicle.capacity_weight_kg * 100), 1),
        volume_pct=round(float(volume / vehicle.capacity_volume_l * 100), 1),
        coldest=coldest,
    )


@dataclass(frozen=True)
class VehicleChoice:
    """A vehicle of the warehouse for some orders: how full they would make it, why it
    cannot take them (`refusal`, empty if it can), the trips booked for it, which their
    load goes before or after (`trips`), and what their trip would cost on it by its
    tariff (`cost`, None if none is known; see `shipping.tariffs`)."""

    vehicle: Vehicle
    fill: Fill
    refusal: str
    trips: tuple["Trip", ...] = ()
    cost: Decimal | None = None

    @property
    def usable(self) -> bool:
        return not self.refusal


SERVICE_RANK = {ServiceLevel.OWN_FLEET: 0, ServiceLevel.LTL: 1, ServiceLevel.PARCEL: 2}


def orders_of_warehouse(*, warehouse_id: int, pks: Iterable[int]) -> list[Order]:
    """The orders of these ids that ship from the warehouse (others are left out)."""
    return list(Order.objects.filter(warehouse_id=warehouse_id, pk__in=list(pks)))


def vehicles_ranked(
    *, warehouse_id: int, orders: Iterable[Order], excluding: int | None = None
) -> list[VehicleChoice]:
    """The warehouse's vehicles for these orders, best first: those free that take the goods
    (weight, volume, cold); for a day's trip the trucks that drive our routes, for a shop
    beyond it (`routing.beyond_a_day`) those of carriers delivering through their network;
    the cheapest for their trip by its tariff (on the route the orders would be driven from
    now, or the km their network carries them), then those with no tariff known; at the same cost, own
    fleet before hired carriers (LTL, then parcel), the least cold one that keeps the goods
    (a reefer stays free for cold goods), the fullest (the smallest that fits) first; then
    the others, each with why not. `excluding`: the load these orders are on, whose own
    trip holds no vehicle (the choice of another truck for it)."""
    orders = list(orders)
    choices = planning_choices_vehicles(warehouse_id=warehouse_id, excluding=excluding)
    goods = _goods(orders=orders, warehouse_id=warehouse_id)
    trip = _km_for(warehouse_id=warehouse_id, orders=orders)
    out = []
    for vehicle in choices["vehicles"]:
        fill = _fill_of(goods, vehicle)
        busy = choices["vehicles_busy"].get(vehicle.pk)
        if busy:
            refusal = _("on load %(load)s") % {"load": busy}
        elif fill.weight_pct > 100:
            refusal = _("too heavy: %(pct)s%% of its payload") % {"pct": f"{fill.weight_pct:.0f}"}
        elif fill.volume_pct > 100:
            refusal = _("too bulky: %(pct)s%% of its space") % {"pct": f"{fill.volume_pct:.0f}"}
        elif not vehicle_carries(vehicle, fill.coldest):
            refusal = _("does not keep the goods cold enough (%(class)s)") % {
                "class": TemperatureClass(fill.coldest).label
            }
        else:
            refusal = ""
        trips = tuple(choices["vehicles_trips"].get(vehicle.pk, ()))
        km = trip.carried if vehicle.network else trip.driven
        cost = trip_cost(vehicle, km=km, stops=trip.stops, kg=goods[0])
        out.append(
            VehicleChoice(vehicle=vehicle, fill=fill, refusal=refusal, trips=trips, cost=cost)
        )
    return sorted(
        out,
        key=lambda c: (
            not c.usable,
            bool(c.vehicle.network) != trip.far,  # a day's trip on a truck, else a network
            c.cost is None,
            c.cost or 0,
            SERVICE_RANK.get(c.vehicle.carrier.service_level, 3),
            _COLD_RANK[c.vehicle.temperature_class],
            -max(c.fill.weight_pct, c.fill.volume_pct),
            c.vehicle.plate,
        ),
    )


@dataclass(frozen=True)
class TripKm:
    """The km of a trip to some stops: `driven` by a truck of ours there and back, `carried`
    by a carrier's network to each; the number of `stops`; and whether one of them is
    `far`, beyond a day's trip for a truck (`routing.beyond_a_day`)."""

    driven: float
    carried: float
    stops: int
    far: bool


def _km_for(*, warehouse_id: int, orders: list[Order]) -> TripKm:
    """The `TripKm` of these orders' stops, a truck leaving now on the route `route_plan`
    gives. Two queries and a route."""
    ship_tos = list(ShipTo.objects.filter(pk__in={o.ship_to_id for o in orders}))
    if not ship_tos:
        return TripKm(0.0, 0.0, 0, far=False)
    warehouse = Warehouse.objects.get(pk=warehouse_id)
    origin = (warehouse.latitude, warehouse.longitude)
    calls = route_plan(origin=origin, at=timezone.now(), ship_tos=ship_tos, zone=warehouse.zone())
    return TripKm(
        driven=km_driven(origin=origin, calls=calls),
        carried=km_carried(origin=origin, ship_tos=ship_tos),
        stops=len(calls),
        far=any(beyond_a_day(origin=origin, ship_to=s) for s in ship_tos),
    )


def load_fill(load: Load) -> Fill:
    return orders_fill(
        orders=load.orders.all(), warehouse_id=load.warehouse_id, vehicle=load.vehicle
    )


def vehicle_carries(vehicle: Vehicle, temperature_class: str) -> bool:
    """A frozen truck carries chilled and ambient goods too; an ambient one only ambient."""
    return _COLD_RANK[vehicle.temperature_class] >= _COLD_RANK[temperature_class]


@dataclass(frozen=True)
class WaveTiming:
    lines: int
    pick_minutes: int
    truck_due: datetime.datetime | None
    ready_by: datetime.datetime | None
    release_at: datetime.datetime | None
    expected_ready: datetime.datetime | None
    late_minutes: int


def wave_lines(wave: Wave) -> int:
    """Pick lines of the wave: one per allocation still to pick in its warehouse."""
    return Allocation.objects.filter(
        reservation__in=LineReservation.objects.filter(
            line__order__wave=wave, warehouse_id=wave.warehouse_id
        ).values("reservation"),
        quantity__gt=0,
    ).count()


def wave_timing(
    wave: Wave,
    *,
    now: datetime.datetime | None = None,
    lines: int | None = None,
    load: Load | None = None,
) -> WaveTiming:
    """When the wave must be released so picking ends `margin` before the truck is due, and
    when it will be ready: planned, if released then (or now, if that is past); on the floor,
    once what is left to pick is picked from now; picked, when it was. `lines`: the wave's
    pick lines still to pick, if the caller counted them already (see `loads_open`). `load`:
    the load of a wave not planned yet (a draft, not tied to it, so the load still has none)."""
    now = now or timezone.now()
    lines = wave_lines(wave) if lines is None else lines
    rate = wave.lines_per_picker_hour * wave.pickers
    pick_minutes = math.ceil(lines * 60 / rate) if lines else 0
    load = load if load is not None else (wave.load if wave.load_id else None)
    appointment = getattr(load, "appointment", None) if load is not None else None
    due = appointment.starts_at if appointment else None
    ready_by = due - datetime.timedelta(minutes=wave.margin_minutes) if due else None
    release_at = ready_by - datetime.timedelta(minutes=pick_minutes) if ready_by else None
    if wave.picked_at:
        expected_ready = wave.picked_at
    else:
        # On the floor, `lines` are those left: a wave nobody picks does not look ready.
        start = max(now, wave.released_at) if wave.released_at else max(now, release_at or now)
        expected_ready = start + datetime.timedelta(minutes=pick_minutes)
    late = 0
    if ready_by and expected_ready > ready_by:
        late = math.ceil((expected_ready - ready_by).total_seconds() / 60)
    return WaveTiming(
        lines=lines,
        pick_minutes=pick_minutes,
        truck_due=due,
        ready_by=ready_by,
        release_at=release_at,
        expected_ready=expected_ready,
        late_minutes=late,
    )


def load_wave_timing(load: Load, *, now: datetime.datetime | None = None) -> WaveTiming:
    """The timing of the load's wave (`wave_timing`), or, with none yet, of the wave it would
    get now at a new wave's pace (`Wave`'s defaults), its lines those its orders hold here.
    The load is read with its wave and its dock appointment."""
    wave = getattr(load, "wave", None)
    if wave is not None:
        return wave_timing(wave, now=now)
    return _unwaved_timings([load], load.warehouse_id, now)[load.pk]


# A load whose wave may still be released: its truck's slot booked, or the truck at its door.
RELEASE_SLOTS = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


def _unwaved_timings(
    loads: list[Load], warehouse_id: int, now: datetime.datetime | None
) -> dict[int, WaveTiming]:
    """Per load of these with no wave and a slot booked (or its truck at the door): the
    timing of the wave it would get now at a new wave's pace, its lines those its orders hold
    at the warehouse. One query for them all, none if there are none."""
    unwaved = [
        load
        for load in loads
        if getattr(load, "wave", None) is None
        and getattr(load, "appointment", None) is not None
        and load.appointment.status in RELEASE_SLOTS
    ]
    if not unwaved:
        return {}
    lines = _count_by_reservation_owner(
        Allocation.objects.filter(quantity__gt=0),
        "reservation",
        "line__order__load",
        LineReservation.objects.filter(line__order__load__in=unwaved, warehouse_id=warehouse_id),
    )
    return {
        load.pk: wave_timing(
            Wave(warehouse_id=warehouse_id),
            now=now,
            lines=lines.get(load.pk, {"n": 0})["n"],
            load=load,
        )
        for load in unwaved
    }


def loads_due_release(
    *, now: datetime.datetime | None = None, references: Iterable[str] | None = None
) -> list[int]:
    """The loads (ids, first first) whose waves must go to the floor by `now`, of warehouses
    that release waves on time (`Warehouse.waves_release_on_time`): planned, their truck's
    dock slot booked (or the truck at its door), their wave planned, or none yet, and its
    release time (as `loads_wave_timed` has it) come. `references`: of these loads only.
    Three queries a warehouse at most, and one."""
    now = now or timezone.now()
    wanted = set(references) if references is not None else None
    due = []
    for warehouse_id in Warehouse.objects.filter(waves_release_on_time=True).values_list(
        "pk", flat=True
    ):
        for load, timing in loads_wave_timed(warehouse_id=warehouse_id, now=now):
            wave = getattr(load, "wave", None)
            if (
                load.status == LoadStatus.PLANNED
                and (wave is None or wave.status == WaveStatus.PLANNED)
                and getattr(load, "appointment", None) is not None
                and load.appointment.status in RELEASE_SLOTS
                and timing.release_at is not None
                and timing.release_at <= now
                and (wanted is None or load.reference in wanted)
            ):
                due.append(load.pk)
    return sorted(due)


def dock_window(
    *, warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> list[dict]:
    """Each dock of the warehouse with its live appointments overlapping [start, end), and
    the holds (receiving, a repair) that keep it from loading then, not released. Three
    queries."""
    from shipping.models import Dock, DockAppointment, DockHold

    docks = list(Dock.objects.filter(warehouse_id=warehouse_id, is_active=True).order_by("code"))
    appointments = (
        DockAppointment.objects.filter(dock__in=docks, starts_at__lt=end, ends_at__gt=start)
        .exclude(status="cancelled")
        .select_related("vehicle", "load")
        .order_by("starts_at")
    )
    by_dock: dict[int, list] = {d.pk: [] for d in docks}
    for appointment in appointments:
        by_dock[appointment.dock_id].append(appointment)
    held: dict[int, list] = {d.pk: [] for d in docks}
    for hold in (
        DockHold.objects.filter(
            dock__in=docks, released_at__isnull=True, starts_at__lt=end, ends_at__gt=start
        )
        .select_related("receipt")
        .order_by("starts_at")
    ):
        held[hold.dock_id].append(hold)
    return [{"dock": d, "appointments": by_dock[d.pk], "holds": held[d.pk]} for d in docks]


def doors_held_for(*, receipt_ids: Iterable[int], now: datetime.datetime) -> dict[int, list]:
    """The doors held for these receipts' trucks and not released, not over by `now` (or
    their truck still in), each receipt's soonest first: what the receiving floor reads as
    "its truck comes to D4 at 08:00", or "is in at D4 since 08:05". One query."""
    from shipping.models import TRUCK_IN, DockHold

    held: dict[int, list] = {}
    standing = Q(released_at__isnull=True, ends_at__gt=now)
    for hold in (
        DockHold.objects.filter(standing | TRUCK_IN, receipt_id__in=list(receipt_ids))
        .select_related("dock")
        .order_by("starts_at")
    ):
        held.setdefault(hold.receipt_id, []).append(hold)
    return held


# How far ahead the gate sees the suppliers' trucks due.
SUPPLIERS_AHEAD = datetime.timedelta(hours=12)


def suppliers_at_gate(*, warehouse_id: int, now: datetime.datetime) -> list:
    """The suppliers' trucks the gate deals with now, as the doors held for receiving say
    them: those in (checked in, not out), then those due within `SUPPLIERS_AHEAD` whose hold
    stands and is not over, soonest first, each with its door and receipt (and the
    receipt's supplier of the master data, with its phone). One query."""
    from shipping.models import TRUCK_IN, DockHold

    due = Q(
        checked_in_at__isnull=True,
        released_at__isnull=True,
        ends_at__gt=now,
        starts_at__lt=now + SUPPLIERS_AHEAD,
    )
    return list(
        DockHold.objects.filter(
            TRUCK_IN | due, dock__warehouse_id=warehouse_id, reason=HoldReason.RECEIVING
        )
        .select_related("dock", "receipt__from_supplier")
        .order_by(F("checked_in_at").asc(nulls_last=True), "starts_at", "pk")
    )


def loads_open(*, warehouse_id: int, now: datetime.datetime | None = None) -> list[dict]:
    """Loads not yet gone, with fill, the trip's km and cost (as `load_route` gives them)
    and the wave's timing (when the goods will be ready, as of `now`; with no wave yet and a
    slot booked, that of the wave it would get now).

    A fixed number of queries whatever the number of loads: fills, wave lines and pick
    progress are each summed for all loads at once; the routes are worked out from the
    orders' ship-tos read with them."""
    from inventory.models import Task

    now = now or timezone.now()
    loads = list(
        Load.objects.filter(warehouse_id=warehouse_id, status__in=("planned", "loading"))
        .select_related("warehouse", "vehicle__carrier", "driver", "wave", "appointment")
        .prefetch_related(Prefetch("orders", queryset=Order.objects.select_related("ship_to")))
        .order_by("pk")
    )
    if not loads:
        return []
    held = LineReservation.objects.filter(
        line__order__load__in=loads, warehouse_id=warehouse_id, quantity__gt=0
    )
    totals = {
        row["line__order__load"]: row
        for row in held.values("line__order__load").annotate(
            weight=Sum(F("quantity") * F("line__item__weight_kg")),
            volume=Sum(F("quantity") * F("line__item__volume_l")),
        )
    }
    temps: dict[int, set[str]] = {}
    for load_id, temp in held.values_list("line__order__load", "line__item__temperature_class"):
        temps.setdefault(load_id, set()).add(temp)
    waves = [load.wave for load in loads if getattr(load, "wave", None)]
    lines_of_wave = _wave_lines_left(waves, warehouse_id)
    unwaved = _unwaved_timings(loads, warehouse_id, now)
    picks = Task.objects.filter(kind="pick").exclude(status="cancelled")
    picks_of_load = _count_by_reservation_owner(
        picks,
        "allocation__reservation",
        "line__order__load",
        LineReservation.objects.filter(line__order__load__in=loads, warehouse_id=warehouse_id),
        done=Count("pk", filter=Q(status="done")),
    )
    out = []
    for load in loads:
        wave = getattr(load, "wave", None)
        row = totals.get(load.pk, {})
        weight, volume = row.get("weight") or Decimal(0), row.get("volume") or Decimal(0)
        fill = Fill(
            weight_kg=weight,
            volume_l=volume,
            weight_pct=round(float(weight / load.vehicle.capacity_weight_kg * 100), 1),
            volume_pct=round(float(volume / load.vehicle.capacity_volume_l * 100), 1),
            coldest=coldest_class(temps.get(load.pk, ())),
        )
        picked = picks_of_load.get(load.pk, {"n": 0, "done": 0})
        stops = [o.ship_to for o in load.orders.all() if o.status != OrderStatus.CANCELLED]
        calls = route_from(load, stops, _leaves_at(load, now))["calls"]
        out.append(
            {
                "load": load,
                "fill": fill,
                # The trip as `load_route` prices it: km there and back, cost or None.
                **_priced(load, load.vehicle, calls, weight),
                "wave": wave,
                # With no wave yet and a slot booked: the wave it would get now.
                "timing": (
                    wave_timing(wave, now=now, lines=lines_of_wave.get(wave.pk, {"n": 0})["n"])
                    if wave
                    else unwaved.get(load.pk)
                ),
                "picks_done": picked["done"],
                "picks_total": picked["n"],
                # Orders may still come off, or the load be cancelled.
                "changeable": load.status == LoadStatus.PLANNED
                and (wave is None or wave.status == WaveStatus.PLANNED),
                # Or cancelled because nothing is left to take: its orders are all gone.
                "cancellable": load.status == LoadStatus.PLANNED
                and (
                    wave is None
                    or wave.status == WaveStatus.PLANNED
                    or all(o.status == OrderStatus.CANCELLED for o in load.orders.all())
                ),
                # Its truck is at its door: it keeps its vehicle until it checks out.
                "at_the_dock": getattr(load, "appointment", None) is not None
                and load.appointment.status == AppointmentStatus.CHECKED_IN,
                # Orders may still go on: its wave, if any, is not yet picked.
                "addable": load.status == LoadStatus.PLANNED
                and (wave is None or wave.status in (WaveStatus.PLANNED, WaveStatus.RELEASED)),
            }
        )
    return out


def loads_wave_timed(
    *, warehouse_id: int, now: datetime.datetime | None = None
) -> list[tuple[Load, WaveTiming]]:
    """Loads not yet gone that have a wave, or a slot booked and no wave yet, each with its
    wave's timing as `loads_open` has it (as of `now`; with no wave, the timing of the wave
    it would get now at a new wave's pace), without the fill, route and pick progress the
    board shows. Three queries at most whatever the number of loads."""
    now = now or timezone.now()
    loads = list(
        Load.objects.filter(warehouse_id=warehouse_id, status__in=("planned", "loading"))
        .filter(Q(wave__isnull=False) | Q(appointment__status__in=RELEASE_SLOTS))
        .select_related("wave", "appointment")
        .order_by("pk")
    )
    waved = [load for load in loads if getattr(load, "wave", None) is not None]
    lines_of_wave = _wave_lines_left([load.wave for load in waved], warehouse_id)
    unwaved = _unwaved_timings(loads, warehouse_id, now)
    return [
        (
            load,
            wave_timing(load.wave, now=now, lines=lines_of_wave.get(load.wave.pk, {"n": 0})["n"])
            if getattr(load, "wave", None) is not None
            else unwaved[load.pk],
        )
        for load in loads
        if getattr(load, "wave", None) is not None or load.pk in unwaved
    ]


def _wave_lines_left(waves: list[Wave], warehouse_id: int) -> dict[int, dict]:
    """Per wave id: {"n": its allocations still to pick at the warehouse}. One query."""
    if not waves:
        return {}
    return _count_by_reservation_owner(
        Allocation.objects.filter(quantity__gt=0),
        "reservation",
        "line__order__wave",
        LineReservation.objects.filter(line__order__wave__in=waves, warehouse_id=warehouse_id),
    )


def _count_by_reservation_owner(rows, path: str, owner: str, held, *, by=(), **more):  # type: ignore[no-untyped-def]
    """Count `rows` (reaching a reservation by `path`) per the `owner` (a wave, a load) of
    the order line holding that reservation, among the line reservations `held`.

    Keyed by owner; with `by` (more columns of the rows), keyed by (owner, *those values)."""
    from django.db.models import OuterRef, Subquery

    of_owner = Subquery(held.filter(reservation=OuterRef(path)).values(owner)[:1])
    counted = (
        rows.filter(**{f"{path}__in": held.values("reservation")})
        .annotate(owner=of_owner)
        .values("owner", *by)
        .annotate(n=Count("pk"), **more)
    )
    if not by:
        return {row["owner"]: row for row in counted}
    return {(row["owner"], *(row[b] for b in by)): row for row in counted}


def stops_shipped(stops: Iterable[Stop]) -> dict[int, dict[Item, int]]:
    """Per stop id, per item, the units the ledger shipped for the stop's orders (items with
    none left out). Two queries for any number of stops."""
    lines = list(
        OrderLine.objects.filter(order__stop__in=list(stops)).select_related("item", "order")
    )
    moved = units_moved(references=[line.reference for line in lines], kinds=[MovementKind.SHIP])
    shipped: dict[int, dict[Item, int]] = {}
    for line in lines:
        n = moved.get((line.reference, MovementKind.SHIP), 0)
        if n:
            per_item = shipped.setdefault(line.order.stop_id, {})
            per_item[line.item] = per_item.get(line.item, 0) + n
    return shipped


def shipments_in_transit(*, warehouse_id: int) -> list[dict]:
    """Shipments on the road: last tracking event, next open stop with its ETA and delay, and
    what was shipped to that stop per item (what could come back from it)."""
    from shipping.models import Shipment

    return _on_the_road(
        Shipment.objects.filter(load__warehouse_id=warehouse_id, status="in_transit")
    )


def shipment_run(*, shipment_id: int) -> dict | None:
    """One shipment as its driver's run sheet shows it, on the road or done: the same row as
    `shipments_in_transit` gives; None if there is no such shipment."""
    from shipping.models import Shipment

    rows = _on_the_road(Shipment.objects.filter(pk=shipment_id))
    return rows[0] if rows else None


def stop_photographed(*, shipment_id: int, sequence: int) -> Stop | None:
    """The shipment's stop of that sequence, if it has a proof-of-delivery photo; else
    None. One query."""
    return (
        Stop.objects.filter(shipment_id=shipment_id, sequence=sequence)
        .exclude(pod_photo="")
        .exclude(pod_photo=None)
        .first()
    )


def stop_by_waybill(*, carrier: str, waybill: str, warehouse_ids: Iterable[int]) -> Stop | None:
    """The stop that the carrier of this code knows by this waybill (as `waybill_clean`
    keeps it), on a shipment from one of these warehouses; else None. One query."""
    return (
        Stop.objects.filter(
            shipment__carrier__code=carrier,
            waybill=waybill,
            shipment__load__warehouse_id__in=list(warehouse_ids),
        )
        .select_related("shipment__load__warehouse", "ship_to")
        .first()
    )


def pod_photos_claimed(names: Iterable[str]) -> set[str]:
    """Of these stored file names, those a stop keeps as its proof-of-delivery photo. One
    query."""
    return set(Stop.objects.filter(pod_photo__in=list(names)).values_list("pod_photo", flat=True))


def _on_the_road(shipments: QuerySet) -> list[dict]:  # type: ignore[type-arg]
    from shipping.choices import DONE_STOP_STATUSES

    shipments = (
        shipments.select_related("load__vehicle", "load__driver", "load__warehouse", "carrier")
        .prefetch_related("stops__ship_to", "tracking")
        .order_by("departed_at")
    )
    out = []
    for shipment in shipments:
        stops = list(shipment.stops.all())
        next_stop = next((s for s in stops if s.status not in DONE_STOP_STATUSES), None)
        tracking = list(shipment.tracking.all())
        delay = (
            round((next_stop.eta - next_stop.planned_eta).total_seconds() / 60) if next_stop else 0
        )
        zone = shipment.load.warehouse.zone()
        # Each stop still to do, with the minutes its ETA is past its window's close.
        ahead = [
            (stop, _minutes_after_window(stop, zone))
            for stop in stops
            if stop.status not in DONE_STOP_STATUSES
        ]
        # A carrier of its own numbers (not our fleet) gives each stop a waybill.
        waybills = shipment.carrier.service_level != ServiceLevel.OWN_FLEET
        out.append(
            {
                "shipment": shipment,
                "stops": stops,
                "next_stop": next_stop,
                "last_event": tracking[-1] if tracking else None,
                "delay_minutes": delay,
                # Through the carrier's network (its km a day), not a truck of our routes.
                "network": shipment.carrier.network_km_per_day,
                "waybills": waybills,
                "waybills_missing": sum(1 for stop, _ in ahead if not stop.waybill) * waybills,
                "ahead": ahead,
            }
        )
    shipped = stops_shipped(row["next_stop"] for row in out if row["next_stop"])
    for row in out:
        per_item = shipped.get(row["next_stop"].pk, {}) if row["next_stop"] else {}
        row["next_stop_items"] = sorted(per_item.items(), key=lambda pair: pair[0].sku)
    return out


def _minutes_after_window(stop: Stop, zone: datetime.tzinfo) -> int:
    """How many minutes the stop's ETA is after its ship-to's window closes that day."""
    day = stop.eta.astimezone(zone).date()
    closes = datetime.datetime.combine(day, stop.ship_to.window_closes, zone)
    return max(0, round((stop.eta - closes).total_seconds() / 60))


def waves_on_the_floor(*, warehouse_id: int) -> list[dict]:
    """Released waves of the warehouse with their pick progress, per wave and per picker."""
    from inventory.models import Task

    waves = list(
        Wave.objects.filter(warehouse_id=warehouse_id, status="released")
        .exclude(load__status__in=("departed", "cancelled"))  # gone: nothing left on the floor
        .select_related("load__vehicle")
        .order_by("released_at")
    )
    counted = _count_by_reservation_owner(
        Task.objects.filter(kind="pick").exclude(status="cancelled"),
        "allocation__reservation",
        "line__order__wave",
        LineReservation.objects.filter(line__order__wave__in=waves, warehouse_id=warehouse_id),
        by=("status", "done_by__username"),
    )
    out = []
    for wave in waves:
        mine = [(key[1:], row["n"]) for key, row in counted.items() if key[0] == wave.pk]
        pickers: dict[str, int] = {}
        for (status, picker), n in mine:
            if status == "done":
                pickers[picker or "?"] = pickers.get(picker or "?", 0) + n
        out.append(
            {
                "wave": wave,
                "total": sum(n for _, n in mine),
                "done": sum(pickers.values()),
                "pickers": sorted(pickers.items()),
            }
        )
    return out


def loads_busy() -> QuerySet[Load]:
    """Loads that hold their vehicle and driver: planned, loading, or gone and on the road
    until the shipment completes (not a carrier's network truck: that is gone from us)."""
    return Load.objects.filter(
        Q(status__in=BUSY_LOAD_STATUSES)
        | Q(
            status=LoadStatus.DEPARTED,
            shipment__status=ShipmentStatus.IN_TRANSIT,
            vehicle__carrier__network_km_per_day=0,
        )
    )


def _live_orders() -> Prefetch:
    """A load's orders still going (not cancelled) with their ship-tos: its route's stops."""
    return Prefetch(
        "orders",
        queryset=Order.objects.exclude(status=OrderStatus.CANCELLED).select_related("ship_to"),
    )


@dataclass(frozen=True)
class Trip:
    """A load holding its vehicle and driver. A load planned with a dock slot holds them for
    its trip: from the start of its slot until the truck is back from its last stop
    (`back_at`); another load may take them before or after. Any other live load (planned
    with no slot, loading, or on the road until its shipment completes) holds them whole:
    no time (`starts_at` None)."""

    load: Load
    starts_at: datetime.datetime | None = None
    back_at: datetime.datetime | None = None

    @property
    def whole(self) -> bool:
        return self.starts_at is None

    def meets(self, starts_at: datetime.datetime, back: datetime.datetime) -> bool:
        """Whether a trip from `starts_at` until `back` would overlap this one."""
        assert self.starts_at is not None and self.back_at is not None
        return self.starts_at < back and starts_at < self.back_at


def trip_back(
    *,
    warehouse: Warehouse,
    ship_tos: list[ShipTo],
    leaves_at: datetime.datetime,
    network: int = 0,
) -> datetime.datetime:
    """When a truck leaving the warehouse at `leaves_at` for these stops is back, on the route
    `route_plan` gives (as the board and the alerts show it); a carrier's `network` truck is
    done with us when it leaves (`back_at`)."""
    origin = (warehouse.latitude, warehouse.longitude)
    calls = route_plan(
        origin=origin, at=leaves_at, ship_tos=ship_tos, zone=warehouse.zone(), network=network
    )
    return back_at(origin=origin, leaves_at=leaves_at, calls=calls, network=network)


def trips_holding(
    *,
    vehicle_ids: Iterable[int] = (),
    driver_ids: Iterable[int] = (),
    excluding: int | None = None,
    now: datetime.datetime | None = None,
) -> list[Trip]:
    """The trips of the live loads (`loads_busy`) on these vehicles or with these drivers,
    but the load `excluding`: timed for a load planned with a booked slot (leaving at its end,
    or now if that is past), else whole. Three queries, and a route per timed load."""
    now = now or timezone.now()
    loads = (
        loads_busy()
        .filter(Q(vehicle_id__in=list(vehicle_ids)) | Q(driver_id__in=list(driver_ids)))
        .exclude(pk=excluding)
        .select_related("warehouse", "appointment", "vehicle__carrier")
        .prefetch_related(_live_orders())
        .order_by("pk")
    )
    trips = []
    for load in loads:
        appointment = getattr(load, "appointment", None)
        if load.status != LoadStatus.PLANNED or appointment is None:
            trips.append(Trip(load))
            continue
        if appointment.status != AppointmentStatus.BOOKED:
            trips.append(Trip(load))  # its truck at the door: loading, whatever its status says
            continue
        trips.append(Trip(load, appointment.starts_at, _back_from(load, now)))
    return trips


def _held(trips: Iterable[Trip], key: str) -> tuple[dict[int, str], dict[int, list[Trip]]]:
    """Trips by the vehicle or driver they hold (`key`: "vehicle_id" or "driver_id"): the
    reference of the first load holding each whole, and the timed trips of the others, first
    first."""
    whole: dict[int, str] = {}
    timed: dict[int, list[Trip]] = {}
    for trip in trips:
        holder = getattr(trip.load, key)
        if trip.whole:
            whole.setdefault(holder, trip.load.reference)
        else:
            timed.setdefault(holder, []).append(trip)
    for held in timed.values():
        held.sort(key=lambda t: t.starts_at)
    return whole, {pk: held for pk, held in timed.items() if pk not in whole}


def _back_from(load: Load, now: datetime.datetime) -> datetime.datetime | None:
    """When the truck of a live load is back, as far as is known now: on the road, from its
    last stop's ETA (kept up to date by its tracking) or the time it was done there; at its
    door or booked, from the end of its slot (or now, if that is past), on its route; with
    no slot, not known (None)."""
    origin = (load.warehouse.latitude, load.warehouse.longitude)
    if load.status == LoadStatus.DEPARTED:
        stops = list(load.shipment.stops.all())
        if not stops:
            return None
        last = stops[-1]
        if last.status in DONE_STOP_STATUSES:
            done = last.delivered_at or last.arrived_at or last.eta
            return max(now, home_at(origin=origin, ship_to=last.ship_to, unloading_from=done))
        return home_at(origin=origin, ship_to=last.ship_to, unloading_from=max(now, last.eta))
    appointment = getattr(load, "appointment", None)
    if appointment is None or appointment.status == AppointmentStatus.CANCELLED:
        return None
    return trip_back(
        warehouse=load.warehouse,
        ship_tos=[o.ship_to for o in load.orders.all()],
        leaves_at=max(now, appointment.ends_at),
        network=load.vehicle.network,
    )


def _live_loads_timed(where: Q) -> list[Load]:
    """The live loads (`loads_busy`) matching `where`, with what `_back_from` reads: their
    warehouse, vehicle, appointment and door, live stops, and stops on the road. Four
    queries."""
    return list(
        loads_busy()
        .filter(where)
        .select_related("warehouse", "vehicle__carrier", "appointment__dock")
        .prefetch_related(
            _live_orders(),
            Prefetch("shipment__stops", queryset=Stop.objects.select_related("ship_to")),
        )
        .order_by("vehicle_id", "pk")
    )


def trips_at_risk(*, warehouse_ids: Iterable[int], now: datetime.datetime) -> list[dict]:
    """Each trip booked ahead (a load planned with a slot still to come) whose truck is due
    back from another of its loads after the slot starts: on the road longer than planned,
    or leaving late from a slot that has passed. Dicts of `load` (the trip at risk), `after`
    (the load it waits for) and `back_at` (when that one's truck is back, as known now)."""
    ids = list(warehouse_ids)
    loads = _live_loads_timed(Q(warehouse_id__in=ids) | Q(vehicle__home_warehouse_id__in=ids))
    return _at_risk(loads, {load.pk: _back_from(load, now) for load in loads}, now)


def _at_risk(
    loads: list[Load], backs: dict[int, datetime.datetime | None], now: datetime.datetime
) -> list[dict]:
    """`trips_at_risk` among these loads (every live load of their vehicles), each truck back
    from each at `backs`."""
    by_vehicle: dict[int, list[Load]] = {}
    for load in loads:
        by_vehicle.setdefault(load.vehicle_id, []).append(load)
    out = []
    for held in by_vehicle.values():
        ahead = [
            load
            for load in held
            if load.status == LoadStatus.PLANNED
            and getattr(load, "appointment", None) is not None
            and load.appointment.status == AppointmentStatus.BOOKED
            and load.appointment.starts_at > now
        ]
        if not ahead:
            continue
        for load in ahead:
            starts_at = load.appointment.starts_at
            before = [
                (backs[other.pk], other)
                for other in held
                if other.pk != load.pk
                and backs[other.pk] is not None
                and backs[other.pk] > starts_at
                and (other not in ahead or other.appointment.starts_at < starts_at)
            ]
            if before:
                back, after = max(before, key=lambda pair: pair[0])
                out.append({"load": load, "after": after, "back_at": back})
    return out


def trucks_day(
    *, warehouse_id: int, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> list[dict]:
    """Each vehicle of the warehouse with its trips overlapping [start, end): dicts of `load`,
    `starts_at` (its slot's start; at the door, when it came in; on the road, when it left),
    `back_at` (when it is back, as known now: `_back_from`), and `at_risk` (not back in time
    for a trip after it). A load with no slot has no time and is left out. A fixed number of
    queries, and a route per load at the dock or booked."""
    vehicles = list(
        Vehicle.objects.filter(home_warehouse_id=warehouse_id)
        .select_related("carrier")
        .order_by("plate")
    )
    loads = _live_loads_timed(Q(vehicle__in=vehicles))
    backs = {load.pk: _back_from(load, now) for load in loads}
    late = {row["after"].pk for row in _at_risk(loads, backs, now)}
    trips: dict[int, list[dict]] = {v.pk: [] for v in vehicles}
    for load in loads:
        appointment = getattr(load, "appointment", None)
        if load.status == LoadStatus.DEPARTED:
            starts_at = load.departed_at
        elif appointment is None or appointment.status == AppointmentStatus.CANCELLED:
            continue
        else:
            starts_at = appointment.checked_in_at or appointment.starts_at
        back = backs[load.pk]
        if starts_at is None or back is None or back <= start or starts_at >= end:
            continue
        trips[load.vehicle_id].append(
            {"load": load, "starts_at": starts_at, "back_at": back, "at_risk": load.pk in late}
        )
    return [
        {"vehicle": v, "trips": sorted(trips[v.pk], key=lambda t: t["starts_at"])} for v in vehicles
    ]


def planning_choices_vehicles(
    *, warehouse_id: int, now: datetime.datetime | None = None, excluding: int | None = None
) -> dict:
    """The warehouse's vehicles (`vehicles`); those a live load (but the load `excluding`)
    holds whole, each with the reference of the first such load (`vehicles_busy`: they
    cannot take another load now); and the trips of the others' loads planned with a slot
    (`vehicles_trips`: they take another load whose trip does not overlap them), first
    first."""
    vehicles = list(
        Vehicle.objects.filter(home_warehouse_id=warehouse_id)
        .select_related("carrier")
        .order_by("plate")
    )
    busy, trips = _held(
        trips_holding(vehicle_ids=[v.pk for v in vehicles], now=now, excluding=excluding),
        "vehicle_id",
    )
    return {"vehicles": vehicles, "vehicles_busy": busy, "vehicles_trips": trips}


def drivers_here(*, warehouse_id: int) -> QuerySet[Driver]:
    """The drivers based at the warehouse (or based nowhere, of a carrier with vehicles
    here); by carrier, then name."""
    return (
        Driver.objects.filter(
            Q(home_warehouse_id=warehouse_id)
            | Q(home_warehouse__isnull=True, carrier__vehicles__home_warehouse_id=warehouse_id)
        )
        .select_related("carrier")
        .distinct()
        .order_by("carrier__code", "name")
    )


def drivers_free(
    *,
    warehouse_id: int,
    now: datetime.datetime | None = None,
    drivers: list[Driver] | None = None,
) -> list[tuple[Driver, list[Trip]]]:
    """`drivers_here` (or these of them, read already) that no live load holds whole, each
    with the trips booked for them (first first; another load goes before or after
    those)."""
    if drivers is None:
        drivers = list(drivers_here(warehouse_id=warehouse_id))
    out, trips = _held(trips_holding(driver_ids=[d.pk for d in drivers], now=now), "driver_id")
    return [(d, trips.get(d.pk, [])) for d in drivers if d.pk not in out]


def docks_in_service(*, warehouse_id: int) -> list[Dock]:
    """The warehouse's docks that take trucks, by code."""
    return list(Dock.objects.filter(warehouse_id=warehouse_id, is_active=True).order_by("code"))


def planning_choices(*, warehouse_id: int) -> dict:
    """What a dispatcher plans with: the warehouse's docks in service, its vehicles, the
    drivers free (`drivers_free`, with their trips), and the allocated orders not yet on a
    load, most urgent first. `vehicles_busy` maps each vehicle that cannot take another load now to the
    reference of the load that holds it."""
    return {
        "docks": docks_in_service(warehouse_id=warehouse_id),
        **planning_choices_vehicles(warehouse_id=warehouse_id),
        "drivers": drivers_free(warehouse_id=warehouse_id),
        "orders": list(
            Order.objects.filter(warehouse_id=warehouse_id, status="allocated", load__isnull=True)
            .select_related("ship_to")
            .order_by("priority", "promised_ship_date", "pk")[:40]
        ),
    }


def order_lines_named(references: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Per stock reference of an order line (`order:<id>:line:<n>`, as inventory holds it):
    the order's external reference and the line number, in one query. References of anything
    else are left out."""
    wanted = {ref: line for ref in references if (line := OrderLine.of_reference(ref))}
    if not wanted:
        return {}
    refs = dict(
        Order.objects.filter(pk__in={pk for pk, _ in wanted.values()}).values_list(
            "pk", "external_ref"
        )
    )
    return {
        reference: (refs[pk], line_no) for reference, (pk, line_no) in wanted.items() if pk in refs
    }


def dock_work(*, warehouse_id: int, limit: int = 30) -> dict:
    """The work between picking and the road, for the people at the packing bench and the
    dock: orders picked and waiting to be packed, units packed and waiting for a lane, and
    the trucks being loaded (their appointment, how many of their units are on, and how many
    of cancelled orders are on and must come off), first due first. Four queries, whatever
    the numbers."""
    live_units = ~Q(orders__status=OrderStatus.CANCELLED)
    trucks = list(
        Load.objects.filter(
            warehouse_id=warehouse_id, status__in=(LoadStatus.PLANNED, LoadStatus.LOADING)
        )
        .select_related("vehicle", "appointment__dock")
        .annotate(
            units_total=Count("orders__units", filter=live_units),
            units_loaded=Count(
                "orders__units", filter=live_units & Q(orders__units__status=UnitStatus.LOADED)
            ),
            # Units of orders cancelled after they went on: to take off before it leaves.
            units_void=Count(
                "orders__units",
                filter=~live_units & Q(orders__units__status=UnitStatus.LOADED),
            ),
        )
        .order_by(F("appointment__starts_at").asc(nulls_last=True), "pk")[:limit]
    )
    waiting = dict(  # per load: its live orders not yet loaded
        Order.objects.filter(load__in=trucks)
        .exclude(status__in=(OrderStatus.LOADED, OrderStatus.CANCELLED))
        .values("load")
        .annotate(n=Count("pk"))
        .values_list("load", "n")
    )
    return {
        "to_pack": list(
            Order.objects.filter(warehouse_id=warehouse_id, status=OrderStatus.PICKED)
            .select_related("ship_to", "load")
            .order_by("priority", "promised_ship_date", "pk")[:limit]
        ),
        "to_stage": list(
            HandlingUnit.objects.filter(warehouse_id=warehouse_id, status=UnitStatus.PACKED)
            .select_related("order__load", "location")
            .order_by("packed_at", "pk")[:limit]
        ),
        "trucks": [{"load": load, "orders_waiting": waiting.get(load.pk, 0)} for load in trucks],
    }


def goods_unpacked(
    *, lines: Iterable[OrderLine], units: Iterable[HandlingUnit]
) -> dict[tuple[int, int | None, int], int]:
    """(line id, lot id, location id) -> units picked for these lines of an order that lie
    there in none of the order's `units` (with their `lines` prefetched): each line's picked
    stock where it now is (`picked_stock`), less what its units hold there. A unit's goods
    move with it, to its lane and onto the truck, until they are shipped. One query."""
    line_of = {line.reference: line.pk for line in lines}
    here: dict[tuple[int, int | None, int], int] = defaultdict(int)
    for spot in picked_stock(references=line_of):
        here[(line_of[spot["reference"]], spot["lot_id"], spot["location_id"])] += spot["quantity"]
    for unit in units:
        if unit.status in (UnitStatus.SHIPPED, UnitStatus.CANCELLED):
            continue  # shipped: out of the ledger; broken down: back to stock
        for content in unit.lines.all():
            here[(content.line_id, content.lot_id, unit.location_id)] -= content.quantity
    return {key: q for key, q in here.items() if q > 0}


def order_packing(*, order_id: int, warehouse_ids: Iterable[int]) -> dict | None:
    """What the packing bench needs of an order shipping from one of these warehouses: the
    order (its ship-to, truck and dock), each line with units picked and not yet packed
    (`left`, lines with none left out), their sum (`units_left`), and the units packed so far
    with their contents, first packed first. None if the order is not shipped from there.
    Five queries."""
    order = (
        Order.objects.filter(pk=order_id, warehouse_id__in=list(warehouse_ids))
        .select_related("warehouse", "ship_to", "load__vehicle", "load__appointment__dock")
        .first()
    )
    if order is None:
        return None
    lines = list(order.lines.select_related("item").order_by("line_no"))
    units = list(
        HandlingUnit.objects.filter(order=order)
        .prefetch_related(
            Prefetch("lines", queryset=HandlingUnitLine.objects.select_related("line__item"))
        )
        .order_by("packed_at", "pk")
    )
    unpacked = goods_unpacked(lines=lines, units=units)
    for line in lines:
        line.left = sum(q for (line_id, _, _), q in unpacked.items() if line_id == line.pk)
    left = [line for line in lines if line.left > 0]
    return {
        "order": order,
        "left": left,
        "units_left": sum(line.left for line in left),
        "units": units,
    }


def delivery_notes(*, order_ids: Iterable[int], warehouse_ids: Iterable[int]) -> list[dict]:
    """What the delivery note of each of these orders says, for those shipping from one of
    these warehouses with goods packed (its cancelled units aside), in the order the truck
    reaches them (then by reference): the order with its customer, ship-to, warehouse,
    truck, driver and stop (with the carrier's waybill); each line, ordered and in this
    delivery, with its lots and the SSCCs of the units it is packed in; the units' SSCCs and
    their weight. Four queries."""
    orders = list(
        Order.objects.filter(pk__in=list(order_ids), warehouse_id__in=list(warehouse_ids))
        .select_related(
            "warehouse",
            "customer",
            "ship_to",
            "split_from",
            "load__vehicle",
            "load__driver",
            "stop__shipment__carrier",
        )
        .order_by("stop__sequence", "external_ref")
    )
    units = defaultdict(list)
    for unit in (
        HandlingUnit.objects.filter(order__in=orders)
        .exclude(status=UnitStatus.CANCELLED)
        .order_by("packed_at", "pk")
    ):
        units[unit.order_id].append(unit)
    packed: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    packed_in: dict[int, set[int]] = defaultdict(set)
    for content in (
        HandlingUnitLine.objects.filter(unit__order__in=orders)
        .exclude(unit__status=UnitStatus.CANCELLED)
        .select_related("lot")
    ):
        packed[content.line_id][content.lot.code if content.lot_id else ""] += content.quantity
        packed_in[content.line_id].add(content.unit_id)
    ssccs = {unit.pk: unit.sscc for order_units in units.values() for unit in order_units}
    lines = defaultdict(list)
    for line in (
        OrderLine.objects.filter(order__in=orders)
        .select_related("item")
        .order_by("order_id", "line_no")
    ):
        line.delivered = sum(packed[line.pk].values())
        line.lots = sorted((code, n) for code, n in packed[line.pk].items() if code)
        line.ssccs = sorted(ssccs[unit] for unit in packed_in[line.pk])
        lines[line.order_id].append(line)
    return [
        {
            "order": order,
            "lines": lines[order.pk],
            "units": units[order.pk],
            "weight_kg": sum((u.weight_kg for u in units[order.pk]), Decimal(0)),
        }
        for order in orders
        if units[order.pk]
    ]


def load_manifest(*, load_id: int, warehouse_ids: Iterable[int]) -> dict | None:
    """What the load's manifest says, the paper its driver signs for the goods at the dock:
    the load with its warehouse, vehicle and carrier, driver, dock slot and shipment; its
    orders' `delivery_notes` (not the cancelled ones), each with how many of its units are
    on the truck; the totals. None if the load is not of these warehouses. Six queries."""
    load = (
        Load.objects.filter(pk=load_id, warehouse_id__in=list(warehouse_ids))
        .select_related(
            "warehouse", "vehicle__carrier", "driver", "appointment__dock", "shipment__carrier"
        )
        .first()
    )
    if load is None:
        return None
    ids = load.orders.exclude(status=OrderStatus.CANCELLED).values_list("pk", flat=True)
    notes = delivery_notes(order_ids=list(ids), warehouse_ids=[load.warehouse_id])
    on = (UnitStatus.LOADED, UnitStatus.SHIPPED)
    for note in notes:
        note["on_truck"] = sum(1 for unit in note["units"] if unit.status in on)
    return {
        "load": load,
        "shipment": getattr(load, "shipment", None),
        "orders": notes,
        "units": sum(len(note["units"]) for note in notes),
        "on_truck": sum(note["on_truck"] for note in notes),
        "weight_kg": sum((note["weight_kg"] for note in notes), Decimal(0)),
    }


def orders_visible(*, warehouse_ids: Iterable[int]) -> QuerySet[Order]:
    """Orders shipping from, or holding stock in, one of these warehouses (what their people
    may see of the orders)."""
    ids = list(warehouse_ids)
    # Two conditions an index serves each, rather than one OR across a join (which scanned
    # every order: half a second to count 200,000, more to find none).
    holding_here = LineReservation.objects.filter(warehouse_id__in=ids).values("line__order")
    return Order.objects.filter(Q(warehouse_id__in=ids) | Q(pk__in=holding_here))


def orders_with_details(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Orders with what is shown of each: customer, ship-to, warehouse, the order split from
    and the split parts, and the lines with their items and their stock held per warehouse."""
    return orders.select_related("customer", "ship_to", "warehouse", "split_from").prefetch_related(
        "split_parts",
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("item").prefetch_related(
                Prefetch(
                    "reservations", queryset=LineReservation.objects.select_related("warehouse")
                )
            ),
        ),
    )


# How a list of orders can be sorted: the key a page asks for, and its order_by.
ORDER_SORTS: dict[str, tuple[str, ...]] = {
    "received": ("-received_at", "-pk"),
    "ship": ("promised_ship_date", "priority", "-received_at", "-pk"),
    "priority": ("priority", "promised_ship_date", "-received_at", "-pk"),
    "customer": ("customer__name", "-received_at", "-pk"),
}


def orders_listed(
    *, warehouse_ids: Iterable[int], text: str = "", sort: str = "received"
) -> QuerySet[Order]:
    """Orders visible to these warehouses' people, newest first, or as `sort` says (a key of
    ORDER_SORTS: soonest ship date, most urgent, or customer's name; ties newest first; an
    unknown key sorts newest first). With `text`, those whose reference starts with it,
    whose customer's or ship-to's name holds it, whose customer code it is (any case), or
    whose stop has it as its carrier's waybill (typed as printed). Each with its customer,
    ship-to, warehouse and load; their lines are counted apart (`order_line_counts`), for
    the orders shown: counting them in the same query grouped every visible order before
    the page was cut (seconds for 200,000)."""
    orders = orders_visible(warehouse_ids=warehouse_ids)
    text = text.strip()
    if text:
        found = (
            Q(external_ref__istartswith=text)
            | Q(customer__code__iexact=text)
            | Q(customer__name__icontains=text)
            | Q(ship_to__name__icontains=text)
        )
        try:
            waybill = waybill_clean(text)
        except DomainError:  # no waybill looks like that: the rest still searches
            waybill = ""
        if waybill:  # its stops first, by the index, so the orders need no join for it
            found |= Q(
                stop_id__in=list(
                    Stop.objects.filter(waybill=waybill).values_list("pk", flat=True)[:100]
                )
            )
        orders = orders.filter(found)
    return orders.select_related("customer", "ship_to", "warehouse", "load").order_by(
        *ORDER_SORTS.get(sort, ORDER_SORTS["received"])
    )


def order_line_counts(orders: Iterable[Order] | QuerySet[Order]) -> dict[int, int]:
    """How many lines each of these orders has, by order id, in one query."""
    return dict(
        OrderLine.objects.filter(order__in=orders)
        .values("order")
        .annotate(n=Count("pk"))
        .values_list("order", "n")
    )


def promised_by(warehouses: Iterable[Warehouse], now: datetime.datetime) -> Q:
    """Orders shipping from these warehouses and promised to ship by the day it is at `now`
    on each warehouse's own calendar."""
    wanted = Q(pk__in=[])
    for warehouse in warehouses:
        today = timezone.localtime(now, warehouse.zone()).date()
        wanted |= Q(warehouse_id=warehouse.pk, promised_ship_date__lte=today)
    return wanted


def ship_deadline(order: Order, warehouse: Warehouse) -> datetime.datetime:
    """When the order must have left: its cut-off, or without one, the shipping warehouse's
    closing time on the promised ship date, on its clock."""
    return order.cutoff_at or datetime.datetime.combine(
        order.promised_ship_date, warehouse.closes_at, tzinfo=warehouse.zone()
    )


def past_deadline(warehouses: Iterable[Warehouse], now: datetime.datetime) -> Q:
    """Orders shipping from these warehouses whose `ship_deadline` is before `now`: the
    cut-off gone, or without one, the warehouse closed on (or since) the promised day."""
    wanted = Q(pk__in=[])
    for warehouse in warehouses:
        local = timezone.localtime(now, warehouse.zone())
        closed_on = local.date() - datetime.timedelta(days=local.time() < warehouse.closes_at)
        wanted |= Q(warehouse_id=warehouse.pk) & (
            Q(cutoff_at__lt=now) | Q(cutoff_at__isnull=True, promised_ship_date__lte=closed_on)
        )
    return wanted


def order_story(*, order_id: int, warehouse_ids: Iterable[int]) -> dict | None:
    """One order as the office tells a customer where it is: its lines, where their stock
    is held and how many of each were picked and shipped, the allocation decision, its
    wave, truck and dock, its units, its stop on the road (with its carrier's waybill), and
    its milestones in time order. None if it is not visible. Bounded queries."""
    order = (
        orders_with_details(orders_visible(warehouse_ids=warehouse_ids).filter(pk=order_id))
        .select_related(
            "wave",
            "load__vehicle",
            "load__driver",
            "load__appointment__dock",
            "stop__shipment__carrier",
        )
        .prefetch_related("units")
        .first()
    )
    if order is None:
        return None
    units = list(order.units.all())
    appointment = getattr(order.load, "appointment", None) if order.load_id else None
    stop = order.stop
    lines = list(order.lines.all())
    moved = units_moved(
        references=[line.reference for line in lines],
        kinds=(MovementKind.PICK, MovementKind.SHIP, MovementKind.UNPICK),
    )
    for line in lines:
        # Picked, less what was taken back out of the order (a held lot pulled from it).
        line.picked = moved.get((line.reference, MovementKind.PICK), 0) - moved.get(
            (line.reference, MovementKind.UNPICK), 0
        )
        line.shipped = moved.get((line.reference, MovementKind.SHIP), 0)
    moments: list[tuple[datetime.datetime | None, str, str]] = [
        (order.received_at, "received", ""),
        (order.allocated_at, "allocated", order.warehouse.code if order.warehouse_id else ""),
        (order.wave.released_at if order.wave_id else None, "released", ""),
        (_picked_at(order, lines), "picked", ""),
        (min((u.packed_at for u in units), default=None), "packed", ""),
        (appointment.checked_in_at if appointment else None, "truck_in", ""),
        (max((u.loaded_at for u in units if u.loaded_at), default=None), "loaded", ""),
        (order.shipped_at, "shipped", order.load.reference if order.load_id else ""),
        _stop_outcome(stop),
        _came_back(stop),
        (order.cancelled_at, "cancelled", ""),
    ]
    return {
        "order": order,
        "allocation": allocation_told(order.allocation_note),
        "lines": lines,
        "units": units,
        "appointment": appointment,
        "stop": stop,
        "milestones": sorted((m for m in moments if m[0] is not None), key=lambda m: m[0]),
    }


def _picked_at(order: Order, lines: list[OrderLine]) -> datetime.datetime | None:
    """When the order's last unit was picked, once it is all picked (None before, and for an
    order cancelled before it was)."""
    if order.status in (
        OrderStatus.RECEIVED,
        OrderStatus.ALLOCATED,
        OrderStatus.BACKORDERED,
        OrderStatus.RELEASED,
    ) or not any(line.picked for line in lines):
        return None
    return last_moved(references=[line.reference for line in lines], kind=MovementKind.PICK)


def _stop_outcome(stop: Stop | None) -> tuple[datetime.datetime | None, str, str]:
    """The milestone of an order's stop once it is done: delivered or partly delivered (to
    whom), or refused (the receipt its goods come back on)."""
    if stop is None or stop.status not in DONE_STOP_STATUSES:
        return (None, "delivered", "")
    if stop.status == StopStatus.REFUSED:
        return (stop.delivered_at, "refused", stop_return_reference(stop))
    return (stop.delivered_at, stop.status, stop.receiver_name)


def _came_back(stop: Stop | None) -> tuple[datetime.datetime | None, str, str]:
    """The milestone of goods a stop sent back (refused, or named as returned from a partial
    delivery), once some are received against its return receipt: when the last came in, and
    "RET-…: SKU × received of expected" per item. Two queries, only for such a stop."""
    if stop is None or stop.status not in (StopStatus.REFUSED, StopStatus.PARTIAL):
        return (None, "back", "")
    reference = stop_return_reference(stop)
    lines = list(
        ReceiptLine.objects.filter(receipt__reference=reference)
        .select_related("item")
        .order_by("item__sku")
    )
    if not any(ln.received_quantity for ln in lines):
        return (None, "back", "")
    last = StockMovement.objects.filter(reference=reference, kind=MovementKind.RECEIPT).aggregate(
        at=Max("created_at")
    )["at"]
    what = ", ".join(
        _("%(sku)s × %(received)s of %(expected)s")
        % {"sku": ln.item.sku, "received": ln.received_quantity, "expected": ln.expected_quantity}
        for ln in lines
    )
    return (last, "back", f"{reference}: {what}")


def allocation_told(note: dict) -> str:
    """An order's allocation decision (`allocation_note`, as the service recorded it) in the
    reader's language: where from and why, what was split, what waits for stock."""
    said: list[str] = []
    parts = ", ".join(f"{code} {units}" for code, units in (note.get("parts") or {}).items())
    if note.get("mode") == "complete":
        km = next(
            (c["km"] for c in note.get("considered", []) if c["warehouse"] == note["warehouse"]),
            None,
        )
        said.append(
            _("Nearest warehouse that can ship it complete: %(warehouse)s, %(km)s km.")
            % {"warehouse": note["warehouse"], "km": f"{km:.0f}" if km is not None else "?"}
        )
    elif note.get("mode") == "split_part":
        said.append(
            _("The part of %(order)s that ships from %(warehouse)s.")
            % {"order": note["split_from"], "warehouse": note["warehouse"]}
        )
    elif note.get("mode") == "backorder":
        said.append(
            _("What %(order)s was short on the floor, with none anywhere else.")
            % {"order": note["split_from"]}
        )
    elif note.get("mode") == "again":
        said.append(_("Reserved again where it already ships from (%(parts)s).") % {"parts": parts})
    elif note.get("parts"):
        said.append(
            _("No single warehouse can ship it complete: split by distance (%(parts)s).")
            % {"parts": parts}
        )
    elif note and not note.get("backorder"):
        said.append(_("No warehouse has stock for it: backordered."))
    if note.get("backorder"):
        said.append(
            _("Short on the floor: what is here ships, the rest follows as %(part)s.")
            % {"part": note["backorder"]}
        )
    if note.get("backordered"):
        items = ", ".join(f"{sku} × {qty}" for sku, qty in note["backordered"].items())
        said.append(_("Waiting for stock: %(items)s.") % {"items": items})
    return " ".join(said)


def stop_return_reference(stop: Stop) -> str:
    """The receipt a refused stop's goods come back on (see `delivery_record`)."""
    return f"RET-{stop.shipment.reference}-{stop.sequence}"


def shipment_of_load(*, reference: str, warehouse_ids: Iterable[int]) -> Shipment | None:
    """The shipment of the load with this reference, of these warehouses, with its load and
    carrier: None if there is none, or the load has not left."""
    return (
        Shipment.objects.filter(
            load__reference=reference, load__warehouse_id__in=list(warehouse_ids)
        )
        .select_related("load", "carrier")
        .first()
    )


def load_planned_orders(
    *, warehouse_id: int, pk: int | None = None, reference: str | None = None
) -> tuple[Load, list[Order]] | None:
    """A planned load of the warehouse (by id or reference) and its orders not cancelled:
    what another truck for it would carry. None if there is no such load."""
    load = Load.objects.filter(
        Q(pk=pk) if pk is not None else Q(reference=reference),
        warehouse_id=warehouse_id,
        status=LoadStatus.PLANNED,
    ).first()
    if load is None:
        return None
    return load, list(load.orders.exclude(status=OrderStatus.CANCELLED))


def load_not_gone(*, pk: int, warehouse_ids: Iterable[int]) -> Load | None:
    """A planned or loading load of one of these warehouses, with its warehouse and dock
    appointment; None if there is none such."""
    return (
        Load.objects.select_related("warehouse", "appointment")
        .filter(
            pk=pk,
            warehouse_id__in=list(warehouse_ids),
            status__in=(LoadStatus.PLANNED, LoadStatus.LOADING),
        )
        .first()
    )


def _leaves_at(load: Load, now: datetime.datetime) -> datetime.datetime:
    """When a load's truck leaves, as its route is planned: at the end of its dock slot, or
    now if that is past or it has none."""
    appointment = getattr(load, "appointment", None)
    booked = appointment is not None and appointment.status != AppointmentStatus.CANCELLED
    return max(now, appointment.ends_at) if booked else now


def route_from(load: Load, ship_tos: list[ShipTo], leaves_at: datetime.datetime) -> dict:
    """The load's stops from `leaves_at`, as its vehicle goes (`route_plan`, through its
    carrier's network if it has one): `calls`, and when it leaves and the minutes late in
    all. The load comes with its warehouse and its vehicle's carrier; no query."""
    calls = route_plan(
        origin=(load.warehouse.latitude, load.warehouse.longitude),
        at=leaves_at,
        ship_tos=ship_tos,
        zone=load.warehouse.zone(),
        network=load.vehicle.network,
    )
    return {
        "leaves_at": leaves_at,
        "calls": calls,
        "late_minutes": sum(c.late_minutes for c in calls),
    }


def load_route(
    *,
    load: Load,
    leaves_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> dict:
    """The route the load's truck would drive if it left at `leaves_at`: by default at the
    end of its dock slot, or now if that is past or it has none. Its orders' ship-tos (not
    the cancelled ones) in the order `shipping.routing.route_plan` gives, each stop's ETA
    in its window; with the minutes late in all, the km driven there and back (`km`) and
    what the trip costs by the vehicle's tariff (`cost`, None if none is known). Through a
    carrier's network, each stop on the day the network delivers it and the km carried."""
    ship_tos = [
        o.ship_to
        for o in load.orders.select_related("ship_to").exclude(status=OrderStatus.CANCELLED)
    ]
    load = Load.objects.select_related("warehouse", "vehicle__carrier", "appointment").get(
        pk=load.pk
    )
    route = route_from(load, ship_tos, leaves_at or _leaves_at(load, now or timezone.now()))
    return {**route, **_priced(load, load.vehicle, route["calls"], load_fill(load).weight_kg)}


def _priced(load: Load, vehicle: Vehicle, calls: list, kg: Decimal) -> dict:
    """The km the load's truck drives on these calls, there and back (through a carrier's
    network, the km carried: `km_driven`), and what the trip costs by the vehicle's tariff
    (`cost`, None if none is known)."""
    km = km_driven(
        origin=(load.warehouse.latitude, load.warehouse.longitude),
        calls=calls,
        network=vehicle.network,
    )
    return {"km": km, "cost": trip_cost(vehicle, km=km, stops=len(calls), kg=kg)}


def routes_booked(*, warehouse_ids: Iterable[int], now: datetime.datetime) -> list[dict]:
    """Each load of these warehouses not yet gone that has a dock slot, with its route as
    `load_route` gives it (leaving at the end of the slot, or now if that is past): dicts of
    `load` and the route's keys. Two queries whatever the number of loads."""
    loads = list(
        Load.objects.filter(
            warehouse_id__in=list(warehouse_ids),
            status__in=(LoadStatus.PLANNED, LoadStatus.LOADING),
            appointment__isnull=False,
        )
        .exclude(appointment__status=AppointmentStatus.CANCELLED)
        .select_related("warehouse", "appointment", "vehicle__carrier")
        .prefetch_related(_live_orders())
        .order_by("pk")
    )
    return [
        {
            "load": load,
            **route_from(load, [o.ship_to for o in load.orders.all()], _leaves_at(load, now)),
        }
        for load in loads
    ]


# An order's parts split from parts, at most this deep (a split part backordered in turn).
PARTS_DEPTH = 4
# The statuses of an order whose part of the delivery is over.
ORDER_DONE = (OrderStatus.DELIVERED, OrderStatus.REFUSED, OrderStatus.CANCELLED)


@dataclass(frozen=True)
class Consigned:
    """An order as its customer follows it: the order placed (`placed`, the first of
    `parts` when it was not split) and each part that goes on its own (split to another
    warehouse, or backordered), each part with its lines (`shipped`: units shipped per
    line number), its stop and its shipment's carrier, and the carrier's last report of the
    part's truck or of its stop (`last_seen`, per part id: never another stop's); `done_at`
    once every part is done (delivered, refused, cancelled)."""

    placed: Order
    parts: list[Order]
    shipped: dict[int, dict[int, int]]
    last_seen: dict[int, TrackingEvent]
    done_at: datetime.datetime | None


def order_on_the_road() -> Order | None:
    """The first order on its way to its customer (shipped, not yet delivered), if any."""
    return Order.objects.filter(status=OrderStatus.SHIPPED).order_by("pk").first()


def order_consigned(*, order_id: int) -> Consigned | None:
    """The order its customer follows by a link: the order placed (the root of any split)
    and every part split from it, whatever warehouse ships each. None for no such order.
    Bounded queries: one per level of parts, three, and one per part on the road."""
    order = Order.objects.filter(pk=order_id).values_list("pk", "split_from_id").first()
    if order is None:
        return None
    root, up = order
    for _level in range(PARTS_DEPTH):
        if up is None:
            break
        root, up = Order.objects.filter(pk=up).values_list("pk", "split_from_id").get()
    ids, level = [root], [root]
    for _level in range(PARTS_DEPTH):
        level = list(Order.objects.filter(split_from_id__in=level).values_list("pk", flat=True))
        if not level:
            break
        ids += level
    parts = list(
        Order.objects.filter(pk__in=ids)
        .select_related(
            "customer", "ship_to", "warehouse", "load__appointment", "stop__shipment__carrier"
        )
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("item").order_by("line_no"))
        )
        .order_by("pk")
    )
    moved = units_moved(
        references=[line.reference for part in parts for line in part.lines.all()],
        kinds=(MovementKind.SHIP,),
    )
    shipped = {
        part.pk: {
            line.line_no: moved.get((line.reference, MovementKind.SHIP), 0)
            for line in part.lines.all()
        }
        for part in parts
    }
    last_seen: dict[int, TrackingEvent] = {}
    for part in parts:
        if part.stop_id is None:
            continue
        last = (
            TrackingEvent.objects.filter(shipment_id=part.stop.shipment_id)
            .filter(Q(stop__isnull=True) | Q(stop_id=part.stop_id))
            .order_by("-at", "-pk")
            .first()
        )
        if last is not None:
            last_seen[part.pk] = last
    done = [
        part.cancelled_at or (part.stop.delivered_at if part.stop_id else None) or part.delivered_at
        for part in parts
    ]
    all_done = all(part.status in ORDER_DONE for part in parts) and None not in done
    return Consigned(
        placed=parts[0],
        parts=parts,
        shipped=shipped,
        last_seen=last_seen,
        done_at=max(done) if all_done else None,  # type: ignore[type-var]
    )


def lot_trace(*, lot: Lot, warehouse_ids: Iterable[int]) -> dict:
    """A lot's trace in these warehouses, for a recall: where it came from (each receipt, its
    supplier, the units), where it is (on hand per location, and reserved for whom), and
    where it went (each unit packed of it: to which order, customer and address, on which
    shipment, delivered or not; those not gone yet apart). Units cancelled with their order
    are left out: their goods went back to stock. A fixed number of queries."""
    ids = list(warehouse_ids)
    receipts = {
        (row["warehouse_id"], row["reference"]): {
            "warehouse": row["warehouse__code"],
            "reference": row["reference"],
            "supplier": "",
            "supplier_code": None,
            "quantity": row["quantity"],
            "first_at": row["first_at"],
        }
        for row in StockMovement.objects.filter(
            kind=MovementKind.RECEIPT, lot=lot, warehouse_id__in=ids
        )
        .values("warehouse_id", "warehouse__code", "reference")
        .annotate(quantity=Sum("quantity"), first_at=Min("created_at"))
        .order_by("first_at")
    }
    for receipt in Receipt.objects.filter(
        warehouse_id__in=ids, reference__in=[key[1] for key in receipts if key[1]]
    ).select_related("from_supplier"):
        row = receipts.get((receipt.warehouse_id, receipt.reference))
        if row is not None:
            row["supplier"] = receipt.supplier_name
            row["supplier_code"] = receipt.from_supplier.code if receipt.from_supplier else None
    on_hand = [
        {
            "warehouse": b.warehouse.code,
            "location": b.location.barcode,
            "zone_kind": b.location.zone.kind,
            "on_hand": b.on_hand,
            "reserved": b.reserved,
        }
        for b in StockBalance.objects.filter(lot=lot, warehouse_id__in=ids, on_hand__gt=0)
        .select_related("warehouse", "location__zone")
        .order_by("warehouse__code", "location__pick_sequence", "location__barcode")
    ]
    reserved = [
        {
            "warehouse": a.balance.warehouse.code,
            "reference": a.reservation.reference,
            "location": a.balance.location.barcode,
            "quantity": a.quantity,
        }
        for a in Allocation.objects.filter(
            balance__lot=lot, balance__warehouse_id__in=ids, quantity__gt=0
        )
        .select_related("reservation", "balance__warehouse", "balance__location")
        .order_by("reservation__reference", "pk")
    ]
    shipped, not_shipped = [], []
    for content in (
        HandlingUnitLine.objects.filter(lot=lot, unit__warehouse_id__in=ids)
        .exclude(unit__status=UnitStatus.CANCELLED)
        .select_related(
            "unit__warehouse",
            "unit__load__shipment",
            "line__order__customer",
            "line__order__ship_to",
        )
        .order_by("unit__packed_at", "unit__pk", "pk")
    ):
        unit, order = content.unit, content.line.order
        shipment = getattr(unit.load, "shipment", None) if unit.load_id else None
        row = {
            "warehouse": unit.warehouse.code,
            "sscc": unit.sscc,
            "unit_status": unit.status,
            "order": order.external_ref,
            "order_id": order.pk,
            "order_status": order.status,
            "customer": order.customer.name,
            "customer_code": order.customer.code,
            "ship_to": order.ship_to.name,
            "address": order.ship_to.address,
            "city": order.ship_to.city,
            "quantity": content.quantity,
            "load": unit.load.reference if unit.load_id else None,
            "shipment": shipment.reference if shipment else None,
            "departed_at": shipment.departed_at if shipment else None,
            "delivered_at": order.delivered_at,
        }
        (shipped if unit.status == UnitStatus.SHIPPED else not_shipped).append(row)
    received = list(receipts.values())
    unpacked = _lot_picked_not_packed(lot, ids)
    return {
        "lot": {
            "id": lot.pk,
            "item": lot.item.sku,
            "item_name": lot.item.name,
            "code": lot.code,
            "expires_on": lot.expires_on,
            "held": lot.held_at is not None,
            "held_at": lot.held_at,
            "hold_reason": lot.hold_reason,
        },
        "totals": {
            "received": sum(r["quantity"] for r in received),
            "on_hand": sum(r["on_hand"] for r in on_hand),
            "reserved": sum(r["quantity"] for r in reserved),
            "picked_not_packed": sum(r["quantity"] for r in unpacked),
            "packed_not_shipped": sum(r["quantity"] for r in not_shipped),
            "shipped": sum(r["quantity"] for r in shipped),
            "customers": len({r["customer_code"] for r in shipped}),
        },
        "received": received,
        "on_hand": on_hand,
        "reserved": reserved,
        "picked_not_packed": unpacked,
        "packed_not_shipped": not_shipped,
        "shipped": shipped,
    }


def _lot_picked_not_packed(lot: Lot, warehouse_ids: list[int]) -> list[dict]:
    """lot_trace's goods of the lot picked for orders still here and in none of their units:
    per order and place, what `goods_unpacked` finds of the lot. Six queries."""
    references = Allocation.objects.filter(
        balance__lot=lot,
        balance__warehouse_id__in=warehouse_ids,
        picked__gt=0,
        reservation__reference__startswith="order:",
    ).values_list("reservation__reference", flat=True)
    orders = {
        order.pk: order
        for order in Order.objects.filter(
            pk__in={OrderLine.of_reference(reference)[0] for reference in references},
            status__in=ORDERS_NOT_GONE,
        ).select_related("warehouse")
    }
    if not orders:
        return []
    lines = {line.pk: line for line in OrderLine.objects.filter(order_id__in=list(orders))}
    left = {
        (line_id, location_id): quantity
        for (line_id, lot_id, location_id), quantity in goods_unpacked(
            lines=lines.values(),
            units=HandlingUnit.objects.filter(order_id__in=list(orders)).prefetch_related("lines"),
        ).items()
        if lot_id == lot.pk
    }
    places = dict(
        Location.objects.filter(pk__in={pk for _, pk in left}).values_list("pk", "barcode")
    )
    rows = []
    for (line_id, location_id), quantity in sorted(left.items()):
        order = orders[lines[line_id].order_id]
        rows.append(
            {
                "warehouse": order.warehouse.code,
                "order": order.external_ref,
                "order_id": order.pk,
                "order_status": order.status,
                "location": places[location_id],
                "quantity": quantity,
            }
        )
    return rows
