"""A split order: each warehouse's part is an order of its own, which goes through waves,
loads and shipping from that warehouse; cancelling the order cancels the parts; a split line
is changed part by part."""

import pytest

from core.exceptions import Conflict
from inventory.models import StockBalance, Task
from inventory.selectors import ledger_drift
from shipping import services
from shipping.models import Carrier, Order, Vehicle
from tests.factories import ItemFactory, LocationFactory, ZoneFactory
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow


@pytest.fixture
def rice_in_two_places(network, beijing_shop):
    rice, tea = ItemFactory(sku="RICE"), ItemFactory(sku="TEA")
    stock_in(rice, network["BJ"][1], 4)
    stock_in(rice, network["TJ"][1], 5)
    stock_in(tea, network["BJ"][1], 10)
    order = services.order_create(
        customer=beijing_shop[0],
        ship_to=beijing_shop[1],
        external_ref="SO-9",
        lines=[services.LineInput(rice, 9), services.LineInput(tea, 2)],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
        actor=None,
    )
    return order, rice, tea


def _on_hand(item, warehouse) -> int:
    return sum(
        StockBalance.objects.filter(item=item, warehouse=warehouse).values_list(
            "on_hand", flat=True
        )
    )


def test_the_tianjin_part_ships_from_tianjin_on_its_own(rice_in_two_places, network, person):
    order, rice, _ = rice_in_two_places
    tj, tj_pick, _ = network["TJ"]
    order.refresh_from_db()
    assert (order.status, order.warehouse.code) == ("allocated", "BJ")
    assert order.allocation_note["parts"] == {"BJ": 6, "TJ": 5}
    part = Order.objects.get(external_ref="SO-9/TJ")
    assert (part.status, part.warehouse, part.split_from) == ("allocated", tj, order)
    assert [(line.item.sku, line.quantity) for line in order.lines.order_by("line_no")] == [
        ("RICE", 4),
        ("TEA", 2),
    ]
    assert [(line.line_no, line.item.sku, line.quantity) for line in part.lines.all()] == [
        (1, "RICE", 5)
    ]

    # The Beijing order refuses a Tianjin truck's load; the part takes one of its own.
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    truck = Vehicle.objects.create(
        carrier=carrier, plate="津A-1", capacity_weight_kg=900, capacity_volume_l=9000
    )
    with pytest.raises(Exception, match="ships from another warehouse"):
        services.load_build(warehouse=tj, vehicle=truck, orders=[order], actor=None)
    load = services.load_build(warehouse=tj, vehicle=truck, orders=[part], actor=None)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    operator = person("operator", tj)
    (task,) = Task.objects.filter(kind="pick", status="open", warehouse=tj)
    assert task.reference == f"order:{part.pk}:line:1"
    services.order_pick_confirm(
        task=task, location_barcode=tj_pick.barcode, item_code="RICE", quantity=5, actor=operator
    )
    lane = LocationFactory(
        zone=ZoneFactory(warehouse=tj, code="TJ-DOCK", kind="dock"), barcode="TJ-LANE"
    )
    unit = services.unit_stage(
        unit=services.unit_pack(order=part, contents=None, actor=operator),
        lane=lane,
        actor=operator,
    )
    services.load_scan(load=load, sscc=unit.sscc, actor=operator)
    services.load_depart(load=load, actor=operator)

    part.refresh_from_db()
    order.refresh_from_db()
    assert part.status == "shipped" and part.shipped_at is not None
    assert order.status == "allocated"  # Beijing's part waits for its own truck
    assert _on_hand(rice, tj) == 0 and _on_hand(rice, network["BJ"][0]) == 4
    assert ledger_drift() == []


def test_cancelling_a_split_order_cancels_its_parts_and_releases_everything(
    rice_in_two_places,
):
    order, rice, _ = rice_in_two_places
    with pytest.raises(Conflict, match="Line 1 was split: part of it ships as SO-9/TJ"):
        services.order_line_change(order=order, line_no=1, quantity=3, actor=None)
    services.order_cancel(order=order, reason="customer called", actor=None)
    assert Order.objects.get(external_ref="SO-9/TJ").status == "cancelled"
    assert sum(StockBalance.objects.filter(item=rice).values_list("reserved", flat=True)) == 0
    assert ledger_drift() == []


def test_the_api_shows_the_parts_of_a_split_order(rice_in_two_places, network, person, api):
    order, _, _ = rice_in_two_places
    erp = api(person("integration", network["BJ"][0], network["TJ"][0]))
    shown = erp.get(f"/api/v1/orders/{order.pk}/").json()
    assert shown["split_parts"] == ["SO-9/TJ"] and shown["split_from"] is None
    part = erp.get("/api/v1/orders/?external_ref=SO-9/TJ").json()["results"][0]
    assert (part["split_from"], part["warehouse"], part["status"]) == ("SO-9", "TJ", "allocated")


def test_the_api_writes_each_order_as_its_declared_fields_say(rice_in_two_places, beijing_shop):
    """The order answer is written out by hand for speed; it must equal what DRF makes of the
    declared fields, for a split order and its part, a backordered and a cancelled one."""
    import datetime

    from django.utils import timezone

    from shipping.api.serializers import OrderSerializer
    from shipping.selectors import orders_with_details

    _, rice, tea = rice_in_two_places
    late = services.order_create(
        customer=beijing_shop[0],
        ship_to=beijing_shop[1],
        external_ref="SO-10",
        lines=[services.LineInput(rice, 3), services.LineInput(tea, 1)],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
        cutoff_at=timezone.now() + datetime.timedelta(hours=5),
        actor=None,
    )
    services.order_cancel(order=late, reason="test", actor=None)
    services.order_create(
        customer=beijing_shop[0],
        ship_to=beijing_shop[1],
        external_ref="SO-11",
        lines=[services.LineInput(rice, 50)],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
        actor=None,
    )
    orders = orders_with_details(Order.objects.order_by("pk"))
    serializer = OrderSerializer()
    statuses = set()
    for each in orders:
        assert serializer.to_representation(each) == serializer.declared_representation(each)
        statuses.add(each.status)
    assert statuses == {"allocated", "cancelled", "backordered"}
    assert len(orders) == 4  # SO-9, its Tianjin part, SO-10, SO-11
