"""Orders from the ERP: intake, allocation across warehouses, changes and cancellation."""

import datetime
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import row_insert_unless_taken, row_update, rows_insert, service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Warehouse
from core.selectors import warehouses_active
from inventory.choices import ReservationStatus
from inventory.exceptions import InsufficientStock
from inventory.locks import reservations_balances_lock
from inventory.models import Allocation, Item, Reservation, Task
from inventory.selectors import available_to_reserve, picked_stock
from inventory.services import (
    pick_tasks_create,
    putaway_task_create,
    quantity_check,
    stock_release,
    stock_reserve,
    stock_reserve_all_or_none,
)
from shipping.choices import (
    CHANGEABLE,
    ORDER_TRANSITIONS,
    OrderStatus,
    Priority,
    UnitStatus,
    WaveStatus,
)
from shipping.exceptions import OrderTransitionRefused
from shipping.geo import distance_km
from shipping.models import (
    Customer,
    HandlingUnit,
    HandlingUnitLine,
    LineReservation,
    Load,
    Order,
    OrderLine,
    ShipTo,
)
from shipping.selectors import load_fill
from shipping.services.capacity import vehicle_fits
from shipping.services.waves import wave_picked_if_done


@dataclass(frozen=True)
class LineInput:
    item: Item
    quantity: int


@dataclass(frozen=True)
class OrderDraft:
    """An order as `order_create` takes it, one of many (`orders_import`)."""

    customer: Customer
    ship_to: ShipTo
    external_ref: str
    lines: Sequence[LineInput]
    requested_delivery_date: datetime.date
    promised_ship_date: datetime.date
    priority: int = Priority.NORMAL
    cutoff_at: datetime.datetime | None = None


def load_lock_first(load_id: int | None) -> None:
    """Lock a load (if any), by an id read unlocked, before its wave and orders: the order in
    which its departure and every change to it take them (see inventory.locks)."""
    if load_id is not None:
        Load.objects.select_for_update(of=("self",), no_key=True).filter(pk=load_id).first()


def load_locked(pk: int, *related: str) -> Load:
    """The load, its row locked alone (FOR NO KEY UPDATE), then read with `related` joined.
    Not locked through the join: PostgreSQL rechecks a locked row that changed meanwhile
    against the joined rows as they were, so a load just put on another vehicle or driver
    would not be found at all."""
    load_lock_first(pk)
    return Load.objects.select_related(*related).get(pk=pk)


def order_transition_check(order: Order, wanted: str) -> None:
    """Raise OrderTransitionRefused (409, listing the open transitions) if not allowed."""
    if wanted not in ORDER_TRANSITIONS.get(order.status, ()):
        raise OrderTransitionRefused(
            reference=order.external_ref, status=order.status, wanted=wanted
        )


def order_released_with_wave(*, order: Order, actor: AbstractBaseUser | None) -> list[Task]:
    """If the order's wave is on the floor: the order is released with it (again) and gets
    pick tasks, in the wave's warehouse, for what it holds there that no open task asks for
    yet (`tasks.created`). Returns the tasks made; none if its wave is not on the floor.
    For an order the caller holds locked, inside the caller's transaction."""
    wave = order.wave if order.wave_id else None
    if wave is None or wave.status != WaveStatus.RELEASED:
        return []
    order_transition_check(order, OrderStatus.RELEASED)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.RELEASED)
    order.status = OrderStatus.RELEASED
    held = LineReservation.objects.filter(
        line__order=order,
        warehouse_id=wave.warehouse_id,
        quantity__gt=0,
        reservation__status=ReservationStatus.OPEN,
    ).select_related("reservation")
    return pick_tasks_create(reservations=[h.reservation for h in held], actor=actor)


def order_picked_if_done(order: Order, actor: AbstractBaseUser | None) -> Order:
    """A released order with nothing left to reserve or pick, and something picked, becomes
    picked (`order.picked`); then its wave, if no order on it is left to pick, becomes picked
    too (`wave.picked`). Whatever took the last of its picking away calls this: the last
    pick, a short pick, a line cut to what is picked, a count that moved the rest elsewhere.
    For an order the caller holds locked, inside the caller's transaction; returns it fresh."""
    order.refresh_from_db()
    if order.status != OrderStatus.RELEASED or _outstanding(order):
        return order
    reservations = LineReservation.objects.filter(line__order=order).values("reservation")
    still = Allocation.objects.filter(reservation__in=reservations).aggregate(
        left=Sum("quantity"), picked=Sum("picked")
    )
    if still["left"] or not still["picked"]:
        return order
    order_transition_check(order, OrderStatus.PICKED)
    now = timezone.now()
    row_update(order, status=OrderStatus.PICKED)
    order_event(order, "order.picked", {"at": now}, actor)
    if order.wave_id:
        wave_picked_if_done(order.wave_id, actor)
    return order


