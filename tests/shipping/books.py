"""What must hold of stock, orders, tasks and loads after any sequence of services, however
interleaved: the checks the random and the concurrent flow tests run."""

import itertools
from collections import defaultdict

from django.db.models import Count, F, Sum
from django.utils import timezone

from inventory.models import Allocation, Reservation, StockBalance, Task
from inventory.selectors import ledger_drift
from shipping.choices import OrderStatus, UnitStatus
from shipping.models import (
    DockAppointment,
    DockHold,
    HandlingUnit,
    HandlingUnitLine,
    Load,
    Order,
    OrderLine,
    Vehicle,
    Wave,
    plate_key,
)
from shipping.selectors import trips_holding

# What an order in each status holds, in reserved units (R) and picked units (P), per line:
HOLDS_ALL = {OrderStatus.ALLOCATED, OrderStatus.RELEASED}  # R + P == quantity
HOLDS_NOTHING = {
    OrderStatus.CANCELLED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.REFUSED,
}  # R == 0
ALL_PICKED = {OrderStatus.PICKED, OrderStatus.PACKED, OrderStatus.STAGED, OrderStatus.LOADED}


def ledger_is_exact() -> None:
    """Balances equal the ledger, and what each balance has reserved is exactly what the
    allocations on it still hold."""
    assert ledger_drift() == []
    assert not StockBalance.objects.filter(reserved__gt=F("on_hand")).exists()
    still = dict(
        Allocation.objects.values_list("balance")
        .annotate(q=Sum("quantity"))
        .values_list("balance", "q")
    )
    for balance in StockBalance.objects.all():
        assert balance.reserved == still.get(balance.pk, 0), balance


def reservations_belong_to_live_lines() -> None:
    """A closed reservation holds nothing; what each order line holds and has picked matches
    its order's status; nothing packed that was not picked, and a picked order has something
    left to pack."""
    for reservation in Reservation.objects.exclude(status="open"):
        assert not reservation.allocations.filter(quantity__gt=0).exists(), reservation
    unpacked: dict[str, int] = defaultdict(int)  # per picked order: picked, not yet packed
    for line in OrderLine.objects.select_related("order"):
        reserved = (
            Allocation.objects.filter(
                reservation__reference=line.reference, reservation__status="open"
            ).aggregate(q=Sum("quantity"))["q"]
            or 0
        )
        picked = (
            Allocation.objects.filter(reservation__reference=line.reference).aggregate(
                q=Sum("picked")
            )["q"]
            or 0
        )
        status = line.order.status
        where = f"{line.order.external_ref} line {line.line_no} ({status})"
        if status in HOLDS_ALL:
            assert reserved + picked == line.quantity, (where, reserved, picked)
        elif status in HOLDS_NOTHING:
            assert reserved == 0, (where, reserved)
        elif status in ALL_PICKED:
            assert (reserved, picked) == (0, line.quantity), (where, reserved, picked)
        else:  # received, backordered: some or none
            assert reserved + picked <= line.quantity, (where, reserved, picked)
        packed = (
            HandlingUnitLine.objects.filter(line=line)
            .exclude(unit__status=UnitStatus.CANCELLED)
            .aggregate(q=Sum("quantity"))["q"]
            or 0
        )
        assert packed <= picked or status in HOLDS_NOTHING, (where, packed, picked)
        if status == OrderStatus.PICKED:
            unpacked[line.order.external_ref] += picked - packed
    # A picked order has goods to pack: all packed, it is packed, not left picked.
    assert all(unpacked.values()), unpacked


def pick_tasks_ask_for_what_is_reserved() -> None:
    """Open pick tasks belong to released orders and ask for no more than their allocation
    still holds."""
    asked: dict[int, int] = defaultdict(int)
    for task in Task.objects.filter(kind="pick", status="open"):
        asked[task.allocation_id] += task.quantity
        order_pk = int(task.reference.split(":")[1])
        status = Order.objects.get(pk=order_pk).status
        assert status == OrderStatus.RELEASED, (task.reference, status)
    for allocation in Allocation.objects.filter(pk__in=asked):
        assert asked[allocation.pk] <= allocation.quantity, allocation


def orders_have_lines() -> None:
    """An order not cancelled has a line: moving its units to parts never leaves a shell that
    could be allocated, released or loaded with nothing in it."""
    empty = Order.objects.exclude(status=OrderStatus.CANCELLED).filter(lines__isnull=True)
    assert not empty.exists(), [(o.external_ref, o.status) for o in empty]


def released_orders_have_picking_to_do() -> None:
    """An order released to the floor has an open pick task: once nothing of it is left to
    pick, it is picked, not left released where nobody can pack it."""
    for order in Order.objects.filter(status=OrderStatus.RELEASED):
        references = [line.reference for line in order.lines.all()]
        assert Task.objects.filter(kind="pick", status="open", reference__in=references).exists(), (
            order.external_ref
        )


def orders_go_on_with_their_units() -> None:
    """An order packed, staged or loaded is where its units are, so the next step can take it:
    packed has a unit to stage, staged a unit to load, loaded all its units on the truck."""
    waiting = {OrderStatus.PACKED: UnitStatus.PACKED, OrderStatus.STAGED: UnitStatus.STAGED}
    for order in Order.objects.filter(
        status__in=(OrderStatus.PACKED, OrderStatus.STAGED, OrderStatus.LOADED)
    ):
        units = set(
            HandlingUnit.objects.filter(order=order)
            .exclude(status=UnitStatus.CANCELLED)
            .values_list("status", flat=True)
        )
        if order.status == OrderStatus.LOADED:
            assert units == {UnitStatus.LOADED}, (order.external_ref, units)
        else:
            assert waiting[order.status] in units, (order.external_ref, order.status, units)


