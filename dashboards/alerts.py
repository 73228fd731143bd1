"""Alert rules: each reads the current state and returns the conditions that need a person.

A condition has a stable key, so evaluating again finds the same one (no floods) and a
condition that is gone resolves its alert. Rules take `now`, so they are tested by setting
the clock, not by waiting.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.models import Warehouse
from dashboards.kpis import SUPPLIER_GRACE_MIN
from dashboards.models import AlertThresholds, Department, Severity
from integrations.models import DeliveryStatus, InvoiceStatus, WebhookDelivery
from integrations.selectors import (
    edi_rejections,
    edi_senders_failing,
    invoices_to_settle,
    sensors_watched,
    tenders_open,
)
from inventory.selectors import items_below_reorder_point
from shipping.choices import (
    DONE_STOP_STATUSES,
    AppointmentStatus,
    HoldReason,
    OrderStatus,
    UnitStatus,
    WaveStatus,
)
from shipping.models import (
    TRUCK_IN,
    Dock,
    DockAppointment,
    DockHold,
    HandlingUnitLine,
    LineReservation,
    Order,
    Stop,
)
from shipping.selectors import loads_wave_timed, routes_booked, ship_deadline, trips_at_risk


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
    # What `message` says, as a translatable template and its values: pages show it in the
    # reader's language (Alert.text); the stored message stays English for the API.
    params: dict = field(default_factory=dict)


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    """Marks a text with a plural for translation, left untranslated (as `gettext_noop`):
    `makemessages` (dashboards' own) finds both forms."""
    return singular, plural


def said(template: str, plural: str | None = None, *, count: str = "", **values: object) -> dict:
    """`message` and `params` of a condition: the English text and what renders it again
    in another language (`Alert.text`). Values are plain text or numbers. With a `plural`
    form, the value named `count` chooses between them ("1 line", "2 lines")."""
    plain = {k: v if isinstance(v, int | float) else str(v) for k, v in values.items()}
    params: dict = {"template": template, **plain}
    if plural is not None:
        params.update(template_plural=plural, template_count=count)
        template = template if plain[count] == 1 else plural
    return {"message": template % plain, "params": params}


def _local(warehouse: Warehouse, day: datetime.date, at: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, at, tzinfo=warehouse.zone())


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
                **said(
                    gettext_noop(
                        "%(item)s %(name)s: %(available)s available, reorder point "
                        "%(reorder_point)s, safety stock %(safety_stock)s"
                    )
                    if below_safety
                    else gettext_noop(
                        "%(item)s %(name)s: %(available)s available, reorder point "
                        "%(reorder_point)s"
                    ),
                    item=row["item"],
                    name=row["name"],
                    available=row["available"],
                    reorder_point=row["reorder_point"],
                    safety_stock=row["safety_stock"],
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
            **said(
                *ngettext_noop(
                    "%(sku)s is out, %(qty)s short: %(orders)s order waits for it.",
                    "%(sku)s is out, %(qty)s short: %(orders)s orders wait for it.",
                ),
                count="orders",
                sku=sku,
                orders=orders,
                qty=qty,
            ),
            subject_type="item",
            subject_id=sku,
        )
        for (w, sku), (orders, qty) in waiting.items()
    ]


