"""When the floor finds less than the books say and nobody has the rest: the truck still
leaves with what is there, and the rest follows as a backorder of its own."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.exceptions import Conflict
from core.models import Event
from inventory.models import Location, Reservation, Task
from shipping import services
from shipping.models import Load
from tests.factories import LocationFactory
from tests.inventory.helpers import on_hand, stock_in
from tests.shipping import books
from tests.shipping.helpers import (
    floor_order,
    late_order,
    on_the_truck,
    pick,
    released_on_a_truck,
)


def test_a_short_pick_nobody_can_make_up_ships_the_rest_and_backorders_the_missing(floor):
    order, load = released_on_a_truck(floor, (floor["tea"], 6), (floor["rice"], 2))
    tea_task = Task.objects.get(kind="pick", item=floor["tea"])
    # The picker finds 4 teas where the books say 6, and no warehouse has more.
    pick(floor, tea_task, 4)
    order.refresh_from_db()
    assert order.status == "released"  # still on its truck's wave: the rice is to pick
    assert {line.item.sku: line.quantity for line in order.lines.all()} == {"TEA": 4, "RICE": 2}
    (part,) = order.split_parts.all()
    assert (part.external_ref, part.status, part.load_id, part.wave_id) == (
        "SO-1/BO",
        "backordered",
        None,
        None,
    )
    assert [(line.line_no, line.item.sku, line.quantity) for line in part.lines.all()] == [
        (1, "TEA", 2)
    ]
    assert part.allocation_note["backordered"] == {"TEA": 2}
    assert order.allocation_note["backorder"] == "SO-1/BO"
    backordered = Event.objects.get(type="order.backordered", aggregate_id="SO-1/BO")
    assert backordered.payload["split_from"] == "SO-1"

    # The rest of the order goes on as planned, and the truck leaves with 4 teas and 2 rice.
    pick(floor, Task.objects.get(kind="pick", item=floor["rice"], status="open"), 2)
    order.refresh_from_db()
    assert order.status == "picked"
    on_the_truck(floor, order, load)
    services.load_depart(load=load, actor=floor["operator"])
    order.refresh_from_db()
    assert order.status == "shipped"

    # Teas arrive: the backorder takes them, and ships on a truck of its own.
    stock_in(floor["tea"], floor["wh"].zones.get(code="BJ-PF").locations.first(), 5)
    assert services.orders_backordered_reallocate(skus=["TEA"]) == 1
    part.refresh_from_db()
    assert part.status == "allocated"
    assert Reservation.objects.get(reference=part.lines.get().reference).requested == 2


def test_a_line_changed_on_the_floor_is_not_changed_again_where_it_was_split(floor):
    order, _load = released_on_a_truck(floor, (floor["tea"], 6), (floor["rice"], 2))
    pick(floor, Task.objects.get(kind="pick", item=floor["tea"]), 4)
    with pytest.raises(Conflict, match="part of it ships as SO-1/BO"):
        services.order_line_change(order=order, line_no=1, quantity=5, actor=None)


def test_more_of_a_line_on_the_floor_than_anyone_has_follows_as_a_backorder(floor):
    order, _load = released_on_a_truck(floor, (floor["tea"], 4))
    services.order_line_change(order=order, line_no=1, quantity=9, actor=None)
    order.refresh_from_db()
    # The 2 teas still on the shelf join this truck's picking; the 3 nobody has follow.
    assert (order.status, order.lines.get().quantity) == ("released", 6)
    assert sorted(
        Task.objects.filter(kind="pick", status="open").values_list("quantity", flat=True)
    ) == [2, 4]
    (part,) = order.split_parts.all()
    assert (part.status, part.lines.get().quantity) == ("backordered", 3)


def test_a_released_order_whose_every_unit_is_missing_leaves_its_truck_and_waits(floor):
    order, load = released_on_a_truck(floor, (floor["tea"], 6))
    pick(floor, Task.objects.get(kind="pick"), 0)
    order.refresh_from_db()
    # Nothing of it is on the floor: it waits for stock, whole, off the truck.
    assert (order.status, order.load_id, order.wave_id) == ("backordered", None, None)
    assert not order.split_parts.exists()
    assert order.lines.get().quantity == 6
    # The truck has nothing left to take: the dispatcher can cancel it, freeing the van.
    services.load_cancel(load=load, actor=None)
    assert Load.objects.get(pk=load.pk).status == "cancelled"
    assert load.wave.__class__.objects.get(pk=load.wave.pk).status == "cancelled"


def test_a_truck_whose_orders_were_all_cancelled_on_the_floor_can_be_cancelled(floor):
    order, load = released_on_a_truck(floor, (floor["tea"], 2))
    services.order_cancel(order=order, reason="customer", actor=None)
    with pytest.raises(Exception, match="no orders to ship"):
        services.load_depart(load=load, actor=None)
    services.load_cancel(load=load, actor=None)
    assert Load.objects.get(pk=load.pk).status == "cancelled"
    # A load with a live order on the floor still cannot be cancelled.
    _other, load = released_on_a_truck(floor, (floor["tea"], 2), ref="SO-2")
    with pytest.raises(Conflict, match="on the floor"):
        services.load_cancel(load=load, actor=None)


def test_an_order_cannot_join_the_wave_of_a_truck_that_left(floor):
    order, load = released_on_a_truck(floor, (floor["rice"], 1))
    pick(floor, Task.objects.get(kind="pick"), 1)
    on_the_truck(floor, order, load)
    services.load_depart(load=load, actor=floor["operator"], at=timezone.now())
    late = late_order(floor)
    with pytest.raises(Conflict, match="has left"):
        services.wave_order_add(wave=load.wave, order=late, actor=None)
    late.refresh_from_db()
    assert (late.status, late.load_id, late.wave_id) == ("allocated", None, None)
    assert not Task.objects.filter(reference__startswith=f"order:{late.pk}:").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_an_order_joining_while_the_truck_leaves_waits_and_is_refused(floor):
    order, load = released_on_a_truck(floor, (floor["rice"], 1))
    pick(floor, Task.objects.get(kind="pick"), 1)
    on_the_truck(floor, order, load)
    late = late_order(floor)
    holding = threading.Barrier(2)
    answers = []

    def departure() -> None:
        # A departure in progress holds its load's row until it commits.
        try:
            with transaction.atomic():
                Load.objects.select_for_update().get(pk=load.pk)
                holding.wait()
                time.sleep(0.5)
                Load.objects.filter(pk=load.pk).update(status="departed")
        finally:
            connection.close()

    def join() -> None:
        try:
            holding.wait()
            services.wave_order_add(wave=load.wave, order=late, actor=None)
            answers.append("joined")
        except Conflict as refused:
            answers.append(refused.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=departure), threading.Thread(target=join)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(answers) == 1 and "has left" in answers[0]
    late.refresh_from_db()
    assert (late.load_id, late.wave_id) == (None, None)


def _count(floor, item, location, counted):
    from inventory.services import count_record, count_tasks_create

    (task,) = count_tasks_create(warehouse=floor["wh"], item=item, location=location, actor=None)
    return count_record(task=task, counted_quantity=counted, actor=floor["operator"])


def test_a_count_that_finds_less_than_is_reserved_moves_the_orders_to_stock_elsewhere(floor):
    face = Location.objects.get(barcode="BJ-PF-1")
    other = LocationFactory(zone=face.zone, barcode="BJ-PF-2")
    order, _load = released_on_a_truck(floor, (floor["tea"], 5))
    stock_in(floor["tea"], other, 4)
    # The counter finds 2 teas where the books say 6, 5 of them reserved for SO-1's picking.
    done = _count(floor, floor["tea"], face, 2)
    assert (done.status, done.system_quantity, done.counted_quantity) == ("done", 6, 2)
    assert on_hand(floor["tea"], face) == 2
    # SO-1 keeps 2 there and takes the 3 it lost from BJ-PF-2, with a pick task there.
    order.refresh_from_db()
    assert order.status == "released"
    asked = sorted(
        Task.objects.filter(kind="pick", status="open").values_list("location__barcode", "quantity")
    )
    assert asked == [("BJ-PF-1", 2), ("BJ-PF-2", 3)]
    counted = Event.objects.get(type="stock.counted").payload
    assert counted["released"] == [{"reference": order.lines.get().reference, "quantity": 3}]
    order.refresh_from_db()
    assert (order.allocation_note["mode"], order.allocation_note["parts"]) == ("again", {"BJ": 3})
    books.books_hold()


def test_a_count_that_finds_less_than_is_reserved_with_none_elsewhere_backorders_it(floor):
    face = Location.objects.get(barcode="BJ-PF-1")
    allocated = floor_order(floor, (floor["rice"], 3), ref="SO-A")
    _count(floor, floor["rice"], face, 1)
    allocated.refresh_from_db()
    assert (allocated.status, allocated.allocation_note["backordered"]) == (
        "backordered",
        {"RICE": 2},
    )
    books.books_hold()
