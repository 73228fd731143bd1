"""Load building: which waiting orders go on which free vehicle, proposed for the dispatcher
to build with one click (nothing here writes).

The sweep heuristic of vehicle routing: the orders waiting for a load are taken in the
order of their ship-tos' bearing from the warehouse, clockwise from north, so that each
truck gets one direction; the free vehicles are filled one after another (own fleet before
hired carriers, the biggest first, so that fewer trucks go), each taking the next orders
while they fit its payload and its space and stay within a quarter turn of its first
(orders colder than it keeps are left for a colder truck) and its route can still reach
every stop in its delivery window, leaving once all its orders' lines can be picked (an
order whose window that truck would miss, or whose lines would hold it until too late, is
left for the next truck). Today's and urgent orders are swept before the later ones, which then
fill the room left in their direction. A truck so filled then goes on the cheapest vehicle
for its orders by the carriers' tariffs (`shipping.tariffs`): a spare one that carries
them and costs less (a smaller truck, or a carrier's for a few kg far away). Each proposal
comes with its route, as `shipping.routing` would drive it, and its cost; each order left
waiting comes with the reason.

Each truck gets a free driver of its carrier, and leaves at a time of its own, on the
quarter hour: as soon as its goods can be picked and loaded if its first stop is open by
then, else on the day its first stop opens next; and no earlier than it needs, so that it
does not wait at its first stop. Its dock slot is the hour before it leaves, at a door free
then (moved earlier, or later, by quarter hours if none is, up to four hours either way,
then to the first door free after those; the morning after instead, if the doors would hold
it until its shops are shut), so the wave can be released in step with it. A truck with
loads booked already (`shipping.selectors.Trip`) makes this trip before, between or after
those: from its slot until it is back from its last stop, it is on none of them; with no
door free for such a slot, its orders wait.

An order too far for a day's trip (`shipping.routing.beyond_a_day`: a part of an order split
to a warehouse in another city, say) is for a carrier that delivers through its own network
(`Carrier.network_km_per_day`): a free truck of such a carrier collects those it takes at a
dock slot, at its daily collection time once they are picked (as soon as they are, if it
has none), and each is delivered on the day its network gets there
(`shipping.routing.network_calls`).
"""

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict
from core.models import Warehouse
from inventory.choices import TemperatureClass
from shipping.choices import AppointmentStatus, OrderStatus, Priority, WaveStatus
from shipping.models import Dock, Driver, Load, Order, ShipTo, Vehicle, Wave
from shipping.routing import (
    Call,
    back_at,
    beyond_a_day,
    calls_timed,
    km_driven,
    route_plan,
    route_with,
)
from shipping.selectors import (
    SERVICE_RANK,
    Trip,
    dock_window,
    drivers_free,
    goods_by_order,
    order_line_counts,
    planning_choices_vehicles,
    trip_back,
    trips_holding,
    vehicle_carries,
    wave_timing,
)
from shipping.tariffs import trip_cost

SLOT = datetime.timedelta(hours=1)  # a proposed dock slot: loading; the truck leaves at its end
STEP = datetime.timedelta(minutes=15)  # proposed times are on the quarter hour
SLOT_TRIES = 16  # quarter hours a slot moves earlier, then later, to find a free door
# Before the slot: picking (at a new wave's pace) and the wave's margin.
_WAVE = {f.name: f.default for f in Wave._meta.fields}
PICK_LINES_PER_HOUR = _WAVE["lines_per_picker_hour"] * _WAVE["pickers"]
READY_BEFORE = datetime.timedelta(minutes=_WAVE["margin_minutes"])
SECTOR_DEGREES = 90  # of bearing at most between a truck's first and last order
LATE_SLACK_MINUTES = 0.5  # a route later than that by less than this is not later

# Why an order is left waiting by the proposals.
WAIT_REASONS = {
    "far": _(
        "Too far for a day's trip from this warehouse, and no free truck of a carrier that "
        "delivers through its network takes it."
    ),
    "no_vehicle": _("No vehicle is free."),
    "goods": _("No free vehicle takes its goods: too heavy, too big or not cold enough."),
    "window": _("The free trucks going its way would miss its delivery window."),
    "room": _("Every free truck is full or goes another way."),
    "trips": _(
        "The free trucks going its way are due back for their next trips before they could "
        "deliver it, or have no door free around their time."
    ),
    "picking": _(
        "With its lines to pick too, the truck going its way would leave too late for the "
        "delivery windows."
    ),
}


