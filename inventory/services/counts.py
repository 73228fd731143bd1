"""Cycle counts: tasks by zone or item, blind counts, variances posted as adjustments."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Warehouse
from inventory.choices import OPEN_TASK_STATUSES, MovementKind, TaskKind, TaskStatus
from inventory.locks import balances_lock
from inventory.models import Allocation, Item, Location, Reservation, StockBalance, Task, Zone
from inventory.services.moves import stock_adjust
from inventory.services.reservations import stock_release
from inventory.signals import reservations_lost


@service
def count_tasks_create(
    *,
    warehouse: Warehouse,
    actor: AbstractBaseUser | None,
    zone: Zone | None = None,
    item: Item | None = None,
    location: Location | None = None,
    blind: bool = True,
) -> list[Task]:
    """A count task for every stocked position (item, lot, location) of a zone or of an item.

    Positions that already have an open count task are skipped. The system quantity is taken
    when the count is recorded, not now, so stock moving in between does not fake a variance.
    """
    if zone is None and item is None and location is None:
        raise DomainError(_("Count a zone, an item or a location."), field="zone")
    if zone is not None and zone.warehouse_id != warehouse.pk:
        raise DomainError(_("That zone is in another warehouse."), field="zone")
    positions = StockBalance.objects.filter(warehouse=warehouse, on_hand__gt=0)
    if zone is not None:
        positions = positions.filter(location__zone=zone)
    if item is not None:
        positions = positions.filter(item=item)
    if location is not None:
        positions = positions.filter(location=location)
    open_counts = set(
        Task.objects.filter(
            warehouse=warehouse, kind=TaskKind.COUNT, status__in=OPEN_TASK_STATUSES
        ).values_list("item_id", "location_id", "lot_id")
    )
    tasks = [
        Task(
            warehouse=warehouse,
            kind=TaskKind.COUNT,
            item_id=b.item_id,
            lot_id=b.lot_id,
            location_id=b.location_id,
            blind=blind,
            reference=f"count-{zone.code if zone else item.sku if item else location.barcode}",  # type: ignore[union-attr]
        )
        for b in positions.order_by("location__pick_sequence", "pk")
        if (b.item_id, b.location_id, b.lot_id) not in open_counts
    ]
    Task.objects.bulk_create(tasks)
    event_record(
        type="count.planned",
        aggregate_type="warehouse",
        aggregate_id=warehouse.code,
        warehouse=warehouse,
        payload={
            "zone": zone.code if zone else None,
            "item": item.sku if item else None,
            "location": location.barcode if location else None,
            "tasks": len(tasks),
            "blind": blind,
        },
        actor=actor,
    )
    return tasks


def _reservations_lose(
    balance: StockBalance, missing: int, task: Task, actor: AbstractBaseUser | None
) -> list[tuple[Reservation, int]]:
    """Give back `missing` reserved units of a counted balance that are not there, newest
    reservations first (the oldest orders keep their stock). Returns (reservation, units)
    in the order given back."""
    released = []
    for allocation in (
        Allocation.objects.filter(balance=balance, quantity__gt=0)
        .select_related("reservation")
        .order_by("-reservation__created_at", "-reservation_id")
    ):
        if missing == 0:
            break
        give = min(missing, allocation.quantity)
        reservation = stock_release(
            reservation=allocation.reservation, quantity=give, location=task.location, actor=actor
        )
        released.append((reservation, give))
        missing -= give
    return released


@service
def count_record(*, task: Task, counted_quantity: int, actor: AbstractBaseUser | None) -> Task:
    """Record a count; a variance is posted as a count adjustment; `stock.counted`.

    The task keeps system and counted quantities, so inventory record accuracy (share of
    counted positions that matched) can be computed from done count tasks. The count is the
    truth: fewer than are reserved there, the missing reserved units are given back first
    (newest reservations first; `released` in the event), and each reservation's owner
    makes up for them in this transaction (`inventory.signals.reservations_lost`).
    """
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("item", "lot", "location")
        .get(pk=task.pk)
    )
    if task.kind != TaskKind.COUNT:
        raise DomainError(_("This is not a count task."), field="task")
    if task.status not in OPEN_TASK_STATUSES:
        raise Conflict(
            _("Count task %(task)s is already %(status)s.")
            % {"task": task.pk, "status": task.get_status_display()}
        )
    if isinstance(counted_quantity, bool) or not isinstance(counted_quantity, int):
        raise DomainError(_("Must be a whole number of units."), field="quantity")
    if counted_quantity < 0:
        raise DomainError(_("A count cannot be negative."), field="quantity")
    balance = StockBalance.objects.filter(
        item=task.item, location=task.location, lot=task.lot
    ).first()
    system = 0
    if balance is not None:
        balance = balances_lock([balance.pk])[balance.pk]
        system = balance.on_hand
    released = (
        _reservations_lose(balance, balance.reserved - counted_quantity, task, actor)
        if balance is not None and counted_quantity < balance.reserved
        else []
    )
    variance = counted_quantity - system
    if variance:
        stock_adjust(
            item=task.item,
            lot=task.lot,
            location=task.location,
            quantity_delta=variance,
            reason=f"Cycle count task {task.pk}",
            actor=actor,
            kind=MovementKind.COUNT,
            reference=task.reference,
        )
    # Only now, with the books saying what is there, may the owners reserve again.
    if released:
        reservations_lost.send(sender=Reservation, lost=released, actor=actor)
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.DONE,
        system_quantity=system,
        counted_quantity=counted_quantity,
        done_by=actor if actor is not None and actor.is_authenticated else None,
        done_at=timezone.now(),
    )
    event_record(
        type="stock.counted",
        aggregate_type="item",
        aggregate_id=task.item.sku,
        warehouse=task.warehouse_id,
        payload={
            "task": task.pk,
            "location": task.location.barcode,
            "item": task.item.sku,
            "lot": task.lot.code if task.lot else None,
            "system_quantity": system,
            "counted_quantity": counted_quantity,
            "variance": variance,
            "matched": variance == 0,
            "released": [{"reference": r.reference, "quantity": q} for r, q in released],
        },
        actor=actor,
    )
    task.refresh_from_db()
    return task
