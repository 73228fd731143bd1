"""KPIs against numbers worked out by hand on small data, including empty ranges and
missing events (an order never shipped, an alert never acknowledged)."""

import datetime

import pandas as pd
import pytest

from dashboards import kpis

T0 = pd.Timestamp("2026-11-02 08:00", tz="UTC")


def h(hours: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours)


def d(day: int) -> datetime.date:
    return datetime.date(2026, 11, day)


@pytest.fixture
def orders() -> pd.DataFrame:
    # Shipped after 4, 6, 20 h; delivered after 10 and 30 h; one never shipped.
    return pd.DataFrame(
        {
            "received_at": [T0, T0, T0, T0],
            "shipped_at": [h(4), h(6), h(20), pd.NaT],
            "delivered_at": [h(10), pd.NaT, h(30), pd.NaT],
            "shipped_on": [d(2), d(2), d(3), None],
            "promised_ship_date": [d(2), d(2), d(2), d(2)],
            "delivered_on": [d(2), None, d(3), None],
            "requested_delivery_date": [d(3), d(3), d(3), d(3)],
            "outcome": ["delivered", "refused", "partial", None],
            "ever_backordered": [False, False, True, True],
        }
    )


def test_cycle_times_use_only_orders_that_got_there(orders):
    times = kpis.order_cycle_time(orders)
    assert times["to_shipped_h"] == {
        "median": 6.0,
        "p90": 17.2,
        "count": 3,
    }  # 4,6,20: p90 = 6+0.8*14
    assert times["to_delivered_h"] == {"median": 20.0, "p90": 28.0, "count": 2}


def test_on_time_shipping_otif_and_backorders(orders):
    assert kpis.on_time_shipping(orders) == pytest.approx(2 / 3, abs=1e-4)
    # Of three finished orders only the first came complete and on time.
    assert kpis.otif(orders) == pytest.approx(1 / 3, abs=1e-4)
    assert kpis.backorder_rate(orders) == 0.5


def test_accuracy_dock_to_stock_pick_rate_fill_dwell_and_alert_response():
    counts = pd.DataFrame({"system_quantity": [5, 3, 0, 7], "counted_quantity": [5, 2, 0, 7]})
    assert kpis.inventory_record_accuracy(counts) == 0.75
    putaways = pd.DataFrame({"created_at": [T0, T0, T0], "done_at": [h(0.5), h(1), h(2)]})
    assert kpis.dock_to_stock(putaways)["median"] == 60.0
    # Operator 1 picks 3 lines in the 08:00 hour and 1 in the 09:00 hour; operator 2 two at 08:00.
    picks = pd.DataFrame(
        {
            "done_by_id": [1, 1, 1, 1, 2, 2],
            "done_at": [h(0.1), h(0.2), h(0.9), h(1.5), h(0.3), h(0.4)],
        }
    )
    assert kpis.pick_rate(picks) == 2.0  # 6 lines over 3 operator hours
    loads = pd.DataFrame(
        {"weight_fill_pct": [50.0, 90.0, None], "volume_fill_pct": [40.0, 60.0, 80.0]}
    )
    assert kpis.vehicle_fill(loads) == {"weight_pct": 70.0, "volume_pct": 60.0}
    # ¥300 for 5 orders and ¥100 for 3; a load with no tariff known does not count.
    costs = pd.DataFrame({"freight_cost": [300.0, None, 100.0], "orders": [5, 3, 3]})
    assert kpis.freight_cost_per_order(costs) == 50.0
    assert kpis.freight_cost_per_order(costs.iloc[1:2]) is None
    visits = pd.DataFrame({"checked_in_at": [T0, T0], "checked_out_at": [h(0.5), h(1.5)]})
    assert kpis.truck_dwell(visits)["median"] == 60.0
    alerts = pd.DataFrame(
        {
            "department": ["warehouse", "warehouse", "logistics"],
            "opened_at": [T0, T0, T0],
            "acknowledged_at": [h(0.25), pd.NaT, h(1)],  # one never acknowledged
        }
    )
    response = kpis.alert_response(alerts)
    assert response["warehouse"] == {"median": 15.0, "p90": 15.0, "count": 1}
    assert response["logistics"]["median"] == 60.0


def test_an_empty_range_gives_no_numbers_and_no_errors():
    empty_orders = pd.DataFrame(
        columns=[
            "received_at",
            "shipped_at",
            "delivered_at",
            "shipped_on",
            "promised_ship_date",
            "delivered_on",
            "requested_delivery_date",
            "outcome",
            "ever_backordered",
        ]
    )
    for column in ("received_at", "shipped_at", "delivered_at"):
        empty_orders[column] = pd.to_datetime(empty_orders[column], utc=True)
    assert kpis.order_cycle_time(empty_orders)["to_shipped_h"] == {
        "median": None,
        "p90": None,
        "count": 0,
    }
    assert kpis.on_time_shipping(empty_orders) is None
    assert kpis.otif(empty_orders) is None
    assert kpis.backorder_rate(empty_orders) is None
    assert (
        kpis.inventory_record_accuracy(
            pd.DataFrame(columns=["system_quantity", "counted_quantity"])
        )
        is None
    )
    assert kpis.pick_rate(pd.DataFrame(columns=["done_by_id", "done_at"])) is None
    assert kpis.trend(empty_orders, "received_at", kpis.backorder_rate) == []