def orders_at_risk(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """Not yet picked, and at the current pick rate picking would end too close to cut-off.
    Two queries, whatever the number of open orders: the orders' deadlines, and their
    allocations still to pick counted per order in the database."""
    waiting = {
        "warehouse_id__in": list(warehouses),
        "status__in": (OrderStatus.ALLOCATED, OrderStatus.RELEASED),
    }
    orders = list(
        Order.objects.filter(**waiting).only(
            "pk", "warehouse_id", "external_ref", "cutoff_at", "promised_ship_date"
        )
    )
    lines_by_order = dict(
        LineReservation.objects.filter(
            **{f"line__order__{name}": value for name, value in waiting.items()},
            reservation__allocations__quantity__gt=0,
        )
        .values("line__order_id")
        .annotate(n=Count("reservation__allocations"))
        .values_list("line__order_id", "n")
    )
    out = []
    for order in orders:
        warehouse, limit = warehouses[order.warehouse_id], limits[order.warehouse_id]
        deadline = ship_deadline(order, warehouse)
        lines = lines_by_order.get(order.pk, 0)
        # A rate of 0 (stored before the API refused it) reads as one line an hour.
        needed = datetime.timedelta(hours=lines / max(limit.pick_lines_per_hour, 1))
        margin = datetime.timedelta(minutes=limit.cutoff_margin_minutes)
        if lines and now + needed + margin > deadline:
            late = now > deadline
            values: dict[str, object] = {
                "order": order.external_ref,
                "lines": lines,
                "cutoff": f"{deadline.astimezone(warehouse.zone()):%m-%d %H:%M}",
            }
            if late:
                texts = ngettext_noop(
                    "Order %(order)s missed its cut-off %(cutoff)s: %(lines)s line still to pick.",
                    "Order %(order)s missed its cut-off %(cutoff)s: %(lines)s lines still to pick.",
                )
            else:
                texts = ngettext_noop(
                    "Order %(order)s: %(lines)s line to pick (%(minutes)s min at %(rate)s/h), "
                    "cut-off %(cutoff)s.",
                    "Order %(order)s: %(lines)s lines to pick (%(minutes)s min at %(rate)s/h), "
                    "cut-off %(cutoff)s.",
                )
                values.update(
                    minutes=math.ceil(needed.total_seconds() / 60),
                    rate=limit.pick_lines_per_hour,
                )
            out.append(
                Condition(
                    rule="order_at_risk",
                    key=order.external_ref,
                    warehouse_id=warehouse.pk,
                    department=Department.WAREHOUSE,
                    severity=Severity.CRITICAL if late else Severity.WARNING,
                    **said(*texts, count="lines", **values),
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
                    **said(
                        gettext_noop(
                            "Shipment %(shipment)s stop %(stop)s (%(place)s): ETA %(minutes)s "
                            "min after the window."
                        ),
                        shipment=stop.shipment.reference,
                        stop=stop.sequence,
                        place=stop.ship_to.name,
                        minutes=f"{late_by.total_seconds() / 60:.0f}",
                    ),
                    subject_type="shipment",
                    subject_id=stop.shipment.reference,
                )
            )
    return out


def routes_outside_windows(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """A truck not yet gone whose route, leaving at the end of its dock slot, reaches a stop
    after its delivery window closed by more than the late-shipment limit: the dispatcher
    hears of it while the slot or the orders can still be moved, not from the road."""
    out = []
    for row in routes_booked(warehouse_ids=list(warehouses), now=now):
        load = row["load"]
        limit = datetime.timedelta(minutes=limits[load.warehouse_id].shipment_late_minutes)
        outside = [c for c in row["calls"] if c.late > limit]
        if not outside:
            continue
        zone = warehouses[load.warehouse_id].zone()
        out.append(
            Condition(
                rule="route_outside_windows",
                key=load.reference,
                warehouse_id=load.warehouse_id,
                department=Department.LOGISTICS,
                severity=Severity.WARNING,
                **said(
                    *ngettext_noop(
                        "%(load)s leaving %(leaves)s reaches %(stops)s of %(all)s stop after "
                        "its window closes, the first %(place)s %(minutes)s min late: move "
                        "its dock slot or its orders.",
                        "%(load)s leaving %(leaves)s reaches %(stops)s of %(all)s stops after "
                        "their windows close, the first %(place)s %(minutes)s min late: move "
                        "its dock slot or its orders.",
                    ),
                    count="all",
                    load=load.reference,
                    leaves=f"{row['leaves_at'].astimezone(zone):%m-%d %H:%M}",
                    stops=len(outside),
                    all=len(row["calls"]),
                    place=outside[0].ship_to.name,
                    minutes=outside[0].late_minutes,
                ),
                subject_type="load",
                subject_id=load.reference,
            )
        )
    return out


def next_trips_at_risk(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """A truck booked for another trip that will not be back from the one before in time
    (longer on the road than planned, or late leaving its slot): the dispatcher hears of it
    while the next slot can still move or take another truck. Critical within the hour."""
    out = []
    for row in trips_at_risk(warehouse_ids=list(warehouses), now=now):
        load, appointment = row["load"], row["load"].appointment
        zone = warehouses[load.warehouse_id].zone()
        late = appointment.starts_at - now <= datetime.timedelta(hours=1)
        out.append(
            Condition(
                rule="next_trip_at_risk",
                key=load.reference,
                warehouse_id=load.warehouse_id,
                department=Department.LOGISTICS,
                severity=Severity.CRITICAL if late else Severity.WARNING,
                **said(
                    gettext_noop(
                        "%(plate)s is back from %(after)s about %(back)s, after %(load)s is due "
                        "at dock %(dock)s at %(start)s: move that slot or give the load another "
                        "truck."
                    ),
                    plate=load.vehicle.plate,
                    after=row["after"].reference,
                    back=f"{row['back_at'].astimezone(zone):%m-%d %H:%M}",
                    load=load.reference,
                    dock=appointment.dock.code,
                    start=f"{appointment.starts_at.astimezone(zone):%m-%d %H:%M}",
                ),
                subject_type="load",
                subject_id=load.reference,
            )
        )
    return out


class _TruckIn(NamedTuple):
    """A truck in at the gate, as the "truck waiting" alert names it."""

    key: str
    subject_type: str
    subject_id: str
    dock: Dock
    since: datetime.datetime
    text: str  # what the alert says of it, its door and minutes besides `named`
    named: dict


def trucks_waiting(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """A truck in at the gate longer than the warehouse's `truck_wait_minutes`: one of ours
    or a carrier's at its appointment, or a supplier's at the door held for its receiving."""
    inside = [
        _TruckIn(
            key=str(a.pk),
            subject_type="appointment",
            subject_id=str(a.pk),
            dock=a.dock,
            since=a.checked_in_at,
            text=gettext_noop("%(plate)s has waited at dock %(dock)s for %(minutes)s min."),
            named={"plate": a.vehicle.plate},
        )
        for a in DockAppointment.objects.filter(
            status=AppointmentStatus.CHECKED_IN, dock__warehouse_id__in=list(warehouses)
        ).select_related("dock", "vehicle")
    ]
    inside += [
        _TruckIn(
            key=f"hold-{h.pk}",
            subject_type="dock_hold",
            subject_id=str(h.pk),
            dock=h.dock,
            since=h.checked_in_at,
            text=gettext_noop(
                "Supplier's truck %(plate)s has waited at dock %(dock)s for %(minutes)s min "
                "(%(receipt)s): receive it, or check it out."
            ),
            named={
                "plate": h.plate,
                "receipt": h.receipt.reference if h.receipt_id else h.note or "—",
            },
        )
        for h in DockHold.objects.filter(
            TRUCK_IN, dock__warehouse_id__in=list(warehouses)
        ).select_related("dock", "receipt")
    ]
    out = []
    for truck in inside:
        dwell = now - truck.since
        if dwell > datetime.timedelta(minutes=limits[truck.dock.warehouse_id].truck_wait_minutes):
            out.append(
                Condition(
                    rule="truck_waiting",
                    key=truck.key,
                    warehouse_id=truck.dock.warehouse_id,
                    department=Department.WAREHOUSE,
                    severity=Severity.WARNING,
                    **said(
                        truck.text,
                        dock=truck.dock.code,
                        minutes=f"{dwell.total_seconds() / 60:.0f}",
                        **truck.named,
                    ),
                    subject_type=truck.subject_type,
                    subject_id=truck.subject_id,
                )
            )
    return out


# A door held for a supplier's truck with no truck at it this long after the hold began:
# the supplier is late (as its scorecard counts it on time up to then).
SUPPLIER_LATE = datetime.timedelta(minutes=SUPPLIER_GRACE_MIN)


def _supplier_said(hold: DockHold) -> str:
    """A receiving hold as the late-truck alert names it: its receipt and supplier, with the
    phone to call from the master data when it has one; else the hold's note."""
    if not hold.receipt_id:
        return hold.note or "—"
    receipt = hold.receipt
    known = receipt.from_supplier
    phone = f", ☎ {known.phone}" if known is not None and known.phone else ""
    return f"{receipt.reference} ({receipt.supplier_name}{phone})"


def suppliers_late(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """A door held for a supplier's truck, the hold begun more than `SUPPLIER_LATE` ago and
    not over, with no truck checked in: the receiving team calls the supplier, or frees the
    door for loading. Gone when the truck comes, or the hold is released or over."""
    out = []
    due = DockHold.objects.filter(
        reason=HoldReason.RECEIVING,
        dock__warehouse_id__in=list(warehouses),
        released_at__isnull=True,
        checked_in_at__isnull=True,
        starts_at__lt=now - SUPPLIER_LATE,
        ends_at__gt=now,
    ).select_related("dock", "receipt__from_supplier")
    for hold in due:
        zone = warehouses[hold.dock.warehouse_id].zone()
        out.append(
            Condition(
                rule="supplier_late",
                key=str(hold.pk),
                warehouse_id=hold.dock.warehouse_id,
                department=Department.WAREHOUSE,
                severity=Severity.WARNING,
                **said(
                    gettext_noop(
                        "The supplier's truck for %(what)s is %(minutes)s min late at dock "
                        "%(dock)s, held for it until %(end)s: call the supplier, or release "
                        "the door."
                    ),
                    what=_supplier_said(hold),
                    minutes=f"{(now - hold.starts_at).total_seconds() / 60:.0f}",
                    dock=hold.dock.code,
                    end=f"{hold.ends_at.astimezone(zone):%H:%M}",
                ),
                subject_type="dock_hold",
                subject_id=str(hold.pk),
            )
        )
    return out


def held_lots_packed(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """Goods of a lot on hold packed for an order, not gone: the floor pulls them, or
    quality lifts the hold; until then the truck does not leave with them. One per order and
    lot; gone when the hold is lifted or the order cancelled (its units broken down)."""
    out = []
    packed = (
        HandlingUnitLine.objects.filter(
            lot__held_at__isnull=False,
            unit__warehouse_id__in=list(warehouses),
            unit__status__in=[UnitStatus.PACKED, UnitStatus.STAGED, UnitStatus.LOADED],
        )
        .values(
            "unit__warehouse_id",
            "unit__order_id",
            "unit__order__external_ref",
            "unit__load__reference",
            "lot_id",
            "lot__code",
            "lot__item__sku",
            "lot__hold_reason",
        )
        .order_by("unit__order_id", "lot_id")
        .distinct()
    )
    for row in packed:
        out.append(
            Condition(
                rule="held_lot_packed",
                key=f"{row['unit__order_id']}:{row['lot_id']}",
                warehouse_id=row["unit__warehouse_id"],
                department=Department.WAREHOUSE,
                severity=Severity.CRITICAL,
                **said(
                    gettext_noop(
                        "Order %(order)s has goods of lot %(lot)s (%(sku)s) packed, which is "
                        "on hold: %(reason)s. Its truck %(load)s will not leave with them: "
                        "take them back out of the order on the lot's page."
                    ),
                    order=row["unit__order__external_ref"],
                    lot=row["lot__code"],
                    sku=row["lot__item__sku"],
                    reason=row["lot__hold_reason"],
                    load=row["unit__load__reference"] or "-",
                ),
                subject_type="order",
                subject_id=row["unit__order__external_ref"],
            )
        )
    return out


def loads_not_ready(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """A truck's goods will not be ready by their ready-by time (its wave's margin before the
    truck is due): its wave is still planned past its release-by time, or it has none yet and
    one planned now (at a new wave's pace) would be, or what is left to pick of it, at the
    wave's pace from now, ends after that time. Critical once the truck is due."""
    out = []
    for warehouse_id, warehouse in warehouses.items():
        for load, timing in loads_wave_timed(warehouse_id=warehouse_id, now=now):
            wave = getattr(load, "wave", None)  # None: no wave yet, timed as one planned now
            if wave is not None and wave.status not in (WaveStatus.PLANNED, WaveStatus.RELEASED):
                continue
            if not timing.late_minutes:
                continue
            zone = warehouse.zone()
            values: dict[str, object] = {
                "load": load.reference,
                "ready": f"{timing.expected_ready.astimezone(zone):%H:%M}",
                "minutes": timing.late_minutes,
                "due": f"{timing.truck_due.astimezone(zone):%H:%M}",
            }
            if wave is None:
                told = said(
                    gettext_noop(
                        "%(load)s: no wave yet; planned and released now, its goods are ready "
                        "%(ready)s, %(minutes)s min late for the truck due %(due)s."
                    ),
                    **values,
                )
            elif wave.status == WaveStatus.PLANNED:
                told = said(
                    gettext_noop(
                        "%(load)s: its wave is not released; released now, its goods are "
                        "ready %(ready)s, %(minutes)s min late for the truck due %(due)s."
                    ),
                    **values,
                )
            else:
                told = said(
                    *ngettext_noop(
                        "%(load)s: %(lines)s line still to pick, ready %(ready)s, %(minutes)s "
                        "min late for the truck due %(due)s.",
                        "%(load)s: %(lines)s lines still to pick, ready %(ready)s, "
                        "%(minutes)s min late for the truck due %(due)s.",
                    ),
                    count="lines",
                    lines=timing.lines,
                    **values,
                )
            out.append(
                Condition(
                    rule="load_not_ready",
                    key=load.reference,
                    warehouse_id=warehouse_id,
                    department=Department.WAREHOUSE,
                    severity=Severity.CRITICAL if now >= timing.truck_due else Severity.WARNING,
                    **told,
                    subject_type="load",
                    subject_id=load.reference,
                )
            )
    return out


# How long a refused EDI interchange keeps its sender's alert up without another refusal.
EDI_FAILING_FOR = datetime.timedelta(hours=24)
SENSOR_SILENT = datetime.timedelta(minutes=30)  # a sensor reports every few minutes


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
    return (
        [
            Condition(
                rule="integration_failure",
                key=f"webhook:{row['subscription_id']}",
                warehouse_id=row["subscription__warehouse_id"],
                department=Department.LOGISTICS,
                severity=Severity.CRITICAL,
                **said(
                    gettext_noop("%(n)s webhook deliveries to %(url)s failed for good."),
                    n=row["n"],
                    url=row["subscription__url"],
                ),
                subject_type="webhook",
                subject_id=str(row["subscription_id"]),
            )
            for row in dead
        ]
        + [
            Condition(
                rule="integration_failure",
                key=f"edi:{row['sender']}:{warehouse_id}",
                warehouse_id=warehouse_id,
                department=Department.LOGISTICS,
                severity=Severity.WARNING,
                **said(
                    gettext_noop(
                        "EDI from %(sender)s is refused since %(since)s, so its tracking is not "
                        "coming in: %(reason)s"
                    ),
                    sender=row["sender"].split(":", 1)[-1] or "?",
                    since=timezone.localtime(
                        row["since"], warehouses[warehouse_id].zone()
                    ).strftime("%m-%d %H:%M"),
                    reason=row["reason"][:160],  # the message is kept in 300 characters
                ),
                subject_type="edi",
                subject_id=row["sender"],
            )
            for row in edi_senders_failing(since=now - EDI_FAILING_FOR)
            for warehouse_id in row["warehouse_ids"]
            if warehouse_id in warehouses
        ]
        + [
            Condition(
                rule="integration_failure",
                key=f"997:{ack.partner}:{ack.control_number}",
                warehouse_id=ack.warehouse_id,
                department=Department.LOGISTICS,
                severity=Severity.CRITICAL,
                **said(
                    gettext_noop(
                        "%(partner)s rejected our %(kind)s %(control)s (997, %(at)s): %(errors)s. "
                        "Mend it with them; it was not taken."
                    ),
                    partner=ack.partner.split(":", 1)[-1],
                    kind=ack.kind,
                    control=ack.control_number,
                    at=timezone.localtime(
                        ack.received_at, warehouses[ack.warehouse_id].zone()
                    ).strftime("%m-%d %H:%M"),
                    errors=", ".join(ack.errors) or "—",
                ),
                subject_type="edi",
                subject_id=ack.partner,
            )
            for ack in edi_rejections(since=now - EDI_FAILING_FOR)
            if ack.warehouse_id in warehouses
        ]
    )


def cold_chain(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """Goods out of their temperature range for longer than their sensor's grace: a cold
    room's tell the warehouse (with what is stored there), a truck's the dispatch office
    (with the shipment it is on); and a sensor gone silent, whose goods nobody is watching (a
    truck's only while it is on the road)."""
    out = []
    for sensor in sensors_watched(warehouse_ids=list(warehouses)):
        warehouse = warehouses[sensor.warehouse_id]
        zone = warehouse.zone()
        excursion = sensor.open_excursion
        place = (
            f"{sensor.zone.name} ({sensor.zone.code})"
            if sensor.zone_id
            else f"{sensor.vehicle.plate}"  # type: ignore[union-attr]
        )
        if excursion is not None and excursion.started_at <= now - datetime.timedelta(
            minutes=sensor.grace_minutes
        ):
            since = timezone.localtime(excursion.started_at, zone).strftime("%m-%d %H:%M")
            limit = sensor.high_c if excursion.kind != "cold" else sensor.low_c
            values = {
                "place": place,
                "since": since,
                "worst": f"{excursion.worst:.1f}",
                "limit": f"{limit:.1f}",
                "now": f"{sensor.last_temperature:.1f}"
                if sensor.last_temperature is not None
                else "?",
            }
            if excursion.kind == "humid":
                text = gettext_noop(
                    "%(place)s is too humid since %(since)s: %(worst)s%% at worst, above its "
                    "%(limit)s%%."
                )
                values["limit"] = f"{sensor.humidity_high:.1f}"
            elif sensor.vehicle_id and excursion.shipment_id:
                text = gettext_noop(
                    "Truck %(place)s is out of range since %(since)s on shipment %(shipment)s: "
                    "%(now)s °C now, %(worst)s °C at worst, against its limit of %(limit)s °C."
                )
                values["shipment"] = excursion.shipment.reference  # type: ignore[union-attr]
            else:
                text = gettext_noop(
                    "%(place)s is out of range since %(since)s: %(now)s °C now, %(worst)s °C at "
                    "worst, against its limit of %(limit)s °C."
                )
            out.append(
                Condition(
                    rule="temperature_excursion",
                    key=f"{sensor.device}:{excursion.pk}",
                    warehouse_id=warehouse.pk,
                    department=Department.LOGISTICS if sensor.vehicle_id else Department.WAREHOUSE,
                    severity=Severity.CRITICAL,
                    **said(text, **values),
                    subject_type="sensor",
                    subject_id=sensor.device,
                )
            )
        watched = sensor.zone_id is not None or sensor.on_shipment is not None
        if watched and sensor.last_at is not None and sensor.last_at <= now - SENSOR_SILENT:
            out.append(
                Condition(
                    rule="sensor_silent",
                    key=sensor.device,
                    warehouse_id=warehouse.pk,
                    department=Department.LOGISTICS if sensor.vehicle_id else Department.WAREHOUSE,
                    severity=Severity.WARNING,
                    **said(
                        gettext_noop(
                            "Sensor %(device)s in %(place)s has said nothing since %(since)s: "
                            "nobody is watching its goods' temperature."
                        ),
                        device=sensor.device,
                        place=place,
                        since=timezone.localtime(sensor.last_at, zone).strftime("%m-%d %H:%M"),
                    ),
                    subject_type="sensor",
                    subject_id=sensor.device,
                )
            )
    return out


def tenders_unanswered(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """A load its carrier declined (X12 990), or has not answered by the time its answer was
    due: the dispatch office must find it another truck, or call the carrier, until the load
    is tendered again or goes to another vehicle."""
    out = []
    for tender in tenders_open(warehouse_ids=list(warehouses), now=now):
        warehouse = warehouses[tender.load.warehouse_id]
        values = {
            "load": tender.load.reference,
            "carrier": tender.carrier.name,
            "at": timezone.localtime(
                tender.answered_at or tender.respond_by or tender.issued_at, warehouse.zone()
            ).strftime("%m-%d %H:%M"),
        }
        if tender.answer == "declined":
            text = gettext_noop(
                "%(carrier)s declined load %(load)s at %(at)s: %(reason)s. Give it another "
                "truck or call them."
            )
            values["reason"] = tender.reason or "—"
            rule, severity = "tender_declined", Severity.CRITICAL
        else:
            text = gettext_noop(
                "%(carrier)s has not answered the tender of load %(load)s, due by %(at)s: call "
                "them, or give it another truck."
            )
            rule, severity = "tender_unanswered", Severity.WARNING
        out.append(
            Condition(
                rule=rule,
                key=f"{tender.load.reference}:{tender.control_number}",
                warehouse_id=warehouse.pk,
                department=Department.LOGISTICS,
                severity=severity,
                **said(text, **values),
                subject_type="load",
                subject_id=tender.load.reference,
            )
        )
    return out


def freight_invoices_to_settle(
    warehouses: dict[int, Warehouse], limits: dict[int, AlertThresholds], now: datetime.datetime
) -> list[Condition]:
    """A carrier billed a load above what its tariff priced the trip at, beyond the
    tolerance, or with no tariff to check it by (X12 210): the office checks it with the
    carrier and settles it (`/edi/bills/`) before it is paid."""
    out = []
    for invoice in invoices_to_settle(warehouse_ids=list(warehouses), now=now):
        load = invoice.shipment.load
        billed = {
            "carrier": invoice.carrier.name,
            "amount": invoice.amount,
            "load": load.reference,
            "number": invoice.number,
        }
        if invoice.status == InvoiceStatus.DISPUTED:
            rule = "freight_invoice_disputed"
            text = said(
                gettext_noop(
                    "%(carrier)s billed %(amount)s for load %(load)s (invoice %(number)s), "
                    "%(over)s above its tariff's %(tariff)s: check it with them before paying."
                ),
                **billed,
                over=invoice.over,
                tariff=invoice.tariff,
            )
        else:
            rule = "freight_invoice_unpriced"
            text = said(
                gettext_noop(
                    "%(carrier)s billed %(amount)s for load %(load)s (invoice %(number)s), "
                    "with no tariff to check it by: check it with them before paying."
                ),
                **billed,
            )
        out.append(
            Condition(
                rule=rule,
                key=f"210:{invoice.carrier.code}:{invoice.number}",
                warehouse_id=load.warehouse_id,
                department=Department.LOGISTICS,
                severity=Severity.WARNING,
                **text,
                subject_type="load",
                subject_id=load.reference,
            )
        )
    return out


RULES = [
    below_reorder_point,
    stockout_blocking,
    orders_at_risk,
    shipments_late,
    routes_outside_windows,
    next_trips_at_risk,
    trucks_waiting,
    suppliers_late,
    held_lots_packed,
    loads_not_ready,
    integration_failures,
    cold_chain,
    tenders_unanswered,
    freight_invoices_to_settle,
]
