"""Pages for people: what they need to see now, read through selectors."""

import datetime
import zoneinfo

import pandas as pd
import pygal
from celery.result import AsyncResult
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pygal.style import Style

from core.access import members, role_anywhere, role_in, warehouse_ids_for
from core.choices import (
    EDI_LOG_ROLES,
    FREIGHT_BILL_ROLES,
    LOT_PULL_ROLES,
    MASTER_DATA_ROLES,
    PLANNING_ROLES,
    QUALITY_HOLD_ROLES,
    SOP_WRITER_ROLES,
    Role,
)
from core.exceptions import DomainError
from core.models import Membership, SopScope, Warehouse
from core.selectors import sops_missing, warehouses_of
from dashboards import kpis
from dashboards.board import LONG_RANGE, kpi_board, kpi_board_cached, scorecards
from dashboards.consignee_links import consignee_path
from dashboards.models import Department, TicketKind
from dashboards.run_links import run_token
from dashboards.selectors import (
    TICKET_SUBJECTS,
    alerts_live,
    reads_refused,
    sops_board,
    tickets_of,
    warehouses_at_a_glance,
)
from dashboards.sheets import sheet_response
from dashboards.tasks import KPI_JOB_KEY, kpi_board_compute
from integrations.models import INVOICES_OPEN
from integrations.selectors import (
    EDI_LOG_LIMIT,
    FREIGHT_BILLS_LIMIT,
    bills_waiting_for_run,
    edi_of_order,
    edi_traffic,
    freight_bills,
    freight_bills_open,
    sensor_of_device,
    sensor_readings,
    sensors_watched,
    tenders_last,
    tenders_passed,
    zone_excursion_latest,
)
from inventory import selectors
from inventory.choices import TemperatureClass
from inventory.models import Lot, StockMovement, Task, Zone
from shipping import planning
from shipping import selectors as shipping_selectors
from shipping.choices import (
    CHANGEABLE,
    ORDER_TRANSITIONS,
    ORDERS_NOT_GONE,
    AppointmentStatus,
    HoldReason,
    OrderStatus,
    Priority,
    StopStatus,
)
from shipping.selectors import past_deadline, promised_by


