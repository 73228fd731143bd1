"""Every change to orders and their journey: one function per state change, one transaction each."""

from shipping.services.dispatch import (
    delivery_record,
    load_depart,
    load_scan,
    tracking_record,
    unit_pack,
    unit_stage,
    unit_unload,
)
from shipping.services.dock import (
    DockSlot,
    appointment_book,
    appointment_cancel,
    appointment_move,
    vehicle_check_in,
    vehicle_check_out,
)
from shipping.services.loads import (
    load_build,
    load_cancel,
    load_order_add,
    load_order_remove,
    load_vehicle_change,
    wave_order_add,
    wave_plan,
    wave_release,
    wave_release_on_time,
    waves_release_due,
)
from shipping.services.orders import (
    LineInput,
    OrderDraft,
    order_allocate,
    order_cancel,
    order_create,
    order_line_change,
    orders_backordered_reallocate,
    orders_import,
)
from shipping.services.picking import order_pick_confirm
from shipping.services.waybills import stop_waybill_record
from shipping.waybills import waybill_clean

__all__ = [
    "DockSlot",
    "LineInput",
    "OrderDraft",
    "appointment_book",
    "appointment_cancel",
    "appointment_move",
    "delivery_record",
    "load_build",
    "load_cancel",
    "load_depart",
    "load_order_add",
    "load_order_remove",
    "load_scan",
    "load_vehicle_change",
    "order_allocate",
    "order_cancel",
    "order_create",
    "order_line_change",
    "order_pick_confirm",
    "orders_backordered_reallocate",
    "orders_import",
    "stop_waybill_record",
    "tracking_record",
    "unit_pack",
    "unit_stage",
    "unit_unload",
    "vehicle_check_in",
    "vehicle_check_out",
    "wave_order_add",
    "wave_plan",
    "wave_release",
    "wave_release_on_time",
    "waves_release_due",
    "waybill_clean",
]