def order_event(order: Order, type: str, payload: dict, actor: AbstractBaseUser | None) -> None:
    """Write an order's event (`order.*`): its id and reference, then `payload`."""
    event_record(
        type=type,
        aggregate_type="order",
        aggregate_id=order.external_ref,
        warehouse=order.warehouse_id,
        payload={"order": order.pk, "reference": order.external_ref, **payload},
        actor=actor,
    )


@service
def order_create(
    *,
    customer: Customer,
    ship_to: ShipTo,
    external_ref: str,
    lines: Sequence[LineInput],
    requested_delivery_date: datetime.date,
    promised_ship_date: datetime.date,
    actor: AbstractBaseUser | None,
    priority: int = Priority.NORMAL,
    cutoff_at: datetime.datetime | None = None,
    allocate: bool = True,
) -> Order:
    """Take an order from the ERP (`order.received`) and, by default, allocate it at once.

    Refused, with nothing written: no lines, a non-positive quantity, an inactive item, a ship
    date in the past, delivery before shipping, a ship-to of another customer, a reference
    this customer already used.
    """
    ranked = _warehouses_by_distance(ship_to)
    # Ship dates are dates on the shipping warehouse's calendar (the nearest one's until the
    # allocation decides), not the server's UTC one.
    today = ranked[0][0].today() if ranked else timezone.localdate()
    if not lines:
        raise DomainError(_("An order has at least one line."), field="lines")
    for index, line in enumerate(lines):
        quantity_check(line.quantity, field=f"lines[{index}].quantity")
        if not line.item.is_active:
            raise DomainError(
                _("Item %(sku)s is inactive.") % {"sku": line.item.sku},
                field=f"lines[{index}].item",
            )
    if promised_ship_date < today:
        raise DomainError(
            _("%(date)s is in the past.") % {"date": promised_ship_date.isoformat()},
            field="promised_ship_date",
        )
    if requested_delivery_date < promised_ship_date:
        raise DomainError(
            _("Delivery cannot be requested before the promised ship date."),
            field="requested_delivery_date",
        )
    if ship_to.customer_id != customer.pk:
        raise DomainError(
            _("Ship-to %(code)s belongs to another customer.") % {"code": ship_to.code},
            field="ship_to",
        )
    order = Order(
        external_ref=external_ref,
        customer=customer,
        ship_to=ship_to,
        warehouse=ranked[0][0] if ranked else None,
        priority=priority,
        requested_delivery_date=requested_delivery_date,
        promised_ship_date=promised_ship_date,
        cutoff_at=cutoff_at,
    )
    if not row_insert_unless_taken(order, unique=("customer", "external_ref")):
        raise Conflict(
            _("Order %(order)s of %(customer)s was already received.")
            % {"order": external_ref, "customer": customer.code},
            field="external_ref",
            code="order_exists",
        )
    made = list(
        rows_insert(
            [
                OrderLine(order=order, line_no=n, item=line.item, quantity=line.quantity)
                for n, line in enumerate(lines, start=1)
            ]
        )
    )
    order_event(
        order,
        "order.received",
        {
            "customer": customer.code,
            "ship_to": ship_to.code,
            "priority": priority,
            "promised_ship_date": promised_ship_date,
            "lines": [{"item": ln.item.sku, "quantity": ln.quantity} for ln in lines],
        },
        actor,
    )
    if allocate:
        # The order is this transaction's own and nobody else can see it yet: no lock to
        # take, and its lines, what they need and where it already is are known.
        if not ranked:
            raise DomainError(_("There is no active warehouse to ship from."))
        held = _allocate(
            order,
            lines={line.pk: line for line in made},
            outstanding={line.pk: line.quantity for line in made},
            ranked=ranked,
            already=set(),
            actor=actor,
        )
        if held is not None:  # one warehouse took it all: what was written is all there is
            _details_known(order, made, held)
    return order