def test_trends_group_by_day_and_by_week(orders):
    later = orders.assign(
        received_at=[T0, T0, T0 + pd.Timedelta(days=1), T0 + pd.Timedelta(days=8)]
    )
    daily = kpis.trend(later, "received_at", kpis.backorder_rate)
    assert daily == [
        {"period": "2026-11-02", "value": 0.0},
        {"period": "2026-11-03", "value": 1.0},
        {"period": "2026-11-10", "value": 1.0},
    ]
    weekly = kpis.trend(later, "received_at", kpis.backorder_rate, freq="W-SUN")
    assert [w["period"] for w in weekly] == ["2026-11-02", "2026-11-09"]  # weeks start Monday


def test_each_carrier_s_scorecard_counts_its_own_loads_deliveries_gate_and_tenders():
    """Deppon took two loads (5 and 3 orders, ¥300 and ¥100), one order delivered late of two
    told; its trucks stood 30 and 90 minutes at the gate; of 4 loads offered it accepted 2
    (in 10 and 30 minutes), declined 1 and let 1 lapse. SF was offered one, still open."""
    frames = {
        "loads": pd.DataFrame(
            {
                "carrier": ["DEPPON", "DEPPON"],
                "weight_fill_pct": [80.0, 60.0],
                "volume_fill_pct": [50.0, 50.0],
                "freight_cost": [300.0, 100.0],
                "orders": [5, 3],
            }
        ),
        "deliveries": pd.DataFrame(
            {
                "carrier": ["DEPPON", "DEPPON", "DEPPON"],
                "requested_delivery_date": [d(3), d(3), d(3)],
                "delivered_on": [d(3), d(4), None],
                "outcome": ["delivered", "delivered", None],
            }
        ),
        "visits": pd.DataFrame(
            {
                "carrier": ["DEPPON", "DEPPON"],
                "checked_in_at": [T0, T0],
                "checked_out_at": [h(0.5), h(1.5)],
            }
        ),
        "tenders": pd.DataFrame(
            {
                "carrier": ["DEPPON"] * 4 + ["SFEX"],
                "answer": ["accepted", "accepted", "declined", "lapsed", "pending"],
                "issued_at": [T0] * 5,
                "answered_at": [h(10 / 60), h(0.5), h(1), pd.NaT, pd.NaT],
            }
        ),
    }
    # Its bills: ¥152 and ¥230 for two trips its tariff priced at ¥150 each; one unpriced.
    frames["invoices"] = pd.DataFrame(
        {"carrier": ["DEPPON"] * 3, "amount": [152.0, 230.0, 99.0], "tariff": [150.0, 150.0, None]}
    )
    deppon, sf = kpis.carrier_scorecard(frames, {"DEPPON": "Deppon"})
    assert deppon == {
        "carrier": "DEPPON",
        "name": "Deppon",
        "loads": 2,
        "orders": 8,
        "weight_fill_pct": 70.0,
        "freight_cost_per_order": 50.0,
        "otif": 0.5,
        "dwell_min": 60.0,
        "tenders": 4,
        "accepted": 0.5,
        "declined": 0.25,
        "lapsed": 0.25,
        "answer_min": 30.0,  # 10, 30 and 60: the median
        "billed_over_tariff": 0.2733,  # 382 for 300
    }
    assert sf["carrier"] == "SFEX" and sf["name"] == "SFEX"
    assert (sf["loads"], sf["tenders"], sf["accepted"], sf["otif"]) == (0, 1, None, None)
    assert sf["billed_over_tariff"] is None


def test_a_supplier_is_one_however_its_receipts_spell_it():
    """Three receipts of Yili spelled three ways and one of Mengniu: two suppliers, Yili named
    as most of its rows spell it."""
    start = pd.Timestamp("2026-12-07 08:00", tz="Asia/Shanghai")
    frames = {
        "receipts": pd.DataFrame(
            {
                "supplier": ["Yili", "YILI ", "yili", "Yili", "Mengniu"],
                "expected": [10, 10, 10, 10, 5],
                "received": [10, 10, 8, 10, 5],
                "short": [0, 0, 1, 0, 0],
            }
        ),
        "visits": pd.DataFrame(
            {
                "supplier": ["Yili  "],
                "starts_at": [start],
                "checked_in_at": [start + pd.Timedelta(minutes=20)],
                "checked_out_at": [start + pd.Timedelta(minutes=50)],
            }
        ),
    }
    yili, mengniu = kpis.supplier_scorecard(frames)
    assert (yili["supplier"], yili["receipts"], yili["in_full"], yili["trucks"]) == (
        "Yili",
        4,
        0.75,
        1,
    )
    assert (yili["units_received"], yili["late_min"], yili["dwell_min"]) == (0.95, 20.0, 30.0)
    assert (mengniu["supplier"], mengniu["receipts"], mengniu["trucks"]) == ("Mengniu", 1, 0)
