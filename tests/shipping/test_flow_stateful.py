"""Hypothesis drives random sequences of the order-to-truck services through a warehouse
(Beijing; stock also arrives in Tianjin, so some orders are allocated there or split):
orders placed, changed (some cut to what is picked) and cancelled (some once picked, their
goods put back), stock arriving for backorders, loads built, changed and cancelled, waves
planned and released, urgent orders joining them, picks (some short), packing, staging,
loading, departures and deliveries. After every step the books must hold (tests/shipping/
books.py): the ledger is exact, every reserved unit belongs to an open reservation of a live
order line, no pick task asks for more than is reserved where it picks, what an order holds
matches its status, a released order has picking to do, and a wave is picked once its
orders are."""

import datetime
import os

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.exceptions import Conflict, DomainError
from inventory.models import Allocation, Lot, StockBalance, Task
from inventory.services import (
    count_record,
    count_tasks_create,
    lot_hold_lift,
    stock_adjust,
    stock_move,
    stock_receive,
    task_confirm,
)
from shipping import services
from shipping.choices import OrderStatus, UnitStatus
from shipping.models import (
    Carrier,
    Dock,
    DockAppointment,
    DockHold,
    HandlingUnit,
    Load,
    Order,
    OrderLine,
    Stop,
    Vehicle,
    Wave,
)
from shipping.planning import loads_proposed
from tests.factories import ItemFactory, LocationFactory, ZoneFactory
from tests.shipping import books
from tests.shipping.conftest import tomorrow

# Why a line change may be refused: the order is past changing, the line would be empty,
# below what is picked, or on a split part, or its truck would be overloaded.
CHANGE_REFUSALS = {
    ("status", "invalid_transition"),
    ("quantity", "picked_already"),
    ("line_no", "conflict"),
    ("quantity", "overweight"),
    ("quantity", "over_volume"),
}
EMPTY = ("quantity", "invalid")