@service
def orders_import(*, orders: Sequence[OrderDraft], actor: AbstractBaseUser | None) -> list[Order]:
    """Take many orders at once (a sheet's), each as `order_create` takes and allocates
    one, with its events, in the order given: all of them, or none (a second draft of a
    customer's reference is refused as order_create refuses any reference used). A refusal
    names the draft: its field is `orders[<index>].<field>`."""
    taken = []
    for index, draft in enumerate(orders):
        try:
            taken.append(order_create(**vars(draft), actor=actor))
        except DomainError as refused:
            raise type(refused)(
                refused.message,
                field=f"orders[{index}]" + (f".{refused.field}" if refused.field else ""),
                code=refused.code,
                extra=refused.extra,
            ) from refused
    return taken


def _warehouses_by_distance(ship_to: ShipTo) -> list[tuple[Warehouse, float]]:
    ranked = [
        (w, distance_km(w.latitude, w.longitude, ship_to.latitude, ship_to.longitude))
        for w in warehouses_active()
    ]
    return sorted(ranked, key=lambda pair: (pair[1], pair[0].code))


def _outstanding(order: Order) -> dict[int, int]:
    """Per line id: units still to reserve."""
    reserved = dict(
        LineReservation.objects.filter(line__order=order)
        .values("line_id")
        .annotate(q=Sum("quantity"))
        .values_list("line_id", "q")
    )
    return {
        line.pk: line.quantity - (reserved.get(line.pk) or 0)
        for line in order.lines.all()
        if line.quantity - (reserved.get(line.pk) or 0) > 0
    }


def _reserve(
    line: OrderLine,
    warehouse: Warehouse,
    quantity: int,
    *,
    partial: bool,
    actor: AbstractBaseUser | None,
    made: list[LineReservation],
) -> int:
    """Reserve for a line in a warehouse; return how many units it got (0 if none). The link
    row is appended to `made`, for the caller to insert in one go."""
    try:
        reservation = stock_reserve(
            warehouse=warehouse,
            item=line.item,
            quantity=quantity,
            reference=line.reference,
            allow_partial=partial,
            actor=actor,
        )
    except InsufficientStock:
        return 0
    got = reservation.reserved_now
    made.append(
        LineReservation(line=line, warehouse=warehouse, reservation=reservation, quantity=got)
    )
    return got


@service
def order_allocate(*, order: Order, actor: AbstractBaseUser | None) -> Order:
    """Reserve what the order still needs; `order.allocated` or `order.backordered`.

    A fresh order ships complete from the nearest warehouse that has every line available.
    Only when no single warehouse can, it is split: each line takes what the warehouses already
    serving the order have, then the nearest others; what nobody has is backordered. The
    decision and its reason are kept on the order (`allocation_note`). A backordered order
    for which nothing more can be reserved, still waiting for what it was, is left as it
    was: no write, no event.
    """
    # Lock the order row only: a plain FOR UPDATE would lock the joined ship-to too, and every
    # order to that address would wait for this one's whole transaction.
    order = (
        Order.objects.select_for_update(of=("self",), no_key=True)
        .select_related("ship_to")
        .get(pk=order.pk)
    )
    lines = {line.pk: line for line in order.lines.select_related("item")}
    outstanding = _outstanding(order)
    if not outstanding:
        raise Conflict(
            _("Order %(order)s has nothing left to allocate.") % {"order": order.external_ref}
        )
    ranked = _warehouses_by_distance(order.ship_to)
    if not ranked:
        raise DomainError(_("There is no active warehouse to ship from."))
    already = set(order.lines.values_list("reservations__warehouse_id", flat=True)) - {None}
    _allocate(
        order, lines=lines, outstanding=outstanding, ranked=ranked, already=already, actor=actor
    )
    return order