@dataclass(frozen=True)
class SlotSuggested:
    """Where and when to book a load's truck: the door (None if none is free around then),
    when it leaves (the end of its `SLOT`) and its route from then."""

    dock: Dock | None
    leaves_at: datetime.datetime
    route: list[Call]

    @property
    def slot_starts_at(self) -> datetime.datetime:
        return self.leaves_at - SLOT

    @property
    def late_minutes(self) -> int:
        return sum(c.late_minutes for c in self.route)


@dataclass(frozen=True)
class LoadProposal(SlotSuggested):
    """Orders for one vehicle, with its slot (see `SlotSuggested`): what they weigh and take
    up of it, its driver (a free one of its carrier; None if there is none), and what the
    trip costs by the vehicle's tariff (None if none is known; `shipping.tariffs`)."""

    vehicle: Vehicle
    orders: list[Order]
    weight_pct: float
    volume_pct: float
    driver: Driver | None
    cost: Decimal | None = None


@dataclass(frozen=True)
class OrderWaiting:
    """An order the proposals leave waiting, and why (a key of `WAIT_REASONS`)."""

    order: Order
    reason: str

    @property
    def why(self) -> str:
        return str(WAIT_REASONS[self.reason])


@dataclass(frozen=True)
class LoadPlan:
    """The loads proposed, and the orders waiting that none of them takes."""

    proposals: list[LoadProposal]
    waiting: list[OrderWaiting]


def _bearing(warehouse: Warehouse, order: Order) -> float:
    """Degrees clockwise from north, from the warehouse to the order's ship-to."""
    d_lon = float(order.ship_to.longitude - warehouse.longitude)
    d_lat = float(order.ship_to.latitude - warehouse.latitude)
    d_lon *= math.cos(math.radians(float(warehouse.latitude)))
    return math.degrees(math.atan2(d_lon, d_lat)) % 360


class _Truck:
    """A free vehicle being filled: its orders, their kg and litres; and the trips its loads
    planned with a slot take it on (this one goes before, between or after them)."""

    def __init__(self, vehicle: Vehicle, trips: Sequence[Trip] = ()) -> None:
        self.vehicle = vehicle
        self.trips = list(trips)
        self.orders: list[Order] = []
        self.kg, self.litres = Decimal(0), Decimal(0)
        self.route: list[ShipTo] = []  # its stops in driving order
        self.late = 0.0  # minutes late in all on that route
        self.leaves_at: datetime.datetime | None = None  # set by its first order
        self.lines = 0  # its orders' pick lines: it leaves once they are picked


Hours = list[tuple[datetime.datetime, datetime.datetime]]


def _clear(hours: Hours, starts_at: datetime.datetime, ends_at: datetime.datetime) -> bool:
    return all(e <= starts_at or s >= ends_at for s, e in hours)


