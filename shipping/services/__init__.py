"""Every change to orders and their journey: one function per state change, one transaction each."""

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
    "order_allocate",
    "order_cancel",
    "order_create",
    "order_line_change",
    "orders_backordered_reallocate",
]
