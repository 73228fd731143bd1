"""Many hands at once, on PostgreSQL: an ERP posting and changing orders (some cut to what is
picked), the office cancelling them (some once picked, their goods put back to stock),
dispatchers building trucks and releasing waves, pickers scanning (some short), packers, and
goods arriving, all on the same few items, in parallel connections.
Each service either does its whole work or refuses with a reason; afterwards the books hold
exactly as after any sequence of the same services run one by one."""

import datetime
import os
import random
import threading
import traceback

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from core.exceptions import DomainError
from inventory.models import Allocation, Item, Location, Lot, Task
from inventory.services import (
    count_record,
    count_tasks_create,
    lot_hold_lift,
    stock_receive,
    task_confirm,
)
from shipping import services
from shipping.choices import OrderStatus
from shipping.models import (
    Carrier,
    Dock,
    DockAppointment,
    DockHold,
    Load,
    Order,
    OrderLine,
    Stop,
    Vehicle,
    Wave,
)
from tests.factories import ItemFactory, LocationFactory
from tests.inventory.helpers import on_hand
from tests.shipping import books
from tests.shipping.conftest import tomorrow

HANDS = 6
STEPS = int(os.environ.get("HANDS_STEPS", "40"))
SEED = int(os.environ.get("HANDS_SEED", "0"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_hands_at_once_leave_the_books_exact(network, beijing_shop, person):
    bj, pick_face, stage = network["BJ"]
    faces = [pick_face, LocationFactory(zone=pick_face.zone, barcode="BJ-PF-2")]
    # Milk comes in lots, one per face, which quality holds and releases meanwhile.
    milk = ItemFactory(sku="MILK", lot_tracked=True)
    items = [ItemFactory(sku="TEA"), ItemFactory(sku="RICE"), ItemFactory(sku="SALT"), milk]

    def lot_at(item: Item, face: Location) -> str | None:
        return f"M{faces.index(face) + 1}" if item == milk else None

    for item in items:
        for face in faces:
            stock_receive(
                item=item, quantity=15, location=face, lot_code=lot_at(item, face), actor=None
            )
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    vans = [
        Vehicle.objects.create(
            carrier=carrier, plate=f"京A-{n}", capacity_weight_kg=5000, capacity_volume_l=90000
        )
        for n in range(HANDS * 3)
    ]
    # Two city trucks every hand books trips on, at two doors: their trips must never overlap.
    city = [
        Vehicle.objects.create(
            carrier=carrier, plate=f"京C-{n}", capacity_weight_kg=5000, capacity_volume_l=90000
        )
        for n in range(2)
    ]
    docks = [Dock.objects.create(warehouse=bj, code=f"D{n}") for n in range(2)]
    quarantine = LocationFactory(zone=pick_face.zone, barcode="BJ-QC")
    people = [person("operator", bj) for _ in range(HANDS)]
    customer, ship_to = beijing_shop
    start = threading.Barrier(HANDS)
    failures: list[str] = []
    done: list[str] = []

    def live(status: str) -> list[Order]:
        return list(Order.objects.filter(status=status).order_by("pk"))

    def hand(n: int) -> None:
        rng = random.Random(n + SEED)
        me = people[n]
        my_vans = vans[n * 3 : n * 3 + 3]
        made = 0
        try:
            start.wait()
            for _ in range(STEPS):
                what = rng.choice(
                    [
                        "place",
                        "place",
                        "change",
                        "cancel",
                        "truck",
                        "truck",
                        "trip",
                        "move",
                        "swap",
                        "pick",
                        "pick",
                        "pick",
                        "pack",
                        "arrive",
                        "join",
                        "load",
                        "load",
                        "deliver",
                        "grow",
                        "count",
                        "cut",
                        "put",
                        "hold",
                        "quality",
                    ]
                )
                try:
                    if what == "place":
                        made += 1
                        services.order_create(
                            customer=customer,
                            ship_to=ship_to,
                            external_ref=f"SO-{n}-{made}",
                            lines=[
                                services.LineInput(item, rng.randint(1, 5))
                                for item in rng.sample(items, rng.randint(1, 3))
                            ],
                            requested_delivery_date=tomorrow(2),
                            promised_ship_date=tomorrow(),
                            actor=None,
                        )
                    elif what == "change":
                        lines = list(OrderLine.objects.select_related("order").order_by("pk"))
                        if lines:
                            line = rng.choice(lines)
                            services.order_line_change(
                                order=line.order,
                                line_no=line.line_no,
                                quantity=rng.randint(1, 7),
                                actor=None,
                            )
                    elif what == "cancel":
                        orders = list(
                            Order.objects.filter(
                                status__in=(
                                    OrderStatus.ALLOCATED,
                                    OrderStatus.RELEASED,
                                    OrderStatus.PICKED,  # its goods go back to stock
                                )
                            ).order_by("pk")
                        )
                        if orders:
                            services.order_cancel(
                                order=rng.choice(orders), reason="customer", actor=None
                            )
                    elif what == "truck":
                        free = list(
                            Order.objects.filter(status=OrderStatus.ALLOCATED, load=None).order_by(
                                "pk"
                            )
                        )
                        if free:
                            load = services.load_build(
                                warehouse=bj,
                                vehicle=rng.choice(my_vans),
                                orders=rng.sample(free, min(len(free), rng.randint(1, 3))),
                                actor=None,
                            )
                            wave = services.wave_plan(load=load, actor=None)
                            services.wave_release(wave=wave, actor=None)
                    elif what == "trip":  # a city truck's next trip, with its slot
                        free = live(OrderStatus.ALLOCATED)
                        if free:
                            at = timezone.now().replace(second=0, microsecond=0)
                            at += datetime.timedelta(
                                minutes=15 * rng.randint(4, 48) - at.minute % 15
                            )
                            slot = services.DockSlot(
                                rng.choice(docks), at, at + datetime.timedelta(hours=1)
                            )
                            truck = rng.choice(city)
                            # As a dispatcher would: an order another hand has just put on a
                            # truck, the next one waiting (the race is the point, but so is
                            # a trip going through now and then).
                            tries = rng.sample(free, min(len(free), 3))
                            for n_try, order in enumerate(tries, start=1):
                                try:
                                    load = services.load_build(
                                        warehouse=bj,
                                        vehicle=truck,
                                        orders=[order],
                                        slot=slot,
                                        actor=None,
                                    )
                                    break
                                except DomainError:
                                    if n_try == len(tries):
                                        raise
                            wave = services.wave_plan(load=load, actor=None)
                            services.wave_release(wave=wave, actor=None)
                    elif what == "move":  # a dispatcher moves a trip's slot
                        booked = list(
                            DockAppointment.objects.filter(
                                status="booked", load__isnull=False
                            ).order_by("pk")
                        )
                        if booked:
                            appointment = rng.choice(booked)
                            by = datetime.timedelta(minutes=15 * rng.choice([-4, -2, 2, 4]))
                            services.appointment_move(
                                appointment=appointment,
                                starts_at=appointment.starts_at + by,
                                ends_at=appointment.ends_at + by,
                                dock=rng.choice(docks),
                                actor=None,
                            )
                    elif what == "hold":  # a door held for a supplier's truck, or freed
                        held = list(DockHold.objects.filter(released_at__isnull=True))
                        inside = [h for h in held if h.checked_in_at and not h.checked_out_at]
                        roll = rng.random()
                        if held and roll < 0.2:
                            services.dock_hold_release(hold=rng.choice(held), actor=me)
                        elif roll < 0.3:  # a truck with no door held: the first free one
                            services.supplier_truck_walk_in(
                                warehouse=docks[0].warehouse,
                                plate=f"冀B-{rng.randint(1, 3)}",
                                minutes=rng.choice([30, 60, 120]),
                                actor=me,
                            )
                        elif held and roll < 0.45:  # its truck at the gate: three plates
                            services.supplier_truck_check_in(
                                hold=rng.choice(held),
                                plate=f"冀B-{rng.randint(1, 3)}",
                                actor=me,
                            )
                        elif inside and roll < 0.6:  # unloaded: the door is free
                            services.supplier_truck_check_out(hold=rng.choice(inside), actor=me)
                        else:
                            at = timezone.now().replace(second=0, microsecond=0)
                            at += datetime.timedelta(
                                minutes=15 * rng.randint(4, 48) - at.minute % 15
                            )
                            services.dock_hold_place(
                                dock=rng.choice(docks),
                                starts_at=at,
                                ends_at=at + datetime.timedelta(hours=1),
                                reason="receiving",
                                actor=me,
                            )
                    elif what == "swap":  # a dispatcher puts a load on another truck
                        planned = list(Load.objects.filter(status="planned").order_by("pk"))
                        if planned:
                            services.load_vehicle_change(
                                load=rng.choice(planned),
                                vehicle=rng.choice(city + my_vans),
                                driver=None,
                                actor=None,
                            )
                    elif what == "pick":
                        tasks = list(
                            Task.objects.filter(kind="pick", status="open")
                            .select_related("location", "item", "lot")
                            .order_by("pk")
                        )
                        if tasks:
                            task = rng.choice(tasks)
                            services.order_pick_confirm(
                                task=task,
                                location_barcode=task.location.barcode,
                                item_code=task.item.sku,
                                lot_code=task.lot.code if task.lot_id else None,
                                quantity=max(task.quantity - rng.choice([0, 0, 0, 1, 2]), 0),
                                actor=me,
                            )
                    elif what == "pack":
                        picked = live(OrderStatus.PICKED)
                        if picked:
                            unit = services.unit_pack(
                                order=rng.choice(picked), contents=None, actor=me
                            )
                            services.unit_stage(unit=unit, lane=stage, actor=me)
                    elif what == "arrive":
                        item, face = rng.choice(items), rng.choice(faces)
                        stock_receive(
                            item=item,
                            quantity=rng.randint(1, 8),
                            location=face,
                            lot_code=lot_at(item, face),
                            actor=None,
                        )
                        services.orders_backordered_reallocate(skus=[item.sku])
                    elif what == "grow":  # the ERP changes a line of an order on the floor
                        lines = list(
                            OrderLine.objects.filter(order__status=OrderStatus.RELEASED)
                            .select_related("order")
                            .order_by("pk")
                        )
                        if lines:
                            line = rng.choice(lines)
                            services.order_line_change(
                                order=line.order,
                                line_no=line.line_no,
                                quantity=line.quantity + rng.choice([-1, 1, 2]),
                                actor=None,
                            )
                    elif what == "cut":  # the customer wants only what is picked of a line
                        picked = list(
                            Allocation.objects.filter(
                                picked__gt=0, reservation__reference__startswith="order:"
                            )
                            .values_list("reservation__reference")
                            .annotate(q=Sum("picked"))
                            .order_by("reservation__reference")
                        )
                        if picked:
                            reference, quantity = rng.choice(picked)
                            order_pk, line_no = OrderLine.of_reference(reference)
                            services.order_line_change(
                                order=Order.objects.get(pk=order_pk),
                                line_no=line_no,
                                quantity=quantity,
                                actor=None,
                            )
                    elif what == "put":  # goods of a cancelled order back to stock
                        tasks = list(
                            Task.objects.filter(kind="putaway", status="open")
                            .select_related("location", "item", "to_location", "lot")
                            .order_by("pk")
                        )
                        if tasks:
                            task = rng.choice(tasks)
                            task_confirm(
                                task=task,
                                location_barcode=task.location.barcode,
                                item_code=task.item.sku,
                                lot_code=task.lot.code if task.lot_id else None,
                                quantity=task.quantity,
                                to_location_barcode=(task.to_location or faces[0]).barcode,
                                actor=me,
                            )
                    elif what == "count":  # a counter finds a little less than the books
                        item, face = rng.choice(items), rng.choice(faces)
                        for task in count_tasks_create(
                            warehouse=bj, item=item, location=face, actor=None
                        ):
                            have = on_hand(item, face)
                            count_record(
                                task=task,
                                counted_quantity=max(have - rng.randint(0, 3), 0),
                                actor=me,
                            )
                    elif what == "join":  # a late order onto a truck still here
                        free = live(OrderStatus.ALLOCATED)
                        waves = list(
                            Wave.objects.filter(status__in=("planned", "released")).order_by("pk")
                        )
                        if free and waves:
                            services.wave_order_add(
                                wave=rng.choice(waves), order=rng.choice(free), actor=None
                            )
                    elif what == "load":  # scan a staged order's units on; leave when all are
                        staged = [o for o in live(OrderStatus.STAGED) if o.load_id]
                        if staged:
                            order = rng.choice(staged)
                            for unit in order.units.filter(status="staged"):
                                services.load_scan(load=order.load, sscc=unit.sscc, actor=me)
                            services.load_depart(load=order.load, actor=me)
                    elif what == "quality":  # a milk lot held, taken out of an order, or lifted
                        lot = Lot.objects.get(item=milk, code=rng.choice(["M1", "M2"]))
                        picked_for = sorted(
                            OrderLine.of_reference(reference)[0]
                            for reference in Allocation.objects.filter(
                                balance__lot=lot,
                                picked__gt=0,
                                reservation__reference__startswith="order:",
                            ).values_list("reservation__reference", flat=True)
                        )
                        if lot.held_at is None:
                            services.lot_hold(lot=lot, reason="recall", actor=me)
                        elif picked_for and rng.random() < 0.5:
                            services.order_lot_pull(
                                order=Order.objects.get(pk=rng.choice(picked_for)),
                                lot=lot,
                                to_location=quarantine,
                                actor=me,
                            )
                        else:
                            lot_hold_lift(lot=lot, actor=me)
                            services.orders_backordered_reallocate(skus=["MILK"])
                    elif what == "deliver":
                        stops = list(Stop.objects.filter(status="pending").order_by("pk"))
                        if stops:
                            services.delivery_record(
                                stop=rng.choice(stops),
                                outcome=rng.choice(["delivered", "delivered", "refused"]),
                                receiver_name="Ms Li",
                                note="closed",
                                at=timezone.now(),
                                actor=None,
                            )
                    done.append(what)
                except DomainError as refused:
                    assert refused.message
        except Exception:  # anything but a reasoned refusal is a failure of the services
            failures.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=hand, args=(n,)) for n in range(HANDS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures[0]
    assert not any(t.is_alive() for t in threads)
    # Enough of every kind of work went through for the check to mean something.
    for what in ("place", "truck", "pick", "pack", "load"):
        assert done.count(what) >= 3, (what, done.count(what))
    assert done.count("trip") >= 1  # and more refused: the city trucks' trips overlapped
    assert done.count("hold") >= 1  # doors held (or freed) between the trips' bookings
    assert done.count("quality") >= 1  # milk lots held (or released) under the pickers
    books.books_hold()