class _Doors:
    """The warehouse's doors in service and the hours booked or held (receiving, a repair)
    at each, and the hours each vehicle is at a door or on a trip (`trips`), from `now` on,
    with the slots and trips given to the proposals so far."""

    def __init__(
        self,
        warehouse: Warehouse,
        now: datetime.datetime,
        *,
        ignoring: int | None = None,
        trips: Sequence[Trip] = (),
    ) -> None:
        """`ignoring`: an appointment whose hour does not count (the one a slot moves)."""
        rows = dock_window(
            warehouse_id=warehouse.pk, start=now, end=now + datetime.timedelta(days=3)
        )
        self.docks = [row["dock"] for row in rows]
        self.taken: dict[int, Hours] = {dock.pk: [] for dock in self.docks}
        self.driving: dict[int, Hours] = {}  # a vehicle is at one door at a time
        for row in rows:
            self.taken[row["dock"].pk] += [(h.starts_at, h.ends_at) for h in row["holds"]]
            for a in row["appointments"]:
                if a.pk != ignoring:
                    self.taken[a.dock_id].append((a.starts_at, a.ends_at))
                    self.driving.setdefault(a.vehicle_id, []).append((a.starts_at, a.ends_at))
        for trip in trips:
            if not trip.whole:
                self.driving.setdefault(trip.load.vehicle_id, []).append(
                    (trip.starts_at, trip.back_at)
                )

    def free(self, starts_at: datetime.datetime) -> Dock | None:
        """The first door free for the `SLOT` from `starts_at`, if any."""
        for dock in self.docks:
            if _clear(self.taken[dock.pk], starts_at, starts_at + SLOT):
                return dock
        return None

    def slot_free(
        self,
        *,
        vehicle: Vehicle,
        leaves: datetime.datetime,
        earliest: datetime.datetime,
        back: Callable[[datetime.datetime], datetime.datetime],
    ) -> tuple[Dock | None, datetime.datetime, datetime.datetime]:
        """A door for the `SLOT` before `leaves`, or before the nearest quarter hour to it
        (earlier first, never before `earliest`) within `SLOT_TRIES` of them, at an hour the
        vehicle is at no other door and on no other trip until it is `back` (asked only of
        a vehicle with other hours): the door, when the truck leaves it and until when the
        vehicle is held (for `take`). (None, `leaves`, `leaves`) if there is none."""
        hours = self.driving.get(vehicle.pk, [])
        for k in [0, *(j for n in range(1, SLOT_TRIES + 1) for j in (-n, n))]:
            tried = leaves + k * STEP
            if tried < earliest:
                continue
            until = back(tried) if hours else tried
            if not _clear(hours, tried - SLOT, until):
                continue
            dock = self.free(tried - SLOT)
            if dock is not None:
                return dock, tried, until
        return None, leaves, leaves

    def take(
        self, *, vehicle: Vehicle, dock: Dock, leaves: datetime.datetime, until: datetime.datetime
    ) -> None:
        """The door's `SLOT` before `leaves` taken for a proposal, and the vehicle held from
        then `until`."""
        self.taken[dock.pk].append((leaves - SLOT, leaves))
        self.driving.setdefault(vehicle.pk, []).append((leaves - SLOT, until))


class _Drivers:
    """The warehouse's drivers free (`drivers_free`: not on a load with no slot, at a door or
    on the road) and the hours each is on a trip booked, with the proposals' trips so far."""

    def __init__(self, warehouse: Warehouse, now: datetime.datetime, trips: Sequence[Trip]):
        """`trips`: the vehicles' trips booked; a vehicle's driver on them is its usual one."""
        free = drivers_free(warehouse_id=warehouse.pk, now=now)
        self.drivers = [d for d, _ in free]
        self.hours: dict[int, Hours] = {
            d.pk: [(t.starts_at, t.back_at) for t in held] for d, held in free if held
        }
        self.usual = {t.load.vehicle_id: t.load.driver_id for t in trips if t.load.driver_id}

    def taken(
        self, vehicle: Vehicle, starts_at: datetime.datetime, back: datetime.datetime
    ) -> Driver | None:
        """A driver of the vehicle's carrier free from `starts_at` until `back`, taken for
        the proposal: the one who drives the vehicle's other trips, else one with no trip,
        else one whose trips are at other hours (by carrier, then name); None if none is."""
        fits = [
            d
            for d in self.drivers
            if d.carrier_id == vehicle.carrier_id
            and _clear(self.hours.get(d.pk, []), starts_at, back)
        ]
        if not fits:
            return None
        driver = min(fits, key=lambda d: (d.pk != self.usual.get(vehicle.pk), d.pk in self.hours))
        self.hours.setdefault(driver.pk, []).append((starts_at, back))
        return driver


def _quarter(at: datetime.datetime, *, up: bool = False) -> datetime.datetime:
    """`at` on the quarter hour: the one before (or with `up`, the one after)."""
    seconds = at.timestamp() % STEP.total_seconds()
    if not seconds:
        return at
    down = at - datetime.timedelta(seconds=seconds)
    return down + STEP if up else down


def _collection(
    collects_at: datetime.time, soonest: datetime.datetime, zone: datetime.tzinfo
) -> datetime.datetime:
    """A network carrier's first daily collection (`collects_at` on the warehouse's clock)
    at `soonest` or after."""
    day = soonest.astimezone(zone).date()
    at = datetime.datetime.combine(day, collects_at, zone)
    return at if at >= soonest else at + datetime.timedelta(days=1)


