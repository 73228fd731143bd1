"""Floor tasks: assignment and scan-confirmed completion."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import role_in
from core.choices import FLOOR_ROLES
from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError, Forbidden
from core.selectors import sops_missing
from inventory.choices import OPEN_TASK_STATUSES, TaskKind, TaskStatus, ZoneKind
from inventory.exceptions import WrongScan
from inventory.models import Allocation, Item, Location, Reservation, StockBalance, Task
from inventory.selectors import location_suggest
from inventory.services.counts import count_record
from inventory.services.moves import stock_move, stock_put_away
from inventory.services.reservations import stock_pick


def _trained(user: AbstractBaseUser | None, task: Task) -> None:
    """Refuse (403) work where a procedure applies that the person is not trained on, in its
    current version: a hazmat cage, a cold room, the dock (see core.models.SopScope)."""
    missing = sops_missing(user=user, warehouse_id=task.warehouse_id, scopes=task.sop_scopes())
    if missing:
        sop = missing[0]
        raise Forbidden(
            _(
                "%(user)s is not trained on %(code)s v%(version)s (%(title)s), which applies "
                "here: a supervisor records the training first."
            )
            % {
                "user": user.get_username(),
                "code": sop.code,
                "version": sop.version,
                "title": sop.title,
            },
            field="user",
            code="not_trained",
        )


def _task_lock(task: Task) -> Task:
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("item", "lot", "location__zone", "to_location__zone", "allocation")
        .get(pk=task.pk)
    )
    if task.status not in OPEN_TASK_STATUSES:
        raise Conflict(
            _("Task %(task)s is already %(status)s.")
            % {"task": task.pk, "status": task.get_status_display()},
            code="task_closed",
        )
    return task


@service
def task_assign(*, task: Task, user: AbstractBaseUser, actor: AbstractBaseUser | None) -> Task:
    """Give a task to a member of the floor of its warehouse, trained on the procedures that
    apply where it is; `task.assigned`."""
    task = _task_lock(task)
    if role_in(user, task.warehouse_id) not in FLOOR_ROLES:
        raise DomainError(
            _("%(user)s does not work on this warehouse's floor.") % {"user": user.get_username()},
            field="user",
        )
    _trained(user, task)
    Task.objects.filter(pk=task.pk).update(assigned_to=user, status=TaskStatus.ASSIGNED)
    event_record(
        type="task.assigned",
        aggregate_type="task",
        aggregate_id=task.pk,
        warehouse=task.warehouse_id,
        payload={"task": task.pk, "kind": task.kind, "user": user.get_username()},
        actor=actor,
    )
    task.refresh_from_db()
    return task


@service
def putaway_task_create(
    *,
    item_id: int,
    lot_id: int | None,
    location_id: int,
    quantity: int,
    reference: str,
    actor: AbstractBaseUser | None,
) -> Task:
    """A task to put stock back from where it stands (a staging lane, a dock) into storage,
    to the suggested location if one fits (`tasks.created`)."""
    location = Location.objects.get(pk=location_id)
    item = Item.objects.get(pk=item_id)
    target = location_suggest(item=item, quantity=quantity, warehouse_id=location.warehouse_id)
    task = Task.objects.create(
        warehouse_id=location.warehouse_id,
        kind=TaskKind.PUTAWAY,
        item=item,
        lot_id=lot_id,
        location=location,
        to_location=target,
        quantity=quantity,
        reference=reference,
    )
    event_record(
        type="tasks.created",
        aggregate_type="task",
        aggregate_id=task.pk,
        warehouse=location.warehouse_id,
        payload={"kind": TaskKind.PUTAWAY, "reference": reference, "count": 1},
        actor=actor,
    )
    return task


@service
def replenish_tasks_create(
    *, warehouse_id: int, min_units: int, target_units: int, actor: AbstractBaseUser | None
) -> list[Task]:
    """Top up pick faces: for every pick-face position of an item below `min_units`, a
    replenish task from the storage position of that item that expires first, bringing it
    up to `target_units` (as far as storage holds). Positions with an open replenish task
    are skipped. `tasks.created`."""
    if min_units <= 0 or target_units < min_units:
        raise DomainError(_("Give 0 < min_units <= target_units."), field="min_units")
    faces = StockBalance.objects.filter(
        warehouse_id=warehouse_id, location__zone__kind=ZoneKind.PICK_FACE, on_hand__lt=min_units
    ).select_related("item", "location")
    pending = set(
        Task.objects.filter(
            warehouse_id=warehouse_id, kind=TaskKind.REPLENISH, status__in=OPEN_TASK_STATUSES
        ).values_list("item_id", "to_location_id")
    )
    tasks = []
    for face in faces:
        if (face.item_id, face.location_id) in pending or face.location.is_blocked:
            continue
        source = (
            StockBalance.objects.filter(
                warehouse_id=warehouse_id,
                item_id=face.item_id,
                location__zone__kind=ZoneKind.STORAGE,
                location__is_blocked=False,
                held=False,
                on_hand__gt=F("reserved"),
            )
            .select_related("location", "lot")
            .order_by(F("lot__expires_on").asc(nulls_last=True), "location__pick_sequence", "pk")
            .first()
        )
        if source is None:
            continue
        quantity = min(target_units - face.on_hand, source.on_hand - source.reserved)
        tasks.append(
            Task(
                warehouse_id=warehouse_id,
                kind=TaskKind.REPLENISH,
                item_id=face.item_id,
                lot=source.lot,
                location=source.location,
                to_location=face.location,
                quantity=quantity,
                reference=f"replenish-{face.location.barcode}",
            )
        )
    Task.objects.bulk_create(tasks)
    if tasks:
        event_record(
            type="tasks.created",
            aggregate_type="warehouse",
            aggregate_id=warehouse_id,
            warehouse=warehouse_id,
            payload={"kind": TaskKind.REPLENISH, "count": len(tasks)},
            actor=actor,
        )
    return tasks


@service
def task_cancel(*, task: Task, reason: str, actor: AbstractBaseUser | None) -> Task:
    """Cancel an open task; `task.cancelled`. The stock it was about stays where it is."""
    task = _task_lock(task)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.CANCELLED, done_at=timezone.now())
    event_record(
        type="task.cancelled",
        aggregate_type="task",
        aggregate_id=task.pk,
        warehouse=task.warehouse_id,
        payload={"task": task.pk, "kind": task.kind, "reason": reason},
        actor=actor,
    )
    task.refresh_from_db()
    return task


def _expect(scanned: str | None, expected: str, message: str, field: str) -> None:
    """Refuse a scan that is not the expected code; `message` has %(expected)s and
    %(scanned)s (the floor page says the same words before asking the server)."""
    if (scanned or "").strip() != expected:
        raise WrongScan(
            message % {"expected": expected, "scanned": scanned or _("nothing")}, field=field
        )


@service
def task_confirm(
    *,
    task: Task,
    location_barcode: str,
    item_code: str,
    quantity: int,
    actor: AbstractBaseUser,
    lot_code: str | None = None,
    to_location_barcode: str | None = None,
) -> Task:
    """Complete a task by its scans: location, item (GTIN or SKU), lot, quantity.

    A wrong scan is refused with what was expected and nothing changes. Two people confirming
    one task: the first wins, the second gets a conflict. A pick of fewer units than asked is a
    short pick (`pick.short`); the task is done and the rest stays reserved for re-allocation.
    A putaway of fewer units than asked (the place was full, say) leaves the rest where it
    stands with a putaway task of its own (`tasks.created`, its id as `rest_task` in the
    confirmation's event), to wherever has room for it now: nothing stays behind untasked.
    A pick task's reservation is locked before the task, in the order every service that
    changes a reservation's tasks takes them (stock_release), so the two never deadlock.
    """
    if task.kind == TaskKind.PICK and task.allocation_id is not None:
        Reservation.objects.select_for_update().filter(
            pk__in=Allocation.objects.filter(pk=task.allocation_id).values("reservation_id")
        ).first()
    task = _task_lock(task)
    if task.assigned_to_id and task.assigned_to_id != actor.pk and not _may_override(actor, task):
        raise Conflict(_("This task is assigned to someone else."), code="task_assigned_elsewhere")
    _trained(actor, task)
    _expect(
        location_barcode,
        task.location.barcode,
        _("Wrong location: expected %(expected)s, scanned %(scanned)s."),
        "location_barcode",
    )
    item = task.item
    if (item_code or "").strip() not in {item.sku, item.gtin}:
        raise WrongScan(
            _("Wrong item: expected %(expected)s, scanned %(scanned)s.")
            % {
                "expected": item.sku + (f" / GTIN {item.gtin}" if item.gtin else ""),
                "scanned": item_code or _("nothing"),
            },
            field="item_code",
        )
    if task.lot is not None:
        _expect(
            lot_code,
            task.lot.code,
            _("Wrong lot: expected %(expected)s, scanned %(scanned)s."),
            "lot_code",
        )
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise DomainError(_("Must be a whole number of units, zero or more."), field="quantity")
    if task.kind != TaskKind.COUNT:
        if quantity == 0 and task.kind != TaskKind.PICK:
            raise DomainError(_("Must be greater than zero."), field="quantity")
        if quantity > task.quantity:
            raise DomainError(
                _("The task is for %(asked)s; %(quantity)s is more.")
                % {"asked": task.quantity, "quantity": quantity},
                field="quantity",
            )

    short = 0
    if task.kind == TaskKind.COUNT:
        count_record(task=task, counted_quantity=quantity, actor=actor)
        task.refresh_from_db()
        return task
    if task.kind in (TaskKind.PUTAWAY, TaskKind.REPLENISH):
        target = _scanned_target(task, to_location_barcode)
        move = stock_put_away if task.kind == TaskKind.PUTAWAY else stock_move
        move(
            item=item,
            lot=task.lot,
            from_location=task.location,
            to_location=target,
            quantity=quantity,
            actor=actor,
            reference=task.reference,
        )
    elif task.kind == TaskKind.PICK:
        if quantity:
            stock_pick(
                reservation=task.allocation.reservation,  # type: ignore[union-attr]
                location=task.location,
                lot=task.lot,
                quantity=quantity,
                actor=actor,
            )
        short = task.quantity - quantity
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.DONE, done_by=actor, done_at=timezone.now(), counted_quantity=quantity
    )
    payload = {
        "task": task.pk,
        "kind": task.kind,
        "item": item.sku,
        "quantity": quantity,
        "location": task.location.barcode,
        "reference": task.reference,
    }
    if task.kind == TaskKind.PUTAWAY and quantity < task.quantity:
        rest = putaway_task_create(
            item_id=item.pk,
            lot_id=task.lot_id,
            location_id=task.location_id,
            quantity=task.quantity - quantity,
            reference=task.reference,
            actor=actor,
        )
        payload["rest_task"] = rest.pk
    event_record(
        type="pick.confirmed" if task.kind == TaskKind.PICK else "task.confirmed",
        aggregate_type="task",
        aggregate_id=task.pk,
        warehouse=task.warehouse_id,
        payload=payload,
        actor=actor,
    )
    if short:
        event_record(
            type="pick.short",
            aggregate_type="task",
            aggregate_id=task.pk,
            warehouse=task.warehouse_id,
            payload={**payload, "short": short, "asked": task.quantity},
            actor=actor,
        )
    task.refresh_from_db()
    return task


def _scanned_target(task: Task, barcode: str | None) -> Location:
    """Where the goods went: the suggested location, or another one the operator scanned."""
    if not barcode:
        raise WrongScan(_("Scan the location you put the goods in."), field="to_location_barcode")
    if task.to_location is not None and barcode.strip() == task.to_location.barcode:
        return task.to_location
    target = (
        Location.objects.select_related("zone")
        .filter(barcode=barcode.strip(), warehouse_id=task.warehouse_id)
        .first()
    )
    if target is None:
        raise WrongScan(
            _("Unknown location %(code)s in this warehouse.") % {"code": barcode},
            field="to_location_barcode",
        )
    return target


def _may_override(actor: AbstractBaseUser, task: Task) -> bool:
    return role_in(actor, task.warehouse_id) in {"supervisor", "admin"}
