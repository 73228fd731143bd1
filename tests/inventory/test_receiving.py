"""Goods in: expected receipts, blind receipts, putaway suggested and confirmed by scans."""

import pytest

from core.models import Event
from inventory import services
from inventory.choices import TaskKind, TaskStatus, TemperatureClass, Velocity
from inventory.exceptions import WrongScan
from inventory.models import Location, Receipt, Task
from inventory.selectors import ledger_drift, location_suggest
from tests.factories import ItemFactory, LocationFactory
from tests.inventory.helpers import in_days, on_hand


def test_receiving_against_an_asn_records_over_and_under_receipt(site, person):
    clerk = person("operator", site.warehouse)
    soap, rice = ItemFactory(), ItemFactory()
    receipt = services.receipt_create(
        warehouse=site.warehouse,
        reference="ASN-1",
        supplier="Yili",
        expected_on=in_days(1),
        lines=[(soap, 10), (rice, 5)],
        actor=clerk,
    )
    services.stock_receive(
        item=soap, quantity=12, location=site.loc["dock_in"], receipt=receipt, actor=clerk
    )
    services.stock_receive(
        item=rice, quantity=3, location=site.loc["dock_in"], receipt=receipt, actor=clerk
    )
    receipt = services.receipt_close(receipt=receipt, actor=clerk)
    assert receipt.status == "closed"
    assert {line.item_id: line.variance for line in receipt.lines.all()} == {
        soap.pk: 2,
        rice.pk: -2,
    }
    closed = Event.objects.get(type="receipt.closed")
    assert [line["variance"] for line in closed.payload["lines"]] == [2, -2]
    with pytest.raises(Exception, match="closed"):
        services.stock_receive(
            item=soap, quantity=1, location=site.loc["dock_in"], receipt=receipt, actor=clerk
        )
    assert Receipt.objects.get().lines.get(item=soap).received_quantity == 12


def test_received_goods_get_a_putaway_task_confirmed_by_scanning(site, person):
    operator = person("operator", site.warehouse)
    item = ItemFactory()
    movement, task = services.stock_receive(
        item=item, quantity=8, location=site.loc["dock_in"], actor=operator
    )
    assert movement.kind == "receipt"
    assert task.kind == TaskKind.PUTAWAY
    assert task.to_location.zone.kind in ("storage", "pick_face")

    with pytest.raises(WrongScan, match=f"expected {site.loc['dock_in'].barcode}"):
        services.task_confirm(
            task=task,
            location_barcode="WA-A1",
            item_code=item.gtin,
            quantity=8,
            to_location_barcode=task.to_location.barcode,
            actor=operator,
        )
    with pytest.raises(WrongScan, match=f"expected {item.sku}"):
        services.task_confirm(
            task=task,
            location_barcode="WA-DOCK_IN",
            item_code="4006381333931",
            quantity=8,
            to_location_barcode=task.to_location.barcode,
            actor=operator,
        )
    assert on_hand(item, site.loc["dock_in"]) == 8  # wrong scans changed nothing

    done = services.task_confirm(
        task=task,
        location_barcode="WA-DOCK_IN",
        item_code=item.gtin,
        quantity=8,
        to_location_barcode=task.to_location.barcode,
        actor=operator,
    )
    assert done.status == TaskStatus.DONE
    assert on_hand(item, site.loc["dock_in"]) == 0
    assert on_hand(item, task.to_location) == 8
    assert Event.objects.filter(type="stock.put_away").count() == 1
    assert ledger_drift() == []


def test_a_putaway_of_fewer_units_leaves_a_task_for_the_rest(site, person):
    """The suggested place took only 5 of 8: the 3 left on the dock get a task of their own,
    to wherever has room for them now, and the next one to confirm it puts them away."""
    operator = person("operator", site.warehouse)
    item = ItemFactory()
    _, task = services.stock_receive(
        item=item, quantity=8, location=site.loc["dock_in"], actor=operator
    )
    services.task_confirm(
        task=task,
        location_barcode="WA-DOCK_IN",
        item_code=item.sku,
        quantity=5,
        to_location_barcode=task.to_location.barcode,
        actor=operator,
    )
    rest = Task.objects.get(kind=TaskKind.PUTAWAY, status=TaskStatus.OPEN)
    assert (rest.location, rest.item, rest.quantity, rest.reference) == (
        site.loc["dock_in"],
        item,
        3,
        task.reference,
    )
    assert rest.to_location is not None
    confirmed = Event.objects.get(type="task.confirmed")
    assert confirmed.payload["rest_task"] == rest.pk
    assert Event.objects.filter(type="tasks.created", aggregate_id=str(rest.pk)).exists()

    services.task_confirm(
        task=rest,
        location_barcode="WA-DOCK_IN",
        item_code=item.sku,
        quantity=3,
        to_location_barcode=rest.to_location.barcode,
        actor=operator,
    )
    assert on_hand(item, site.loc["dock_in"]) == 0
    assert not Task.objects.filter(status=TaskStatus.OPEN).exists()
    assert ledger_drift() == []


def test_putaway_suggestion_respects_temperature_hazmat_capacity_and_blocks(site):
    yogurt = ItemFactory(temperature_class=TemperatureClass.CHILLED)
    assert (
        location_suggest(item=yogurt, quantity=5, warehouse_id=site.warehouse.pk)
        == site.loc["chill"]
    )
    acid = ItemFactory(hazmat=True)
    assert (
        location_suggest(item=acid, quantity=5, warehouse_id=site.warehouse.pk) == site.loc["haz"]
    )
    services.location_block(location=site.loc["haz"], reason="spill", actor=None)
    assert location_suggest(item=acid, quantity=5, warehouse_id=site.warehouse.pk) is None
    bulky = ItemFactory(volume_l=60)
    small = LocationFactory(zone=site.loc["a1"].zone, capacity_volume_l=100)
    suggestion = location_suggest(item=bulky, quantity=2, warehouse_id=site.warehouse.pk)
    assert suggestion is not None and suggestion != small


def test_fast_movers_go_near_the_dock_and_existing_positions_come_first(site):
    Location.objects.filter(warehouse=site.warehouse).update(dock_distance_m=50)
    near = LocationFactory(zone=site.loc["a1"].zone, dock_distance_m=1)
    far = LocationFactory(zone=site.loc["a1"].zone, dock_distance_m=900)
    fast = ItemFactory(velocity=Velocity.FAST)
    slow = ItemFactory(velocity=Velocity.SLOW)
    assert location_suggest(item=fast, quantity=1, warehouse_id=site.warehouse.pk) == near
    assert location_suggest(item=slow, quantity=1, warehouse_id=site.warehouse.pk) == far
    services.stock_receive(item=fast, quantity=3, location=site.loc["a2"], actor=None)
    assert location_suggest(item=fast, quantity=1, warehouse_id=site.warehouse.pk) == site.loc["a2"]


def test_lot_tracked_goods_need_a_lot_and_expired_goods_are_refused(site):
    milk = ItemFactory(lot_tracked=True, temperature_class=TemperatureClass.CHILLED)
    with pytest.raises(Exception, match="lot-tracked") as missing:
        services.stock_receive(item=milk, quantity=1, location=site.loc["chill"], actor=None)
    assert missing.value.field == "lot"
    with pytest.raises(Exception, match="expired") as expired:
        services.stock_receive(
            item=milk,
            quantity=1,
            location=site.loc["chill"],
            lot_code="L1",
            expires_on=in_days(-1),
            actor=None,
        )
    assert expired.value.field == "expires_on"
    assert on_hand(milk) == 0