def _picking(lines: int) -> datetime.timedelta:
    """How long a new wave's pickers take for these pick lines."""
    return datetime.timedelta(minutes=math.ceil(lines * 60 / PICK_LINES_PER_HOUR))


def _soonest_leaving(ready: datetime.datetime) -> datetime.datetime:
    """The soonest a truck leaves whose goods are picked at `ready`: the wave's margin, then
    its `SLOT` at the door, on the quarter hour."""
    return _quarter(ready + READY_BEFORE + SLOT, up=True)


def _slot_booked(
    *,
    warehouse: Warehouse,
    vehicle: Vehicle,
    ship_tos: Sequence[ShipTo],
    soonest: datetime.datetime,
    earliest: datetime.datetime,
    doors: _Doors,
    hint: Sequence[ShipTo] = (),
) -> SlotSuggested:
    """The departure `departure_planned` gives (not before `soonest`), moved to the nearest
    hour a door is free for the vehicle (never before `earliest`, when its goods can be
    ready), taken in `doors`; with none free within `SLOT_TRIES` of it, the first after
    those hours (as `departure_planned` has it from then); the route timed from then, in the
    planned order. If the doors hold the truck until its route is later than planned, it
    leaves as `departure_planned` has it from then (the morning after, if that is less late),
    if a door is free around that hour and it is less late so. No door at all: the dock is
    None, leaving as planned. No stops: it leaves at `soonest`. A network carrier's truck
    with a daily collection time leaves at the first at `soonest` or after (later, never
    earlier, if no door is free then)."""

    network = vehicle.network
    if network and vehicle.carrier.collects_at is not None:
        soonest = _collection(vehicle.carrier.collects_at, soonest, warehouse.zone())
        earliest = max(earliest, soonest)  # a door taken then moves it later, not earlier

    def planned_from(at: datetime.datetime) -> tuple[datetime.datetime, list[Call]]:
        if not ship_tos:
            return at, []
        return departure_planned(
            warehouse=warehouse, ship_tos=ship_tos, soonest=at, hint=hint, network=network
        )

    def back(at: datetime.datetime) -> datetime.datetime:  # as the booking will check it
        return trip_back(
            warehouse=warehouse, ship_tos=list(ship_tos), leaves_at=at, network=network
        )

    def timed(at: datetime.datetime, calls: list[Call]) -> list[Call]:
        return calls_timed(
            start=(warehouse.latitude, warehouse.longitude),
            at=at,
            ship_tos=[c.ship_to for c in calls],
            zone=warehouse.zone(),
            network=network,
        )

    def at_a_door(
        at: datetime.datetime, not_before: datetime.datetime
    ) -> tuple[Dock | None, datetime.datetime, datetime.datetime, list[Call]]:
        """Leaving as planned from `at`, at a door free around then (`_Doors.slot_free`):
        the door, when it leaves, until when the vehicle is held, and the route."""
        leaves, calls = planned_from(at)
        dock, moved, until = doors.slot_free(
            vehicle=vehicle, leaves=leaves, earliest=not_before, back=back
        )
        return dock, moved, until, timed(moved, calls)

    leaves, planned = planned_from(soonest)
    dock, moved, until = doors.slot_free(
        vehicle=vehicle, leaves=leaves, earliest=earliest, back=back
    )
    route = timed(moved, planned)
    if dock is None:  # none around then: the first free after the hours tried
        after = leaves + (SLOT_TRIES + 1) * STEP
        if (found := at_a_door(after, after))[0] is not None:
            dock, moved, until, route = found
    if dock is not None and _late(route) > _late(planned) + LATE_SLACK_MINUTES:
        found = at_a_door(moved, earliest)  # the morning after, if less late
        if found[0] is not None and _late(found[3]) < _late(route):
            dock, moved, until, route = found
    if dock is not None:
        doors.take(vehicle=vehicle, dock=dock, leaves=moved, until=until)
    return SlotSuggested(dock=dock, leaves_at=moved, route=route)


