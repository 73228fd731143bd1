"""Promising stock to a reference (FEFO), picking it and shipping it out."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Warehouse
from inventory.choices import (
    OPEN_TASK_STATUSES,
    PICKABLE_ZONE_KINDS,
    MovementKind,
    ReservationStatus,
    TaskKind,
    TaskStatus,
)
from inventory.exceptions import InsufficientStock
from inventory.models import (
    Allocation,
    Item,
    Location,
    Lot,
    Reservation,
    StockBalance,
    StockMovement,
    Task,
)
from inventory.services.ledger import (
    Posting,
    location_accepts,
    lot_check,
    movement_post,
    quantity_check,
    reorder_check,
    reorder_policy_get,
    staging_location_default,
)
from inventory.services.reserve_fast import (
    reserve_each_from_one_balance,
    reserve_from_one_balance,
)


def _fefo_key(balance: StockBalance) -> tuple:
    expiry = balance.lot.expires_on if balance.lot and balance.lot.expires_on else datetime.date.max
    return (expiry, balance.location.pick_sequence, balance.pk)


def stock_reserve(
    *,
    warehouse: Warehouse,
    item: Item,
    quantity: int,
    reference: str,
    actor: AbstractBaseUser | None,
    allow_partial: bool = False,
) -> Reservation:
    """Reserve stock of an item in one warehouse for a reference; `stock.reserved`.

    Draws from pickable, unblocked locations, earliest expiry first (FEFO; expired lots are
    never reserved), then along the pick path. All-or-nothing unless `allow_partial`: then it
    reserves what there is (at least one unit) and the payload says the shortfall. Raises
    InsufficientStock if nothing (or, all-or-nothing, not enough) is available. Concurrent
    reservations serialise on the balance rows, so the same unit is never promised twice.
    On PostgreSQL, a reservation that one balance covers is written in one statement
    (`reserve_fast`); the result and the event are the same as on the general path. The
    returned reservation carries `reserved_now`: the units it got.
    """
    quantity_check(quantity)
    if not reference.strip():
        raise DomainError(_("A reservation needs a reference."), field="reference")
    reference = reference.strip()
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # Inside the caller's transaction the one-statement path needs no savepoint of its
        # own (two more round trips): the statement writes all or nothing, and the caller's
        # transaction holds it together with the reorder check. If it does not apply, nothing
        # was written and the general path runs as a service.
        fast = _reserve_fast(warehouse, item, quantity, reference, actor)
        if fast is not None:
            return fast
    return _stock_reserve(
        warehouse=warehouse,
        item=item,
        quantity=quantity,
        reference=reference,
        actor=actor,
        allow_partial=allow_partial,
    )


def stock_reserve_all_or_none(
    *,
    warehouse: Warehouse,
    wanted: list[tuple[Item, int, str]],
    actor: AbstractBaseUser | None,
) -> list[Reservation] | None:
    """Reserve several (item, quantity, reference) in one warehouse, an order's lines, each
    from its item's first balance in FEFO order, all or nothing; `stock.reserved` per line,
    as stock_reserve would write it. The reservations carry `reserved_now`.

    A shortcut for PostgreSQL inside the caller's transaction: None, with nothing written,
    when it does not apply (another database, no transaction, an item twice, a line that
    one balance does not cover); then reserve line by line with stock_reserve.
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return None
    for _item, quantity, reference in wanted:
        quantity_check(quantity)
        if not reference.strip():
            raise DomainError(_("A reservation needs a reference."), field="reference")
    got = reserve_each_from_one_balance(
        warehouse=warehouse,
        wanted=[(item, quantity, reference.strip()) for item, quantity, reference in wanted],
        actor=actor,
        today=warehouse.today(),
    )
    if got is None:
        return None
    return [_fast_done(reservation, policy, actor) for reservation, policy in got]


def _fast_done(
    reservation: Reservation, policy: dict[str, int] | None, actor: AbstractBaseUser | None
) -> Reservation:
    """After a fast-path write: the reorder check, and `reserved_now` (all it asked for)."""
    if policy is not None:
        reorder_check(
            item=reservation.item,
            warehouse_id=reservation.warehouse.pk,
            decrease=reservation.requested,
            policy=policy,
            actor=actor,
        )
    reservation.reserved_now = reservation.requested  # type: ignore[attr-defined]
    return reservation