def _allocate(
    order: Order,
    *,
    lines: dict[int, OrderLine],
    outstanding: dict[int, int],
    ranked: list[tuple[Warehouse, float]],
    already: set[int],
    actor: AbstractBaseUser | None,
) -> list[LineReservation] | None:
    """order_allocate's decision and writes, on an order the caller holds (locked, or its own
    and not yet committed): `lines` by id, what each still needs, the warehouses by distance
    and those already serving the order. Updates `order` in place. Returns the line
    reservations written when one warehouse took all that was outstanding, else None."""
    available = available_to_reserve(
        today=max(w.today() for w, _ in ranked),
        warehouse_ids=[w.pk for w, _ in ranked],
        item_ids=list({lines[pk].item_id for pk in outstanding}),
    )
    considered = []
    for warehouse, km in ranked:
        complete = all(
            available.get((warehouse.pk, lines[pk].item_id), 0) >= qty
            for pk, qty in outstanding.items()
        )
        considered.append({"warehouse": warehouse.code, "km": round(km, 1), "complete": complete})

    decision: dict = {"considered": considered, "at": timezone.now().isoformat()}
    chosen = None
    complete: list[LineReservation] | None = None
    left: dict[int, int] = {}
    if not already:
        for (warehouse, km), seen in zip(ranked, considered, strict=True):
            if not seen["complete"]:
                continue
            made: list[LineReservation] = []
            at_once = stock_reserve_all_or_none(
                warehouse=warehouse,
                wanted=[
                    (lines[pk].item, qty, lines[pk].reference) for pk, qty in outstanding.items()
                ],
                actor=actor,
            )
            if at_once is not None:  # each line from one balance, in two statements
                made = [
                    LineReservation(
                        line=lines[pk], warehouse=warehouse, reservation=held, quantity=qty
                    )
                    for (pk, qty), held in zip(outstanding.items(), at_once, strict=True)
                ]
                rows_insert(made)
            else:
                try:
                    with transaction.atomic():
                        # Line by line, balances locked in item order as everywhere.
                        for pk, qty in sorted(
                            outstanding.items(), key=lambda pair: lines[pair[0]].item_id
                        ):
                            got = _reserve(
                                lines[pk], warehouse, qty, partial=False, actor=actor, made=made
                            )
                            if got < qty:
                                raise InsufficientStock("taken meanwhile")
                        rows_insert(made)
                except InsufficientStock:
                    continue  # someone took it between the look and the lock: next warehouse
            chosen, complete = warehouse, made
            decision.update(
                mode="complete",
                warehouse=warehouse.code,
                reason=f"Nearest warehouse that can ship it complete ({km:.0f} km).",
            )
            break
    if chosen is None:
        holding = set(
            LineReservation.objects.filter(line__order=order, quantity__gt=0).values_list(
                "warehouse_id", flat=True
            )
        )
        order_of_preference = [w for w, _ in ranked if w.pk in already] + [
            w for w, _ in ranked if w.pk not in already
        ]
        parts: dict[str, int] = {}
        made = []
        for pk, qty in outstanding.items():
            still = qty
            for warehouse in order_of_preference:
                if still == 0:
                    break
                if available.get((warehouse.pk, lines[pk].item_id), 0) <= 0:
                    continue
                got = _reserve(lines[pk], warehouse, still, partial=True, actor=actor, made=made)
                still -= got
                if got:
                    parts[warehouse.code] = parts.get(warehouse.code, 0) + got
            if still:
                left[pk] = still
        waiting = {lines[pk].item.sku: qty for pk, qty in left.items()}
        if (
            not parts
            and order.status == OrderStatus.BACKORDERED
            and waiting == (order.allocation_note or {}).get("backordered")
        ):
            return None  # still nothing for it: a retry that reserves nothing changes nothing
        rows_insert(made)
        serving = {w.code for w, _ in ranked if w.pk in already}
        again = bool(parts) and set(parts) <= serving  # more from where it already ships
        decision.update(
            mode="again" if again else "split" if len(parts) > 1 or already else "partial",
            parts=parts,
            reason=(
                "Reserved again where it already ships from."
                if again
                else "No single warehouse can ship it complete: split by distance."
                if parts
                else "No warehouse has stock for it: backordered."
            ),
        )
        # The order stays where its part already is: where it held units before this (its
        # links there may have been emptied by a count, and then it held none), or, with
        # nothing reserved anywhere this time, where it was.
        if order.warehouse_id in holding or (not parts and order.warehouse_id in already):
            chosen = order.warehouse
        else:
            main = max(parts.items(), key=lambda p: p[1])[0] if parts else None
            chosen = next((w for w, _ in ranked if w.code == main), ranked[0][0])
        decision["split_off"] = _split_off(order, chosen, decision, actor)

    # Nothing of it is held where it was any more: it ships from elsewhere, not on the truck
    # or wave it had there.
    off_the_truck = chosen.pk != order.warehouse_id and bool(order.load_id or order.wave_id)
    if left and order.status == OrderStatus.RELEASED and not off_the_truck:
        # On the floor for its truck: what is there ships on it, and what nobody has
        # follows as a backorder of its own; with nothing of it there, it waits whole.
        now = dict(OrderLine.objects.filter(order=order).values_list("pk", "quantity"))
        if any(quantity > left.get(pk, 0) for pk, quantity in now.items()):
            part = _backorder_split_off(order, lines, now, left, actor)
            decision.update(
                backorder=part,
                reason=f"Short on the floor and nowhere else: what is here ships, the rest follows as {part}.",
            )
            left = {}
        else:
            off_the_truck = True
    status = OrderStatus.BACKORDERED if left else OrderStatus.ALLOCATED
    order_transition_check(order, status)
    decision["backordered"] = {lines[pk].item.sku: qty for pk, qty in left.items()}
    changes = {
        "status": status,
        "ever_backordered": order.ever_backordered or bool(left),
        "warehouse": chosen,
        "allocation_note": decision,
        "allocated_at": timezone.now() if not left else None,
    }
    left_wave = order.wave_id if off_the_truck else None
    if off_the_truck:
        changes.update(load=None, wave=None)
    row_update(order, **changes)
    order_event(
        order,
        "order.allocated" if status == OrderStatus.ALLOCATED else "order.backordered",
        {"decision": decision},
        actor,
    )
    if left_wave:  # the rest of the wave it left may be picked
        wave_picked_if_done(left_wave, actor)
    return complete