def departure_planned(
    *,
    warehouse: Warehouse,
    ship_tos: Sequence[ShipTo],
    soonest: datetime.datetime,
    hint: Sequence[ShipTo] = (),
    may_wait: bool = False,
    network: int = 0,
) -> tuple[datetime.datetime, list[Call]]:
    """When a truck to these stops leaves, on the quarter hour and not before `soonest`, and
    its route from then (`route_plan`, with `hint`): at `soonest` if that is the least late,
    else on the morning its first stop next opens if that is less late; and, unless
    `may_wait`, later by what it would wait at its first stop, rounded down: it leaves no
    earlier than it needs. At least one stop. Through a carrier's `network`, at `soonest`
    (its stops are never late, and its truck waits nowhere)."""
    origin, zone = (warehouse.latitude, warehouse.longitude), warehouse.zone()

    def planned(at: datetime.datetime) -> list[Call]:
        return route_plan(
            origin=origin, at=at, ship_tos=ship_tos, zone=zone, hint=hint, network=network
        )

    leaves = _quarter(soonest, up=True)
    calls = planned(leaves)
    if _late(calls):
        midnight = datetime.datetime.combine(
            leaves.astimezone(zone).date() + datetime.timedelta(days=1), datetime.time(), zone
        )
        morning = max(leaves, _quarter(midnight + planned(midnight)[0].waits))
        then = planned(morning)
        if _late(then) < _late(calls):
            leaves, calls = morning, then
    if not may_wait and calls[0].waits >= STEP:
        leaves = _quarter(leaves + calls[0].waits)
        calls = calls_timed(start=origin, at=leaves, ship_tos=[c.ship_to for c in calls], zone=zone)
    return leaves, calls


def _late(calls: list[Call]) -> float:
    return sum(c.late.total_seconds() for c in calls) / 60


