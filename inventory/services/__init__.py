"""Every change to stock: one function per state change, one transaction each, with its events."""

from inventory.services.counts import count_record, count_tasks_create
from inventory.services.holds import lot_hold, lot_hold_lift
from inventory.services.ledger import QUANTITY_MAX, quantity_check
from inventory.services.master import (
    items_import,
    location_block,
    location_unblock,
    lot_get_or_create,
)
from inventory.services.moves import stock_adjust, stock_move, stock_put_away
from inventory.services.receiving import (
    UnitContent,
    UnitExpected,
    receipt_close,
    receipt_create,
    receipt_unit_receive,
    stock_receive,
)
from inventory.services.reservations import (
    pick_tasks_create,
    stock_pick,
    stock_release,
    stock_reserve,
    stock_reserve_all_or_none,
    stock_ship,
    stock_unpick,
)
from inventory.services.tasks import (
    putaway_task_create,
    replenish_tasks_create,
    task_assign,
    task_cancel,
    task_confirm,
)

__all__ = [
    "QUANTITY_MAX",
    "UnitContent",
    "UnitExpected",
    "count_record",
    "count_tasks_create",
    "items_import",
    "location_block",
    "location_unblock",
    "lot_get_or_create",
    "lot_hold",
    "lot_hold_lift",
    "pick_tasks_create",
    "putaway_task_create",
    "quantity_check",
    "receipt_close",
    "receipt_create",
    "receipt_unit_receive",
    "replenish_tasks_create",
    "stock_adjust",
    "stock_move",
    "stock_pick",
    "stock_put_away",
    "stock_receive",
    "stock_release",
    "stock_reserve",
    "stock_reserve_all_or_none",
    "stock_ship",
    "stock_unpick",
    "task_assign",
    "task_cancel",
    "task_confirm",
]
