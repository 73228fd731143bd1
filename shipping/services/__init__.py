"""Every change to orders and their journey: one function per state change, one transaction each."""

from shipping.services.dock import (
    appointment_book,
    appointment_cancel,
    appointment_move,
    vehicle_check_in,
    vehicle_check_out,
)
from shipping.services.loads import load_build, wave_plan, wave_release
from shipping.services.orders import (
    LineInput,
    order_allocate,
    order_cancel,
    order_create,
    order_line_change,
    orders_backordered_reallocate,
)

__all__ = [
    "LineInput",
    "appointment_book",
    "appointment_cancel",
    "appointment_move",
    "load_build",
    "order_allocate",
    "order_cancel",
    "order_create",
    "order_line_change",
    "orders_backordered_reallocate",
    "vehicle_check_in",
    "vehicle_check_out",
    "wave_plan",
    "wave_release",
]