def loads_proposed(*, warehouse: Warehouse, now: datetime.datetime | None = None) -> LoadPlan:
    """Loads for the allocated orders waiting for one, on the warehouse's free vehicles, each
    with its departure and dock slot (see the module). The orders due to ship today (or
    earlier) and the urgent ones are swept first; the later ones then fill what room is left
    on those trucks, in their direction, and go on the trucks still free. No order makes a
    truck's route later than its own stop would be on that truck alone. Every waiting order
    is either on one proposal or in `waiting` with its reason; the same orders, vehicles and
    slots give the same plan."""
    now = now or timezone.now()
    zone = warehouse.zone()
    origin = (warehouse.latitude, warehouse.longitude)
    soonest = _soonest_leaving(now + _picking(1))  # a truck with one line to pick
    waiting = list(
        Order.objects.filter(warehouse=warehouse, status="allocated", load__isnull=True)
        .select_related("ship_to")
        .order_by("pk")
    )
    choices = planning_choices_vehicles(warehouse_id=warehouse.pk, now=now)
    trips: dict[int, list[Trip]] = choices["vehicles_trips"]
    free_here = sorted(
        (v for v in choices["vehicles"] if v.pk not in choices["vehicles_busy"]),
        key=lambda v: (
            SERVICE_RANK.get(v.carrier.service_level, 3),
            -v.capacity_weight_kg,
            v.plate,
        ),
    )
    free = [v for v in free_here if not v.network]  # trucks that drive our routes
    collecting = [v for v in free_here if v.network]  # for carriers' networks
    goods = goods_by_order(orders=waiting, warehouse_id=warehouse.pk)
    lines = order_line_counts(waiting)
    nothing = (Decimal(0), Decimal(0), TemperatureClass.AMBIENT)
    late_alone: dict[tuple[int, datetime.datetime], float] = {}  # (ship-to, leaving): minutes
    missed: set[int] = set()  # orders a truck of their way left for their window
    between: set[int] = set()  # orders a truck of their way left for its next trip
    slow: set[int] = set()  # orders whose picking would make a truck of their way too late

    def cold_enough(order: Order, vehicle: Vehicle) -> bool:
        return vehicle_carries(vehicle, goods.get(order.pk, nothing)[2])

    def room(order: Order, truck: _Truck) -> bool:
        kg, litres, _ = goods.get(order.pk, nothing)
        return (
            truck.kg + kg <= truck.vehicle.capacity_weight_kg
            and truck.litres + litres <= truck.vehicle.capacity_volume_l
        )

    def alone(ship_to: ShipTo, leaves_at: datetime.datetime) -> list[Call]:
        return route_plan(origin=origin, at=leaves_at, ship_tos=[ship_to], zone=zone)

    first_leavings: dict[int, datetime.datetime] = {}  # ship-to: when

    def first_leaving(order: Order) -> datetime.datetime:
        """When a truck with this order first leaves: as soon as it can if the stop is open
        by then, else so as to be there when it next opens."""
        if order.ship_to_id not in first_leavings:
            first_leavings[order.ship_to_id] = departure_planned(
                warehouse=warehouse, ship_tos=[order.ship_to], soonest=soonest, may_wait=True
            )[0]
        return first_leavings[order.ship_to_id]

    def clear(truck: _Truck, at: datetime.datetime, calls: list[Call]) -> bool:
        """Whether the truck, at its door a `SLOT` before `at` and back after these calls,
        is on none of its other trips meanwhile."""
        back = back_at(origin=origin, leaves_at=at, calls=calls)
        return not any(trip.meets(at - SLOT, back) for trip in truck.trips)

    def in_time(order: Order, truck: _Truck) -> tuple[list[Call], datetime.datetime] | None:
        """The truck's route with the order's stop on it, and when it leaves (no sooner than
        all its orders' lines can be picked), unless that makes the route later than it was
        by more than the stop would be late on its own (on a truck with other trips, on its
        own on a truck free when the order could first leave, if that is less; on a truck
        held longer by picking its lines with the others', on it leaving once they alone
        are picked), or brings the truck back after its next trip starts. The first order
        times the truck: as `first_leaving`, or after the trip it would meet then."""
        if truck.leaves_at is None:
            at = first_leaving(order)
            for trip in truck.trips:  # first first
                if clear(truck, at, alone(order.ship_to, at)):
                    break
                at = max(at, _quarter(trip.back_at + SLOT, up=True))
            truck.leaves_at = at
        picked = _soonest_leaving(now + _picking(truck.lines + lines.get(order.pk, 0)))
        at = max(truck.leaves_at, picked)
        calls = route_with(
            origin=origin, at=at, route=truck.route, ship_to=order.ship_to, zone=zone
        )
        if truck.trips and not clear(truck, at, calls):
            between.add(order.pk)
            return None

        def late_leaving(leaves_at: datetime.datetime) -> float:
            key = (order.ship_to_id, leaves_at)
            if key not in late_alone:
                late_alone[key] = _late(alone(order.ship_to, leaves_at))
            return late_alone[key]

        alone_late = late_leaving(at)
        if truck.trips:  # it may leave later than a truck free now: is it later for that?
            alone_late = min(alone_late, late_leaving(first_leaving(order)))
        # Later for the lines of the orders on it and this one together than for either:
        # would it be later alone, leaving once this one's lines are picked?
        alone_at = max(truck.leaves_at, _soonest_leaving(now + _picking(lines.get(order.pk, 0))))
        if at > alone_at:
            alone_late = min(alone_late, late_leaving(alone_at))
        if _late(calls) > truck.late + alone_late + LATE_SLACK_MINUTES:
            if at > alone_at and alone_late < late_leaving(at):
                slow.add(order.pk)
            else:
                (between if alone_late < late_leaving(at) else missed).add(order.pk)
            return None
        return calls, at

    def put(order: Order, truck: _Truck) -> None:
        kg, litres, _ = goods.get(order.pk, nothing)
        truck.orders.append(order)
        truck.kg, truck.litres = truck.kg + kg, truck.litres + litres
        truck.lines += lines.get(order.pk, 0)

    def take(order: Order, truck: _Truck, timed: tuple[list[Call], datetime.datetime]) -> None:
        calls, truck.leaves_at = timed
        put(order, truck)
        truck.route, truck.late = [c.ship_to for c in calls], _late(calls)

    def ahead(order: Order, truck: _Truck) -> bool:
        """Within the quarter turn that starts at the truck's first order."""
        turn = _bearing(warehouse, order) - _bearing(warehouse, truck.orders[0])
        return turn % 360 <= SECTOR_DEGREES

    def cheapest_taken(trucks: list[_Truck], spare: list[Vehicle]) -> None:
        """Each truck on the cheapest vehicle for its orders by the tariffs: a spare one with
        no trip that carries them, if it costs less than the vehicle the sweep gave it
        (which is then spare for the next trucks, unless it has trips of its own); at the
        same cost own fleet first, then one that keeps nothing cold. A truck timed around
        its vehicle's other trips keeps its times on the spare one, free all day."""
        spare = [v for v in spare if not trips.get(v.pk)]
        for truck in trucks:
            calls = calls_timed(start=origin, at=now, ship_tos=truck.route, zone=zone)
            km = km_driven(origin=origin, calls=calls)

            def cost(vehicle: Vehicle, truck: _Truck = truck, km: float = km) -> Decimal | None:
                return trip_cost(vehicle, km=km, stops=len(truck.route), kg=truck.kg)

            current = cost(truck.vehicle)
            if current is None:
                continue
            cheaper = [
                (
                    costs,
                    SERVICE_RANK.get(v.carrier.service_level, 3),
                    vehicle_carries(v, TemperatureClass.CHILLED),  # a reefer stays free
                    v.plate,
                    v,
                )
                for v in spare
                if truck.kg <= v.capacity_weight_kg
                and truck.litres <= v.capacity_volume_l
                and all(cold_enough(o, v) for o in truck.orders)
                and (costs := cost(v)) is not None
                and costs < current
            ]
            if cheaper:
                vehicle = min(cheaper, key=lambda c: c[:4])[4]
                spare.remove(vehicle)
                if not truck.trips:  # one with trips is timed around them: no spare
                    spare.append(truck.vehicle)
                truck.vehicle, truck.trips = vehicle, []

    def sweep(orders: list[Order], vehicles: list[Vehicle]) -> list[_Truck]:
        """Fill the vehicles one after another with the orders in bearing order."""
        trucks, left = [], list(orders)
        for vehicle in vehicles:
            truck = _Truck(vehicle, trips.get(vehicle.pk, ()))
            for order in left:
                if not cold_enough(order, vehicle):
                    continue  # for a colder truck
                if truck.orders and not ahead(order, truck):
                    break  # another direction: another truck
                if not room(order, truck):
                    break  # full
                timed = in_time(order, truck)
                if timed is not None:  # else for a truck that gets there in its window
                    take(order, truck, timed)
            if truck.orders:
                trucks.append(truck)
                left = [o for o in left if o not in truck.orders]
        return trucks

    # An order that no free vehicle takes, even empty, waits; it would close every sweep.
    # One too far for a day's trip goes through a carrier's network, below.
    far = {o.pk for o in waiting if beyond_a_day(origin=origin, ship_to=o.ship_to)}
    takeable = sorted(
        (
            o
            for o in waiting
            if o.pk not in far and any(cold_enough(o, v) and room(o, _Truck(v)) for v in free)
        ),
        key=lambda o: (_bearing(warehouse, o), o.pk),
    )
    today = warehouse.today()
    first = [o for o in takeable if o.promised_ship_date <= today or o.priority == Priority.URGENT]
    trucks = sweep(first, free)
    later = [o for o in takeable if o not in first]
    for truck in trucks:  # room left on today's trucks, in their direction
        for order in later:
            if cold_enough(order, truck.vehicle) and ahead(order, truck) and room(order, truck):
                timed = in_time(order, truck)
                if timed is not None:
                    take(order, truck, timed)
        later = [o for o in later if o not in truck.orders]
    used = {t.vehicle.pk for t in trucks}
    trucks += sweep(later, [v for v in free if v.pk not in used])
    cheapest_taken(trucks, [v for v in free if v not in {t.vehicle for t in trucks}])
    # The orders too far for a day's trip: each free truck of a carrier's network collects
    # those it takes (in the order they came), the fastest network first.
    far_left = [o for o in waiting if o.pk in far]
    for vehicle in sorted(collecting, key=lambda v: (-v.network, v.plate)):
        truck = _Truck(vehicle, trips.get(vehicle.pk, ()))
        for order in far_left:
            if cold_enough(order, vehicle) and room(order, truck):
                put(order, truck)
        if truck.orders:
            trucks.append(truck)
            far_left = [o for o in far_left if o not in truck.orders]

    doors = _Doors(warehouse, now, trips=[t for held in trips.values() for t in held])
    drivers = _Drivers(warehouse, now, [t for held in trips.values() for t in held])
    proposals = []
    for truck in trucks:
        earliest = _soonest_leaving(now + _picking(truck.lines))
        slot = _slot_booked(
            warehouse=warehouse,
            vehicle=truck.vehicle,
            ship_tos=[o.ship_to for o in truck.orders],
            soonest=max(earliest, truck.leaves_at or soonest),
            earliest=earliest,
            doors=doors,
            hint=truck.route,
        )
        if truck.trips and slot.dock is None:
            between.update(o.pk for o in truck.orders)  # it cannot leave with no slot booked
            continue
        network = truck.vehicle.network
        back = back_at(origin=origin, leaves_at=slot.leaves_at, calls=slot.route, network=network)
        km = km_driven(origin=origin, calls=slot.route, network=network)
        proposals.append(
            LoadProposal(
                vehicle=truck.vehicle,
                orders=truck.orders,
                weight_pct=round(float(truck.kg / truck.vehicle.capacity_weight_kg * 100), 1),
                volume_pct=round(float(truck.litres / truck.vehicle.capacity_volume_l * 100), 1),
                route=slot.route,
                leaves_at=slot.leaves_at,
                dock=slot.dock,
                driver=drivers.taken(truck.vehicle, slot.leaves_at - SLOT, back),
                cost=trip_cost(truck.vehicle, km=km, stops=len(slot.route), kg=truck.kg),
            )
        )
    proposed = {o.pk for p in proposals for o in p.orders}
    takes = {o.pk for o in takeable}

    def reason(order: Order) -> str:
        if order.pk in far:
            return "far"
        if not free:
            return "no_vehicle"
        if order.pk not in takes:
            return "goods"
        if order.pk in missed:
            return "window"
        if order.pk in slow:
            return "picking"
        return "trips" if order.pk in between else "room"

    return LoadPlan(
        proposals=proposals,
        waiting=[OrderWaiting(o, reason(o)) for o in waiting if o.pk not in proposed],
    )