def _reserve_fast(
    warehouse: Warehouse,
    item: Item,
    quantity: int,
    reference: str,
    actor: AbstractBaseUser | None,
) -> Reservation | None:
    """The one-statement reservation (PostgreSQL), or None if one balance does not cover it."""
    fast = reserve_from_one_balance(
        warehouse=warehouse,
        item=item,
        quantity=quantity,
        reference=reference,
        actor=actor,
        today=warehouse.today(),
    )
    if fast is None:
        return None
    return _fast_done(*fast, actor)


@service
def _stock_reserve(
    *,
    warehouse: Warehouse,
    item: Item,
    quantity: int,
    reference: str,
    actor: AbstractBaseUser | None,
    allow_partial: bool,
) -> Reservation:
    """`stock_reserve` in a transaction of its own (or a savepoint): the one-statement path
    when it applies, else the general one over several balances."""
    if connection.vendor == "postgresql":
        fast = _reserve_fast(warehouse, item, quantity, reference, actor)
        if fast is not None:
            return fast
    policy = reorder_policy_get(item=item, warehouse_id=warehouse.pk)
    reservation = Reservation.objects.create(
        warehouse=warehouse, item=item, reference=reference, requested=quantity
    )
    candidates = list(
        StockBalance.objects.filter(
            warehouse=warehouse,
            item=item,
            location__zone__kind__in=PICKABLE_ZONE_KINDS,
            location__is_blocked=False,
            held=False,
            on_hand__gt=F("reserved"),
        )
        .exclude(lot__expires_on__lt=warehouse.today())
        .select_related("lot", "location")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    candidates.sort(key=_fefo_key)
    available = sum(b.on_hand - b.reserved for b in candidates)
    if available == 0 or (available < quantity and not allow_partial):
        raise InsufficientStock(
            _(
                "Insufficient stock of %(sku)s in %(warehouse)s: %(have)s available, %(asked)s asked."
            )
            % {"sku": item.sku, "warehouse": warehouse.code, "have": available, "asked": quantity},
            field="quantity",
            extra={"available": available},
        )
    still = quantity
    allocations = []
    for balance in candidates:
        if still == 0:
            break
        take = min(still, balance.on_hand - balance.reserved)
        StockBalance.objects.filter(pk=balance.pk).update(reserved=F("reserved") + take)
        allocations.append(Allocation(reservation=reservation, balance=balance, quantity=take))
        still -= take
    Allocation.objects.bulk_create(allocations)
    reserved = quantity - still
    if policy is not None:
        reorder_check(
            item=item, warehouse_id=warehouse.pk, decrease=reserved, policy=policy, actor=actor
        )
    event_record(
        type="stock.reserved",
        aggregate_type="item",
        aggregate_id=item.sku,
        warehouse=warehouse,
        payload={
            "reservation": reservation.pk,
            "reference": reservation.reference,
            "item": item.sku,
            "requested": quantity,
            "reserved": reserved,
            "shortfall": still,
            "allocations": [
                {
                    "location": a.balance.location.barcode,
                    "lot": a.balance.lot.code if a.balance.lot else None,
                    "quantity": a.quantity,
                }
                for a in allocations
            ],
        },
        actor=actor,
    )
    reservation.reserved_now = reserved  # type: ignore[attr-defined]
    return reservation


def _reservation_lock(reservation: Reservation) -> Reservation:
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if reservation.status == ReservationStatus.CLOSED:
        raise Conflict(
            _("Reservation %(pk)s (%(reference)s) is closed.")
            % {"pk": reservation.pk, "reference": reservation.reference}
        )
    return reservation


def _close_if_done(reservation: Reservation) -> bool:
    if not Allocation.objects.filter(reservation=reservation, quantity__gt=0).exists():
        Reservation.objects.filter(pk=reservation.pk).update(status=ReservationStatus.CLOSED)
        return True
    return False


def _pick_tasks_fit(reservation: Reservation, left: dict[int, int]) -> list[dict[str, int]]:
    """Make the reservation's open pick tasks ask for at most what each allocation still
    holds (`left`, by allocation id; 0 where absent), in task order; cancel those left with
    nothing. Returns [{task, quantity}] of the tasks changed (quantity 0: cancelled)."""
    changed = []
    open_tasks = (
        Task.objects.filter(
            allocation__reservation=reservation,
            kind=TaskKind.PICK,
            status__in=OPEN_TASK_STATUSES,
        )
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    for task in open_tasks:
        budget = left.get(task.allocation_id, 0)
        asked = min(task.quantity, budget)
        left[task.allocation_id] = budget - asked
        if asked == task.quantity:
            continue
        if asked:
            Task.objects.filter(pk=task.pk).update(quantity=asked)
        else:
            Task.objects.filter(pk=task.pk).update(
                status=TaskStatus.CANCELLED, done_at=timezone.now()
            )
        changed.append({"task": task.pk, "quantity": asked})
    return changed


@service
def stock_release(
    *,
    reservation: Reservation,
    actor: AbstractBaseUser | None,
    quantity: int | None = None,
    location: Location | None = None,
    lot: Lot | None = None,
) -> Reservation:
    """Give back reserved stock (all that is still reserved, or `quantity` of it); `stock.released`.

    Allocations at `location` (a short pick there) or of `lot` (a lot put on hold) go first
    if given; then the latest-expiring, so the reservation keeps FEFO order. Open pick tasks of the reservation then ask for no
    more than is still reserved where they pick: one with nothing left there is cancelled,
    the others shrink (the event lists them), so nobody picks what was given back.
    """
    reservation = _reservation_lock(reservation)
    allocations = list(
        Allocation.objects.filter(reservation=reservation, quantity__gt=0)
        .select_related("balance__lot", "balance__location")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    outstanding = sum(a.quantity for a in allocations)
    if quantity is not None:
        quantity_check(quantity)
        if quantity > outstanding:
            raise DomainError(
                _("Only %(have)s still reserved; cannot release %(asked)s.")
                % {"have": outstanding, "asked": quantity},
                field="quantity",
            )
    still = outstanding if quantity is None else quantity
    released = []
    # Lock the balances in pk order before changing them, like every other writer.
    list(
        StockBalance.objects.filter(pk__in=sorted(a.balance_id for a in allocations))
        .order_by("pk")
        .select_for_update()
    )

    def release_order(a: Allocation) -> tuple:
        here = (location is not None and a.balance.location_id == location.pk) or (
            lot is not None and a.balance.lot_id == lot.pk
        )
        return (here, _fefo_key(a.balance))

    left = {a.pk: a.quantity for a in allocations}  # per allocation, reserved after this
    for allocation in sorted(allocations, key=release_order, reverse=True):
        if still == 0:
            break
        give = min(still, allocation.quantity)
        StockBalance.objects.filter(pk=allocation.balance_id).update(reserved=F("reserved") - give)
        Allocation.objects.filter(pk=allocation.pk).update(quantity=F("quantity") - give)
        left[allocation.pk] -= give
        released.append({"location": allocation.balance.location.barcode, "quantity": give})
        still -= give
    closed = _close_if_done(reservation)
    tasks = _pick_tasks_fit(reservation, left)
    event_record(
        type="stock.released",
        aggregate_type="item",
        aggregate_id=reservation.item.sku,
        warehouse=reservation.warehouse_id,
        payload={
            "reservation": reservation.pk,
            "reference": reservation.reference,
            "released": sum(r["quantity"] for r in released),
            "allocations": released,
            "closed": closed,
            "tasks": tasks,
        },
        actor=actor,
    )
    reservation.refresh_from_db()
    return reservation


@service
def stock_pick(
    *,
    reservation: Reservation,
    location: Location,
    lot: Lot | None,
    quantity: int,
    actor: AbstractBaseUser | None,
    to_location: Location | None = None,
) -> StockMovement:
    """Pick reserved stock from a location to a staging location; `stock.picked`.

    The quantity may not exceed what the reservation holds at that location and lot.
    """
    quantity_check(quantity)
    reservation = _reservation_lock(reservation)
    item = reservation.item
    lot_check(item, lot, today=location.warehouse.today())
    allocation = (
        Allocation.objects.filter(
            reservation=reservation, balance__location=location, balance__lot=lot
        )
        .select_for_update()
        .first()
    )
    if allocation is None or allocation.quantity == 0:
        raise DomainError(
            _("Nothing of %(reference)s is reserved at %(location)s.")
            % {"reference": reservation.reference, "location": location.barcode},
            field="location",
        )
    if quantity > allocation.quantity:
        raise DomainError(
            _("Only %(have)s reserved at %(location)s; cannot pick %(asked)s.")
            % {"have": allocation.quantity, "location": location.barcode, "asked": quantity},
            field="quantity",
        )
    target = to_location or staging_location_default(location.warehouse_id)
    if target.warehouse_id != location.warehouse_id:
        raise DomainError(_("The drop location is in another warehouse."), field="to_location")
    location_accepts(target, item, quantity)
    movement = movement_post(
        Posting(MovementKind.PICK, item, lot, quantity, location, target, consumes_reserved=True),
        event_type="stock.picked",
        event_payload={"reservation": reservation.pk},
        reference=reservation.reference,
        actor=actor,
    )
    Allocation.objects.filter(pk=allocation.pk).update(
        quantity=F("quantity") - quantity, picked=F("picked") + quantity
    )
    _close_if_done(reservation)
    return movement


@service
def stock_unpick(
    *,
    reservation: Reservation,
    lot: Lot | None,
    location: Location,
    to_location: Location,
    quantity: int,
    actor: AbstractBaseUser | None,
) -> StockMovement:
    """Goods picked under a reservation that will not go out with it (a lot put on hold
    after they were picked) go back to stock: `quantity` of the lot is moved from where they
    lie (`location`, a drop location or lane) to `to_location` (`stock.unpicked`, a movement
    of kind `unpick`, under the reservation's reference), and the reservation counts that
    many fewer picked there, from its latest allocations of the lot. What is picked for the
    reference (`picked_stock`) no longer counts them.

    Refused, with nothing written: more than the reservation picked of the lot
    (`quantity`), a place in another warehouse, or one that does not take them
    (`to_location`); fewer than that lying at `location` (InsufficientStock)."""
    quantity_check(quantity)
    # Open or closed (all of it picked): what it picked is taken back either way.
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    allocations = list(
        Allocation.objects.filter(reservation=reservation, balance__lot=lot, picked__gt=0)
        .order_by("-pk")
        .select_for_update()
    )
    picked = sum(a.picked for a in allocations)
    if quantity > picked:
        raise DomainError(
            _("Only %(have)s of %(reference)s picked of this lot; cannot take back %(asked)s.")
            % {"have": picked, "reference": reservation.reference, "asked": quantity},
            field="quantity",
        )
    if to_location.warehouse_id != location.warehouse_id:
        raise DomainError(_("That location is in another warehouse."), field="to_location")
    location_accepts(to_location, reservation.item, quantity)
    movement = movement_post(
        Posting(MovementKind.UNPICK, reservation.item, lot, quantity, location, to_location),
        event_type="stock.unpicked",
        event_payload={"reservation": reservation.pk},
        reference=reservation.reference,
        actor=actor,
    )
    still = quantity
    for allocation in allocations:
        back = min(still, allocation.picked)
        Allocation.objects.filter(pk=allocation.pk).update(picked=F("picked") - back)
        still -= back
        if still == 0:
            break
    return movement


@service
def stock_ship(
    *,
    item: Item,
    lot: Lot | None,
    location: Location,
    quantity: int,
    reference: str,
    actor: AbstractBaseUser | None,
) -> StockMovement:
    """Stock leaves the warehouse (and the ledger) from a staging or dock location; `stock.shipped`."""
    quantity_check(quantity)
    lot_check(item, lot)
    return movement_post(
        Posting(MovementKind.SHIP, item, lot, quantity, location, None),
        event_type="stock.shipped",
        reference=reference,
        actor=actor,
    )


@service
def pick_tasks_create(
    *, reservations: list[Reservation], actor: AbstractBaseUser | None
) -> list[Task]:
    """One pick task per allocation still reserved and not yet tasked, across all the given
    reservations of one warehouse, created in pick-path order (`tasks.created`)."""
    if not reservations:
        return []
    locked = [_reservation_lock(r) for r in sorted(reservations, key=lambda r: r.pk)]
    if len({r.warehouse_id for r in locked}) > 1:
        raise DomainError(_("Pick tasks are made per warehouse."), field="reservations")
    allocations = (
        Allocation.objects.filter(reservation__in=locked, quantity__gt=0)
        .exclude(tasks__status__in=("open", "assigned"))
        .select_related("balance__location", "balance__lot", "reservation")
        .order_by("balance__location__pick_sequence", "balance__location__barcode", "pk")
    )
    tasks = [
        Task(
            warehouse_id=a.reservation.warehouse_id,
            kind=TaskKind.PICK,
            item_id=a.reservation.item_id,
            lot=a.balance.lot,
            location=a.balance.location,
            quantity=a.quantity,
            allocation=a,
            reference=a.reservation.reference,
        )
        for a in allocations
    ]
    Task.objects.bulk_create(tasks)
    if tasks:
        event_record(
            type="tasks.created",
            aggregate_type="warehouse",
            aggregate_id=locked[0].warehouse_id,
            warehouse=locked[0].warehouse_id,
            payload={
                "kind": TaskKind.PICK,
                "references": sorted({r.reference for r in locked}),
                "count": len(tasks),
            },
            actor=actor,
        )
    return tasks
