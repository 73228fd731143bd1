"""Alert rules: each reads the current state and returns the conditions that need a person.

A condition has a stable key, so evaluating again finds the same one (no floods) and a
condition that is gone resolves its alert. Rules take `now`, so they are tested by setting
the clock, not by waiting.
"""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from core.models import Warehouse
from dashboards.models import AlertThresholds, Department, Severity
from integrations.models import DeliveryStatus, WebhookDelivery
from inventory.models import Allocation
from inventory.selectors import items_below_reorder_point
from shipping.choices import DONE_STOP_STATUSES, AppointmentStatus, OrderStatus
from shipping.models import DockAppointment, LineReservation, Order, Stop


@dataclass(frozen=True)
class Condition:
    rule: str
    key: str
    warehouse_id: int
    department: str
    severity: str
    message: str
    subject_type: str
    subject_id: str


def _local(warehouse: Warehouse, day: datetime.date, at: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(warehouse.time_zone))


def below_reorder_point(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    by_code = {w.code: w for w in warehouses.values()}
    out = []
    for row in items_below_reorder_point(warehouse_ids=list(warehouses)):
        warehouse = by_code[row["warehouse"]]
        below_safety = row["below_safety_stock"]
        out.append(
            Condition(
                rule="below_reorder_point",
                key=f"{warehouse.code}:{row['item']}",
                warehouse_id=warehouse.pk,
                department=Department.WAREHOUSE,
                severity=Severity.CRITICAL if below_safety else Severity.WARNING,
                message=(
                    f"{row['item']} {row['name']}: {row['available']} available, reorder point "
                    f"{row['reorder_point']}"
                    + (f", safety stock {row['safety_stock']}" if below_safety else "")
                ),
                subject_type="item",
                subject_id=row["item"],
            )
        )
    return out


def stockout_blocking(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    waiting: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for order in Order.objects.filter(
        status=OrderStatus.BACKORDERED, warehouse_id__in=list(warehouses)
    ):
        for sku, qty in (order.allocation_note.get("backordered") or {}).items():
            waiting[(order.warehouse_id, sku)][0] += 1
            waiting[(order.warehouse_id, sku)][1] += qty
    return [
        Condition(
            rule="stockout_blocking",
            key=f"{warehouses[w].code}:{sku}",
            warehouse_id=w,
            department=Department.WAREHOUSE,
            severity=Severity.CRITICAL,
            message=f"{sku} is out: {orders} order(s) wait for {qty} units.",
            subject_type="item",
            subject_id=sku,
        )
        for (w, sku), (orders, qty) in waiting.items()
    ]


def orders_at_risk(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """Not yet picked, and at the current pick rate picking would end too close to cut-off."""
    orders = list(
        Order.objects.filter(
            warehouse_id__in=list(warehouses),
            status__in=(OrderStatus.ALLOCATED, OrderStatus.RELEASED),
        )
    )
    open_lines = dict(
        Allocation.objects.filter(
            quantity__gt=0,
            reservation__in=LineReservation.objects.filter(line__order__in=orders).values(
                "reservation"
            ),
        )
        .values("reservation__reference")
        .annotate(n=Count("pk"))
        .values_list("reservation__reference", "n")
    )
    lines_by_order: dict[int, int] = defaultdict(int)
    for reference, n in open_lines.items():
        lines_by_order[int(reference.split(":")[1])] += n
    out = []
    for order in orders:
        warehouse, limit = warehouses[order.warehouse_id], limits[order.warehouse_id]
        deadline = order.cutoff_at or _local(
            warehouse, order.promised_ship_date, warehouse.closes_at
        )
        lines = lines_by_order.get(order.pk, 0)
        needed = datetime.timedelta(hours=lines / limit.pick_lines_per_hour)
        margin = datetime.timedelta(minutes=limit.cutoff_margin_minutes)
        if lines and now + needed + margin > deadline:
            late = now > deadline
            out.append(
                Condition(
                    rule="order_at_risk",
                    key=order.external_ref,
                    warehouse_id=warehouse.pk,
                    department=Department.WAREHOUSE,
                    severity=Severity.CRITICAL if late else Severity.WARNING,
                    message=(
                        f"Order {order.external_ref}: {lines} line(s) to pick "
                        f"({needed.total_seconds() / 60:.0f} min at {limit.pick_lines_per_hour}/h), "
                        f"cut-off {deadline.astimezone(zoneinfo.ZoneInfo(warehouse.time_zone)):%m-%d %H:%M}."
                    ),
                    subject_type="order",
                    subject_id=order.external_ref,
                )
            )
    return out


def shipments_late(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """A stop whose ETA is beyond the end of its delivery window on the requested day."""
    out = []
    stops = (
        Stop.objects.exclude(status__in=DONE_STOP_STATUSES)
        .filter(shipment__load__warehouse_id__in=list(warehouses))
        .select_related("shipment__load", "ship_to")
        .prefetch_related("orders")
    )
    for stop in stops:
        warehouse_id = stop.shipment.load.warehouse_id
        warehouse = warehouses[warehouse_id]
        days = [o.requested_delivery_date for o in stop.orders.all()]
        if not days:
            continue
        promised = _local(warehouse, min(days), stop.ship_to.window_closes)
        late_by = stop.eta - promised
        if late_by > datetime.timedelta(minutes=limits[warehouse_id].shipment_late_minutes):
            out.append(
                Condition(
                    rule="shipment_late",
                    key=f"{stop.shipment.reference}#{stop.sequence}",
                    warehouse_id=warehouse_id,
                    department=Department.LOGISTICS,
                    severity=Severity.WARNING,
                    message=(
                        f"Shipment {stop.shipment.reference} stop {stop.sequence} "
                        f"({stop.ship_to.name}): ETA {late_by.total_seconds() / 60:.0f} min after the window."
                    ),
                    subject_type="shipment",
                    subject_id=stop.shipment.reference,
                )
            )
    return out


def trucks_waiting(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    out = []
    inside = DockAppointment.objects.filter(
        status=AppointmentStatus.CHECKED_IN, dock__warehouse_id__in=list(warehouses)
    ).select_related("dock", "vehicle")
    for appointment in inside:
        warehouse_id = appointment.dock.warehouse_id
        dwell = now - appointment.checked_in_at
        if dwell > datetime.timedelta(minutes=limits[warehouse_id].truck_wait_minutes):
            out.append(
                Condition(
                    rule="truck_waiting",
                    key=str(appointment.pk),
                    warehouse_id=warehouse_id,
                    department=Department.WAREHOUSE,
                    severity=Severity.WARNING,
                    message=(
                        f"{appointment.vehicle.plate} has waited at dock {appointment.dock.code} "
                        f"for {dwell.total_seconds() / 60:.0f} min."
                    ),
                    subject_type="appointment",
                    subject_id=str(appointment.pk),
                )
            )
    return out


def integration_failures(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    dead = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.DEAD, subscription__warehouse_id__in=list(warehouses)
        )
        .values("subscription_id", "subscription__url", "subscription__warehouse_id")
        .annotate(n=Count("pk"))
    )
    return [
        Condition(
            rule="integration_failure",
            key=f"webhook:{row['subscription_id']}",
            warehouse_id=row["subscription__warehouse_id"],
            department=Department.LOGISTICS,
            severity=Severity.CRITICAL,
            message=f"{row['n']} webhook deliveries to {row['subscription__url']} failed for good.",
            subject_type="webhook",
            subject_id=str(row["subscription_id"]),
        )
        for row in dead
    ]


RULES = [
    below_reorder_point,
    stockout_blocking,
    orders_at_risk,
    shipments_late,
    trucks_waiting,
    integration_failures,
]
