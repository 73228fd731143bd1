"""A wave is picked once the last of its orders is: the dispatcher sees its truck's goods
ready (and how that went against the truck), and a late order no longer joins it. An order
whose picking was taken away by a change, not finished by a pick, is picked all the same."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Conflict
from core.models import Event
from inventory.models import Location, Task
from inventory.services import count_record, count_tasks_create
from shipping import services
from shipping.models import Dock, Load, Order, Wave
from tests.factories import LocationFactory
from tests.inventory.helpers import stock_in
from tests.shipping import books
from tests.shipping.helpers import (
    at_once,
    floor_order,
    late_order,
    on_the_truck,
    pick,
    pick_all,
    released_on_a_truck,
)


def _two_orders_on_one_truck(floor):
    """SO-1 (3 teas) and SO-2 (2 rice) on the van's load, its wave released."""
    orders = [
        floor_order(floor, (floor["tea"], 3), ref="SO-1"),
        floor_order(floor, (floor["rice"], 2), ref="SO-2"),
    ]
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=orders, actor=None
    )
    wave = services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    return orders, load, wave


def test_a_wave_is_picked_when_its_last_order_is(floor):
    (tea_order, rice_order), load, wave = _two_orders_on_one_truck(floor)
    pick(floor, Task.objects.get(kind="pick", item=floor["tea"]), 3)
    assert Wave.objects.get(pk=wave.pk).status == "released"  # the rice is still to pick
    assert not Event.objects.filter(type="wave.picked").exists()

    pick(floor, Task.objects.get(kind="pick", item=floor["rice"]), 2)
    wave.refresh_from_db()
    assert wave.status == "picked" and wave.picked_at is not None
    (told,) = Event.objects.filter(type="wave.picked")
    assert told.payload["load"] == load.reference
    assert told.payload["orders"] == ["SO-1", "SO-2"]
    assert told.payload["late_minutes"] == 0  # no appointment: nothing to be late for
    books.books_hold()

    # The goods of this truck are ready: a late order gets a truck of its own.
    late = late_order(floor)
    with pytest.raises(Conflict, match="picked already"):
        services.load_order_add(load=load, order=late, actor=None)
    late.refresh_from_db()
    assert (late.status, late.load_id, late.wave_id) == ("allocated", None, None)

    # Packing, staging and loading go on as before, and the truck leaves.
    for order in (tea_order, rice_order):
        on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    services.load_depart(load=load, actor=floor["operator"])
    assert Load.objects.get(pk=load.pk).status == "departed"


def test_a_wave_picked_after_its_ready_by_time_says_how_late(floor):
    dock = Dock.objects.create(warehouse=floor["wh"], code="D1")
    (_tea, _rice), load, _wave = _two_orders_on_one_truck(floor)
    # The truck is due in 20 minutes; goods should be ready 30 minutes before it: 10 ago.
    services.appointment_book(
        dock=dock,
        vehicle=floor["van"],
        load=load,
        starts_at=timezone.now() + timezone.timedelta(minutes=20),
        ends_at=timezone.now() + timezone.timedelta(minutes=80),
        actor=None,
    )
    pick_all(floor)
    told = Event.objects.get(type="wave.picked").payload
    assert 9 <= told["late_minutes"] <= 11
    assert told["truck_due"] is not None


def test_cutting_a_line_to_what_is_picked_leaves_the_order_picked_not_stuck(floor, network):
    _bj, face, _stage = network["BJ"]
    stock_in(floor["tea"], LocationFactory(zone=face.zone, barcode="BJ-PF-2"), 5)
    order, load = released_on_a_truck(floor, (floor["tea"], 9))
    first, second = Task.objects.filter(kind="pick").order_by("location__barcode")
    assert (first.quantity, second.quantity) == (6, 3)
    pick(floor, first, 6)
    # The customer wants 6 after all: the 3 at BJ-PF-2 go back, and nothing is left to pick.
    order = services.order_line_change(order=order, line_no=1, quantity=6, actor=None)
    assert order.status == "picked"
    assert Task.objects.get(pk=second.pk).status == "cancelled"
    assert Wave.objects.get(load=load).status == "picked"
    books.books_hold()
    # Before, the order stayed "released" with nothing to pick, and packing refused it.
    on_the_truck(floor, order, load)
    assert Order.objects.get(pk=order.pk).status == "loaded"


def test_cancelling_the_last_order_still_to_pick_leaves_the_wave_picked(floor):
    (_tea_order, rice_order), _load, wave = _two_orders_on_one_truck(floor)
    pick(floor, Task.objects.get(kind="pick", item=floor["tea"]), 3)
    services.order_cancel(order=rice_order, reason="customer", actor=None)
    assert Wave.objects.get(pk=wave.pk).status == "picked"
    books.books_hold()


def test_a_wave_whose_orders_are_all_cancelled_is_not_picked(floor):
    (tea_order, rice_order), load, wave = _two_orders_on_one_truck(floor)
    for order in (tea_order, rice_order):
        services.order_cancel(order=order, reason="customer", actor=None)
    assert Wave.objects.get(pk=wave.pk).status == "released"
    services.load_cancel(load=load, actor=None)  # nothing left to take: the van is free
    assert Wave.objects.get(pk=wave.pk).status == "cancelled"


