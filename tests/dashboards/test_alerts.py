"""Alerts: each rule fires once for its condition, is acknowledged, and resolves by itself
when the condition clears. Time is set, never waited for."""

import datetime

import pytest
from django.utils import timezone, translation

from core.clock import clock_text
from core.models import Event
from dashboards.models import Alert, AlertThresholds
from dashboards.services import alerts_evaluate
from inventory.models import ReorderPolicy, Task
from shipping import services as shipping
from shipping.models import Carrier, Dock, Load, Vehicle
from shipping.selectors import loads_wave_timed
from tests.factories import ItemFactory, warehouse_today
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow
from tests.shipping.helpers import floor_order, pick_all


def _live(rule):
    return list(Alert.objects.filter(rule=rule).exclude(status="resolved"))


def test_low_stock_fires_once_is_acknowledged_and_resolves_when_stock_arrives(site, person, api):
    soap = ItemFactory(sku="SOAP")
    ReorderPolicy.objects.create(
        item=soap, warehouse=site.warehouse, reorder_point=10, safety_stock=3
    )
    stock_in(soap, site.loc["a1"], 2)
    alerts_evaluate()
    alerts_evaluate()  # no flood
    (alert,) = _live("below_reorder_point")
    assert (alert.severity, alert.department) == ("critical", "warehouse")  # below safety stock
    supervisor = person("supervisor", site.warehouse)
    acked = api(supervisor).post(f"/api/v1/alerts/{alert.pk}/acknowledge/").json()
    assert (acked["status"], acked["acknowledged_by"]) == ("acknowledged", supervisor.username)
    assert acked["link"] == "/api/v1/stock/availability/?item=SOAP"
    stock_in(soap, site.loc["a1"], 20)
    assert alerts_evaluate()["resolved"] == 1
    alert.refresh_from_db()
    assert (alert.status, alert.auto_resolved) == ("resolved", True)
    assert list(Event.objects.filter(type__startswith="alert.").values_list("type", flat=True)) == [
        "alert.opened",
        "alert.acknowledged",
        "alert.resolved",
    ]


def test_a_truck_waiting_beyond_the_threshold_and_a_late_order(network, beijing_shop):
    bj = network["BJ"][0]
    AlertThresholds.objects.create(warehouse=bj, truck_wait_minutes=45)
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    van = Vehicle.objects.create(
        carrier=carrier, plate="京A-1", capacity_weight_kg=900, capacity_volume_l=9000
    )
    dock = Dock.objects.create(warehouse=bj, code="D1")
    start = timezone.now() + datetime.timedelta(minutes=10)
    appointment = shipping.appointment_book(
        dock=dock,
        vehicle=van,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        actor=None,
    )
    shipping.vehicle_check_in(appointment=appointment, at=start, actor=None)
    alerts_evaluate(now=start + datetime.timedelta(minutes=30))
    assert _live("truck_waiting") == []
    alerts_evaluate(now=start + datetime.timedelta(minutes=50))
    (waiting,) = _live("truck_waiting")
    assert "waited at dock D1 for 50 min" in waiting.message
    shipping.vehicle_check_out(
        appointment=appointment, at=start + datetime.timedelta(minutes=55), actor=None
    )
    alerts_evaluate(now=start + datetime.timedelta(minutes=56))
    assert _live("truck_waiting") == []

    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 500)
    cutoff = timezone.now() + datetime.timedelta(hours=2)
    order = shipping.order_create(
        customer=beijing_shop[0],
        ship_to=beijing_shop[1],
        external_ref="SO-RISK",
        lines=[shipping.LineInput(tea, 5)],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
        cutoff_at=cutoff,
        actor=None,
    )
    alerts_evaluate(now=cutoff - datetime.timedelta(hours=1))  # 1 line, 30 min margin: fine
    assert _live("order_at_risk") == []
    alerts_evaluate(now=cutoff - datetime.timedelta(minutes=20))
    (risk,) = _live("order_at_risk")
    assert risk.subject_id == "SO-RISK" and risk.severity == "warning"
    local_cutoff = f"{cutoff.astimezone(network['BJ'][0].zone()):%m-%d %H:%M}"
    assert (
        risk.message == f"Order SO-RISK: 1 line to pick (1 min at 120/h), cut-off {local_cutoff}."
    )
    alerts_evaluate(now=cutoff + datetime.timedelta(minutes=5))
    risk.refresh_from_db()
    assert risk.severity == "critical"  # same alert, now past the cut-off
    assert risk.message == f"Order SO-RISK missed its cut-off {local_cutoff}: 1 line still to pick."
    shipping.order_cancel(order=order, reason="test", actor=None)
    alerts_evaluate(now=cutoff + datetime.timedelta(minutes=6))
    assert _live("order_at_risk") == []