def slot_suggested(*, load: Load, now: datetime.datetime | None = None) -> SlotSuggested:
    """The dock slot for a load not yet gone, as a proposal would have it: the truck leaves
    as soon as the load's goods are picked (a wave on the floor at its pace, else every line
    at a new wave's pace from now), `READY_BEFORE` then, and loaded, if its first shop is open
    by then, else the morning it next opens; not waiting at its first shop; at a door free
    for the `SLOT` before (the load's own appointment, which the slot would move, does not
    count), while its vehicle is on none of its other loads' trips (see `_slot_booked` for
    a door taken at that hour). A load with no order left (all cancelled) leaves as soon as
    it can.

    Refused (Conflict): a load whose truck is checked in at its door already."""
    now = now or timezone.now()
    warehouse = load.warehouse
    appointment = getattr(load, "appointment", None)
    if appointment is not None and appointment.status == AppointmentStatus.CHECKED_IN:
        raise Conflict(
            gettext("%(load)s: its truck is at dock %(dock)s already.")
            % {"load": load.reference, "dock": appointment.dock.code},
            field="load",
        )
    orders = list(load.orders.exclude(status=OrderStatus.CANCELLED).select_related("ship_to"))
    wave = getattr(load, "wave", None)
    if wave is not None and wave.status in (WaveStatus.RELEASED, WaveStatus.PICKED):
        ready = max(now, wave_timing(wave, now=now).expected_ready)
    else:
        ready = now + _picking(sum(order_line_counts(orders).values()))
    earliest = _soonest_leaving(ready)
    return _slot_booked(
        warehouse=warehouse,
        vehicle=load.vehicle,
        ship_tos=[o.ship_to for o in orders],
        soonest=earliest,
        earliest=earliest,
        doors=_Doors(
            warehouse,
            now,
            ignoring=appointment.pk if appointment else None,
            trips=trips_holding(vehicle_ids=[load.vehicle_id], excluding=load.pk, now=now),
        ),
    )