def test_a_count_that_moves_the_rest_of_an_order_away_leaves_what_is_picked_ready(floor):
    """Tea picked; the rice place counted empty and no rice anywhere: the rice follows as a
    backorder and the order, all of whose goods here are picked, is picked with its wave."""
    order, load = released_on_a_truck(floor, (floor["tea"], 2), (floor["rice"], 3))
    pick(floor, Task.objects.get(kind="pick", item=floor["tea"]), 2)
    face = Location.objects.get(barcode="BJ-PF-1")
    (count,) = count_tasks_create(
        warehouse=floor["wh"], item=floor["rice"], location=face, actor=None
    )
    count_record(task=count, counted_quantity=0, actor=floor["operator"])
    order.refresh_from_db()
    assert order.status == "picked"
    assert [p.external_ref for p in order.split_parts.all()] == ["SO-1/BO"]
    assert Wave.objects.get(load=load).status == "picked"
    books.books_hold()


def test_the_dispatch_board_shows_a_picked_wave_ready_and_offers_no_late_join(
    floor, client, person
):
    (_tea, _rice), load, _wave = _two_orders_on_one_truck(floor)
    pick_all(floor)
    client.force_login(person("dispatcher", floor["wh"]))
    late_order(floor)
    page = client.get(reverse("dispatch"), {"warehouse": floor["wh"].code})
    assert page.status_code == 200
    (row,) = [r for r in page.context["loads"] if r["load"].pk == load.pk]
    assert row["wave"].status == "picked" and not row["addable"]
    body = page.content.decode()
    assert "Picked" in body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_last_picks_of_one_wave_at_once_leave_it_picked_once(floor):
    (_tea, _rice), _load, wave = _two_orders_on_one_truck(floor)
    tasks = list(Task.objects.filter(kind="pick").order_by("pk"))
    assert at_once(*(lambda t=t: pick(floor, t, t.quantity) for t in tasks)) == ["done"] * 2
    # Each pick finished an order; whichever committed second saw the first and closed the
    # wave. Without the wave's row lock both could miss each other, leaving it "released".
    assert Wave.objects.get(pk=wave.pk).status == "picked"
    assert Event.objects.filter(type="wave.picked").count() == 1
    books.books_hold()


def test_through_the_api_a_picked_wave_is_listed_as_such_and_refuses_a_late_order(
    floor, person, api
):
    (_tea, _rice), _load, wave = _two_orders_on_one_truck(floor)
    pick_all(floor)
    late = late_order(floor)
    dispatcher = api(person("dispatcher", floor["wh"]))

    (listed,) = dispatcher.get("/api/v1/waves/", {"status": "picked"}).json()["results"]
    assert (listed["id"], listed["status"]) == (wave.pk, "picked")
    assert listed["picked_at"] is not None
    assert listed["timing"]["expected_ready"] == listed["picked_at"]
    joined = dispatcher.post(
        f"/api/v1/waves/{wave.pk}/add-order/", {"order": late.external_ref}, format="json"
    )
    assert joined.status_code == 409
    assert "picked already" in joined.json()["message"]
    assert Order.objects.get(pk=late.pk).wave_id is None


def _count_empty(floor, item) -> None:  # type: ignore[no-untyped-def]
    """A blind count finds none of the item on Beijing's pick face."""
    face = Location.objects.get(barcode="BJ-PF-1")
    (count,) = count_tasks_create(warehouse=floor["wh"], item=item, location=face, actor=None)
    count_record(task=count, counted_quantity=0, actor=floor["operator"])


def test_a_released_order_whose_stock_a_count_took_leaves_its_truck_for_where_it_is(network, floor):
    """Tianjin has the rice a count finds gone in Beijing: the order moves there whole, off
    the Beijing truck and wave, not split into an empty order on the truck and a part."""
    stock_in(floor["rice"], network["TJ"][1], 5)
    order, _ = released_on_a_truck(floor, (floor["rice"], 3))
    _count_empty(floor, floor["rice"])
    order.refresh_from_db()
    assert (order.status, order.warehouse.code, order.load_id, order.wave_id) == (
        "allocated",
        "TJ",
        None,
        None,
    )
    assert list(order.lines.values_list("quantity", flat=True)) == [3]
    assert not Order.objects.filter(split_from=order).exists()
    assert not Task.objects.filter(kind="pick", status="open").exists()
    books.books_hold()


def test_a_backorder_whose_stock_a_count_took_is_allocated_whole_where_stock_arrives(
    network, floor
):
    """The count leaves the order waiting whole; when rice arrives in Tianjin it goes there
    whole, not as an empty order in Beijing with its line in a Tianjin part."""
    order, _ = released_on_a_truck(floor, (floor["rice"], 3))
    _count_empty(floor, floor["rice"])
    order.refresh_from_db()
    assert (order.status, order.load_id) == ("backordered", None)
    stock_in(floor["rice"], network["TJ"][1], 5)
    services.orders_backordered_reallocate(skus=["RICE"])
    order.refresh_from_db()
    assert (order.status, order.warehouse.code) == ("allocated", "TJ")
    assert list(order.lines.values_list("quantity", flat=True)) == [3]
    assert not Order.objects.filter(split_from=order).exists()
    books.books_hold()


def test_cutting_a_line_gives_back_what_is_still_to_pick_whichever_reservation_it_is(floor):
    order, _load = released_on_a_truck(floor, (floor["tea"], 3))
    order = services.order_line_change(order=order, line_no=1, quantity=5, actor=None)
    first, added = Task.objects.filter(kind="pick").order_by("pk")
    assert (first.quantity, added.quantity) == (3, 2)
    pick(floor, added, 2)  # the 2 added are picked first
    # The customer wants 4 after all: one of the 3 not yet picked goes back.
    order = services.order_line_change(order=order, line_no=1, quantity=4, actor=None)
    assert (order.status, order.lines.get().quantity) == ("released", 4)
    first.refresh_from_db()
    assert (first.status, first.quantity) == ("open", 2)
    books.books_hold()
    pick(floor, first, 2)
    assert Order.objects.get(pk=order.pk).status == "picked"
