"""KPIs both departments share, computed with pandas from plain frames.

Every function takes frames with the columns its docstring names and returns plain Python
numbers (None when the range holds nothing to measure), so they are tested on small,
hand-made data and fed by `dashboards.selectors` in production.
"""

from typing import Any

import numpy as np
import pandas as pd

from core.names import name_key


def _hours(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Hours from `earlier` to `later`, row by row (NaN where either is missing)."""
    return _span(later, earlier) / np.timedelta64(1, "h")


def _minutes(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Minutes from `earlier` to `later`, row by row (NaN where either is missing)."""
    return _span(later, earlier) / np.timedelta64(1, "m")


def _span(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    # On bare datetime64 arrays (UTC instants): what a trend asks once per day costs a
    # fraction of the zone-aware Series arithmetic, with the same numbers.
    return later.to_numpy(dtype="datetime64[ns]") - earlier.to_numpy(dtype="datetime64[ns]")


def _stats(values: np.ndarray, digits: int = 1) -> dict[str, float | None]:
    # On the bare array: the same median and p90 (linear interpolation, as pandas) at a
    # fraction of the cost, which counts when a trend asks once per day.
    array = values[~np.isnan(values)]
    if not array.size:
        return {"median": None, "p90": None, "count": 0}
    return {
        "median": round(float(np.median(array)), digits),
        "p90": round(float(np.quantile(array, 0.9)), digits),
        "count": int(array.size),
    }


def _share(flags: pd.Series) -> float | None:
    flags = flags.dropna()
    return round(float(flags.mean()), 4) if not flags.empty else None


def order_cycle_time(orders: pd.DataFrame) -> dict[str, Any]:
    """Hours from received to shipped and to delivered (median, p90), over orders that got
    there. Columns: received_at, shipped_at, delivered_at."""
    return {
        "to_shipped_h": _stats(_hours(orders["shipped_at"], orders["received_at"])),
        "to_delivered_h": _stats(_hours(orders["delivered_at"], orders["received_at"])),
    }


def on_time_shipping(orders: pd.DataFrame) -> float | None:
    """Share of shipped orders that left on or before their promised ship date.
    Columns: shipped_on (date), promised_ship_date."""
    shipped = orders["shipped_on"].notna()  # a mask, not a copy of the frame: once a day
    return _share(orders["shipped_on"][shipped] <= orders["promised_ship_date"][shipped])


def otif(orders: pd.DataFrame) -> float | None:
    """On time in full: of delivered (or refused / partly delivered) orders, the share
    delivered complete on or before the requested date. Columns: delivered_on,
    requested_delivery_date, outcome (delivered, partial, refused)."""
    done = orders["outcome"].notna()
    delivered_on = orders["delivered_on"][done]
    on_time = delivered_on.notna() & (delivered_on <= orders["requested_delivery_date"][done])
    return _share(on_time & (orders["outcome"][done] == "delivered"))


def backorder_rate(orders: pd.DataFrame) -> float | None:
    """Share of orders that had to wait for stock. Columns: ever_backordered."""
    return _share(orders["ever_backordered"].astype(bool)) if not orders.empty else None


def inventory_record_accuracy(counts: pd.DataFrame) -> float | None:
    """Share of counted positions whose count matched the books.
    Columns: system_quantity, counted_quantity."""
    if counts.empty:
        return None
    return _share(counts["system_quantity"] == counts["counted_quantity"])


def dock_to_stock(putaways: pd.DataFrame) -> dict[str, float | None]:
    """Minutes from goods received on the dock to put away. Columns: created_at, done_at."""
    return _stats(_minutes(putaways["done_at"], putaways["created_at"]))


def pick_rate(picks: pd.DataFrame) -> float | None:
    """Pick lines per operator hour: confirmed pick tasks over the (operator, clock hour)
    slots in which each operator picked. Columns: done_by_id, done_at."""
    picks = picks.dropna(subset=["done_by_id", "done_at"])
    if picks.empty:
        return None
    slots = picks.assign(hour=picks["done_at"].dt.floor("h"))[["done_by_id", "hour"]]
    return round(len(picks) / len(slots.drop_duplicates()), 1)


def vehicle_fill(loads: pd.DataFrame) -> dict[str, float | None]:
    """Mean weight and volume fill (%) of departed loads. Columns: weight_fill_pct,
    volume_fill_pct."""

    def mean(column: str) -> float | None:
        values = loads[column].dropna()
        return round(float(values.mean()), 1) if not values.empty else None

    return {"weight_pct": mean("weight_fill_pct"), "volume_pct": mean("volume_fill_pct")}


def freight_cost_per_order(loads: pd.DataFrame) -> float | None:
    """What the departed loads cost by their tariffs, per order they shipped: the loads whose
    cost was known when they left, their costs summed over their orders. Columns:
    freight_cost, orders."""
    known = loads.dropna(subset=["freight_cost"])
    orders = known["orders"].astype(float).sum()
    if not orders:
        return None
    return round(float(known["freight_cost"].astype(float).sum() / orders), 2)


def truck_dwell(visits: pd.DataFrame) -> dict[str, float | None]:
    """Minutes from gate check-in to check-out. Columns: checked_in_at, checked_out_at."""
    return _stats(_minutes(visits["checked_out_at"], visits["checked_in_at"]))


def alert_response(alerts: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """Minutes from an alert opening to someone acknowledging it, by owning department.
    Columns: department, opened_at, acknowledged_at."""
    out = {}
    for department in ("warehouse", "logistics"):
        mine = alerts[alerts["department"] == department]
        out[department] = _stats(_minutes(mine["acknowledged_at"], mine["opened_at"]))
    return out


def _over(invoices: pd.DataFrame) -> float | None:
    """How far the bills with a tariff known come above it, as a share of it: their
    amounts summed over their tariffs summed, less one (0.05: 5% over)."""
    priced = invoices.dropna(subset=["tariff"])
    tariff = priced["tariff"].astype(float).sum()
    if not tariff:
        return None
    return round(float(priced["amount"].astype(float).sum() / tariff - 1), 4)


# A tender's answers that count in a carrier's shares: those it gave, and its silence.
TENDER_ANSWERS = ("accepted", "declined", "lapsed")


def carrier_scorecard(
    frames: dict[str, pd.DataFrame], names: dict[str, str]
) -> list[dict[str, Any]]:
    """Per carrier with anything in the range (most loads first): the loads that left on its
    trucks and the orders they took, their mean weight fill, freight cost per order and the
    OTIF of their orders (as the board's KPIs, on its loads only), the median minutes its
    trucks stood at the gate, the loads offered to it by EDI 204, the shares of those it
    answered or let lapse that it accepted, declined and let lapse, the median minutes it
    took to answer, and how far its bills (X12 210) came above its tariff. Frames as `dashboards.selectors.carrier_frames` gives them; `names`:
    code -> name."""
    codes: set[str] = set()
    for frame in frames.values():
        codes.update(str(code) for code in frame["carrier"].dropna())
    rows = []
    for code in codes:
        of = {name: frame[frame["carrier"] == code] for name, frame in frames.items()}
        tenders = of["tenders"]
        settled = tenders[tenders["answer"].isin(TENDER_ANSWERS)]
        answered = settled[settled["answer"] != "lapsed"]
        rows.append(
            {
                "carrier": code,
                "name": names.get(code, code),
                "loads": len(of["loads"]),
                "orders": int(of["loads"]["orders"].astype(float).sum()),
                "weight_fill_pct": vehicle_fill(of["loads"])["weight_pct"],
                "freight_cost_per_order": freight_cost_per_order(of["loads"]),
                "otif": otif(of["deliveries"]),
                "dwell_min": truck_dwell(of["visits"])["median"],
                "tenders": len(tenders),
                "accepted": _share(settled["answer"] == "accepted"),
                "declined": _share(settled["answer"] == "declined"),
                "lapsed": _share(settled["answer"] == "lapsed"),
                "answer_min": _stats(_minutes(answered["answered_at"], answered["issued_at"]))[
                    "median"
                ],
                "billed_over_tariff": _over(of["invoices"]),
            }
        )
    return sorted(rows, key=lambda r: (-r["loads"], -r["tenders"], r["carrier"]))


# A supplier's truck at its door this many minutes after the hold began is still on time.
SUPPLIER_GRACE_MIN = 15


def supplier_scorecard(frames: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Per supplier with anything in the range (most receipts first): the receipts closed,
    the share of them that came in full (no line short), the units received of those
    expected, its trucks at the doors held for them, the share of those at the gate by the
    hold's start and `SUPPLIER_GRACE_MIN` minutes, the median minutes they came after the
    hold's start (early is negative), and the median minutes they stood at the door. A
    supplier is one by `name_key` (case and spaces aside), named as most of its rows spell
    it. Frames as `dashboards.selectors.supplier_frames` gives them."""
    spellings: dict[str, list[str]] = {}
    keyed: dict[str, pd.DataFrame] = {}
    for kind, frame in frames.items():
        names = frame["supplier"].fillna("").astype(str)
        keys = names.map(name_key)
        keyed[kind] = frame.assign(key=keys)
        for key, name in zip(keys, names, strict=True):
            if key:
                spellings.setdefault(key, []).append(" ".join(name.split()))
    rows = []
    for key, spelled in spellings.items():
        receipts = keyed["receipts"][keyed["receipts"]["key"] == key]
        visits = keyed["visits"][keyed["visits"]["key"] == key]
        expected = receipts["expected"].astype(float).sum()
        late = _minutes(visits["checked_in_at"], visits["starts_at"])
        rows.append(
            {
                "supplier": max(sorted(set(spelled)), key=spelled.count),
                "receipts": len(receipts),
                "in_full": _share(receipts["short"].astype(int) == 0),
                "units_received": (
                    round(float(receipts["received"].astype(float).sum() / expected), 4)
                    if expected
                    else None
                ),
                "trucks": len(visits),
                "on_time": _share(pd.Series(late <= SUPPLIER_GRACE_MIN)) if len(visits) else None,
                "late_min": _stats(late)["median"],
                "dwell_min": truck_dwell(visits)["median"],
            }
        )
    return sorted(rows, key=lambda r: (-r["receipts"], -r["trucks"], r["supplier"]))


def periods(frame: pd.DataFrame, when: str, freq: str = "D") -> list[tuple[str, pd.DataFrame]]:
    """The frame's rows per day ("D") or week ("W-SUN": Monday to Sunday) of `when`, as
    (first day, rows), for the periods with data, in order. Made once, it serves every trend
    of that frame."""
    if frame.empty:
        return []
    frame = frame.dropna(subset=[when])
    keys = frame[when].dt.tz_localize(None).dt.to_period(freq)
    return [
        (str(period.start_time.date()), group) for period, group in frame.groupby(keys, sort=True)
    ]


def trend(  # type: ignore[no-untyped-def]
    frame: pd.DataFrame,
    when: str,
    measure,
    freq: str = "D",
    split: list[tuple[str, pd.DataFrame]] | None = None,
) -> list[dict[str, Any]]:
    """`measure(sub_frame)` per day ("D") or week ("W-SUN": Monday to Sunday), for the periods
    with data; `split`, if given, is `periods(frame, when, freq)` made already."""
    if split is None:
        split = periods(frame, when, freq)
    return [{"period": label, "value": measure(group)} for label, group in split]