def _details_known(order: Order, lines: list[OrderLine], held: list[LineReservation]) -> None:
    """Note on a new order what it was written with: its lines and, per line, its
    reservations (`order.written`; it has no split parts), so a caller can answer with it
    without reading it back. Only for an order this transaction created and allocated whole."""
    by_line: dict[int, list[LineReservation]] = {line.pk: [] for line in lines}
    for link in held:
        by_line[link.line_id].append(link)
    order.written = [(line, by_line[line.pk]) for line in lines]  # type: ignore[attr-defined]


def _split_off(
    order: Order, main: Warehouse, decision: dict, actor: AbstractBaseUser | None
) -> dict[str, str]:
    """Give each other warehouse's part of the order an order of its own; return
    {warehouse code: the part's reference}.

    The part's lines take over their reservations (and references), and the original's
    lines keep what their own warehouse holds plus what is still backordered, so every unit
    of every line is in exactly one order."""
    away = (
        LineReservation.objects.filter(line__order=order, quantity__gt=0)
        .exclude(warehouse=main)
        .select_related("line", "warehouse", "reservation")
        .order_by("warehouse__code", "line__line_no")
    )
    by_warehouse: dict[Warehouse, list[LineReservation]] = {}
    for held in away:
        by_warehouse.setdefault(held.warehouse, []).append(held)
    made = {}
    for warehouse, helds in by_warehouse.items():
        part = _part_create(
            order,
            suffix=warehouse.code,
            warehouse_id=warehouse.pk,
            status=OrderStatus.ALLOCATED,
            note={
                "mode": "split_part",
                "split_from": order.external_ref,
                "warehouse": warehouse.code,
                "reason": decision.get("reason", ""),
            },
        )
        lines: dict[int, OrderLine] = {}
        for held in helds:
            line = lines.get(held.line.line_no)
            if line is None:
                line = lines[held.line.line_no] = OrderLine.objects.create(
                    order=part,
                    line_no=held.line.line_no,
                    item_id=held.line.item_id,
                    quantity=held.quantity,
                )
            else:
                OrderLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + held.quantity)
            LineReservation.objects.filter(pk=held.pk).update(line=line)
            Reservation.objects.filter(pk=held.reservation_id).update(reference=line.reference)
            source = OrderLine.objects.get(pk=held.line_id)
            _line_reduce(source.pk, by=held.quantity, had=source.quantity)
        order_event(
            part,
            "order.allocated",
            {"decision": part.allocation_note, "split_from": order.external_ref},
            actor,
        )
        made[warehouse.code] = part.external_ref
    return made