def test_orders_waiting_for_stock_that_is_not_there(network, beijing_shop):
    rare = ItemFactory(sku="RARE")
    shipping.order_create(
        customer=beijing_shop[0],
        ship_to=beijing_shop[1],
        external_ref="SO-WAIT",
        lines=[shipping.LineInput(rare, 3)],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
        actor=None,
    )
    alerts_evaluate()
    (out,) = _live("stockout_blocking")
    assert out.message == "RARE is out, 3 short: 1 order waits for it."
    with translation.override("zh-hans"):
        assert out.text == "RARE 缺货，短缺 3：1 个订单在等待。"
    stock_in(rare, network["BJ"][1], 5)
    shipping.orders_backordered_reallocate()
    alerts_evaluate()
    assert _live("stockout_blocking") == []


def test_people_see_alerts_of_their_warehouses_only(site, other_site, person, api):
    for where in (site, other_site):
        item = ItemFactory()
        ReorderPolicy.objects.create(item=item, warehouse=where.warehouse, reorder_point=5)
    alerts_evaluate()
    mine = (
        api(person("dispatcher", site.warehouse)).get("/api/v1/alerts/?department=warehouse").json()
    )
    assert {a["warehouse"] for a in mine["results"]} == {"WA"}


def test_a_shipment_running_late_and_a_dead_webhook_reach_logistics(network, beijing_shop, site):
    from django.db import transaction

    from core.events import event_record
    from integrations import services as integrations
    from integrations.relay import events_publish
    from tests.factories import LocationFactory, ZoneFactory

    bj, pick, _ = network["BJ"]
    lane = LocationFactory(
        zone=ZoneFactory(warehouse=bj, code="BJ-D", kind="dock"), barcode="BJ-LANE"
    )
    tea = ItemFactory(sku="TEA-L")
    stock_in(tea, pick, 10)
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    van = Vehicle.objects.create(
        carrier=carrier, plate="京A-9", capacity_weight_kg=900, capacity_volume_l=9000
    )
    order = shipping.order_create(
        customer=beijing_shop[0],
        ship_to=beijing_shop[1],
        external_ref="SO-LATE",
        lines=[shipping.LineInput(tea, 2)],
        requested_delivery_date=warehouse_today(),
        promised_ship_date=warehouse_today(),
        actor=None,
    )
    load = shipping.load_build(warehouse=bj, vehicle=van, orders=[order], actor=None)
    shipping.wave_release(wave=shipping.wave_plan(load=load, actor=None), actor=None)
    (task,) = Task.objects.filter(kind="pick", status="open")
    shipping.order_pick_confirm(
        task=task, location_barcode=pick.barcode, item_code="TEA-L", quantity=2, actor=None
    )
    order.refresh_from_db()
    unit = shipping.unit_stage(
        unit=shipping.unit_pack(order=order, contents=None, actor=None), lane=lane, actor=None
    )
    shipping.load_scan(load=load, sscc=unit.sscc, actor=None)
    shipment = shipping.load_depart(load=load, actor=None)
    # The carrier reports a 36-hour breakdown: the stop's ETA moves past today's window.
    shipping.tracking_record(
        shipment=shipment, status="delayed", at=timezone.now(), delay_minutes=36 * 60, actor=None
    )
    alerts_evaluate()
    (late,) = _live("shipment_late")
    assert late.department == "logistics"

    subscription = integrations.webhook_subscribe(
        warehouse=site.warehouse,
        url="http://127.0.0.1:9/down",
        event_types=["stock.*"],
        actor=None,
        max_attempts=1,
    )
    with transaction.atomic():
        event_record(
            type="stock.moved", aggregate_type="item", aggregate_id="x", warehouse=site.warehouse
        )
    events_publish()
    for delivery_id in integrations.webhooks_due():
        integrations.webhook_deliver(delivery_id=delivery_id)
    alerts_evaluate()
    (failure,) = _live("integration_failure")
    assert failure.subject_id == str(subscription.pk)


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_enough_for_its_alert_to_open(site):
    """Rules run on events too, not only on the beat: no explicit evaluation here."""
    from django.conf import settings

    from integrations.relay import events_publish

    soap = ItemFactory(sku="SOAP-E")
    ReorderPolicy.objects.create(item=soap, warehouse=site.warehouse, reorder_point=10)
    stock_in(soap, site.loc["a1"], 3)  # commits: relay, then the alert rules
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        events_publish()  # on the real stack the worker does this (see test_real_stack)
        alerts_evaluate()
    (alert,) = _live("below_reorder_point")
    assert alert.subject_id == "SOAP-E"


