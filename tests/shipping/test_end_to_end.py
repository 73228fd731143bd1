"""The handoff end to end, through the HTTP API only, as the ERP, dispatch, the floor and the
carrier would drive it; afterwards the ledger, orders, feed and KPI raw times are exact."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.gs1 import gs1_check_digit
from inventory.choices import ZoneKind
from inventory.models import StockBalance
from inventory.selectors import ledger_drift
from shipping.models import Carrier, Dock, Order, Vehicle
from tests.factories import ItemFactory, LocationFactory, ZoneFactory
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow


def _ok(response, code=200):
    assert response.status_code == code, response.json()
    return response.json()


def test_orders_to_delivery_through_the_api(network, beijing_shop, person, api):
    bj, tj = network["BJ"][0], network["TJ"][0]
    pick_bj = network["BJ"][1]
    pick_bj.__class__.objects.filter(pk=pick_bj.pk).update(pick_sequence=1)  # first on the path
    second_bj = LocationFactory(zone=pick_bj.zone, barcode="BJ-PF-2", pick_sequence=5)
    lane = LocationFactory(
        zone=ZoneFactory(warehouse=bj, code="BJ-DK", kind=ZoneKind.DOCK), barcode="BJ-DOCK-1"
    )
    tea = ItemFactory(sku="TEA", weight_kg=Decimal("5"), volume_l=Decimal("8"))
    rice = ItemFactory(sku="RICE", weight_kg=Decimal("10"), volume_l=Decimal("12"))
    stock_in(tea, pick_bj, 6)  # BJ-PF-1: six boxes of tea (the books say)
    stock_in(tea, second_bj, 10)
    stock_in(rice, pick_bj, 8)
    stock_in(rice, network["TJ"][1], 5)
    carrier = Carrier.objects.create(code="OWN", name="Own fleet", service_level="own_fleet")
    Vehicle.objects.create(
        carrier=carrier, plate="京A-30003", capacity_weight_kg=2000, capacity_volume_l=20000
    )
    dock = Dock.objects.create(warehouse=bj, code="D1")

    erp = api(person("integration", bj, tj, network["SH"][0]))
    dispatcher = api(person("dispatcher", bj, tj))
    operator = api(person("operator", bj))

    # 1. The ERP posts two orders; the second cannot ship complete from anywhere: split.
    def post(ref, lines):
        return _ok(
            erp.post(
                "/api/v1/orders/",
                {
                    "external_ref": ref,
                    "customer": "C-BJ",
                    "ship_to": "MAIN",
                    "requested_delivery_date": str(tomorrow(1)),
                    "promised_ship_date": str(tomorrow(0)),
                    "lines": lines,
                },
                format="json",
                HTTP_IDEMPOTENCY_KEY=ref,
            ),
            201,
        )

    first = post("SO-1", [{"item": "TEA", "quantity": 8}])
    second = post("SO-2", [{"item": "RICE", "quantity": 4}])
    split = post("SO-3", [{"item": "RICE", "quantity": 9}])  # BJ has 4 left, TJ 5: split
    assert (first["status"], first["warehouse"]) == ("allocated", "BJ")
    assert (second["status"], second["warehouse"]) == ("allocated", "BJ")
    assert split["status"] == "allocated"
    assert split["allocation_note"]["mode"] == "split"
    assert split["allocation_note"]["parts"] == {"BJ": 4, "TJ": 5}
    assert (split["warehouse"], split["split_parts"]) == ("TJ", ["SO-3/BJ"])

    # 2. Dispatch builds the Beijing load, books its dock, plans and releases the wave.
    load = _ok(
        dispatcher.post(
            "/api/v1/loads/",
            {"warehouse": "BJ", "vehicle": "京A-30003", "orders": ["SO-1", "SO-2"]},
            format="json",
        ),
        201,
    )
    assert load["fill"]["weight_pct"] == round((8 * 5 + 4 * 10) / 2000 * 100, 1)
    # SO-3 ships from Tianjin (5 of 9); its Beijing part is an order of its own, SO-3/BJ.
    listing = _ok(dispatcher.get("/api/v1/orders/", {"external_ref": "SO-3/BJ"}))
    part = listing["results"][0]
    assert (part["warehouse"], part["split_from"], part["status"]) == ("BJ", "SO-3", "allocated")
    assert [(line["item"], line["quantity"]) for line in part["lines"]] == [("RICE", 4)]
    wrong_place = dispatcher.post(
        "/api/v1/loads/",
        {"warehouse": "BJ", "vehicle": "京A-30003", "orders": ["SO-3"]},
        format="json",
    )
    assert wrong_place.status_code == 400
    assert wrong_place.json()["message"] == "No order SO-3 ships from BJ."
    in_chinese = dispatcher.post(
        "/api/v1/loads/",
        {"warehouse": "BJ", "vehicle": "京A-30003", "orders": ["SO-3"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert in_chinese.json()["message"] == "没有订单 SO-3 从 BJ 发货。"
    due = timezone.now() + datetime.timedelta(hours=3)
    appointment = _ok(
        dispatcher.post(
            "/api/v1/appointments/",
            {
                "dock": dock.pk,
                "vehicle": "京A-30003",
                "starts_at": due.isoformat(),
                "ends_at": (due + datetime.timedelta(hours=1)).isoformat(),
                "load": load["reference"],
            },
            format="json",
        ),
        201,
    )
    wave = _ok(dispatcher.post(f"/api/v1/loads/{load['id']}/plan-wave/", {"pickers": 1}), 201)
    assert wave["timing"]["truck_due"] is not None
    wave = _ok(dispatcher.post(f"/api/v1/waves/{wave['id']}/release/"))
    assert wave["status"] == "released"

    # 3. The floor picks by scanning; at BJ-PF-1 only 4 of the 6 teas are found (short).
    tasks = _ok(operator.get("/api/v1/tasks/?kind=pick&status=open&warehouse=BJ"))["results"]
    for task in tasks:
        found = task["quantity"]
        if task["item"] == "TEA" and task["location"] == "BJ-PF-1":
            found = task["quantity"] - 2
        _ok(
            operator.post(
                f"/api/v1/picks/{task['id']}/confirm/",
                {
                    "location_barcode": task["location"],
                    "item_code": task["item"],
                    "quantity": found,
                },
            )
        )
    # The short pick was re-allocated at BJ-PF-2 as a new task: pick it too.
    again = _ok(operator.get("/api/v1/tasks/?kind=pick&status=open&warehouse=BJ"))["results"]
    assert [(t["location"], t["quantity"]) for t in again] == [("BJ-PF-2", 2)]
    _ok(
        operator.post(
            f"/api/v1/picks/{again[0]['id']}/confirm/",
            {"location_barcode": "BJ-PF-2", "item_code": "TEA", "quantity": 2},
        )
    )
    assert Order.objects.get(external_ref="SO-1").status == "picked"

    # 4. Pack (valid SSCCs), stage at the dock lane, scan onto the truck.
    units = []
    for ref in ("SO-1", "SO-2"):
        order_id = Order.objects.get(external_ref=ref).pk
        unit = _ok(operator.post(f"/api/v1/orders/{order_id}/pack/", {}, format="json"), 201)
        sscc = unit["sscc"]
        assert len(sscc) == 18 and int(sscc[-1]) == gs1_check_digit(sscc[:-1])
        assert "<svg" in operator.get(f"/api/v1/units/{sscc}/label/").content.decode()
        _ok(operator.post(f"/api/v1/units/{sscc}/stage/", {"lane": "BJ-DOCK-1"}))
        units.append(sscc)
    # Nothing goes onto a truck that is not at the dock.
    refused = operator.post(f"/api/v1/loads/{load['id']}/scan/", {"sscc": units[0]})
    assert refused.status_code == 409 and refused.json()["code"] == "truck_not_in"
    assert "has not checked in for dock D1" in refused.json()["message"]
    _ok(operator.post(f"/api/v1/appointments/{appointment['id']}/check-in/", {}))
    refused = operator.post(f"/api/v1/loads/{load['id']}/depart/", {})
    assert refused.status_code == 409 and "unscanned units" in refused.json()["message"]
    for sscc in units:
        _ok(operator.post(f"/api/v1/loads/{load['id']}/scan/", {"sscc": sscc}))

    # 5. The truck departs (stock leaves the ledger, it checks out), is tracked and delivers.
    shipment = _ok(operator.post(f"/api/v1/loads/{load['id']}/depart/", {}), 201)
    assert [s["sequence"] for s in shipment["stops"]] == [1]
    tracked = _ok(
        erp.post(
            f"/api/v1/shipments/{shipment['id']}/events/",
            {
                "status": "position",
                "at": timezone.now().isoformat(),
                "latitude": "39.95",
                "longitude": "116.45",
                "place": "东三环",
            },
            format="json",
        )
    )
    assert tracked["stops"][0]["eta"] != tracked["stops"][0]["planned_eta"]
    delivered = _ok(
        erp.post(
            f"/api/v1/shipments/{shipment['id']}/stops/1/deliver/",
            {"outcome": "delivered", "receiver_name": "王芳", "at": timezone.now().isoformat()},
            format="json",
        )
    )
    assert delivered["status"] == "completed"

    # Afterwards: the books, the orders, the feed and the raw times are exact.
    assert ledger_drift() == []
    assert StockBalance.objects.filter(location=lane).exclude(on_hand=0).count() == 0
    tea_left = sum(StockBalance.objects.filter(item=tea).values_list("on_hand", flat=True))
    assert tea_left == 16 - 8 - 2  # 8 shipped, 2 adjusted out as not found
    rice_bj = sum(
        StockBalance.objects.filter(item=rice, warehouse=bj).values_list("on_hand", flat=True)
    )
    assert rice_bj == 8 - 4  # SO-2 shipped; SO-3's Beijing part still reserved on the shelf
    so1 = Order.objects.get(external_ref="SO-1")
    assert so1.status == "delivered"
    assert so1.received_at <= so1.allocated_at <= so1.shipped_at <= so1.delivered_at
    feed = _ok(dispatcher.get("/api/v1/events/?aggregate_type=order&aggregate_id=SO-1&limit=100"))
    assert [e["type"] for e in feed["results"]] == [
        "order.received",
        "order.allocated",
        "order.allocated",  # re-allocation after the short pick
        "order.picked",
        "unit.packed",
        "load.staged",
        "order.shipped",
    ]
    gate = _ok(dispatcher.get(f"/api/v1/appointments/{appointment['id']}/"))
    assert gate["checked_in_at"] and gate["checked_out_at"] and gate["status"] == "checked_out"
    types = {e["type"] for e in _ok(dispatcher.get("/api/v1/events/?limit=1000"))["results"]}
    assert {
        "wave.released",
        "pick.confirmed",
        "pick.short",
        "unit.loaded",
        "load.departed",
        "shipment.event",
        "shipment.delivered",
        "vehicle.checked_in",
        "vehicle.checked_out",
        "appointment.booked",
    } <= types


def test_the_kpi_board_reads_the_flow_and_exports_the_same_numbers(
    network, beijing_shop, person, api
):
    import csv
    import io

    test_orders_to_delivery_through_the_api(network, beijing_shop, person, api)
    manager = api(person("manager", network["BJ"][0]))
    board = _ok(manager.get("/api/v1/kpis/?warehouse=BJ"))["kpis"]
    assert board["on_time_shipping"]["value"] == 1.0  # both Beijing orders left on their day
    assert board["backorder_rate"]["value"] == 0.0
    assert board["vehicle_weight_fill_pct"]["value"] == 4.0  # 80 kg of 2,000
    assert board["truck_dwell_min"]["value"] is not None
    assert board["order_cycle_time_h"]["trend"]
    exported = manager.get("/api/v1/kpis/?warehouse=BJ&export=csv")
    rows = {
        (r["kpi"], r["period"]): r["value"]
        for r in csv.DictReader(io.StringIO(exported.content.decode()))
    }
    assert float(rows[("on_time_shipping", "range")]) == board["on_time_shipping"]["value"]
    xlsx = manager.get("/api/v1/kpis/?warehouse=BJ&export=xlsx")
    assert xlsx.content[:2] == b"PK"
    assert (
        manager.get("/api/v1/kpis/?warehouse=BJ&start=2026-12-01&end=2026-11-01").status_code == 400
    )


def test_the_kpi_board_page_draws_charts_and_its_csv_matches_the_page(
    client, network, beijing_shop, person, api
):
    import csv
    import io
    import re

    from dashboards.views import KPI_LABELS

    test_orders_to_delivery_through_the_api(network, beijing_shop, person, api)
    client.force_login(person("manager", network["BJ"][0]))
    page = client.get("/kpis/?warehouse=BJ").content.decode()
    shown = dict(re.findall(r'data-kpi="([a-z_]+)" data-value="([^"]*)"', page))
    assert len(shown) == len(KPI_LABELS) == 15
    assert page.count("<svg") >= len(KPI_LABELS)
    assert "https://" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', page))
    export = re.search(r'id="export-csv" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    rows = csv.DictReader(io.StringIO(client.get(export).content.decode()))
    exported = {r["kpi"]: r["value"] for r in rows if r["period"] == "range"}
    assert set(exported) == set(shown)
    for name, value in shown.items():
        if value:
            assert float(exported[name]) == pytest.approx(float(value)), name
        else:
            assert exported[name] == "", name