STILL_TO_PICK = {
    OrderStatus.RECEIVED,
    OrderStatus.ALLOCATED,
    OrderStatus.BACKORDERED,
    OrderStatus.RELEASED,
}


def waves_picked_when_done() -> None:
    """A released wave becomes picked once no order on it is left to pick and one of them
    was picked (not all cancelled), and stays so (its orders may be cancelled later)."""
    for wave in Wave.objects.filter(status__in=("released", "picked")):
        statuses = set(wave.orders.values_list("status", flat=True))
        to_pick = bool(statuses & STILL_TO_PICK)
        if wave.status == "picked":
            assert not to_pick and wave.picked_at is not None, (wave.pk, statuses)
        else:
            assert to_pick or not statuses - {OrderStatus.CANCELLED}, (wave.pk, statuses)
            assert wave.picked_at is None, wave.pk


def loads_carry_what_they_may() -> None:
    """An order's wave is its load's; what shipped left on a departed truck, and a departed
    truck carries nothing still in the warehouse; a vehicle is inside at one door at most,
    loads one load at most, is booked for a load only as that load's truck, holds no other
    load while one holds it whole, and its trips booked ahead do not overlap."""
    for order in Order.objects.exclude(load=None).select_related("load", "wave"):
        if order.wave_id:
            assert order.wave.load_id == order.load_id, order.external_ref
        if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            assert order.load.status == "departed", order.external_ref
        if order.load.status == "departed":
            assert order.status in HOLDS_NOTHING, (order.external_ref, order.status)
    for live in (
        DockAppointment.objects.filter(status="checked_in"),
        Load.objects.filter(status="loading"),
    ):
        twice = live.values("vehicle").annotate(n=Count("pk")).filter(n__gt=1)
        assert not twice.exists(), list(twice)
    for load in Load.objects.filter(status__in=("planned", "loading")).select_related(
        "appointment"
    ):
        slot = getattr(load, "appointment", None)
        if slot is not None and slot.status in ("booked", "checked_in"):
            assert slot.vehicle_id == load.vehicle_id, load.reference  # the truck it books
    now = timezone.now()
    ahead: dict[int, list] = {}
    held: dict[int, list] = {}
    for trip in trips_holding(vehicle_ids=Vehicle.objects.values_list("pk", flat=True), now=now):
        held.setdefault(trip.load.vehicle_id, []).append(trip)
        if not trip.whole and trip.load.appointment.ends_at > now:
            ahead.setdefault(trip.load.vehicle_id, []).append(trip)
    for trips in held.values():  # a load that holds its truck whole is its only one
        assert len(trips) == 1 or not any(t.whole for t in trips), [t.load.reference for t in trips]
    for trips in ahead.values():
        trips.sort(key=lambda t: t.starts_at)
        for before, after in itertools.pairwise(trips):
            assert before.back_at <= after.starts_at, (before.load.reference, after.load.reference)


def doors_held_take_no_truck() -> None:
    """No door is held while a live appointment has a truck there, and no two holds of a
    door overlap."""
    for hold in DockHold.objects.filter(released_at__isnull=True):
        clash = DockAppointment.objects.filter(
            dock_id=hold.dock_id,
            status__in=("booked", "checked_in"),
            starts_at__lt=hold.ends_at,
            ends_at__gt=hold.starts_at,
        )
        assert not clash.exists(), (hold.pk, list(clash.values_list("pk", flat=True)))
        other = DockHold.objects.filter(
            dock_id=hold.dock_id,
            released_at__isnull=True,
            starts_at__lt=hold.ends_at,
            ends_at__gt=hold.starts_at,
        ).exclude(pk=hold.pk)
        assert not other.exists(), hold.pk
    # A supplier's truck is in at one door at most; one gone has freed its door by then.
    inside = DockHold.objects.filter(checked_in_at__isnull=False, checked_out_at__isnull=True)
    plates = [plate_key(p) for p in inside.values_list("plate", flat=True)]
    assert len(plates) == len(set(plates)), plates
    assert not inside.filter(released_at__isnull=False).exists()  # a door with a truck in
    for hold in DockHold.objects.filter(checked_out_at__isnull=False):
        assert hold.checked_in_at <= hold.checked_out_at, hold.pk
        assert hold.released_at is not None or hold.ends_at <= hold.checked_out_at, hold.pk


def held_lots_go_nowhere() -> None:
    """A lot on hold is held on each of its balances (and only such a lot), nothing of it is
    reserved, and no unit holding it has left since it was held."""
    assert not StockBalance.objects.filter(lot__held_at__isnull=False, held=False).exists()
    assert not StockBalance.objects.filter(held=True).exclude(lot__held_at__isnull=False).exists()
    assert not Allocation.objects.filter(balance__held=True, quantity__gt=0).exists()
    assert not HandlingUnitLine.objects.filter(
        lot__held_at__isnull=False,
        unit__status=UnitStatus.SHIPPED,
        unit__load__departed_at__gte=F("lot__held_at"),
    ).exists()


def books_hold() -> None:
    ledger_is_exact()
    held_lots_go_nowhere()
    reservations_belong_to_live_lines()
    pick_tasks_ask_for_what_is_reserved()
    orders_have_lines()
    released_orders_have_picking_to_do()
    orders_go_on_with_their_units()
    waves_picked_when_done()
    loads_carry_what_they_may()
    doors_held_take_no_truck()