def _booked_in_three_hours(floor, ref: str) -> tuple[Load, datetime.datetime]:  # type: ignore[no-untyped-def]
    """A load of the van with an order of 2 teas and a rice (two pick lines), its truck due
    at door D1 in three hours (for an hour); and when it is due."""
    dock = Dock.objects.create(warehouse=floor["wh"], code="D1")
    order = floor_order(floor, (floor["tea"], 2), (floor["rice"], 1), ref=ref)
    load = shipping.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=[order], actor=None
    )
    due = timezone.now() + datetime.timedelta(hours=3)
    shipping.appointment_book(
        dock=dock,
        vehicle=floor["van"],
        load=load,
        starts_at=due,
        ends_at=due + datetime.timedelta(hours=1),
        actor=None,
    )
    return load, due


def test_a_truck_whose_goods_will_not_be_ready_in_time(floor, django_assert_num_queries):
    """The warehouse hears of it before the truck waits: while the wave is still planned
    past its release-by time, and while picking runs behind; it clears once picked."""
    load, due = _booked_in_three_hours(floor, "SO-T1")
    # 2 lines at 60 an hour by one picker: 2 minutes; ready 30 minutes before the truck.
    wave = shipping.wave_plan(load=load, lines_per_picker_hour=60, pickers=1, actor=None)
    ready_by = due - datetime.timedelta(minutes=30)
    with django_assert_num_queries(2):  # the rule reads the waves' timing, not the board
        ((timed, timing),) = loads_wave_timed(warehouse_id=floor["wh"].pk, now=ready_by)
    assert (timed, timing.lines, timing.ready_by) == (load, 2, ready_by)
    alerts_evaluate(now=ready_by - datetime.timedelta(minutes=10))  # release by: 2 min before
    assert _live("load_not_ready") == []

    alerts_evaluate(now=ready_by + datetime.timedelta(minutes=3))
    (late,) = _live("load_not_ready")
    local = floor["wh"].zone()
    ready = f"{(ready_by + datetime.timedelta(minutes=5)).astimezone(local):%H:%M}"
    assert (late.subject_id, late.severity, late.department) == (
        load.reference,
        "warning",
        "warehouse",
    )
    assert late.message == (
        f"{load.reference}: its wave is not released; released now, its goods are ready "
        f"{ready}, 5 min late for the truck due {due.astimezone(local):%H:%M}."
    )
    with translation.override("zh-hans"):
        assert late.text.startswith(f"{load.reference}：波次尚未下发；现在下发，货物 {ready} 备妥")

    shipping.wave_release(wave=wave, actor=None)
    alerts_evaluate(now=due + datetime.timedelta(minutes=1))  # the truck is due: critical
    (late,) = _live("load_not_ready")
    assert late.severity == "critical"
    assert f"{load.reference}: 2 lines still to pick" in late.message

    pick_all(floor)
    alerts_evaluate(now=due + datetime.timedelta(minutes=2))
    assert _live("load_not_ready") == []  # picked: its goods are ready


