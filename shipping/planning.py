"""Load building: which waiting orders go on which free vehicle, proposed for the dispatcher
to build with one click (nothing here writes).

The sweep heuristic of vehicle routing: the orders waiting for a load are taken in the
order of their ship-tos' bearing from the warehouse, clockwise from north, so that each
truck gets one direction; the free vehicles are filled one after another (own fleet before
hired carriers, the biggest first, so that fewer trucks go), each taking the next orders
while they fit its payload and its space and stay within a quarter turn of its first
(orders colder than it keeps are left for a colder truck). Each proposal comes with its route, as
`shipping.routing` would drive it.
"""

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone

from core.models import Warehouse
from inventory.choices import TemperatureClass
from shipping.models import LineReservation, Order, Vehicle
from shipping.routing import Call, route_plan
from shipping.selectors import COLD_RANK, SERVICE_RANK, planning_choices_vehicles

LEAVES_IN = datetime.timedelta(hours=1)  # a proposal's route is timed from then
SECTOR_DEGREES = 90  # of bearing at most between a truck's first and last order


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


def _bearing(warehouse: Warehouse, order: Order) -> float:
    """Degrees clockwise from north, from the warehouse to the order's ship-to."""
    d_lon = float(order.ship_to.longitude - warehouse.longitude)
    d_lat = float(order.ship_to.latitude - warehouse.latitude)
    d_lon *= math.cos(math.radians(float(warehouse.latitude)))
    return math.degrees(math.atan2(d_lon, d_lat)) % 360


def _goods_by_order(orders: Iterable[Order], warehouse_id: int) -> dict[int, tuple]:
    """Per order id: (kg, l, coldest class) of what it holds in the warehouse."""
    held = LineReservation.objects.filter(
        line__order__in=list(orders), warehouse_id=warehouse_id, quantity__gt=0
    )
    sums = {
        row["line__order"]: row
        for row in held.values("line__order").annotate(
            kg=Sum(F("quantity") * F("line__item__weight_kg")),
            litres=Sum(F("quantity") * F("line__item__volume_l")),
        )
    }
    temps: dict[int, set[str]] = defaultdict(set)
    for order_id, temp in held.values_list("line__order", "line__item__temperature_class"):
        temps[order_id].add(temp)
    return {
        order_id: (
            row["kg"] or Decimal(0),
            row["litres"] or Decimal(0),
            max(temps[order_id], key=lambda t: COLD_RANK[t], default=TemperatureClass.AMBIENT),
        )
        for order_id, row in sums.items()
    }


def loads_proposed(
    *, warehouse: Warehouse, now: datetime.datetime | None = None
) -> list[LoadProposal]:
    """Loads for the allocated orders waiting for one, on the warehouse's free vehicles (see
    the module). Orders no free vehicle takes are left out; the same orders and vehicles
    give the same proposals."""
    now = now or timezone.now()
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
    goods = _goods_by_order(waiting, warehouse.pk)

    def fits(order: Order, vehicle: Vehicle, kg: Decimal, litres: Decimal) -> bool:
        o_kg, o_litres, cold = goods.get(order.pk, (Decimal(0), Decimal(0), "ambient"))
        return (
            kg + o_kg <= vehicle.capacity_weight_kg
            and litres + o_litres <= vehicle.capacity_volume_l
            and COLD_RANK[vehicle.temperature_class] >= COLD_RANK[cold]
        )

    # An order that no free vehicle takes, even empty, waits; it would close every sweep.
    left = sorted(
        (o for o in waiting if any(fits(o, v, Decimal(0), Decimal(0)) for v in free)),
        key=lambda o: (_bearing(warehouse, o), o.pk),
    )
    proposals = []
    for vehicle in free:
        kg, litres, taken = Decimal(0), Decimal(0), []
        for order in left:
            cold = goods.get(order.pk, (0, 0, "ambient"))[2]
            if COLD_RANK[vehicle.temperature_class] < COLD_RANK[cold]:
                continue  # for a colder truck
            if taken and (
                (_bearing(warehouse, order) - _bearing(warehouse, taken[0])) % 360 > SECTOR_DEGREES
            ):
                break  # another direction: another truck
            if not fits(order, vehicle, kg, litres):
                break  # full
            taken.append(order)
            o_kg, o_litres, _ = goods.get(order.pk, (Decimal(0), Decimal(0), "ambient"))
            kg, litres = kg + o_kg, litres + o_litres
        if not taken:
            continue
        left = [o for o in left if o not in taken]
        proposals.append(
            LoadProposal(
                vehicle=vehicle,
                orders=taken,
                weight_pct=round(float(kg / vehicle.capacity_weight_kg * 100), 1),
                volume_pct=round(float(litres / vehicle.capacity_volume_l * 100), 1),
                route=route_plan(
                    origin=(warehouse.latitude, warehouse.longitude),
                    at=now + LEAVES_IN,
                    ship_tos=[o.ship_to for o in taken],
                    zone=warehouse.zone(),
                ),
            )
        )
    return proposals