@pytest.mark.django_db(transaction=True)
def test_random_order_flows_keep_stock_orders_and_tasks_consistent(network, beijing_shop, person):
    bj, pick_face, _stage = network["BJ"]
    second_face = LocationFactory(zone=pick_face.zone, barcode="BJ-PF-2")
    lane = LocationFactory(
        zone=ZoneFactory(warehouse=bj, code="BJ-DOCK", kind="dock"), barcode="BJ-LANE"
    )
    # Milk comes in lots, one per face, which quality may hold and release.
    milk = ItemFactory(sku="MILK", lot_tracked=True)
    items = [ItemFactory(sku="TEA"), ItemFactory(sku="RICE"), milk]
    faces = [pick_face, second_face]
    # An own van, and a parcel carrier's that is free of us once it leaves our dock.
    carriers = [
        Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet"),
        Carrier.objects.create(
            code="SF", name="SF", service_level="parcel", network_km_per_day=800
        ),
    ]
    vans = [
        Vehicle.objects.create(
            carrier=carrier, plate=f"京A-{n}", capacity_weight_kg=900, capacity_volume_l=90000
        )
        for n, carrier in enumerate(carriers)
    ]
    dock = Dock.objects.create(warehouse=bj, code="D1")
    quarantine = LocationFactory(zone=pick_face.zone, barcode="BJ-QC")
    operator = person("operator", bj)
    customer, ship_to = beijing_shop
    quantities = st.integers(min_value=1, max_value=6)

    class Flow(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self.n = 0
            # Each item on both faces: a line may be picked from two places.
            for item in items:
                for n, face in enumerate(faces, start=1):
                    lot = f"M{n}" if item == milk else None
                    stock_receive(item=item, quantity=4, location=face, lot_code=lot, actor=None)

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        def _try(self, fn, **kwargs):
            """Call a service; a refusal is fine when it says why."""
            try:
                return fn(**kwargs)
            except DomainError as refused:
                assert refused.message
                return None

        def _must(self, fn, **kwargs):
            """Call a service that has no reason to refuse (a picker scanning what an open
            task asks for, at its place): a refusal fails the test."""
            return fn(**kwargs)

        def _some(self, data, rows):
            rows = list(rows.order_by("pk"))
            return data.draw(st.sampled_from(rows)) if rows else None

        # --- the office -------------------------------------------------------------------

        @rule(
            lines=st.lists(
                st.tuples(st.sampled_from(items), quantities),
                min_size=1,
                max_size=2,
                unique_by=lambda line: line[0].pk,
            ),
            urgent=st.booleans(),
        )
        def place(self, lines, urgent):
            self.n += 1
            self._try(
                services.order_create,
                customer=customer,
                ship_to=ship_to,
                external_ref=f"SO-{self.n}",
                lines=[services.LineInput(item, qty) for item, qty in lines],
                requested_delivery_date=tomorrow(2),
                promised_ship_date=tomorrow(),
                priority=1 if urgent else 3,
                actor=None,
            )

        def _change(self, line, quantity):
            """A change the customer may make goes through; a refusal must be one of the
            reasons a change has (not something the services tripped over on the way)."""
            try:
                services.order_line_change(
                    order=line.order, line_no=line.line_no, quantity=quantity, actor=None
                )
            except DomainError as refused:
                why = (refused.field, refused.code)
                assert why in CHANGE_REFUSALS or (quantity <= 0 and why == EMPTY), refused.message

        def _cancel_one_of(self, data, orders):
            order = self._some(data, orders)
            if order is None:
                return
            try:
                services.order_cancel(order=order, reason="customer", actor=None)
            except DomainError as refused:  # only an order on its way or done stays
                assert (refused.field, refused.code) == ("status", "invalid_transition"), (
                    refused.message
                )

        @rule(data=st.data(), qty=st.integers(min_value=0, max_value=8))
        def change(self, data, qty):
            line = self._some(data, OrderLine.objects.select_related("order"))
            if line is not None:
                self._change(line, qty)

        @rule(data=st.data(), delta=st.integers(min_value=-3, max_value=3))
        def change_on_the_floor(self, data, delta):
            """A line of an order being picked is raised or cut a little: raised, it gets a
            reservation and pick task of its own, which may be picked before the first."""
            line = self._some(data, OrderLine.objects.filter(order__status=OrderStatus.RELEASED))
            if line is not None:
                self._change(line, line.quantity + delta)

        @rule(data=st.data())
        def cut_to_picked(self, data):
            """The customer wants only what the floor picked already of a line."""
            line = self._some(data, OrderLine.objects.filter(order__status=OrderStatus.RELEASED))
            if line is None:
                return
            picked = Allocation.objects.filter(reservation__reference=line.reference).aggregate(
                q=Sum("picked")
            )["q"]
            if picked:
                self._change(line, picked)

        @rule(data=st.data())
        def cancel(self, data):
            self._cancel_one_of(data, Order.objects.all())

        @precondition(lambda self: Order.objects.filter(status__in=books.ALL_PICKED).exists())
        @rule(data=st.data())
        def cancel_picked(self, data):
            """The customer cancels once the goods are off the shelf: they go back to stock."""
            self._cancel_one_of(data, Order.objects.filter(status__in=books.ALL_PICKED))

        # Stock arrives in Tianjin too: an order Beijing cannot ship complete is allocated
        # there, or split between the two, and its parts live on beside it.
        @rule(
            item=st.sampled_from(items),
            face=st.sampled_from([*faces, network["TJ"][1]]),
            qty=quantities,
        )
        def stock_arrives(self, item, face, qty):
            # Milk of lot M1 comes back (a lot held meanwhile stays held), or of a new lot.
            lot = ("M1" if face == faces[0] else "M3") if item == milk else None
            stock_receive(item=item, quantity=qty, location=face, lot_code=lot, actor=None)
            services.orders_backordered_reallocate(skus=[item.sku])

        # --- the dispatcher ---------------------------------------------------------------

        @rule(data=st.data(), van=st.sampled_from(vans))
        def build_load(self, data, van):
            free = list(
                Order.objects.filter(status=OrderStatus.ALLOCATED, load=None).order_by("pk")
            )
            if free:
                chosen = data.draw(st.lists(st.sampled_from(free), min_size=1, unique=True))
                self._try(services.load_build, warehouse=bj, vehicle=van, orders=chosen, actor=None)

        @rule(data=st.data())
        def build_proposed(self, data):
            """The dispatcher asks for proposals and builds one with its slot: every order
            waiting is proposed once or told why it waits, and a proposal builds."""
            plan = loads_proposed(warehouse=bj)
            proposed = [o.pk for p in plan.proposals for o in p.orders]
            waiting = [w.order.pk for w in plan.waiting]
            assert sorted(proposed + waiting) == sorted(
                Order.objects.filter(
                    warehouse=bj, status=OrderStatus.ALLOCATED, load=None
                ).values_list("pk", flat=True)
            )
            if plan.proposals:
                p = data.draw(st.sampled_from(plan.proposals))
                slot = services.DockSlot(p.dock, p.slot_starts_at, p.leaves_at) if p.dock else None
                self._must(
                    services.load_build,
                    warehouse=bj,
                    vehicle=p.vehicle,
                    orders=p.orders,
                    driver=p.driver,
                    slot=slot,
                    actor=None,
                )

        @rule(
            quarters=st.integers(min_value=0, max_value=30),
            length=st.integers(min_value=1, max_value=8),
            release=st.booleans(),
        )
        def hold_door(self, quarters, length, release):
            """The door held for a while (a repair), or freed: the proposals plan around it
            (`build_proposed` must build what they propose)."""
            held = (  # a door with a supplier's truck in is freed by its leaving
                DockHold.objects.filter(released_at__isnull=True)
                .exclude(checked_in_at__isnull=False, checked_out_at__isnull=True)
                .order_by("pk")
                .first()
            )
            if release and held is not None:
                self._must(services.dock_hold_release, hold=held, actor=None)
                return
            at = timezone.now().replace(second=0, microsecond=0)
            at += datetime.timedelta(minutes=15 * quarters - at.minute % 15)
            self._try(
                services.dock_hold_place,
                dock=dock,
                starts_at=at,
                ends_at=at + datetime.timedelta(minutes=15 * length),
                reason="maintenance",
                actor=None,
            )

        @rule(minutes=st.sampled_from([15, 45, 120]), leave=st.booleans())
        def supplier_truck(self, minutes, leave):
            """A supplier's truck walks in to the door if it is free, or the one in leaves:
            the door is held meanwhile and free again after."""
            inside = DockHold.objects.filter(
                checked_in_at__isnull=False, checked_out_at__isnull=True
            ).first()
            if leave and inside is not None:
                self._must(services.supplier_truck_check_out, hold=inside, actor=None)
                return
            self._try(
                services.supplier_truck_walk_in,
                warehouse=dock.warehouse,
                plate="冀B-1",
                minutes=minutes,
                actor=None,
            )

        @rule(data=st.data())
        def plan_wave(self, data):
            load = self._some(data, Load.objects.filter(wave=None))
            if load is not None:
                self._try(services.wave_plan, load=load, actor=None)

        @rule(data=st.data())
        def release_wave(self, data):
            wave = self._some(data, Wave.objects.all())
            if wave is not None:
                self._try(services.wave_release, wave=wave, actor=None)

        @rule(data=st.data())
        def join_wave(self, data):
            wave = self._some(data, Wave.objects.all())
            order = self._some(data, Order.objects.filter(status=OrderStatus.ALLOCATED))
            if wave is not None and order is not None:
                self._try(services.wave_order_add, wave=wave, order=order, actor=None)

        @rule(data=st.data())
        def join_load(self, data):
            load = self._some(data, Load.objects.all())
            order = self._some(data, Order.objects.filter(status=OrderStatus.ALLOCATED))
            if load is not None and order is not None:
                self._try(services.load_order_add, load=load, order=order, actor=None)

        @rule(data=st.data())
        def leave_load(self, data):
            order = self._some(data, Order.objects.exclude(load=None).select_related("load"))
            if order is not None:
                self._try(services.load_order_remove, load=order.load, order=order, actor=None)

        @rule(data=st.data())
        def cancel_load(self, data):
            load = self._some(data, Load.objects.all())
            if load is not None:
                self._try(services.load_cancel, load=load, actor=None)

        @rule(data=st.data(), van=st.sampled_from(vans))
        def swap_vehicle(self, data, van):
            load = self._some(data, Load.objects.all())
            if load is not None:
                self._try(
                    services.load_vehicle_change, load=load, vehicle=van, driver=None, actor=None
                )

        # --- the floor --------------------------------------------------------------------

        @rule(data=st.data(), short=st.integers(min_value=0, max_value=2))
        def pick(self, data, short):
            task = self._some(
                data,
                Task.objects.filter(kind="pick", status="open").select_related("location", "lot"),
            )
            if task is not None:
                self._must(
                    services.order_pick_confirm,
                    task=task,
                    location_barcode=task.location.barcode,
                    item_code=task.item.sku,
                    lot_code=task.lot.code if task.lot_id else None,
                    quantity=max(task.quantity - short, 0),
                    actor=operator,
                )

        @rule(data=st.data())
        def pack(self, data):
            """The packer packs what an order has picked: never refused, but for goods of a
            lot on hold, which are taken back out of it first."""
            order = self._some(data, Order.objects.filter(status=OrderStatus.PICKED))
            if order is None:
                return
            if self._held_picked(order):
                with pytest.raises(Conflict) as refused:
                    services.unit_pack(order=order, contents=None, actor=operator)
                assert refused.value.code == "lot_held"
            else:
                self._must(services.unit_pack, order=order, contents=None, actor=operator)

        @rule(data=st.data())
        def stage_unit(self, data):
            unit = self._some(data, HandlingUnit.objects.filter(status=UnitStatus.PACKED))
            if unit is not None:
                self._must(services.unit_stage, unit=unit, lane=lane, actor=operator)

        @rule(data=st.data())
        def scan_on(self, data):
            unit = self._some(data, HandlingUnit.objects.filter(status=UnitStatus.STAGED))
            load = self._some(data, Load.objects.all())
            if unit is not None and load is not None:
                self._try(services.load_scan, load=load, sscc=unit.sscc, actor=operator)

        @rule(data=st.data())
        def depart(self, data):
            load = self._some(data, Load.objects.all())
            if load is not None:
                self._try(services.load_depart, load=load, actor=operator)

        @rule(
            data=st.data(),
            outcome=st.sampled_from(["delivered", "partial", "refused"]),
            back=st.integers(min_value=0, max_value=2),
        )
        def deliver(self, data, outcome, back):
            stop = self._some(data, Stop.objects.all())
            if stop is None:
                return
            returned = []
            if outcome == "partial" and back:
                line = OrderLine.objects.filter(order__stop=stop).select_related("item").first()
                if line is not None:
                    returned = [(line.item, back)]
            try:
                services.delivery_record(
                    stop=stop,
                    outcome=outcome,
                    receiver_name="" if outcome == "refused" else "Ms Li",
                    note="" if outcome == "delivered" else "damaged",
                    at=timezone.now(),
                    returned=returned,
                    actor=None,
                )
            except DomainError as refused:  # a stop done already, or more back than went
                assert (refused.field, refused.code) in {
                    (None, "conflict"),
                    ("returned[0].quantity", "invalid"),
                }, refused.message

        @rule(
            data=st.data(),
            van=st.sampled_from(vans),
            steps=st.integers(1, 9),
            pull=st.booleans(),
        )
        def advance(self, data, van, steps, pull):
            """One live order a few steps further along the happy path, so that runs reach
            the truck and the customer, not only the office; with `pull`, once it has goods
            of a lot picked, that lot is held and taken back out of it, and it goes on."""
            order = self._some(
                data,
                Order.objects.exclude(status__in=books.HOLDS_NOTHING).exclude(
                    status__in=(OrderStatus.RECEIVED, OrderStatus.BACKORDERED)
                ),
            )
            for _ in range(steps if order is not None else 0):
                self._step(
                    Order.objects.select_related("load", "wave", "stop").get(pk=order.pk), van
                )
                pulls = self._pulls(Order.objects.filter(pk=order.pk)) if pull else []
                if pulls:
                    self._hold_and_pull(*pulls[0])
                    pull = False

        def _step(self, order, van):
            if order.load is None or order.load.status == "cancelled":
                self._try(
                    services.load_build, warehouse=bj, vehicle=van, orders=[order], actor=None
                )
            elif order.wave is None or order.wave.status == "cancelled":
                self._try(services.wave_plan, load=order.load, actor=None)
            elif order.status == OrderStatus.ALLOCATED:
                self._try(services.wave_release, wave=order.wave, actor=None)
            elif order.status == OrderStatus.RELEASED:
                for task in Task.objects.filter(
                    kind="pick", status="open", reference__startswith=f"order:{order.pk}:"
                ).select_related("location", "item", "lot"):
                    self._must(
                        services.order_pick_confirm,
                        task=task,
                        location_barcode=task.location.barcode,
                        item_code=task.item.sku,
                        lot_code=task.lot.code if task.lot_id else None,
                        quantity=task.quantity,
                        actor=operator,
                    )
            elif order.status == OrderStatus.PICKED:
                held = self._held_picked(order)
                if held:  # not packed: taken back out first
                    self._hold_and_pull(*held[0])
                else:
                    self._must(services.unit_pack, order=order, contents=None, actor=operator)
            elif order.status == OrderStatus.PACKED:
                for unit in order.units.filter(status=UnitStatus.PACKED):
                    self._must(services.unit_stage, unit=unit, lane=lane, actor=operator)
            elif order.status == OrderStatus.STAGED:
                for unit in order.units.filter(status=UnitStatus.STAGED):
                    self._try(services.load_scan, load=order.load, sscc=unit.sscc, actor=operator)
            elif order.status == OrderStatus.LOADED:
                booked = DockAppointment.objects.filter(load=order.load, status="booked").first()
                if booked is not None:
                    self._try(services.vehicle_check_in, appointment=booked, actor=None)
                self._try(services.load_depart, load=order.load, actor=operator)
            elif order.status == OrderStatus.SHIPPED:
                self._try(
                    services.delivery_record,
                    stop=order.stop,
                    outcome="delivered",
                    receiver_name="Mr Wang",
                    at=timezone.now(),
                    actor=None,
                )

        # --- what else happens on the floor and at the gate ------------------------------

        @rule(data=st.data(), off=st.integers(min_value=-3, max_value=2))
        def count(self, data, off):
            """A counter finds what the books say, or a little more or less."""
            balance = self._some(data, StockBalance.objects.filter(location__in=faces))
            if balance is None:
                return
            for task in count_tasks_create(
                warehouse=bj, item=balance.item, location=balance.location, actor=None
            ):
                self._try(
                    count_record,
                    task=task,
                    counted_quantity=max(balance.on_hand + off, 0),
                    actor=operator,
                )
            services.orders_backordered_reallocate(skus=[balance.item.sku])

        @rule(code=st.sampled_from(["M1", "M2"]))
        def hold_or_release(self, code):
            """Quality holds a milk lot, or lifts its hold (and the backorders try again)."""
            lot = Lot.objects.get(item=milk, code=code)
            if lot.held_at is None:
                self._must(services.lot_hold, lot=lot, reason="recall", actor=None)
            else:
                self._must(lot_hold_lift, lot=lot, actor=None)
                services.orders_backordered_reallocate(skus=["MILK"])

        def _pulls(self, orders):
            """(order, lot) of these orders' goods of a lot picked, the orders not on a truck."""
            picked = Allocation.objects.filter(
                balance__lot__isnull=False,
                picked__gt=0,
                reservation__reference__startswith="order:",
            ).values_list("reservation__reference", "balance__lot_id")
            pulls = sorted(
                {(OrderLine.of_reference(reference)[0], lot) for reference, lot in picked}
            )
            pullable = set(
                orders.filter(
                    pk__in=[order for order, _ in pulls],
                    status__in=("released", "picked", "packed", "staged"),
                )
                .exclude(units__status=UnitStatus.LOADED)
                .values_list("pk", flat=True)
            )
            return [(order, lot) for order, lot in pulls if order in pullable]

        def _held_picked(self, order):
            """(order, lot) of the order's goods picked of a lot on hold."""
            return [
                (pk, lot)
                for pk, lot in self._pulls(Order.objects.filter(pk=order.pk))
                if Lot.objects.get(pk=lot).held_at is not None
            ]

        def _hold_and_pull(self, order, lot):
            """Quality holds the lot (if not held yet), and the floor takes its goods back out
            of the order (its units holding some broken down, the goods to quarantine):
            neither is ever refused."""
            lot = Lot.objects.get(pk=lot)
            if lot.held_at is None:
                self._must(services.lot_hold, lot=lot, reason="recall", actor=None)
            self._must(
                services.order_lot_pull,
                order=Order.objects.get(pk=order),
                lot=Lot.objects.get(pk=lot.pk),
                to_location=quarantine,
                actor=operator,
            )

        @rule(data=st.data())
        def hold_and_pull(self, data):
            pulls = self._pulls(Order.objects.all())
            if pulls:
                self._hold_and_pull(*data.draw(st.sampled_from(pulls)))

        @rule(item=st.sampled_from(items), qty=quantities, delta=st.integers(-3, 3))
        def move_or_adjust(self, item, qty, delta):
            self._try(
                stock_move,
                item=item,
                lot=None,
                from_location=faces[0],
                to_location=faces[1],
                quantity=qty,
                actor=None,
            )
            self._try(
                stock_adjust,
                item=item,
                lot=None,
                location=faces[1],
                quantity_delta=delta,
                reason="found / damaged",
                actor=None,
            )

        @precondition(lambda self: Task.objects.filter(kind="putaway", status="open").exists())
        @rule(data=st.data())
        def put_back(self, data):
            """Goods of a cancelled order, picked already, go back to stock by their putaway
            task: scanning what it asks for is never refused."""
            task = self._some(
                data,
                Task.objects.filter(kind="putaway", status="open").select_related(
                    "location", "item", "lot", "to_location"
                ),
            )
            if task is not None:
                self._must(
                    task_confirm,
                    task=task,
                    location_barcode=task.location.barcode,
                    item_code=task.item.sku,
                    lot_code=task.lot.code if task.lot_id else None,
                    quantity=task.quantity,
                    to_location_barcode=(task.to_location or faces[0]).barcode,
                    actor=operator,
                )

        @rule(data=st.data())
        def unload(self, data):
            unit = self._some(
                data, HandlingUnit.objects.filter(status=UnitStatus.LOADED).select_related("load")
            )
            if unit is not None:
                self._try(services.unit_unload, load=unit.load, sscc=unit.sscc, actor=operator)

        @rule(data=st.data(), hour=st.integers(min_value=1, max_value=6))
        def book_and_check_in(self, data, hour):
            load = self._some(data, Load.objects.filter(status__in=("planned", "loading")))
            if load is None:
                return
            starts = timezone.now() + datetime.timedelta(hours=hour)
            appointment = self._try(
                services.appointment_book,
                dock=dock,
                vehicle=load.vehicle,
                load=load,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=45),
                actor=None,
            )
            if appointment is not None and data.draw(st.booleans()):
                self._try(services.vehicle_check_in, appointment=appointment, actor=None)

        # --- the books --------------------------------------------------------------------

        @invariant()
        def books_hold(self):
            books.books_hold()

    run_state_machine_as_test(
        Flow,
        settings=settings(
            max_examples=int(os.environ.get("FLOW_EXAMPLES", "25")),
            stateful_step_count=int(os.environ.get("FLOW_STEPS", "40")),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