def _part_create(
    order: Order, *, suffix: str, warehouse_id: int | None, status: str, note: dict
) -> Order:
    """A new order for a part of `order`: its customer, ship-to, priority, dates and receipt
    time, `split_from` it, with a reference this customer has not used, `<ref>/<suffix>`
    (or `-2`, -3, … when an earlier part took it). Allocated now if `status` says so."""
    reference = f"{order.external_ref}/{suffix}"
    n = 1
    while Order.objects.filter(customer_id=order.customer_id, external_ref=reference).exists():
        n += 1
        reference = f"{order.external_ref}/{suffix}-{n}"
    return Order.objects.create(
        external_ref=reference,
        customer_id=order.customer_id,
        ship_to_id=order.ship_to_id,
        warehouse_id=warehouse_id,
        status=status,
        priority=order.priority,
        requested_delivery_date=order.requested_delivery_date,
        promised_ship_date=order.promised_ship_date,
        cutoff_at=order.cutoff_at,
        received_at=order.received_at,
        allocated_at=timezone.now() if status == OrderStatus.ALLOCATED else None,
        ever_backordered=order.ever_backordered or status == OrderStatus.BACKORDERED,
        split_from=order,
        allocation_note=note,
    )


def _line_reduce(pk: int, *, by: int, had: int) -> None:
    """Take `by` units off an order line that had `had`, which moved to a part; a line left
    with none is dropped, with what broken-down units once held of it (they hold nothing)."""
    if by == had:
        HandlingUnitLine.objects.filter(line_id=pk, unit__status=UnitStatus.CANCELLED).delete()
        OrderLine.objects.filter(pk=pk).delete()
    else:
        OrderLine.objects.filter(pk=pk).update(quantity=F("quantity") - by)


def _backorder_split_off(
    order: Order,
    lines: dict[int, OrderLine],
    quantities: dict[int, int],
    left: dict[int, int],
    actor: AbstractBaseUser | None,
) -> str:
    """Move the units of a released order that nobody has (`left`, per line id) to a
    backordered order of their own, `<ref>/BO` (`order.backordered`), and return its
    reference. `quantities` are the lines' quantities now (a split may have just taken
    some). The original keeps what it holds or has picked, and goes on with its truck; a
    line left with nothing is dropped from it. Every unit of every line stays in exactly one
    order; the part is allocated when stock arrives, like any backorder."""
    part = _part_create(
        order,
        suffix="BO",
        warehouse_id=order.warehouse_id,
        status=OrderStatus.BACKORDERED,
        note={
            "mode": "backorder",
            "split_from": order.external_ref,
            "backordered": {lines[pk].item.sku: qty for pk, qty in left.items()},
            "reason": "Short on the floor and nowhere else: it follows when stock arrives.",
            "at": timezone.now().isoformat(),
        },
    )
    rows_insert(
        [
            OrderLine(
                order=part, line_no=lines[pk].line_no, item_id=lines[pk].item_id, quantity=qty
            )
            for pk, qty in sorted(left.items(), key=lambda pair: lines[pair[0]].line_no)
        ]
    )
    for pk, qty in left.items():
        _line_reduce(pk, by=qty, had=quantities[pk])
    order_event(
        part,
        "order.backordered",
        {"decision": part.allocation_note, "split_from": order.external_ref},
        actor,
    )
    return part.external_ref


def _release_line(line: OrderLine, quantity: int, actor: AbstractBaseUser | None) -> None:
    """Give back `quantity` of what a line holds and is not yet picked, from its last
    reservations first (a reservation whose units are all picked has nothing to give)."""
    unpicked = dict(
        Allocation.objects.filter(reservation_id__in=line.reservations.values("reservation_id"))
        .values("reservation_id")
        .annotate(q=Sum("quantity"))
        .values_list("reservation_id", "q")
    )
    for held in line.reservations.select_related("reservation").order_by("-pk"):
        if quantity == 0:
            return
        give = min(quantity, unpicked.get(held.reservation_id) or 0)
        if give == 0:
            continue
        stock_release(reservation=held.reservation, quantity=give, actor=actor)
        LineReservation.objects.filter(pk=held.pk).update(quantity=held.quantity - give)
        quantity -= give