def test_a_truck_booked_with_no_wave_planned_is_timed_as_if_one_were_planned_now(
    floor, client, person, django_assert_num_queries
):
    """Nobody planned the wave: at a new wave's pace (two pickers at 60 lines an hour) its
    two lines take a minute; the board says when to release it, and the floor hears of it
    once that time is past."""
    load, due = _booked_in_three_hours(floor, "SO-T2")
    ready_by = due - datetime.timedelta(minutes=30)
    with django_assert_num_queries(2):
        ((timed, timing),) = loads_wave_timed(warehouse_id=floor["wh"].pk, now=ready_by)
    release_at = ready_by - datetime.timedelta(minutes=1)
    assert (timed, timing.lines, timing.release_at) == (load, 2, release_at)
    local = floor["wh"].zone()
    client.force_login(person("dispatcher", floor["wh"]))
    board = client.get("/dispatch/", {"warehouse": floor["wh"].code, "fragment": "board"})
    # The board's clock: the time alone today, with its day once past the warehouse's midnight.
    assert f"no wave yet:</span> release by {clock_text(release_at, local)}" in (
        board.content.decode()
    )
    alerts_evaluate(now=release_at)
    assert _live("load_not_ready") == []

    alerts_evaluate(now=ready_by + datetime.timedelta(minutes=3))
    (late,) = _live("load_not_ready")
    ready = f"{(ready_by + datetime.timedelta(minutes=4)).astimezone(local):%H:%M}"
    assert late.message == (
        f"{load.reference}: no wave yet; planned and released now, its goods are ready "
        f"{ready}, 4 min late for the truck due {due.astimezone(local):%H:%M}."
    )
    shipping.wave_release(wave=shipping.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    alerts_evaluate(now=ready_by + datetime.timedelta(minutes=4))
    assert _live("load_not_ready") == []


def test_a_truck_booked_to_leave_after_its_shop_closes_is_told_to_the_dispatcher(
    network, beijing_shop, api, person, client
):
    """The shop takes goods 08:00-09:00. A slot ending at 11:00 tomorrow brings the truck
    there at 11:27, 147 minutes after closing: logistics hears of it before the truck
    leaves. Moved to 06:00-07:00, the truck waits for the shop to open, and it clears."""
    from tests.shipping.helpers import carriers, cement_and_ice, order_placed, truck
    from tests.shipping.test_routing import _local, _shop

    bj, pick, _ = network["BJ"]
    cement, _ = cement_and_ice(bj, pick)
    own, _ = carriers()
    van = truck(own, "京A-VAN", bj, 1000)
    shop = _shop(beijing_shop[0], "EARLY", km_east=20, opens=(8, 0), closes=(9, 0))
    order = order_placed(beijing_shop[0], shop, (cement, 2), ref="SO-EARLY")
    load = shipping.load_build(warehouse=bj, vehicle=van, orders=[order], actor=None)
    appointment = shipping.appointment_book(
        dock=Dock.objects.create(warehouse=bj, code="D1"),
        vehicle=van,
        load=load,
        starts_at=_local(bj, 10, days=1),
        ends_at=_local(bj, 11, days=1),
        actor=None,
    )
    alerts_evaluate()
    (alert,) = _live("route_outside_windows")
    assert (alert.department, alert.severity, alert.subject_id) == (
        "logistics",
        "warning",
        load.reference,
    )
    tomorrow_ = _local(bj, 11, days=1).strftime("%m-%d")
    assert alert.message == (
        f"{load.reference} leaving {tomorrow_} 11:00 reaches 1 of 1 stop after its "
        "window closes, the first Shop EARLY 147 min late: move its dock slot or its orders."
    )
    with translation.override("zh-hans"):
        assert alert.text.startswith(f"{load.reference} 于 {tomorrow_} 11:00 出发")
    dispatcher = person("dispatcher", bj)
    (listed,) = [
        a
        for a in api(dispatcher).get("/api/v1/alerts/").json()["results"]
        if a["rule"] == "route_outside_windows"
    ]
    assert listed["link"] == f"/api/v1/loads/?reference={load.reference}"
    client.force_login(dispatcher)
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    trucks = board[board.index('<ul class="alerts trucks-at-risk">') :]
    assert trucks[: trucks.index("</ul>")].count("<li") == 1 and alert.message in trucks

    shipping.appointment_move(
        appointment=appointment,
        starts_at=_local(bj, 6, days=1),
        ends_at=_local(bj, 7, days=1),
        actor=None,
    )
    alerts_evaluate()
    assert _live("route_outside_windows") == []
    assert "Trucks at risk" not in client.get("/dispatch/?warehouse=BJ").content.decode()


def test_an_order_is_at_risk_by_its_own_lines_still_to_pick_in_two_queries(
    network, beijing_shop, django_assert_num_queries
):
    from dashboards.alerts import orders_at_risk

    bj = network["BJ"][0]
    AlertThresholds.objects.create(warehouse=bj, pick_lines_per_hour=6, cutoff_margin_minutes=30)
    items = [ItemFactory(sku=f"T{n}") for n in range(3)]
    for item in items:
        stock_in(item, network["BJ"][1], 50)
    cutoff = timezone.now() + datetime.timedelta(hours=3)

    def order(ref: str, n: int):  # type: ignore[no-untyped-def]
        return shipping.order_create(
            customer=beijing_shop[0],
            ship_to=beijing_shop[1],
            external_ref=ref,
            lines=[shipping.LineInput(item, 2) for item in items[:n]],
            requested_delivery_date=tomorrow(1),
            promised_ship_date=tomorrow(0),
            cutoff_at=cutoff,
            actor=None,
        )

    order("SO-THREE", 3)  # 30 min to pick at 6 lines an hour, and 30 of margin
    order("SO-ONE", 1)  # 10 min
    now = cutoff - datetime.timedelta(minutes=45)
    limits = {bj.pk: AlertThresholds.objects.get(warehouse=bj)}
    with django_assert_num_queries(2):
        (risk,) = orders_at_risk({bj.pk: bj}, limits, now)
    assert risk.key == "SO-THREE"
    assert risk.message.startswith("Order SO-THREE: 3 lines to pick (30 min at 6/h)")
