"""Load building: which waiting orders go on which free vehicle, proposed for the dispatcher
to build with one click (nothing here writes).

The sweep heuristic of vehicle routing: the orders waiting for a load are taken in the
order of their ship-tos' bearing from the warehouse, clockwise from north, so that each
truck gets one direction; the free vehicles are filled one after another (own fleet before
hired carriers, the biggest first, so that fewer trucks go), each taking the next orders
while they fit its payload and its space and stay within a quarter turn of its first
(orders colder than it keeps are left for a colder truck) and its route can still reach
every stop in its delivery window (an order whose window that truck would miss is left for
the next truck). Today's and urgent orders are swept before the later ones, which then
fill the room left in their direction. Each proposal comes with its route, as
`shipping.routing` would drive it; each order left waiting comes with the reason.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Warehouse
from inventory.choices import TemperatureClass
from shipping.choices import Priority
from shipping.models import Order, ShipTo, Vehicle
from shipping.routing import Call, route_plan, route_with
from shipping.selectors import (
    SERVICE_RANK,
    goods_by_order,
    planning_choices_vehicles,
    vehicle_carries,
)

LEAVES_IN = datetime.timedelta(hours=1)  # a proposal's route is timed from then
SECTOR_DEGREES = 90  # of bearing at most between a truck's first and last order
LATE_SLACK_MINUTES = 0.5  # a route later than that by less than this is not later

# Why an order is left waiting by the proposals.
WAIT_REASONS = {
    "no_vehicle": _("No vehicle is free."),
    "goods": _("No free vehicle takes its goods: too heavy, too big or not cold enough."),
    "window": _("The free trucks going its way would miss its delivery window."),
    "room": _("Every free truck is full or goes another way."),
}


@dataclass(frozen=True)
class LoadProposal:
    """Orders for one vehicle: what they weigh and take up of it, and its route."""

    vehicle: Vehicle
    orders: list[Order]
    weight_pct: float
    volume_pct: float
    route: list[Call]

    @property
    def late_minutes(self) -> int:
        return sum(c.late_minutes for c in self.route)


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
    """A free vehicle being filled: its orders, their kg and litres."""

    def __init__(self, vehicle: Vehicle) -> None:
        self.vehicle = vehicle
        self.orders: list[Order] = []
        self.kg, self.litres = Decimal(0), Decimal(0)
        self.route: list[ShipTo] = []  # its stops in driving order
        self.late = 0.0  # minutes late in all on that route


def _late(calls: list[Call]) -> float:
    return sum(c.late.total_seconds() for c in calls) / 60


def loads_proposed(*, warehouse: Warehouse, now: datetime.datetime | None = None) -> LoadPlan:
    """Loads for the allocated orders waiting for one, on the warehouse's free vehicles (see
    the module), each route timed from `LEAVES_IN` after `now`. The orders due to ship today
    (or earlier) and the urgent ones are swept first; the later ones then fill what room is
    left on those trucks, in their direction, and go on the trucks still free. No order makes
    a truck's route later than its own stop would be on a truck of its own. Every waiting
    order is either on one proposal or in `waiting` with its reason; the same orders and
    vehicles give the same plan."""
    now = now or timezone.now()
    at, zone = now + LEAVES_IN, warehouse.zone()
    origin = (warehouse.latitude, warehouse.longitude)
    waiting = list(
        Order.objects.filter(warehouse=warehouse, status="allocated", load__isnull=True)
        .select_related("ship_to")
        .order_by("pk")
    )
    choices = planning_choices_vehicles(warehouse_id=warehouse.pk)
    free = sorted(
        (v for v in choices["vehicles"] if v.pk not in choices["vehicles_busy"]),
        key=lambda v: (
            SERVICE_RANK.get(v.carrier.service_level, 3),
            -v.capacity_weight_kg,
            v.plate,
        ),
    )
    goods = goods_by_order(orders=waiting, warehouse_id=warehouse.pk)
    nothing = (Decimal(0), Decimal(0), TemperatureClass.AMBIENT)
    late_alone: dict[int, float] = {}  # minutes late going to that ship-to alone
    missed: set[int] = set()  # orders a truck of their way left for their window

    def cold_enough(order: Order, vehicle: Vehicle) -> bool:
        return vehicle_carries(vehicle, goods.get(order.pk, nothing)[2])

    def room(order: Order, truck: _Truck) -> bool:
        kg, litres, _ = goods.get(order.pk, nothing)
        return (
            truck.kg + kg <= truck.vehicle.capacity_weight_kg
            and truck.litres + litres <= truck.vehicle.capacity_volume_l
        )

    def in_time(order: Order, truck: _Truck) -> list[Call] | None:
        """The truck's route with the order's stop on it, unless that makes the route later
        than it was by more than the stop would be late on its own."""
        calls = route_with(
            origin=origin, at=at, route=truck.route, ship_to=order.ship_to, zone=zone
        )
        if order.ship_to_id not in late_alone:
            alone = route_plan(origin=origin, at=at, ship_tos=[order.ship_to], zone=zone)
            late_alone[order.ship_to_id] = _late(alone)
        if _late(calls) > truck.late + late_alone[order.ship_to_id] + LATE_SLACK_MINUTES:
            missed.add(order.pk)
            return None
        return calls

    def take(order: Order, truck: _Truck, calls: list[Call]) -> None:
        kg, litres, _ = goods.get(order.pk, nothing)
        truck.orders.append(order)
        truck.kg, truck.litres = truck.kg + kg, truck.litres + litres
        truck.route, truck.late = [c.ship_to for c in calls], _late(calls)

    def ahead(order: Order, truck: _Truck) -> bool:
        """Within the quarter turn that starts at the truck's first order."""
        turn = _bearing(warehouse, order) - _bearing(warehouse, truck.orders[0])
        return turn % 360 <= SECTOR_DEGREES

    def sweep(orders: list[Order], vehicles: list[Vehicle]) -> list[_Truck]:
        """Fill the vehicles one after another with the orders in bearing order."""
        trucks, left = [], list(orders)
        for vehicle in vehicles:
            truck = _Truck(vehicle)
            for order in left:
                if not cold_enough(order, vehicle):
                    continue  # for a colder truck
                if truck.orders and not ahead(order, truck):
                    break  # another direction: another truck
                if not room(order, truck):
                    break  # full
                calls = in_time(order, truck)
                if calls is not None:  # else for a truck that gets there in its window
                    take(order, truck, calls)
            if truck.orders:
                trucks.append(truck)
                left = [o for o in left if o not in truck.orders]
        return trucks

    # An order that no free vehicle takes, even empty, waits; it would close every sweep.
    takeable = sorted(
        (o for o in waiting if any(cold_enough(o, v) and room(o, _Truck(v)) for v in free)),
        key=lambda o: (_bearing(warehouse, o), o.pk),
    )
    today = warehouse.today()
    first = [o for o in takeable if o.promised_ship_date <= today or o.priority == Priority.URGENT]
    trucks = sweep(first, free)
    later = [o for o in takeable if o not in first]
    for truck in trucks:  # room left on today's trucks, in their direction
        for order in later:
            if cold_enough(order, truck.vehicle) and ahead(order, truck) and room(order, truck):
                calls = in_time(order, truck)
                if calls is not None:
                    take(order, truck, calls)
        later = [o for o in later if o not in truck.orders]
    used = {t.vehicle.pk for t in trucks}
    trucks += sweep(later, [v for v in free if v.pk not in used])
    proposals = [
        LoadProposal(
            vehicle=truck.vehicle,
            orders=truck.orders,
            weight_pct=round(float(truck.kg / truck.vehicle.capacity_weight_kg * 100), 1),
            volume_pct=round(float(truck.litres / truck.vehicle.capacity_volume_l * 100), 1),
            route=route_plan(
                origin=origin,
                at=at,
                ship_tos=[o.ship_to for o in truck.orders],
                zone=zone,
                hint=truck.route,
            ),
        )
        for truck in trucks
    ]
    proposed = {o.pk for t in trucks for o in t.orders}
    takes = {o.pk for o in takeable}

    def reason(order: Order) -> str:
        if not free:
            return "no_vehicle"
        if order.pk not in takes:
            return "goods"
        return "window" if order.pk in missed else "room"

    return LoadPlan(
        proposals=proposals,
        waiting=[OrderWaiting(o, reason(o)) for o in waiting if o.pk not in proposed],
    )