@service
def order_line_change(
    *, order: Order, line_no: int, quantity: int, actor: AbstractBaseUser | None
) -> Order:
    """Change a line's quantity (`order.changed`): less releases stock (and shrinks or cancels
    its open pick tasks), more re-allocates (with pick tasks at once if its wave is on the
    floor). More is refused, with nothing written, if the order's load would no longer fit
    its truck. The order's load, if any, is locked before the order (see inventory.locks)."""
    load_lock_first(Order.objects.filter(pk=order.pk).values_list("load_id", flat=True).first())
    order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
    if order.status not in CHANGEABLE:
        raise OrderTransitionRefused(
            reference=order.external_ref, status=order.status, wanted="changed"
        )
    line = order.lines.filter(line_no=line_no).select_related("item").first()
    if line is None:
        raise DomainError(
            _("Order %(order)s has no line %(line)s.")
            % {"order": order.external_ref, "line": line_no},
            field="line_no",
        )
    if quantity <= 0:
        raise DomainError(
            _("Must be greater than zero; cancel the order to drop it."), field="quantity"
        )
    quantity_check(quantity)
    parts = list(
        Order.objects.filter(split_from=order, lines__line_no=line_no)
        .exclude(status=OrderStatus.CANCELLED)
        .values_list("external_ref", flat=True)
    )
    if parts:
        raise Conflict(
            _(
                "Line %(line)s was split: part of it ships as %(parts)s. Change each part on its own order."
            )
            % {"line": line_no, "parts": ", ".join(parts)},
            field="line_no",
        )
    before = line.quantity
    if quantity == before:
        return order
    reservations = line.reservations.values("reservation_id")
    picked = (
        Allocation.objects.filter(reservation_id__in=reservations).aggregate(q=Sum("picked"))["q"]
        or 0
    )
    if quantity < picked:  # those goods are off the shelf: a change does not put them back
        raise Conflict(
            _("%(picked)s of line %(line)s are picked already; it cannot go below %(picked)s.")
            % {"picked": picked, "line": line_no},
            field="quantity",
            code="picked_already",
        )
    held = line.reservations.aggregate(q=Sum("quantity"))["q"] or 0
    if quantity < held:
        _release_line(line, held - quantity, actor)
    OrderLine.objects.filter(pk=line.pk).update(quantity=quantity)
    order_event(
        order,
        "order.changed",
        {"line": line_no, "item": line.item.sku, "from": before, "to": quantity},
        actor,
    )
    if _outstanding(order):
        # More of it: reserved now, and picked with its wave if that is on the floor.
        order = order_allocate(order=order, actor=actor)
        if order.load_id:  # the truck it is planned on must still take it
            load = Load.objects.select_for_update(of=("self",), no_key=True).get(pk=order.load_id)
            vehicle_fits(load.vehicle, load_fill(load), field="quantity")
        order_released_with_wave(order=order, actor=actor)
        return order_picked_if_done(order, actor)  # what is left may all be picked
    if order.status == OrderStatus.BACKORDERED:
        order_transition_check(order, OrderStatus.ALLOCATED)
        Order.objects.filter(pk=order.pk).update(
            status=OrderStatus.ALLOCATED, allocated_at=timezone.now()
        )
    # Cut to what is picked already: nothing of it is left to pick.
    return order_picked_if_done(order, actor)


@service
def order_cancel(*, order: Order, reason: str, actor: AbstractBaseUser | None) -> Order:
    """Cancel an order (`order.cancelled`): every unit it still holds is released, its open
    pick tasks are cancelled with the reservations, and goods already picked get a putaway
    task back to stock from where they stand, so nothing is left orphaned. Its handling
    units off any truck are broken down; those on a truck stay there until they are taken
    off (the departure refuses them), which puts their goods back then."""
    order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
    order_transition_check(order, OrderStatus.CANCELLED)
    if not (reason or "").strip():
        raise DomainError(_("Say why the order is cancelled."), field="reason")
    # Goods in units on a truck are not where the ledger has them (the lane) for a putaway.
    on_truck: dict[tuple[str, int | None, int], int] = defaultdict(int)
    for content in HandlingUnitLine.objects.filter(
        unit__order=order, unit__status=UnitStatus.LOADED
    ).select_related("line", "unit"):
        on_truck[(content.line.reference, content.lot_id, content.unit.location_id)] += (
            content.quantity
        )
    released = 0
    holding = list(
        LineReservation.objects.filter(line__order=order, quantity__gt=0).select_related(
            "reservation"
        )
    )
    reservations_balances_lock(held.reservation_id for held in holding)
    for held in holding:
        picked = held.reservation.allocations.aggregate(q=Sum("picked"))["q"] or 0
        try:
            stock_release(reservation=held.reservation, actor=actor)
            released += held.quantity - picked
        except Conflict:
            pass  # closed meanwhile: everything it held was picked
        LineReservation.objects.filter(pk=held.pk).update(quantity=0)
    # What was already picked goes back to stock: a putaway task from where it stands.
    put_back = []
    for spot in picked_stock(references=[line.reference for line in order.lines.all()]):
        reference = spot.pop("reference")
        spot["quantity"] -= on_truck.get((reference, spot["lot_id"], spot["location_id"]), 0)
        if spot["quantity"] > 0:
            task = putaway_task_create(reference=reference, actor=actor, **spot)
            put_back.append({"task": task.pk, "quantity": spot["quantity"]})
    HandlingUnit.objects.filter(
        order=order, status__in=(UnitStatus.PACKED, UnitStatus.STAGED)
    ).update(status=UnitStatus.CANCELLED)
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.CANCELLED, cancelled_at=timezone.now()
    )
    order.refresh_from_db()
    order_event(
        order,
        "order.cancelled",
        {"reason": reason.strip(), "released": released, "put_back": put_back},
        actor,
    )
    if order.wave_id:  # the rest of its wave may be picked
        wave_picked_if_done(order.wave_id, actor)
    # The customer cancelled the whole order: its parts from other warehouses go too, unless
    # they are already on their way.
    for part in order.split_parts.all():
        if OrderStatus.CANCELLED in ORDER_TRANSITIONS.get(part.status, ()):
            order_cancel(order=part, reason=reason, actor=actor)
    return order


