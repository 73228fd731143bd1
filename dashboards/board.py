"""The KPI board of one warehouse and date range: every KPI, with its trend."""

import datetime
from collections.abc import Callable
from typing import Any

import pandas as pd
from django.core.cache import cache

from core.models import Event
from dashboards import kpis
from dashboards.selectors import carrier_frames, kpi_frames, supplier_frames
from shipping.models import Carrier

# KPI name -> (frame, time column for the trend, measure)
MEASURES = {
    "order_cycle_time_h": (
        "orders",
        "received_at",
        lambda f: kpis.order_cycle_time(f)["to_shipped_h"]["median"],
    ),
    "order_to_delivery_h": (
        "orders",
        "received_at",
        lambda f: kpis.order_cycle_time(f)["to_delivered_h"]["median"],
    ),
    "on_time_shipping": ("orders", "received_at", kpis.on_time_shipping),
    "otif": ("orders", "received_at", kpis.otif),
    "backorder_rate": ("orders", "received_at", kpis.backorder_rate),
    "inventory_record_accuracy": ("counts", "done_at", kpis.inventory_record_accuracy),
    "dock_to_stock_min": ("putaways", "done_at", lambda f: kpis.dock_to_stock(f)["median"]),
    "pick_lines_per_operator_hour": ("picks", "done_at", kpis.pick_rate),
    "vehicle_weight_fill_pct": (
        "loads",
        "departed_at",
        lambda f: kpis.vehicle_fill(f)["weight_pct"],
    ),
    "vehicle_volume_fill_pct": (
        "loads",
        "departed_at",
        lambda f: kpis.vehicle_fill(f)["volume_pct"],
    ),
    "freight_cost_per_order": ("loads", "departed_at", kpis.freight_cost_per_order),
    "truck_dwell_min": ("visits", "checked_in_at", lambda f: kpis.truck_dwell(f)["median"]),
    "supplier_dwell_min": ("inbound", "checked_in_at", lambda f: kpis.truck_dwell(f)["median"]),
    "alert_response_warehouse_min": (
        "alerts",
        "opened_at",
        lambda f: kpis.alert_response(f)["warehouse"]["median"],
    ),
    "alert_response_logistics_min": (
        "alerts",
        "opened_at",
        lambda f: kpis.alert_response(f)["logistics"]["median"],
    ),
}


# Ranges longer than this are computed by a Celery task while the page shows its progress.
LONG_RANGE = datetime.timedelta(days=92)

Progress = Callable[[int, int], None]


def _key(warehouse_id: int, start: datetime.datetime, end: datetime.datetime, freq: str) -> str:
    # The newest event's uuid, not its id: ids restart when a database is recreated.
    newest = Event.objects.order_by("-id").values_list("uuid", flat=True).first() or "none"
    return f"kpi-board:{warehouse_id}:{start.isoformat()}:{end.isoformat()}:{freq}:{newest}"


def kpi_board_cached(
    *, warehouse_id: int, start: datetime.datetime, end: datetime.datetime, freq: str = "D"
) -> dict[str, Any] | None:
    """The board if it was computed since the last change, else None."""
    return cache.get(_key(warehouse_id, start, end, freq))


def kpi_board(
    *,
    warehouse_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    freq: str = "D",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Each KPI over [start, end) and its trend per day ("D") or week ("W-SUN": Monday to Sunday).

    Cached under the newest event: every change writes an event, so a cached board is
    served only while nothing has changed since it was computed. `progress(done, total)` is
    called as the parts are computed (reading the rows counts as the first part).
    """
    key = _key(warehouse_id, start, end, freq)
    board = cache.get(key)
    if board is None:
        board = _compute(
            warehouse_id=warehouse_id, start=start, end=end, freq=freq, progress=progress
        )
        cache.set(key, board, timeout=3600)
    return board


def _compute(
    *,
    warehouse_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    freq: str,
    progress: Progress | None = None,
) -> dict[str, Any]:
    total = len(MEASURES) + 1
    frames = kpi_frames(warehouse_id=warehouse_id, start=start, end=end)
    if progress:
        progress(1, total)
    board = {}
    split: dict[tuple[str, str], list[tuple[str, pd.DataFrame]]] = {}  # one split per frame
    for done, (name, (frame, when, measure)) in enumerate(MEASURES.items(), start=2):
        if (frame, when) not in split:
            split[frame, when] = kpis.periods(frames[frame], when, freq)
        board[name] = {
            "value": measure(frames[frame]),
            "trend": kpis.trend(frames[frame], when, measure, freq, split=split[frame, when]),
        }
        if progress:
            progress(done, total)
    return board


def scorecards(
    *, warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> dict[str, list[dict[str, Any]]]:
    """Each carrier's scorecard over [start, end) (`carriers`: `kpis.carrier_scorecard`) and
    each supplier's (`suppliers`: `kpis.supplier_scorecard`), cached as the board is: under
    the newest event."""
    key = _key(warehouse_id, start, end, "cards")
    cards = cache.get(key)
    if cards is None:
        names = dict(Carrier.objects.values_list("code", "name"))
        of_carriers = carrier_frames(warehouse_id=warehouse_id, start=start, end=end)
        of_suppliers = supplier_frames(warehouse_id=warehouse_id, start=start, end=end)
        cards = {
            "carriers": kpis.carrier_scorecard(of_carriers, names),
            "suppliers": kpis.supplier_scorecard(of_suppliers),
        }
        cache.set(key, cards, timeout=3600)
    return cards


def kpi_table(board: dict[str, Any]) -> pd.DataFrame:
    """One row per KPI and period (plus the whole range), for CSV and XLSX export."""
    rows = []
    for name, kpi in board.items():
        rows.append({"kpi": name, "period": "range", "value": kpi["value"]})
        rows += [{"kpi": name, "period": p["period"], "value": p["value"]} for p in kpi["trend"]]
    return pd.DataFrame(rows, columns=["kpi", "period", "value"])
