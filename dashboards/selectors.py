"""Reads for the pages: the KPI board's frames (one query per source, only the columns the
KPIs read), the alert bell and the warehouses at a glance."""

import datetime
import functools
import io
from collections.abc import Iterable

import pandas as pd
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.access import roles_of
from core.choices import Role
from core.models import Event, Membership, Sop, TrainingRecord, Warehouse
from dashboards.models import (
    LIVE_ALERT_STATUSES,
    Alert,
    Department,
    Ticket,
    TicketNote,
    TicketStatus,
)
from integrations.models import Sensor
from integrations.selectors import invoices_of_loads, tenders_issued
from inventory.choices import OPEN_TASK_STATUSES
from inventory.models import Item, Location, Receipt, StockBalance, Task
from shipping.choices import ORDERS_NOT_GONE, AppointmentStatus, OrderStatus, ShipmentStatus
from shipping.models import DockAppointment, DockHold, Load, Order, Shipment
from shipping.selectors import orders_visible, past_deadline, promised_by

_NULL = "\\N"  # how COPY writes NULL for _frame; text that is exactly this reads as NULL


def _frame(
    rows, columns: list[str], times: tuple[str, ...] = (), zone: str = "UTC"
) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The queryset's rows straight from the database (no per-row ORM conversion: a KPI range
    can hold hundreds of thousands of rows); pandas parses the time columns, on the clock of
    `zone` (the warehouse's: its days are its own, not UTC's).

    On PostgreSQL the rows come as CSV from `COPY` and pandas' C reader parses them: building
    a Python datetime per value in the driver took most of a cold board's time. NULL is
    written as `\\N`, so empty text stays empty text, as the driver would give it."""
    sql, params = rows.query.sql_with_params()
    if connection.vendor == "postgresql":
        text = io.StringIO()
        with connection.cursor() as cursor:
            query = cursor.mogrify(sql, params).decode()
            cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, NULL '{_NULL}')", text)
        text.seek(0)
        frame = pd.read_csv(text, names=columns, header=None, dtype=object, na_filter=False)
        for column in columns:
            if column not in times:
                frame[column] = _from_csv(frame[column])
            else:
                text_times = frame[column].where(frame[column] != _NULL, None)
                frame[column] = pd.to_datetime(
                    text_times, utc=True, format="ISO8601"
                ).dt.tz_convert(zone)
        return frame
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        records = cursor.fetchall()
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in times:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="mixed").dt.tz_convert(zone)
    return frame


def _from_csv(column: pd.Series) -> pd.Series:
    """A CSV column back to what the driver would have given: NULL (`\\N`) as None, t/f as
    booleans, numbers as numbers; other text (dates, times, words, empty text) as it is."""
    column = column.where(column != _NULL, None)
    present = column.dropna()
    if present.empty:
        return column
    if present.isin(("t", "f")).all():
        return column.map({"t": True, "f": False, None: None})
    try:
        float(present.iloc[0])  # words and dates stop here, before a whole-column attempt
        return pd.to_numeric(column)
    except ValueError:
        return column


def _dates(series: pd.Series) -> pd.Series:
    """Dates as days (midnight, no zone: datetime64), whether the database gave dates or ISO
    strings: compared whole columns at a time, not date object by date object."""
    return pd.to_datetime(series)


def _days(times: pd.Series) -> pd.Series:
    """The day of each time on its own clock (the warehouse's), as `_dates` gives days; NaT
    where there is no time."""
    return times.dt.tz_localize(None).dt.normalize()


def kpi_frames(
    *, warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> dict[str, pd.DataFrame]:
    """Everything the KPIs need for one warehouse and a time range [start, end), its times on
    the warehouse's clock (so a day, and a ship date, is the warehouse's own)."""
    zone = Warehouse.objects.values_list("time_zone", flat=True).get(pk=warehouse_id)
    frame_of = functools.partial(_frame, zone=zone)
    # In no order: the model's (priority, ship date) cost a sort of every row, on disk.
    orders = Order.objects.filter(
        warehouse_id=warehouse_id, received_at__gte=start, received_at__lt=end
    ).order_by()
    order_columns = [
        "received_at",
        "shipped_at",
        "delivered_at",
        "promised_ship_date",
        "requested_delivery_date",
        "ever_backordered",
        "status",
        "stop__status",
    ]
    frame = frame_of(
        orders.values_list(*order_columns),
        order_columns,
        ("received_at", "shipped_at", "delivered_at"),
    )
    for column in ("promised_ship_date", "requested_delivery_date"):
        frame[column] = _dates(frame[column])
    frame["ever_backordered"] = frame["ever_backordered"].astype(bool)
    frame["shipped_on"] = _days(frame["shipped_at"])
    frame["delivered_on"] = _days(frame["delivered_at"])
    done = {"delivered", "partial", "refused"}
    frame["outcome"] = frame["stop__status"].where(frame["stop__status"].isin(done), None)
    frame = frame[frame["status"] != "cancelled"]
    tasks = Task.objects.filter(
        warehouse_id=warehouse_id, status="done", done_at__gte=start, done_at__lt=end
    )
    return {
        "orders": frame,
        "counts": frame_of(
            tasks.filter(kind="count").values_list(
                "system_quantity", "counted_quantity", "done_at"
            ),
            ["system_quantity", "counted_quantity", "done_at"],
            ("done_at",),
        ),
        "putaways": frame_of(
            tasks.filter(kind="putaway").values_list("created_at", "done_at"),
            ["created_at", "done_at"],
            ("created_at", "done_at"),
        ),
        "picks": frame_of(
            tasks.filter(kind="pick").values_list("done_by_id", "done_at"),
            ["done_by_id", "done_at"],
            ("done_at",),
        ),
        "loads": frame_of(
            _loads_left(warehouse_id, start, end)
            .annotate(shipped=ORDERS_SHIPPED)
            .values_list(
                "weight_fill_pct",
                "volume_fill_pct",
                "departed_at",
                "shipment__freight_cost",
                "shipped",
            ),
            ["weight_fill_pct", "volume_fill_pct", "departed_at", "freight_cost", "orders"],
            ("departed_at",),
        ),
        "visits": frame_of(
            _gate_visits(warehouse_id, start, end).values_list("checked_in_at", "checked_out_at"),
            ["checked_in_at", "checked_out_at"],
            ("checked_in_at", "checked_out_at"),
        ),
        # The suppliers' trucks at the doors held for their receiving, in and out since.
        "inbound": frame_of(
            _door_visits(warehouse_id, start, end)
            .filter(checked_out_at__isnull=False)
            .values_list("checked_in_at", "checked_out_at"),
            ["checked_in_at", "checked_out_at"],
            ("checked_in_at", "checked_out_at"),
        ),
        "alerts": frame_of(
            Alert.objects.filter(
                warehouse_id=warehouse_id, opened_at__gte=start, opened_at__lt=end
            ).values_list("department", "opened_at", "acknowledged_at"),
            ["department", "opened_at", "acknowledged_at"],
            ("opened_at", "acknowledged_at"),
        ),
    }


def _loads_left(
    warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Load]:
    """The warehouse's loads that left in [start, end): what fill and freight cost are
    measured on. In no order."""
    return Load.objects.filter(
        warehouse_id=warehouse_id, departed_at__gte=start, departed_at__lt=end
    ).order_by()


# A load's orders that went with it: the cancelled ones left out.
ORDERS_SHIPPED = Count("orders", filter=~Q(orders__status=OrderStatus.CANCELLED))


def _gate_visits(
    warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[DockAppointment]:
    """The trucks' visits to the warehouse's gate checked in in [start, end) and out since:
    what the dwell KPI measures. In no order."""
    return DockAppointment.objects.filter(
        dock__warehouse_id=warehouse_id,
        checked_out_at__isnull=False,
        checked_in_at__gte=start,
        checked_in_at__lt=end,
    ).order_by()


def _door_visits(
    warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[DockHold]:
    """The suppliers' trucks checked in in [start, end) to the warehouse's doors held for
    their receiving. In no order."""
    return DockHold.objects.filter(
        dock__warehouse_id=warehouse_id, checked_in_at__gte=start, checked_in_at__lt=end
    ).order_by()


def carrier_frames(
    *, warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> dict[str, pd.DataFrame]:
    """What the carriers' scorecard needs, for one warehouse and [start, end), on its clock,
    each row with its `carrier` (code): the loads that left (`loads`: as `kpi_frames`), the
    orders they took and how each was delivered (`deliveries`: as its orders), the gate
    visits of the carriers' trucks (`visits`), the loads offered to carriers by EDI 204
    (`tenders`: `answer`, `issued_at`, `answered_at`), and the carriers' bills for the loads
    that left (`invoices`: `amount`, `tariff`). Six queries."""
    zone = Warehouse.objects.values_list("time_zone", flat=True).get(pk=warehouse_id)
    frame_of = functools.partial(_frame, zone=zone)
    left = _loads_left(warehouse_id, start, end)
    deliveries = frame_of(
        Order.objects.filter(load__in=left.values("pk"))
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values_list(
            "load__vehicle__carrier__code",
            "requested_delivery_date",
            "delivered_at",
            "stop__status",
        ),
        ["carrier", "requested_delivery_date", "delivered_at", "outcome"],
        ("delivered_at",),
    )
    deliveries["requested_delivery_date"] = _dates(deliveries["requested_delivery_date"])
    deliveries["delivered_on"] = _days(deliveries["delivered_at"])
    done = {"delivered", "partial", "refused"}
    deliveries["outcome"] = deliveries["outcome"].where(deliveries["outcome"].isin(done), None)
    return {
        "loads": frame_of(
            left.annotate(shipped=ORDERS_SHIPPED).values_list(
                "vehicle__carrier__code",
                "weight_fill_pct",
                "volume_fill_pct",
                "shipment__freight_cost",
                "shipped",
            ),
            ["carrier", "weight_fill_pct", "volume_fill_pct", "freight_cost", "orders"],
        ),
        "deliveries": deliveries,
        "visits": frame_of(
            _gate_visits(warehouse_id, start, end).values_list(
                "vehicle__carrier__code", "checked_in_at", "checked_out_at"
            ),
            ["carrier", "checked_in_at", "checked_out_at"],
            ("checked_in_at", "checked_out_at"),
        ),
        "tenders": frame_of(
            tenders_issued(warehouse_id=warehouse_id, start=start, end=end).values_list(
                "carrier__code", "answer", "issued_at", "answered_at"
            ),
            ["carrier", "answer", "issued_at", "answered_at"],
            ("issued_at", "answered_at"),
        ),
        "invoices": frame_of(
            invoices_of_loads(loads=left).values_list("carrier__code", "amount", "tariff"),
            ["carrier", "amount", "tariff"],
        ),
    }


def supplier_frames(
    *, warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> dict[str, pd.DataFrame]:
    """What the suppliers' scorecard needs, for one warehouse and [start, end), on its clock,
    each row with its `supplier` (the master data's name of the supplier its receipt names,
    else the name as the receipt gives it): the receipts closed then
    (`receipts`: units `expected` and `received`, and how many of its lines came `short`),
    and the visits of their trucks to the doors held for them, checked in then (`visits`:
    the hold's `starts_at`, `checked_in_at`, `checked_out_at`). Two queries."""
    zone = Warehouse.objects.values_list("time_zone", flat=True).get(pk=warehouse_id)
    frame_of = functools.partial(_frame, zone=zone)
    closed = (
        Receipt.objects.filter(warehouse_id=warehouse_id, closed_at__gte=start, closed_at__lt=end)
        .order_by()
        .annotate(
            expected=Sum("lines__expected_quantity"),
            received=Sum("lines__received_quantity"),
            short=Count(
                "lines", filter=Q(lines__received_quantity__lt=F("lines__expected_quantity"))
            ),
        )
    )
    return {
        "receipts": frame_of(
            closed.values_list(
                Coalesce("from_supplier__name", "supplier"), "expected", "received", "short"
            ),
            ["supplier", "expected", "received", "short"],
        ),
        "visits": frame_of(
            _door_visits(warehouse_id, start, end)
            .filter(receipt__isnull=False)
            .values_list(
                Coalesce("receipt__from_supplier__name", "receipt__supplier"),
                "starts_at",
                "checked_in_at",
                "checked_out_at",
            ),
            ["supplier", "starts_at", "checked_in_at", "checked_out_at"],
            ("starts_at", "checked_in_at", "checked_out_at"),
        ),
    }


# Which departments' alerts a role owns (and so sees in its bell).
DEPARTMENTS_OF_ROLE: dict[str, tuple[str, ...]] = {
    Role.OPERATOR: (Department.WAREHOUSE,),
    Role.SUPERVISOR: (Department.WAREHOUSE,),
    Role.DISPATCHER: (Department.LOGISTICS,),
    Role.MANAGER: (Department.WAREHOUSE, Department.LOGISTICS),
    Role.ADMIN: (Department.WAREHOUSE, Department.LOGISTICS),
}
BELL_SIZE = 8


def departments_scope(user) -> Q:  # type: ignore[no-untyped-def]
    """What is the user's to act on, of a model with `warehouse` and `department` (alerts,
    tickets): its departments' in each of its warehouses (everything, for a superuser)."""
    if user.is_superuser:
        return Q()
    scope = Q(pk__in=[])
    for warehouse_id, role in roles_of(user).items():
        departments = DEPARTMENTS_OF_ROLE.get(role, ())
        if departments:
            scope |= Q(warehouse_id=warehouse_id, department__in=departments)
    return scope


def bell_alerts(*, user) -> dict:  # type: ignore[no-untyped-def]
    """The live alerts of the user's departments in the user's warehouses, newest first:
    {"alerts": the first BELL_SIZE, "count": how many in all}."""
    live = Alert.objects.filter(departments_scope(user), status__in=LIVE_ALERT_STATUSES)
    alerts = list(live.select_related("warehouse").order_by("-opened_at", "-pk")[:BELL_SIZE])
    count = len(alerts) if len(alerts) < BELL_SIZE else live.count()
    return {"alerts": alerts, "count": count}


def alerts_live(*, warehouse_id: int, rule: str | tuple[str, ...]) -> list[Alert]:
    """The open and acknowledged alerts of a rule (or of any of several) in a warehouse, most
    severe first, then oldest."""
    rules = (rule,) if isinstance(rule, str) else rule
    return list(
        Alert.objects.filter(
            warehouse_id=warehouse_id, rule__in=rules, status__in=LIVE_ALERT_STATUSES
        ).order_by("-severity", "opened_at")
    )


def warehouses_at_a_glance(
    *, warehouses: list[Warehouse], now: datetime.datetime
) -> dict[int, dict[str, int]]:
    """Per warehouse id, what needs people now, in six queries whatever their number:
    orders due to ship by today on the warehouse's own calendar and not gone (`due`), those
    past their cut-off or, without one, their promised day's closing time (`overdue`),
    backorders, open tasks, trucks at a dock, shipments on the road, live alerts, and the
    lots on quality hold it has stock of (`held_lots`)."""
    out = {
        w.pk: dict.fromkeys(
            ("due", "overdue", "backordered", "tasks", "at_dock", "on_road", "alerts", "held_lots"),
            0,
        )
        for w in warehouses
    }
    if not out:
        return out
    orders = (
        Order.objects.filter(warehouse_id__in=out, status__in=ORDERS_NOT_GONE)
        .values("warehouse_id")
        .annotate(
            due=Count("pk", filter=promised_by(warehouses, now)),
            overdue=Count("pk", filter=past_deadline(warehouses, now)),
            backordered=Count("pk", filter=Q(status=OrderStatus.BACKORDERED)),
        )
    )
    for row in orders:
        out[row.pop("warehouse_id")].update(row)
    counts = (
        ("tasks", Task.objects.filter(status__in=OPEN_TASK_STATUSES), "warehouse_id"),
        (
            "at_dock",
            DockAppointment.objects.filter(status=AppointmentStatus.CHECKED_IN),
            "dock__warehouse_id",
        ),
        (
            "on_road",
            Shipment.objects.filter(status=ShipmentStatus.IN_TRANSIT),
            "load__warehouse_id",
        ),
        ("alerts", Alert.objects.filter(status__in=LIVE_ALERT_STATUSES), "warehouse_id"),
    )
    for name, rows, warehouse in counts:
        for warehouse_id, n in (
            rows.filter(**{f"{warehouse}__in": list(out)})
            .values_list(warehouse)
            .annotate(n=Count("pk"))
            .values_list(warehouse, "n")
        ):
            out[warehouse_id][name] = n
    for warehouse_id, n in (
        StockBalance.objects.filter(warehouse_id__in=list(out), held=True, on_hand__gt=0)
        .values_list("warehouse_id")
        .annotate(n=Count("lot_id", distinct=True))
        .values_list("warehouse_id", "n")
    ):
        out[warehouse_id]["held_lots"] = n
    return out


# --- tickets --------------------------------------------------------------------------------

# What a ticket may be about: its kind, and how to find one of the warehouse's by its key.
TICKET_SUBJECTS = ("order", "load", "shipment", "sensor", "item", "location")


def ticket_subject(*, warehouse_id: int, kind: str, key: str) -> str | None:
    """The subject a ticket names, as its key, if the warehouse has it: an order shipping
    from it or holding stock there (by reference), a load or shipment of it (by reference), a
    sensor of it (by device), an item (by SKU), a location of it (by barcode); None if not."""
    if not key:
        return None
    found = {
        "order": lambda: orders_visible(warehouse_ids=[warehouse_id]).filter(external_ref=key),
        "load": lambda: Load.objects.filter(warehouse_id=warehouse_id, reference=key),
        "shipment": lambda: Shipment.objects.filter(load__warehouse_id=warehouse_id, reference=key),
        "sensor": lambda: Sensor.objects.filter(warehouse_id=warehouse_id, device=key),
        "item": lambda: Item.objects.filter(sku=key),
        "location": lambda: Location.objects.filter(zone__warehouse_id=warehouse_id, barcode=key),
    }.get(kind)
    return key if found is not None and found().exists() else None


def tickets_of(*, user, warehouse_ids: Iterable[int], resolved_days: int = 7) -> dict:  # type: ignore[no-untyped-def]
    """The tickets of these warehouses, each with its trail: `mine` (open, with a department
    of the user's role: the user's to act on), `theirs` (open, with the other department) and
    `resolved` (in the last `resolved_days`), newest first. Three queries."""
    ids = list(warehouse_ids)
    roles = roles_of(user)
    since = timezone.now() - datetime.timedelta(days=resolved_days)
    tickets = list(
        Ticket.objects.filter(warehouse_id__in=ids)
        .filter(Q(status=TicketStatus.OPEN) | Q(resolved_at__gte=since))
        .select_related("warehouse", "raised_by", "resolved_by")
        .prefetch_related(Prefetch("notes", queryset=TicketNote.objects.select_related("by")))
        .order_by("-raised_at", "-pk")
    )
    out: dict[str, list[Ticket]] = {"mine": [], "theirs": [], "resolved": []}
    for ticket in tickets:
        if ticket.status == TicketStatus.RESOLVED:
            out["resolved"].append(ticket)
        elif user.is_superuser or ticket.department in DEPARTMENTS_OF_ROLE.get(
            roles.get(ticket.warehouse_id, ""), ()
        ):
            out["mine"].append(ticket)
        else:
            out["theirs"].append(ticket)
    return out


def tickets_waiting(*, user) -> int:  # type: ignore[no-untyped-def]
    """How many open tickets wait on the user's departments in the user's warehouses."""
    return Ticket.objects.filter(departments_scope(user), status=TicketStatus.OPEN).count()


# --- procedures and training ------------------------------------------------------------------


def sops_board(*, warehouse: Warehouse) -> list[dict]:
    """The procedures of the warehouse (and of every warehouse), each with its floor people
    (operators and supervisors there): trained on its current version and until when, and
    those not (never, an older version, or expired). Three queries."""
    sops = list(
        Sop.objects.filter(Q(warehouse__isnull=True) | Q(warehouse=warehouse)).order_by("code")
    )
    people = [
        m.user
        for m in Membership.objects.filter(
            warehouse=warehouse, role__in=[Role.OPERATOR, Role.SUPERVISOR]
        )
        .select_related("user")
        .order_by("user__username")
    ]
    today = timezone.localdate()
    latest: dict[tuple[int, int], TrainingRecord] = {}
    for record in TrainingRecord.objects.filter(sop__in=sops, user__in=people).order_by(
        "trained_on", "pk"
    ):
        latest[(record.sop_id, record.user_id)] = record
    board = []
    for sop in sops:
        rows = []
        for person in people:
            record = latest.get((sop.pk, person.pk))
            current = record is not None and record.current(version=sop.version, on=today)
            rows.append({"person": person, "record": record, "current": current})
        board.append(
            {
                "sop": sop,
                "people": rows,
                "missing": sum(1 for r in rows if not r["current"]) if sop.requires_training else 0,
            }
        )
    return board


def reads_refused(*, warehouse_id: int, since: datetime.datetime, limit: int = 5) -> list[Event]:
    """The latest pallets an RFID portal read that may not go where they went (the wrong
    truck, a truck not checked in), since then: `unit.read_refused` events, newest first."""
    return list(
        Event.objects.filter(
            type="unit.read_refused", warehouse_id=warehouse_id, occurred_at__gte=since
        ).order_by("-occurred_at")[:limit]
    )