@service
def orders_stock_lost(
    *, lost: Sequence[tuple[Reservation, int]], actor: AbstractBaseUser | None
) -> list[Order]:
    """Units order lines held that may not go out (a count found fewer, a lot was put on
    hold; sent by inventory as `reservations_lost`, inside its transaction, after it gave
    them back), as (reservation, units): each line holds that much less, and each order that
    lost some, in pk order, is allocated again at once (another place, lot or warehouse; on
    the floor, what nobody has follows as a backorder), with pick tasks at once if its wave
    is on the floor. Every loss of an order is booked before it is allocated again: a line
    that lost units in two reservations makes up for both, and is not taken for picked
    while the second still counted as held. Returns the orders, fresh; reservations of no
    order line are left alone."""
    links = LineReservation.objects.filter(
        reservation_id__in=[reservation.pk for reservation, _ in lost]
    ).values_list("reservation_id", "pk", "line__order_id")
    link_of = {reservation_pk: (pk, order_pk) for reservation_pk, pk, order_pk in links}
    losses: dict[int, list[tuple[int, int]]] = defaultdict(list)  # per order: (link, units)
    for reservation, units in lost:
        if reservation.pk in link_of:
            pk, order_pk = link_of[reservation.pk]
            losses[order_pk].append((pk, units))
    orders = []
    for order_pk in sorted(losses):
        order = Order.objects.select_for_update(no_key=True).get(pk=order_pk)
        for pk, units in losses[order_pk]:
            LineReservation.objects.filter(pk=pk).update(quantity=F("quantity") - units)
        if order.status in CHANGEABLE and _outstanding(order):
            order = order_allocate(order=order, actor=actor)
            order_released_with_wave(order=order, actor=actor)
            order = order_picked_if_done(order, actor)  # the rest, picked already, ships
        orders.append(order)
    return orders


def reservations_lost_received(
    sender: object, *, lost: Sequence[tuple[Reservation, int]], actor: Any, **kwargs: Any
) -> None:
    """inventory's `reservations_lost`, to orders_stock_lost (connected in ShippingConfig)."""
    orders_stock_lost(lost=lost, actor=actor)


def orders_backordered_reallocate(
    *, actor: AbstractBaseUser | None = None, skus: Collection[str] | None = None
) -> int:
    """Try the backordered orders again, most urgent and oldest first, each in its own
    transaction; return how many became fully allocated.

    With `skus`, only the orders with a line of one of those items (stock of them may have
    arrived); without, every backordered order. order_allocate locks each order and reads it
    again, so one allocated or cancelled meanwhile (by another run, say) is skipped, with
    nothing written for it: runs may overlap.
    """
    waiting = Order.objects.filter(status=OrderStatus.BACKORDERED)
    if skus is not None:
        waiting = waiting.filter(
            pk__in=OrderLine.objects.filter(item__sku__in=list(skus)).values("order_id")
        )
    done = 0
    for order in waiting.order_by("priority", "received_at", "pk"):
        try:
            if order_allocate(order=order, actor=actor).status == OrderStatus.ALLOCATED:
                done += 1
        except Conflict:
            continue
    return done