def favicon(request: HttpRequest) -> HttpResponse:
    """Handoff's icon, for browsers that ask /favicon.ico (pages with no icon link: the API
    docs)."""
    return redirect(static("dashboards/handoff.svg"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: the user's warehouses and roles, each at a glance (what
    is due to ship, backordered, open on the floor, at the docks, on the road, held by
    quality, alerting),
    with the way to its pages. `?fragment=glance&warehouse=CODE` returns that warehouse's row
    alone, for the live refresh."""
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("warehouse")
        .order_by("warehouse__code")
    )
    fragment = request.GET.get("fragment") == "glance"
    if fragment:
        memberships = memberships.filter(warehouse__code=request.GET.get("warehouse"))
    mine = list(memberships)
    glance = warehouses_at_a_glance(warehouses=[m.warehouse for m in mine], now=timezone.now())
    rows = [{"membership": m, **glance[m.warehouse_id]} for m in mine]
    if fragment:
        if not rows:
            return HttpResponse(status=404)
        return render(request, "dashboards/_glance_row.html", {"row": rows[0]})
    return render(request, "dashboards/home.html", {"rows": rows})


FLOOR_ROLES_HERE = {"operator", "supervisor", "admin"}


def _warehouse_choice(request: HttpRequest) -> tuple[list[Warehouse], Warehouse | None]:
    """The user's warehouses and the one asked for (`?warehouse=CODE`), else the first."""
    warehouses = list(Warehouse.objects.filter(pk__in=warehouse_ids_for(request.user)))
    chosen = next(
        (w for w in warehouses if w.code == request.GET.get("warehouse")),
        warehouses[0] if warehouses else None,
    )
    return warehouses, chosen


def _page_or_body(request: HttpRequest, page: str, body: str) -> str:
    """The page's template, or its body's (`?fragment=body`: the part an action swaps in)."""
    return body if request.GET.get("fragment") == "body" else page


def render_local(
    request: HttpRequest, template: str, context: dict, warehouse: Warehouse | None
) -> HttpResponse:
    """Render with times in the warehouse's own time zone: what the clock on its wall says."""
    zone = warehouse.zone() if warehouse else timezone.get_current_timezone()
    with timezone.override(zone):
        return render(request, template, context)


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """The warehouse floor on a scanner or tablet: my next task, a scan box, receiving against
    expected receipts, stock lookup by scan, the day's work; the packing bench and the dock
    (pack, label, stage, check trucks in, scan units on, depart); for supervisors the open
    tasks to hand out, the waves' progress per picker and today's short picks.

    `?fragment=tasks` (or `receiving`, `dock`, `supervise`, `cold`) returns only that part,
    for the live refresh. The cold rooms' sensors show their last reading and range.
    """
    warehouses, chosen = _warehouse_choice(request)
    context: dict = {"warehouses": warehouses, "warehouse": chosen}
    fragment = request.GET.get("fragment")
    if chosen is not None:
        role = role_in(request.user, chosen.pk)
        midnight = timezone.localtime(timezone=chosen.zone()).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        context.update(
            may_work=role in FLOOR_ROLES_HERE,
            may_supervise=role in SUPERVISOR_ROLES_HERE,
            may_dock=role in FLOOR_ROLES_HERE | PLANNING_ROLES,
            flash=getattr(request, "flash", None),
        )
        if fragment in (None, "tasks"):
            tasks = _for_whom(
                selectors.tasks_for_floor(warehouse_id=chosen.pk, user_id=request.user.pk)
            )
            # Work where a procedure applies that the person is not trained on is not offered.
            untrained = sops_missing(
                user=request.user, warehouse_id=chosen.pk, scopes=SopScope.values
            )
            kept_from = {sop.scope for sop in untrained}
            offered = [t for t in tasks if not t.sop_scopes() & kept_from]
            context.update(
                next_task=offered[0] if offered else None,
                later=offered[1:],
                untrained=untrained,
                kept_back=len(tasks) - len(offered),
            )
        if fragment is None:
            context.update(
                zones=selectors.work_by_zone(warehouse_id=chosen.pk, since=midnight),
                floor_text=_floor_text(),
            )
        if fragment in (None, "receiving"):
            receipts = selectors.receipts_expected(warehouse_id=chosen.pk)
            held = shipping_selectors.doors_held_for(
                receipt_ids=[r.pk for r in receipts], now=timezone.now()
            )
            for receipt in receipts:
                receipt.doors_held = held.get(receipt.pk, [])
            context["receipts"] = receipts
        if fragment in (None, "supervise") and context["may_supervise"]:
            context.update(_supervision(chosen, midnight))
        if fragment in (None, "dock") and context["may_dock"]:
            context["dock"] = shipping_selectors.dock_work(warehouse_id=chosen.pk)
            context["suppliers"] = shipping_selectors.suppliers_at_gate(
                warehouse_id=chosen.pk, now=timezone.now()
            )
            context["reads_refused"] = reads_refused(
                warehouse_id=chosen.pk, since=timezone.now() - READS_REFUSED_SHOWN
            )
        if fragment in (None, "cold"):
            context["cold_rooms"] = [
                s for s in sensors_watched(warehouse_ids=[chosen.pk]) if s.zone_id is not None
            ]
    template = {
        "tasks": "dashboards/_floor_tasks.html",
        "supervise": "dashboards/_floor_supervise.html",
        "receiving": "dashboards/_floor_receiving.html",
        "dock": "dashboards/_floor_dock.html",
        "cold": "dashboards/_floor_cold.html",
    }.get(fragment or "", "dashboards/floor.html")
    return render_local(request, template, context, chosen)


SUPERVISOR_ROLES_HERE = {"supervisor", "admin"}
READS_REFUSED_SHOWN = datetime.timedelta(minutes=30)  # a portal's refusals, on the dock card


def _for_whom(rows: list[Task | StockMovement]) -> list:
    """Give each task or movement the order and line it is for (`for_order`: external
    reference and line number, or None), so pages read "SO-1234, line 2" instead of
    inventory's opaque stock reference; one query for all of them."""
    named = shipping_selectors.order_lines_named(row.reference for row in rows)
    for row in rows:
        row.for_order = named.get(row.reference)  # type: ignore[union-attr]
    return rows


def _supervision(warehouse: Warehouse, since: datetime.datetime) -> dict:
    """What a supervisor needs: open tasks and who has them, people to give them to, the
    waves' progress per picker, and the short picks of the day."""
    return {
        "open_tasks": _for_whom(selectors.tasks_open(warehouse_id=warehouse.pk)),
        "people": members(warehouse_id=warehouse.pk, roles=(Role.OPERATOR, Role.SUPERVISOR)),
        "waves": shipping_selectors.waves_on_the_floor(warehouse_id=warehouse.pk),
        "short_picks": selectors.short_picks(warehouse_id=warehouse.pk, since=since),
    }


@login_required
def stock_lookup(request: HttpRequest) -> HttpResponse:
    """Scan an item or a location on the floor: what it is and the stock behind it."""
    _, chosen = _warehouse_choice(request)
    found = (
        selectors.stock_lookup(warehouse_id=chosen.pk, code=request.GET.get("code", ""))
        if chosen
        else {"kind": None}
    )
    return render_local(request, "dashboards/_lookup.html", {"found": found}, chosen)


@login_required
def load_route(request: HttpRequest, pk: int) -> HttpResponse:
    """The route of a load not yet gone, if its truck left at the end of its dock slot (or
    now): each stop's ETA in its delivery window, the wait and the lateness. The board's
    "Route" fold loads it when opened."""
    load = shipping_selectors.load_not_gone(pk=pk, warehouse_ids=warehouse_ids_for(request.user))
    if load is None:
        raise Http404
    route = shipping_selectors.load_route(load=load)
    return render_local(request, "dashboards/_load_route.html", {"route": route}, load.warehouse)


@login_required
def vehicle_choice(request: HttpRequest) -> HttpResponse:
    """The load form's vehicle list for the orders ticked (`orders`, ids), or for a planned
    load's orders (`load`, an id: the choice of another truck for it), best first
    (`vehicles_ranked`: free vehicles that take the goods, the cheapest for the trip by
    the tariffs, own fleet first, the fullest first), each with its cost, the best chosen;
    then the others greyed out, each with why not."""
    _, chosen = _warehouse_choice(request)
    if chosen is None:
        raise Http404
    load = None
    asked = whole_number(request.GET.get("load"))
    if asked is not None:  # another truck for a planned load
        found = shipping_selectors.load_planned_orders(warehouse_id=chosen.pk, pk=asked)
        if found is None:
            raise Http404
        load, orders = found
    else:
        picked = [n for n in map(whole_number, request.GET.getlist("orders")) if n is not None]
        orders = shipping_selectors.orders_of_warehouse(warehouse_id=chosen.pk, pks=picked)
    ranked = (
        shipping_selectors.vehicles_ranked(
            warehouse_id=chosen.pk, orders=orders, excluding=load.pk if load else None
        )
        if orders
        else None
    )
    return render_local(
        request,
        "dashboards/_vehicle_select.html",
        {
            "select_id": f"load-vehicle-{load.pk}" if load else "load-vehicle",
            "ranked": ranked,
            **_vehicles_free_and_busy(
                shipping_selectors.planning_choices_vehicles(warehouse_id=chosen.pk)
            ),
        },
        chosen,
    )


@login_required
def loads_proposed(request: HttpRequest) -> HttpResponse:
    """Loads proposed for the orders waiting for one, on the free vehicles (see
    `shipping.planning`), each with its route and a button to build it; for planners."""
    _, chosen = _warehouse_choice(request)
    if chosen is None or role_in(request.user, chosen.pk) not in PLANNING_ROLES:
        raise Http404
    return render_local(
        request,
        "dashboards/_load_proposals.html",
        {"plan": planning.loads_proposed(warehouse=chosen), "warehouse": chosen},
        chosen,
    )


@login_required
def load_slot(request: HttpRequest) -> HttpResponse:
    """The booking form's dock, arrival and minutes filled with the slot suggested for the
    load chosen in it (`shipping.planning.slot_suggested`), and what it gives; for planners.
    With no load chosen, the form as it was."""
    _, chosen = _warehouse_choice(request)
    if chosen is None or role_in(request.user, chosen.pk) not in PLANNING_ROLES:
        raise Http404
    docks = shipping_selectors.docks_in_service(warehouse_id=chosen.pk)
    context: dict = {"plan_docks": docks, **_planning_start(chosen)}
    asked = request.GET.get("load", "")
    if asked:
        pk = whole_number(asked)
        load = (
            shipping_selectors.load_not_gone(pk=pk, warehouse_ids=[chosen.pk])
            if pk is not None
            else None
        )
        if load is None:
            raise Http404  # not a load of this warehouse still at its dock
        try:
            slot = planning.slot_suggested(load=load)
        except DomainError as refused:
            context["slot_refused"] = refused.message
        else:
            context.update(slot=slot, slot_load=load)
            if slot.dock is not None:
                start = timezone.localtime(slot.slot_starts_at, chosen.zone())
                context.update(book_dock=slot.dock.pk, plan_start=f"{start:%Y-%m-%dT%H:%M}")
    return render_local(request, "dashboards/_book_fields.html", context, chosen)


# The dispatch board's docks: 16 hours from the even hour 4 to 5 hours back (11 to 12 ahead).
DOCKS_BACK_HOURS = 4
DOCKS_SPAN_HOURS = 16
BOOKED_AHEAD = datetime.timedelta(hours=36)  # appointments listed to move or cancel


# What the driver phones in about the next stop, as the dispatcher records it.
STOP_REPORTS = {
    "arrived": gettext_lazy("Arrived"),
    "delayed": gettext_lazy("Running late"),
    StopStatus.DELIVERED: gettext_lazy("Delivered"),
    StopStatus.PARTIAL: gettext_lazy("Partly delivered"),
    StopStatus.REFUSED: gettext_lazy("Refused"),
}


@login_required
def dispatch(request: HttpRequest) -> HttpResponse:
    """The dispatch board: the docks from 4 to 6 hours back (an even hour) to 16 hours after
    that, loads and their readiness, orders at risk, trucks on the road. `?fragment=board`
    returns the board alone, for the live refresh."""
    warehouses, chosen = _warehouse_choice(request)
    context: dict = {"warehouses": warehouses, "warehouse": chosen}
    if chosen is not None:
        now = timezone.now()
        zone = chosen.zone()
        local = timezone.localtime(now, zone)
        # A window that moves with the clock: the evening shift sees the night's trucks too.
        back = (local - datetime.timedelta(hours=DOCKS_BACK_HOURS)).replace(
            minute=0, second=0, microsecond=0
        )
        start = (back - datetime.timedelta(hours=back.hour % 2)).astimezone(datetime.UTC)
        end = start + datetime.timedelta(hours=DOCKS_SPAN_HOURS)
        span = (end - start).total_seconds()

        def pct(moment: datetime.datetime) -> float:
            return max(0.0, min(100.0, (moment - start).total_seconds() / span * 100))

        # Booked ahead as far as a day and a half, to move or cancel; the timeline shows its
        # own hours of them.
        ahead = shipping_selectors.dock_window(
            warehouse_id=chosen.pk, start=start, end=max(end, now + BOOKED_AHEAD)
        )
        docks = [
            {
                **row,
                "appointments": [a for a in row["appointments"] if a.starts_at < end],
                "holds": [h for h in row["holds"] if h.starts_at < end],
            }
            for row in ahead
        ]
        for row in docks:
            for h in row["holds"]:
                h.left = pct(h.starts_at)
                h.width = max(1.0, pct(h.ends_at) - h.left)
            for a in row["appointments"]:
                a.left = pct(a.starts_at)
                a.width = max(1.0, pct(a.ends_at) - a.left)
                a.dwell = (
                    round((now - a.checked_in_at).total_seconds() / 60)
                    if a.status == "checked_in"
                    else None
                )
        trucks = shipping_selectors.trucks_day(
            warehouse_id=chosen.pk, start=start, end=end, now=now
        )
        for row in trucks:
            for trip in row["trips"]:
                trip["left"] = pct(trip["starts_at"])
                trip["width"] = max(1.0, pct(trip["back_at"]) - trip["left"])
        may_plan = role_in(request.user, chosen.pk) in PLANNING_ROLES
        transit = shipping_selectors.shipments_in_transit(warehouse_id=chosen.pk)
        for row in transit:  # the link the dispatcher sends its driver
            row["run_token"] = run_token(row["shipment"].pk)
        context.update(
            docks=docks,
            trucks=[row for row in trucks if row["trips"]],
            trucks_idle=[row["vehicle"] for row in trucks if not row["trips"]],
            booked=[
                (row["dock"], a)
                for row in ahead
                for a in row["appointments"]
                if a.status == AppointmentStatus.BOOKED
            ],
            held=sorted(
                ((row["dock"], h) for row in ahead for h in row["holds"]),
                key=lambda pair: pair[1].starts_at,
            ),
            hold_reasons=HoldReason.choices,
            hours=_hour_marks(start, end, zone),
            # The window starts on an even hour: 4 to 6 hours back, as the clock goes.
            hours_back=round((now - start).total_seconds() / 3600),
            hours_ahead=round((end - now).total_seconds() / 3600),
            now_pct=pct(now),
            loads=_with_tenders(shipping_selectors.loads_open(warehouse_id=chosen.pk)),
            now=now,
            at_risk=alerts_live(warehouse_id=chosen.pk, rule="order_at_risk"),
            trucks_at_risk=alerts_live(
                warehouse_id=chosen.pk,
                rule=("load_not_ready", "route_outside_windows", "next_trip_at_risk"),
            ),
            transit=transit,
            route=_route_svg(chosen, transit),
            flash=getattr(request, "flash", None),
            may_plan=may_plan,
            # What a hold may name, for the form only those who plan see.
            hold_receipts=selectors.receipts_due(warehouse_id=chosen.pk) if may_plan else [],
            stop_reports=STOP_REPORTS,
            **_planning(chosen, local),
        )
    template = (
        "dashboards/_dispatch_board.html"
        if request.GET.get("fragment") == "board"
        else "dashboards/dispatch.html"
    )
    return render_local(request, template, context, chosen)


def _with_tenders(loads: list[dict]) -> list[dict]:
    """The open loads, each with its last tender by EDI to the carrier of its vehicle
    (`tender`, or None), and the carriers that declined it or let it lapse before it came to
    that vehicle (`passed`: their tenders, first first)."""
    last = tenders_last(row["load"].pk for row in loads)
    passed = tenders_passed(row["load"].pk for row in loads)
    for row in loads:
        load = row["load"]
        tender = last.get(load.pk)
        row["tender"] = tender if tender is not None and tender.current else None
        row["passed"] = [
            t for t in passed.get(load.pk, []) if t.carrier_id != load.vehicle.carrier_id
        ]
    return loads


def _hour_marks(
    start: datetime.datetime, end: datetime.datetime, zone: zoneinfo.ZoneInfo
) -> list[str]:
    """Every second hour of the window in the warehouse's time, `HH:MM`; a midnight as the
    new day's date (`MM-DD`)."""
    marks = []
    at = start
    while at <= end:
        local = at.astimezone(zone)
        marks.append(local.strftime("%m-%d") if local.hour == 0 else local.strftime("%H:%M"))
        at += datetime.timedelta(hours=2)
    return marks


def _vehicles_free_and_busy(choices: dict) -> dict:
    """The load form's vehicle list: the free ones (with the trips booked for them, which
    another load goes before or after), then the busy ones with their load."""
    busy, trips = choices["vehicles_busy"], choices["vehicles_trips"]
    return {
        "plan_vehicles": choices["vehicles"],
        "plan_vehicles_free": [
            (v, trips.get(v.pk, [])) for v in choices["vehicles"] if v.pk not in busy
        ],
        "plan_vehicles_busy": [(v, busy[v.pk]) for v in choices["vehicles"] if v.pk in busy],
    }


def _planning(warehouse: Warehouse, local_now: datetime.datetime) -> dict:
    """What the dispatcher's forms offer, and the hour they start from."""
    choices = shipping_selectors.planning_choices(warehouse_id=warehouse.pk)
    return {
        "plan_docks": choices["docks"],
        **_vehicles_free_and_busy(choices),
        "plan_drivers": choices["drivers"],
        "plan_orders": choices["orders"],
        **_planning_start(warehouse, local_now),
    }


def _planning_start(warehouse: Warehouse, local_now: datetime.datetime | None = None) -> dict:
    """The booking form's arrival by default: the next full hour on the warehouse's clock."""
    local_now = local_now or timezone.localtime(timezone.now(), warehouse.zone())
    return {"plan_start": (local_now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:00")}


def _route_svg(warehouse: Warehouse, transit: list[dict]) -> dict:
    """Stops of the trucks on the road as points in a 400x300 box (no map needed); not those
    of shipments through a carrier's network, which go anywhere in the country."""
    transit = [row for row in transit if not row["network"]]
    points = [(float(warehouse.latitude), float(warehouse.longitude))]
    for row in transit:
        points += [(float(s.ship_to.latitude), float(s.ship_to.longitude)) for s in row["stops"]]
    lat_min, lat_max = min(p[0] for p in points), max(p[0] for p in points)
    lon_min, lon_max = min(p[1] for p in points), max(p[1] for p in points)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x = 20 + (lon - lon_min) / ((lon_max - lon_min) or 1) * 360
        y = 280 - (lat - lat_min) / ((lat_max - lat_min) or 1) * 260
        return round(x, 1), round(y, 1)

    routes = []
    for row in transit:
        path = [xy(float(warehouse.latitude), float(warehouse.longitude))]
        stops = []
        for stop in row["stops"]:
            point = xy(float(stop.ship_to.latitude), float(stop.ship_to.longitude))
            path.append(point)
            stops.append(
                {
                    "x": point[0],
                    "y": point[1],
                    "n": stop.sequence,
                    "done": stop.status != "pending" and stop.status != "arrived",
                }
            )
        routes.append(
            {
                "reference": row["shipment"].reference,
                "points": " ".join(f"{x},{y}" for x, y in path),
                "stops": stops,
            }
        )
    home = xy(float(warehouse.latitude), float(warehouse.longitude))
    return {"home": {"x": home[0], "y": home[1]}, "routes": routes}


KPI_LABELS = {
    "order_cycle_time_h": gettext_lazy("Order cycle time, received to shipped (h, median)"),
    "order_to_delivery_h": gettext_lazy("Received to delivered (h, median)"),
    "on_time_shipping": gettext_lazy("On-time shipping"),
    "otif": gettext_lazy("On time in full (OTIF)"),
    "backorder_rate": gettext_lazy("Backorder rate"),
    "inventory_record_accuracy": gettext_lazy("Inventory record accuracy"),
    "dock_to_stock_min": gettext_lazy("Dock to stock (min, median)"),
    "pick_lines_per_operator_hour": gettext_lazy("Pick lines per operator hour"),
    "vehicle_weight_fill_pct": gettext_lazy("Vehicle fill, weight (%)"),
    "vehicle_volume_fill_pct": gettext_lazy("Vehicle fill, volume (%)"),
    "freight_cost_per_order": format_lazy(
        gettext_lazy("Freight cost per order ({currency})"), currency=settings.HANDOFF_CURRENCY
    ),
    "truck_dwell_min": gettext_lazy("Truck dwell at the dock (min, median)"),
    "supplier_dwell_min": gettext_lazy("Suppliers' trucks at the door (min, median)"),
    "alert_response_warehouse_min": gettext_lazy("Alert response, warehouse (min)"),
    "alert_response_logistics_min": gettext_lazy("Alert response, logistics (min)"),
}
SHARES = {"on_time_shipping", "otif", "backorder_rate", "inventory_record_accuracy"}


_CHART_STYLE = Style(  # the page's colours: the value in brand green, the target dashed blue
    background="transparent",
    plot_background="#f8fafc",
    foreground="#5b6b7c",
    foreground_strong="#1d2733",
    foreground_subtle="#d8dee6",
    guide_stroke_color="#e4e8ee",
    major_guide_stroke_color="#e4e8ee",
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
    colors=("#0b6e4f", "#6b8fd6"),
    font_family='system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
    label_font_size=11,
    major_label_font_size=11,
)


RUNNING_DOT = "fill: #fff; stroke: #0b6e4f; stroke-width: 2"  # a period not over yet


def _chart(
    trend: list[dict], target: float | None, *, share: bool = False, running: str = ""
) -> str:
    """A small line chart of the trend with its target, as inline SVG (no script loaded): a
    few round marks on the value axis, a share as a percentage. The point of the period
    `running` (its first day; the day or week still going on) is a hollow dot, titled "so
    far": it is not that period's last word."""
    chart = pygal.Line(
        js=[],
        height=160,
        width=420,
        style=_CHART_STYLE,
        show_legend=False,
        show_dots=True,
        dots_size=2.5,
        disable_xml_declaration=True,
        x_label_rotation=0,
        show_minor_x_labels=False,
        x_labels_major_count=5,
        truncate_label=-1,
        max_scale=5,
        value_formatter=(lambda v: f"{v:.0%}") if share else (lambda v: f"{v:g}"),
        margin=8,
    )
    chart.x_labels = [p["period"][5:] for p in trend]
    so_far = str(_("so far"))
    chart.add(
        "value",
        [
            {"value": p["value"], "label": so_far, "style": RUNNING_DOT, "node": {"r": 3.5}}
            if p["period"] == running
            else p["value"]
            for p in trend
        ],
    )
    if target is not None and trend:
        chart.add(
            "target", [target] * len(trend), show_dots=False, stroke_style={"dasharray": "4,4"}
        )
    return chart.render(is_unicode=True)


@login_required
def kpi_board_page(request: HttpRequest) -> HttpResponse:
    """The KPI board: every shared KPI of a warehouse and range, its trend, its target; and
    each carrier's scorecard over the range."""
    warehouses, chosen = _warehouse_choice(request)
    context: dict = {"warehouses": warehouses, "warehouse": chosen}
    if chosen is not None:
        # The form's "To" is the last day shown (`until`, included), as people read a range;
        # `end`, the midnight after it, is what links and the API pass.
        until = _date(request.GET.get("until"))
        end = (
            until + datetime.timedelta(days=1)
            if until
            else _date(request.GET.get("end")) or chosen.today() + datetime.timedelta(days=1)
        )
        start = _date(request.GET.get("start")) or end - datetime.timedelta(days=30)
        weekly = request.GET.get("trend") == "weekly"
        # Short ranges follow the floor live; a long one is a job, computed on request.
        live_tiles = end - start <= LONG_RANGE
        context.update(
            start=start,
            end=end,
            until=end - datetime.timedelta(days=1),
            weekly=weekly,
            live_tiles=live_tiles,
        )
        board, cards, job = _kpi_board_or_job(
            request,
            warehouse_id=chosen.pk,
            # Days from midnight to midnight on the warehouse's own clock.
            start=datetime.datetime.combine(start, datetime.time(), chosen.zone()),
            end=datetime.datetime.combine(end, datetime.time(), chosen.zone()),
            freq="W-SUN" if weekly else "D",
        )
        if board is None:
            context["job"] = job
            return render_local(request, "dashboards/kpis.html", context, chosen)
        targets = settings.HANDOFF_KPI_TARGETS
        context["carriers"] = cards.get("carriers", [])
        context["suppliers"] = cards.get("suppliers", [])
        context["grace"] = kpis.SUPPLIER_GRACE_MIN
        today = chosen.today()
        running = str(today - datetime.timedelta(days=today.weekday()) if weekly else today)
        context.update(
            running_shown=start <= today < end,
            tiles=[
                {
                    "name": name,
                    "label": KPI_LABELS[name],
                    "value": kpi["value"],
                    "share": name in SHARES,
                    "target": targets.get(name),
                    "chart": mark_safe(
                        _chart(
                            kpi["trend"],
                            targets.get(name),
                            share=name in SHARES,
                            running=running,
                        )
                    ),
                }
                for name, kpi in board.items()
            ],
        )
    template = (
        "dashboards/_kpi_tiles.html"
        if request.GET.get("fragment") == "tiles"
        else "dashboards/kpis.html"
    )
    return render_local(request, template, context, chosen)


def _kpi_board_or_job(
    request: HttpRequest,
    *,
    warehouse_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    freq: str,
) -> tuple[dict | None, dict[str, list[dict]], str | None]:
    """The board and the scorecards (`board.scorecards`), at once if the board is cached,
    finished by a job (`?job=`) or a short range; else (None, {}, id of the Celery task now
    computing them, whose progress the page shows)."""
    finished = cache.get(KPI_JOB_KEY.format(request.GET.get("job", "")))
    asked = [warehouse_id, start.isoformat(), end.isoformat(), freq]
    if finished and finished["asked"] == asked:  # the job of this very board, not another
        return finished["board"], finished.get("cards", {}), None
    board = (
        kpi_board(warehouse_id=warehouse_id, start=start, end=end, freq=freq)
        if end - start <= LONG_RANGE  # served from its cache or computed here
        else kpi_board_cached(warehouse_id=warehouse_id, start=start, end=end, freq=freq)
    )
    if board is not None:
        return board, scorecards(warehouse_id=warehouse_id, start=start, end=end), None
    job = kpi_board_compute.delay(warehouse_id, start.isoformat(), end.isoformat(), freq)
    finished = cache.get(KPI_JOB_KEY.format(job.id))  # embedded: the task ran in this call
    if finished:
        return finished["board"], finished.get("cards", {}), None
    return None, {}, job.id


@login_required
def kpi_job(request: HttpRequest, job: str) -> JsonResponse:
    """How far a KPI job is: {state, done, total} for the progress bar."""
    result = AsyncResult(job)
    info = result.info if isinstance(result.info, dict) else {}
    ready = result.state == "SUCCESS" or cache.get(KPI_JOB_KEY.format(job)) is not None
    return JsonResponse(
        {
            "state": "SUCCESS" if ready else result.state,
            "done": info.get("done", 0),
            "total": info.get("total", 0),
        }
    )


CENTURY = datetime.timedelta(days=36525)


def _date(value: str | None) -> datetime.date | None:
    """A date of a page's query, if it is one within a century of today's; else None."""
    try:
        day = datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day and abs(day - datetime.date.today()) < CENTURY else None


def _day_asked(raw: str, label: str) -> tuple[datetime.date | None, str]:
    """A day a page's query gives (YYYY-MM-DD, as a date input sends it), or None; with
    what the page says of one that is not a day (naming the field by `label`), else ""."""
    try:
        return (datetime.date.fromisoformat(raw) if raw else None), ""
    except ValueError:
        return None, _("%(field)s: not a date (YYYY-MM-DD): %(value)s") % {
            "field": label,
            "value": raw,
        }


def whole_number(value: str | None) -> int | None:
    """A query's or form's whole number (an id, units) in ASCII or a Chinese keyboard's
    full-width digits, if it is one a database integer holds; else None."""
    return int(value) if value and value.isdecimal() and len(value) <= 18 else None


def _floor_text() -> dict[str, str]:
    """What the scan box says, in the page's language."""
    return {
        "scan_location": _("Scan the location"),
        "scan_item": _("Scan the item"),
        "scan_lot": _("Scan the lot"),
        "scan_target": _("Scan where you put it"),
        "enter_quantity": _("Enter the quantity and press Enter"),
        "wrong_location": _("Wrong location: expected %(expected)s, scanned %(scanned)s."),
        "wrong_item": _("Wrong item: expected %(expected)s, scanned %(scanned)s."),
        "wrong_lot": _("Wrong lot: expected %(expected)s, scanned %(scanned)s."),
        "whole_number": _("Must be a whole number of units, zero or more."),
        "short_pick": _(
            "Only %(quantity)s of %(asked)s? Press Enter again for a short pick, or type the "
            "quantity."
        ),
        "fewer": _(
            "Only %(quantity)s of %(asked)s? Press Enter again to confirm, or type the quantity."
        ),
        "ok": _("OK"),
        "done": _("Done: %(quantity)s × %(item)s."),
    }


@login_required
def stock_overview(request: HttpRequest) -> HttpResponse:
    """One warehouse's stock at a glance: totals, open work, reorder needs, the latest ledger.
    `?export=xlsx` or `csv`: its stock on hand as a sheet (`_stock_export`)."""
    warehouses, chosen = _warehouse_choice(request)
    context: dict = {"warehouses": warehouses, "warehouse": chosen}
    kind = request.GET.get("export")
    if chosen is not None and kind in ("csv", "xlsx"):
        return _stock_export(chosen, kind)
    if chosen is not None:
        ids = [chosen.pk]
        below = selectors.items_below_reorder_point(warehouse_ids=ids)
        context.update(
            totals=selectors.stock_totals(warehouse_ids=ids),
            tasks=selectors.tasks_open_by_kind(warehouse_ids=ids),
            below=below[:12],
            below_count=len(below),
            movements=_for_whom(list(selectors.movements_recent(warehouse_ids=ids)[:15])),
            may_import_items=role_anywhere(request.user, MASTER_DATA_ROLES),
            lots_held=len(selectors.lots_held()),
            flash=getattr(request, "flash", None),
            import_problems=getattr(request, "import_problems", []),
        )
    template = _page_or_body(
        request, "dashboards/stock_overview.html", "dashboards/_stock_body.html"
    )
    return render_local(request, template, context, chosen)


def _stock_export(warehouse: Warehouse, kind: str) -> HttpResponse:
    """The warehouse's stock on hand as a CSV or XLSX sheet, one row a position (item, lot
    and location), in pick-path order: on hand, reserved and available, the lot's expiry,
    headed in the reader's language; named with the warehouse and the time on its clock, as
    of which it is exact (one query)."""
    columns = {
        "location__zone__code": _("Zone"),
        "location__barcode": _("Location"),
        "item__sku": _("SKU"),
        "item__gtin": _("GTIN"),
        "item__name": _("Item"),
        "lot__code": _("Lot"),
        "lot__expires_on": _("Expires"),
        "on_hand": _("On hand"),
        "reserved": _("Reserved"),
        "available": _("Available"),  # on hand less reserved: not a field
        "item__unit": _("Unit"),
        "item__temperature_class": _("Temperature"),
    }
    fields = [name for name in columns if name != "available"]
    rows = selectors.stock_by_location(warehouse_ids=[warehouse.pk]).values(*fields)
    table = pd.DataFrame(list(rows), columns=fields)
    table["available"] = table["on_hand"] - table["reserved"]
    table["item__temperature_class"] = table["item__temperature_class"].map(
        {k: str(v) for k, v in TemperatureClass.choices}
    )
    table["lot__expires_on"] = table["lot__expires_on"].map(
        lambda day: day.isoformat() if day else ""
    )
    table = table[list(columns)].rename(columns=columns)
    name = (
        f"stock-{warehouse.code}-{timezone.localtime(timezone.now(), warehouse.zone()):%Y%m%d-%H%M}"
    )
    return sheet_response(table, name=name, kind=kind, sheet=warehouse.code, bom=True)


ORDERS_PER_PAGE = 50
# What the order list shows besides one status: `open` is what is still in the warehouse.
ORDER_VIEWS = {
    "open": gettext_lazy("In the warehouse"),
    "due": gettext_lazy("Due to ship by today"),
    "late": gettext_lazy("Late to ship (past cut-off)"),
    "all": gettext_lazy("All orders"),
}
ORDER_SORT_LABELS = {
    "received": gettext_lazy("Newest first"),
    "ship": gettext_lazy("Ship date, soonest first"),
    "priority": gettext_lazy("Most urgent first"),
    "customer": gettext_lazy("Customer A–Z"),
}


@login_required
def orders_list(request: HttpRequest) -> HttpResponse:
    """The orders of the caller's warehouses, newest first, 50 to a page: those still in the
    warehouse (the default), due to ship by today on each warehouse's own calendar or past
    their cut-off (or closing time) on its clock,
    of one status, or all; shipping from one warehouse or any; found by reference, customer
    or ship-to (`q`, which searches all statuses unless told). A reference typed whole, or
    the only match, opens its order at once."""
    warehouses = warehouses_of(request.user)
    text = request.GET.get("q", "").strip()
    show = request.GET.get("show") or ("all" if text else "open")
    if show not in ORDER_VIEWS and show not in OrderStatus.values:
        show = "open"
    chosen = next((w for w in warehouses if w.code == request.GET.get("warehouse")), None)
    sort = request.GET.get("sort") or "received"
    if sort not in ORDER_SORT_LABELS:
        sort = "received"
    orders = shipping_selectors.orders_listed(
        warehouse_ids=[w.pk for w in warehouses], text=text, sort=sort
    )
    if chosen is not None:
        orders = orders.filter(warehouse=chosen)
    now = timezone.now()
    if show in ("open", "due", "late"):
        orders = orders.filter(status__in=ORDERS_NOT_GONE)
    if show == "due":
        orders = orders.filter(promised_by(warehouses, now))
    elif show == "late":
        orders = orders.filter(past_deadline(warehouses, now))
    elif show in OrderStatus.values:
        orders = orders.filter(status=show)
    # Promised ship dates from and until (both included), as the date inputs send them.
    dates: dict[str, datetime.date | None] = {}
    problems: list[str] = []
    for name, label, lookup in (
        ("from", _("Ship date from"), "promised_ship_date__gte"),
        ("until", _("Ship date until"), "promised_ship_date__lte"),
    ):
        dates[name], problem = _day_asked(request.GET.get(name, "").strip(), label)
        if problem:
            problems.append(problem)
        if dates[name] is not None:
            orders = orders.filter(**{lookup: dates[name]})
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return _orders_export(orders, warehouses, export)
    if text:
        exact = list(orders.filter(external_ref__iexact=text).values_list("pk", flat=True)[:2])
        if len(exact) == 1:
            return redirect("order", pk=exact[0])
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    if text and page.paginator.count == 1:
        return redirect("order", pk=page[0].pk)
    lines = shipping_selectors.order_line_counts(list(page))
    for order in page:
        order.line_count = lines.get(order.pk, 0)
        order.late = (
            order.status in ORDERS_NOT_GONE
            and order.warehouse is not None
            and shipping_selectors.ship_deadline(order, order.warehouse) < now
        )
    asked = request.GET.copy()
    asked.pop("page", None)
    asked.pop("export", None)
    unsorted = asked.copy()
    unsorted.pop("sort", None)
    return render(
        request,
        "dashboards/orders.html",
        {
            "text": text,
            "show": show,
            "views": ORDER_VIEWS,
            "statuses": OrderStatus.choices,
            "warehouses": warehouses,
            "warehouse": chosen,
            "page": page,
            "asked": asked.urlencode(),
            "unsorted": unsorted.urlencode(),
            "sort": sort,
            "sorts": ORDER_SORT_LABELS,
            "dates": dates,
            "problems": problems,
            "may_import": role_anywhere(request.user, PLANNING_ROLES),
            "flash": getattr(request, "flash", None),
            "import_problems": getattr(request, "import_problems", []),
        },
    )


ORDERS_EXPORTED_AT_MOST = 100_000


def _orders_export(orders: QuerySet, warehouses: list[Warehouse], kind: str) -> HttpResponse:
    """The listed orders as a CSV or XLSX sheet (at most 100,000, newest first), headed in
    the reader's language, times on the shipping warehouse's clock."""
    columns = {
        "external_ref": _("Order"),
        "customer__code": _("Customer code"),
        "customer__name": _("Customer"),
        "ship_to__name": _("Ship to"),
        "ship_to__city": _("City"),
        "warehouse__code": _("Ships from"),
        "status": _("Status"),
        "priority": _("Priority"),
        "lines": _("Lines"),  # counted apart: not a field
        "received_at": _("Received"),
        "promised_ship_date": _("Ship date"),
        "requested_delivery_date": _("Delivery"),
        "load__reference": _("Load"),
        "shipped_at": _("Shipped"),
        "delivered_at": _("Delivered"),
    }
    fields = [name for name in columns if name != "lines"]
    table = pd.DataFrame(
        list(orders.values("pk", *fields)[:ORDERS_EXPORTED_AT_MOST]), columns=["pk", *fields]
    )
    lines = shipping_selectors.order_line_counts(orders.values("pk")[:ORDERS_EXPORTED_AT_MOST])
    table["lines"] = table["pk"].map(lines).fillna(0).astype(int)
    table["status"] = table["status"].map({k: str(v) for k, v in OrderStatus.choices})
    table["priority"] = table["priority"].map({k: str(v) for k, v in Priority.choices})
    # Times on the shipping warehouse's clock, a whole column per time zone at once.
    zone_names = table["warehouse__code"].map({w.code: w.time_zone for w in warehouses})
    zone_names = zone_names.fillna(settings.TIME_ZONE)
    for at in ("received_at", "shipped_at", "delivered_at"):
        stamps = pd.to_datetime(table[at], utc=True)
        local = pd.Series(None, index=table.index, dtype=object)
        for zone in zone_names.unique():
            here = (zone_names == zone) & stamps.notna()
            local[here] = stamps[here].dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M")
        table[at] = local
    table = table[list(columns)].rename(columns=columns)
    name = f"orders-{timezone.now():%Y%m%d-%H%M}"
    return sheet_response(table, name=name, kind=kind, sheet="Orders", bom=True)


@login_required
def pack_bench(request: HttpRequest, pk: int) -> HttpResponse:
    """The packing bench for one order: what is picked and not yet packed, line by line, to
    close into as many units as the goods need (each its SSCC and label), and the units
    packed so far. The people of the floor pack; the dock's other people see it. Not found
    for anyone else. `?fragment=body` returns the part an action swaps in."""
    warehouse_ids = [
        pk
        for pk in warehouse_ids_for(request.user)
        if role_in(request.user, pk) in FLOOR_ROLES_HERE | PLANNING_ROLES
    ]
    packing = shipping_selectors.order_packing(order_id=pk, warehouse_ids=warehouse_ids)
    if packing is None:
        raise Http404
    order = packing["order"]
    packing.update(
        may_pack=role_in(request.user, order.warehouse_id) in FLOOR_ROLES_HERE
        and order.status in (OrderStatus.PICKED, OrderStatus.PACKED),
        flash=getattr(request, "flash", None),
    )
    template = _page_or_body(request, "dashboards/pack.html", "dashboards/_pack_body.html")
    return render_local(request, template, packing, order.warehouse)


@login_required
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Where an order is: what the office tells the customer who calls. Its times are on the
    clock of the warehouse shipping it. Not found for people of other warehouses."""
    story = shipping_selectors.order_story(
        order_id=pk, warehouse_ids=warehouse_ids_for(request.user)
    )
    if story is None:
        raise Http404
    order = story["order"]
    may_change = role_in(request.user, order.warehouse_id) in PLANNING_ROLES
    story.update(
        may_change=may_change and order.status in CHANGEABLE,
        may_cancel=may_change and OrderStatus.CANCELLED in ORDER_TRANSITIONS[order.status],
        edi=edi_of_order(order),
        consignee_url=request.build_absolute_uri(consignee_path(order.pk)),
        flash=getattr(request, "flash", None),
    )
    template = _page_or_body(request, "dashboards/order.html", "dashboards/_order_body.html")
    return render_local(request, template, story, order.warehouse)


# --- tickets --------------------------------------------------------------------------------


@login_required
def tickets_page(request: HttpRequest) -> HttpResponse:
    """The exceptions handed between the warehouse and the dispatch office: those waiting on
    the person's department first, then those with the other, then the week's resolved; a
    form to raise one, about what `?subject_type=&subject_id=` names (the order page's
    "Report a problem")."""
    warehouses, chosen = _warehouse_choice(request)
    ids = [w.pk for w in warehouses]
    context = {
        "warehouses": warehouses,
        "warehouse": chosen,
        "tickets": tickets_of(user=request.user, warehouse_ids=ids),
        "kinds": TicketKind.choices,
        "departments": Department.choices,
        "subject_types": TICKET_SUBJECTS,
        "subject_type": request.GET.get("subject_type", ""),
        "subject_id": request.GET.get("subject_id", ""),
        "flash": getattr(request, "flash", None),
    }
    template = _page_or_body(request, "dashboards/tickets.html", "dashboards/_tickets_body.html")
    return render_local(request, template, context, chosen)


# --- procedures and training ------------------------------------------------------------------


@login_required
def sops_page(request: HttpRequest) -> HttpResponse:
    """The warehouse's standard operating procedures, to read, and who of its floor is
    trained on each one's current version; a supervisor records a training here."""
    warehouses, chosen = _warehouse_choice(request)
    context = {
        "warehouses": warehouses,
        "warehouse": chosen,
        "board": sops_board(warehouse=chosen) if chosen else [],
        "may_train": chosen is not None and role_in(request.user, chosen.pk) in SOP_WRITER_ROLES,
        "scopes": SopScope.choices,
        "today": timezone.localdate(),
        "flash": getattr(request, "flash", None),
    }
    template = _page_or_body(request, "dashboards/sops.html", "dashboards/_sops_body.html")
    return render_local(request, template, context, chosen)


@login_required
def suppliers_page(request: HttpRequest) -> HttpResponse:
    """The suppliers the warehouses receive from, for everyone (the dock calls their phones):
    each one's code, name, the EDI ID its 856s come from, phone, and whether it is active;
    who keeps the master data (`MASTER_DATA_ROLES`) adds or changes one here by its code."""
    context = {
        "suppliers": selectors.suppliers_listed(),
        "may_edit": role_anywhere(request.user, MASTER_DATA_ROLES),
        "flash": getattr(request, "flash", None),
    }
    template = _page_or_body(
        request, "dashboards/suppliers.html", "dashboards/_suppliers_body.html"
    )
    return render(request, template, context)


EDI_STATUS = {
    "taken": gettext_lazy("Taken"),
    "refused": gettext_lazy("Refused"),
    "sent": gettext_lazy("Sent, no 997 yet"),
    "997 A": gettext_lazy("Acknowledged"),
    "997 E": gettext_lazy("Acknowledged with errors"),
    "997 P": gettext_lazy("Partly accepted"),
    "997 R": gettext_lazy("Rejected"),
}


@login_required
def edi_log(request: HttpRequest) -> HttpResponse:
    """What went to and came from the partners by EDI, for the office and whoever keeps the
    integrations, newest first: each interchange received (taken, or refused and why), each
    sent (945, 856, 204, 820) with what the partner's 997 said and a 204's answer, a sent one's
    document a click away. `?partner=` narrows it to partners whose EDI ID holds the text,
    `?control=` to control numbers holding it, `?until=` (a day) to those up to that day's
    end, on the site's clock; a day that is not one is said so, and not used."""
    if not role_anywhere(request.user, EDI_LOG_ROLES):
        raise PermissionDenied
    partner = request.GET.get("partner", "")[:40]
    control = "".join(c for c in request.GET.get("control", "") if c.isdigit())[:9]
    until, problem = _day_asked(request.GET.get("until", "").strip()[:10], _("Until"))
    if problem:
        request.flash = {"good": False, "text": problem}  # type: ignore[attr-defined]
    before = (
        datetime.datetime.combine(
            until + datetime.timedelta(days=1),
            datetime.time(),
            tzinfo=timezone.get_current_timezone(),
        )
        if until is not None
        else None
    )
    rows = edi_traffic(
        warehouse_ids=warehouse_ids_for(request.user),
        partner=partner,
        control=control,
        before=before,
    )
    for row in rows:
        row["status_text"] = EDI_STATUS.get(row["status"], row["status"])
    template = _page_or_body(request, "dashboards/edi.html", "dashboards/_edi_body.html")
    return render(
        request,
        template,
        {
            "rows": rows,
            "partner": partner,
            "control": control,
            "until": until.isoformat() if until else "",
            "limit": EDI_LOG_LIMIT,
            "bills_open": freight_bills_open(warehouse_ids=warehouse_ids_for(request.user)),
            "flash": getattr(request, "flash", None),
        },
    )


@login_required
def freight_bills_page(request: HttpRequest) -> HttpResponse:
    """The carriers' bills (X12 210), for the office: those still to settle first (`?show=all`
    for all, newest first), each with what the carrier's tariff priced the trip at and by how
    much it bills above; `?find=` an invoice number, a load or a carrier. Who settles bills in
    a bill's warehouse (`FREIGHT_BILL_ROLES`) settles it here: paid as billed, at the tariff,
    or refused, with a note saying why. Above them, per warehouse, the bills decided that
    wait for its payment run, which that office may send now."""
    if not role_anywhere(request.user, EDI_LOG_ROLES):
        raise PermissionDenied
    show_all = request.GET.get("show") == "all"
    find = request.GET.get("find", "").strip()[:40]
    ids = warehouse_ids_for(request.user)
    bills = freight_bills(warehouse_ids=ids, open_only=not show_all, find=find)
    settles = {w for w in ids if role_in(request.user, w) in FREIGHT_BILL_ROLES}
    template = _page_or_body(request, "dashboards/bills.html", "dashboards/_bills_body.html")
    return render(
        request,
        template,
        {
            "bills": [
                {
                    "bill": bill,
                    "over_pct": round(bill.over / bill.tariff * 100, 1)
                    if bill.over is not None and bill.tariff
                    else None,
                    "may_settle": bill.status in INVOICES_OPEN
                    and bill.shipment.load.warehouse_id in settles,
                }
                for bill in bills
            ],
            "open": freight_bills_open(warehouse_ids=ids),
            "runs": [
                {**run, "may_send": run["warehouse_id"] in settles}
                for run in bills_waiting_for_run(warehouse_ids=ids)
            ],
            "run_at": settings.HANDOFF_PAYMENT_RUN_AT,
            "show_all": show_all,
            "find": find,
            "limit": FREIGHT_BILLS_LIMIT,
            "flash": getattr(request, "flash", None),
        },
    )


# --- the cold chain's temperature log -----------------------------------------------------------

LOG_DAYS_MOST = 31


@login_required
def sensor_log(request: HttpRequest, device: str) -> HttpResponse:
    """A sensor's temperature log, for the food-safety inspector or the customer's claim: each
    reading on the warehouse's clock, in range or not, as XLSX (or `?format=csv`), for the
    last `?days=` (7 by default, 31 at most)."""
    sensor = sensor_of_device(device, warehouse_ids_for(request.user))
    if sensor is None:
        raise Http404
    days = min(max(whole_number(request.GET.get("days")) or 7, 1), LOG_DAYS_MOST)
    kind = "csv" if request.GET.get("format") == "csv" else "xlsx"
    zone = sensor.warehouse.zone()
    rows = sensor_readings(
        sensor=sensor, since=timezone.now() - datetime.timedelta(days=days), limit=31 * 24 * 60
    )
    table = pd.DataFrame(
        [
            {
                _("Time"): timezone.localtime(r.at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                _("°C"): float(r.temperature),
                _("% RH"): float(r.humidity) if r.humidity is not None else None,
                _("In range"): _("yes")
                if sensor.out_of_range(r.temperature, r.humidity) is None
                else _("no"),
            }
            for r in rows
        ],
        columns=[_("Time"), _("°C"), _("% RH"), _("In range")],
    )
    name = f"{sensor.device}-{timezone.localdate():%Y%m%d}-{days}d"
    return sheet_response(table, name=name, kind=kind, sheet=sensor.device[:31], bom=True)


@login_required
def lots_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Quality holds and a lot's trace, for everyone of a warehouse: the lots on hold, with
    why and since when; a lot found by its item (SKU or GTIN) and code; and a lot's trace in
    the reader's warehouses: its receipts and suppliers, where it is, what is packed of it,
    and the customers it went to (the recall's list, as CSV or XLSX with `?export=`). Who may
    (`QUALITY_HOLD_ROLES`) holds the lot here, or lifts its hold; the floor or quality
    (`LOT_PULL_ROLES`) takes a held lot's picked or packed goods back out of their orders."""
    ids = warehouse_ids_for(request.user)
    if not ids:
        raise PermissionDenied
    _, chosen = _warehouse_choice(request)
    item_code = request.GET.get("item", "")[:60]
    lot_code = request.GET.get("lot", "")[:40]
    found = selectors.lots_found(item_code=item_code, lot_code=lot_code) if item_code else []
    if pk is None and lot_code and len(found) == 1:
        return redirect("lot", pk=found[0].pk)
    lot = get_object_or_404(Lot.objects.select_related("item"), pk=pk) if pk else None
    trace = shipping_selectors.lot_trace(lot=lot, warehouse_ids=ids) if lot else None
    kind = request.GET.get("export", "")
    if trace is not None and kind in ("csv", "xlsx"):
        return _recall_export(trace, kind, chosen)
    room = whole_number(request.GET.get("zone")) if lot is None else None
    zone = Zone.objects.filter(pk=room, warehouse_id__in=ids).first() if room else None
    context = {
        "held": selectors.lots_held(),
        "item_code": item_code,
        "lot_code": lot_code,
        "found": found,
        "searched": bool(item_code),
        "lot": lot,
        "trace": trace,
        "may_hold": role_anywhere(request.user, QUALITY_HOLD_ROLES),
        "may_pull": role_anywhere(request.user, LOT_PULL_ROLES),
        "flash": getattr(request, "flash", None),
        "zone": zone,
    }
    if zone is not None:
        in_zone, no_lot = selectors.lots_in_zone(zone)
        context.update(
            zone_lots=in_zone,
            zone_no_lot=no_lot,
            zone_to_hold=[row for row in in_zone if row["lot"].held_at is None],
            zone_reason=_excursion_said(zone),
        )
    template = _page_or_body(request, "dashboards/lots.html", "dashboards/_lots_body.html")
    # Times on the clock of the room's warehouse, else of the reader's first (`?warehouse=`).
    return render_local(request, template, context, zone.warehouse if zone else chosen)


def _excursion_said(zone: Zone) -> str:
    """A hold's reason for the lots of a room, from its latest excursion, in the reader's
    language and on its warehouse's clock; empty if it never had one."""
    excursion = zone_excursion_latest(zone.pk)
    if excursion is None:
        return ""
    clock = zone.warehouse.zone()
    values = {
        "kind": excursion.get_kind_display(),
        "room": zone.name or zone.code,
        "start": f"{timezone.localtime(excursion.started_at, clock):%Y-%m-%d %H:%M}",
        "worst": f"{excursion.worst:.1f} {'%' if excursion.kind == 'humid' else '°C'}",
    }
    if excursion.ended_at is None:
        return _("%(kind)s in %(room)s since %(start)s, at worst %(worst)s") % values
    values["end"] = f"{timezone.localtime(excursion.ended_at, clock):%H:%M}"
    return _("%(kind)s in %(room)s from %(start)s to %(end)s, at worst %(worst)s") % values


def _recall_export(trace: dict, kind: str, warehouse: Warehouse | None) -> HttpResponse:
    """The customers a lot went to, one row a unit shipped, headed in the reader's language,
    times on the warehouse's clock: the recall's call list."""
    clock = warehouse.zone() if warehouse else timezone.get_current_timezone()
    columns = {
        "customer": _("Customer"),
        "customer_code": _("Customer code"),
        "ship_to": _("Ship-to"),
        "address": _("Address"),
        "city": _("City"),
        "order": _("Order"),
        "quantity": _("Units"),
        "sscc": _("SSCC"),
        "shipment": _("Shipment"),
        "departed_at": _("Departed"),
        "delivered_at": _("Delivered"),
        "warehouse": _("Warehouse"),
    }
    table = pd.DataFrame(trace["shipped"], columns=list(columns))
    for when in ("departed_at", "delivered_at"):
        table[when] = table[when].map(
            lambda at: timezone.localtime(at, clock).strftime("%Y-%m-%d %H:%M") if at else ""
        )
    table = table.rename(columns=columns)
    lot = trace["lot"]
    return sheet_response(
        table, name=f"recall-{lot['item']}-{lot['code']}", kind=kind, sheet=lot["code"], bom=True
    )
