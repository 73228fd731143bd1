"""Picking an order's goods: scan-confirmed, with short picks turned into a re-allocation."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils.translation import gettext as _

from core.db import service
from core.exceptions import Conflict, DomainError
from inventory.models import StockBalance, Task
from inventory.services import count_tasks_create, stock_adjust, stock_release
from inventory.services import task_confirm as inventory_task_confirm
from shipping.models import LineReservation, Order
from shipping.services.orders import (
    _outstanding,
    order_allocate,
    order_picked_if_done,
    order_released_with_wave,
)


@service
def order_pick_confirm(
    *,
    task: Task,
    location_barcode: str,
    item_code: str,
    quantity: int,
    actor: AbstractBaseUser,
    lot_code: str | None = None,
) -> Task:
    """Confirm an order's pick task by its scans (`pick.confirmed`).

    A short pick (fewer units than asked) means the location holds less than the books say:
    the missing units are released there and adjusted out, a count of that position is
    planned, and the order is allocated again (another location or warehouse), with new pick
    tasks if its wave is already on the floor. When nothing of the order is left to pick,
    it becomes picked (`order.picked`), and its wave too once all its orders are.

    The order is locked first, then (by the task confirmation) the reservation and the task:
    the order in which cancelling or changing the order takes them, so they never deadlock.
    """
    if task.allocation_id is None:
        raise DomainError(_("This is not a pick task of an order."), field="task")
    held = _order_line_held(task)
    order = Order.objects.select_for_update(no_key=True).get(pk=held.line.order_id)
    if _order_line_held(task).line.order_id != order.pk:  # split off meanwhile: rare
        raise Conflict(
            _("Order %(order)s was split meanwhile; scan again.") % {"order": order.external_ref},
            field="task",
        )
    done = inventory_task_confirm(
        task=task,
        location_barcode=location_barcode,
        item_code=item_code,
        lot_code=lot_code,
        quantity=quantity,
        actor=actor,
    )
    short = done.quantity - quantity
    if short:
        _short_pick(done, held, short, actor)
        order = order_allocate(order=order, actor=actor) if _outstanding(order) else order
        order_released_with_wave(order=order, actor=actor)
    order_picked_if_done(order, actor)
    return done


def _order_line_held(task: Task) -> LineReservation:
    """The order line whose reservation the pick task picks for; else DomainError."""
    held = (
        LineReservation.objects.select_related("line", "reservation")
        .filter(reservation_id=task.allocation.reservation_id)
        .first()
    )
    if held is None:
        raise DomainError(_("This pick task belongs to no order."), field="task")
    return held


def _short_pick(task: Task, held: LineReservation, short: int, actor: AbstractBaseUser) -> None:
    """The units the picker did not find: release them, adjust them out, count the place."""
    stock_release(reservation=held.reservation, quantity=short, location=task.location, actor=actor)
    LineReservation.objects.filter(pk=held.pk).update(quantity=F("quantity") - short)
    balance = StockBalance.objects.filter(
        item_id=task.item_id, location_id=task.location_id, lot_id=task.lot_id
    ).first()
    missing = min(short, balance.on_hand - balance.reserved) if balance else 0
    if missing > 0:
        stock_adjust(
            item=task.item,
            lot=task.lot,
            location=task.location,
            quantity_delta=-missing,
            reason=f"Short pick, task {task.pk}: not found at the location",
            actor=actor,
            reference=task.reference,
        )
    count_tasks_create(
        warehouse=task.warehouse, item=task.item, location=task.location, actor=actor
    )
