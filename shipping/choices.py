from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ALLOCATED = "allocated", _("Allocated")
    BACKORDERED = "backordered", _("Backordered")
    RELEASED = "released", _("Released to a wave")
    PICKED = "picked", _("Picked")
    PACKED = "packed", _("Packed")
    STAGED = "staged", _("Staged")
    LOADED = "loaded", _("Loaded")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    # The customer refused it at the door: its goods come back on the stop's return receipt.
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderStatus
# Which status may follow which. Enforced by services; the API answers 409 with the open ones.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.ALLOCATED, S.BACKORDERED, S.CANCELLED}),
    S.BACKORDERED: frozenset({S.ALLOCATED, S.BACKORDERED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.ALLOCATED, S.BACKORDERED, S.RELEASED, S.CANCELLED}),
    # Released and backordered: nothing of it was found on the floor, nor anywhere else.
    S.RELEASED: frozenset({S.PICKED, S.ALLOCATED, S.BACKORDERED, S.CANCELLED}),
    # Released again: goods of a held lot taken back out of it, to be picked again.
    S.PICKED: frozenset({S.PACKED, S.RELEASED, S.CANCELLED}),
    # Cancelled once packed: its units are broken down and their goods go back to stock;
    # units already on a truck come off it first (the departure refuses them).
    S.PACKED: frozenset({S.STAGED, S.RELEASED, S.CANCELLED}),
    S.STAGED: frozenset({S.LOADED, S.RELEASED, S.CANCELLED}),
    S.LOADED: frozenset({S.SHIPPED, S.STAGED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REFUSED}),
    S.DELIVERED: frozenset(),
    S.REFUSED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Orders still in the warehouse: not yet on a truck that left, not cancelled.
ORDERS_NOT_GONE = tuple(
    s for s in OrderStatus if s not in (S.SHIPPED, S.DELIVERED, S.REFUSED, S.CANCELLED)
)
# Orders whose stock may still be changed (quantity change, cancellation with release).
CHANGEABLE = frozenset({S.RECEIVED, S.BACKORDERED, S.ALLOCATED, S.RELEASED})


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class ServiceLevel(models.TextChoices):
    OWN_FLEET = "own_fleet", _("Own fleet")
    LTL = "ltl", _("LTL carrier")
    PARCEL = "parcel", _("Parcel")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("At the dock")
    CHECKED_OUT = "checked_out", _("Gone")
    CANCELLED = "cancelled", _("Cancelled")


class HoldReason(models.TextChoices):
    """Why a door is kept from loading for a while."""

    RECEIVING = "receiving", _("Receiving")
    MAINTENANCE = "maintenance", _("Maintenance")
    OTHER = "other", _("Other")


class LoadStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    LOADING = "loading", _("Loading")
    DEPARTED = "departed", _("Departed")
    CANCELLED = "cancelled", _("Cancelled")


# A vehicle with a load in one of these is busy: it cannot be given another load.
BUSY_LOAD_STATUSES = (LoadStatus.PLANNED, LoadStatus.LOADING)


class WaveStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RELEASED = "released", _("Released")
    PICKED = "picked", _("Picked")
    CANCELLED = "cancelled", _("Cancelled")


class UnitStatus(models.TextChoices):
    PACKED = "packed", _("Packed")
    STAGED = "staged", _("Staged")
    LOADED = "loaded", _("Loaded")
    SHIPPED = "shipped", _("Shipped")
    CANCELLED = "cancelled", _("Broken down")  # its order was cancelled: goods back to stock


class ShipmentStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    COMPLETED = "completed", _("Completed")


class StopStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ARRIVED = "arrived", _("Arrived")
    DELIVERED = "delivered", _("Delivered")
    PARTIAL = "partial", _("Partly delivered")
    REFUSED = "refused", _("Refused")


DONE_STOP_STATUSES = (StopStatus.DELIVERED, StopStatus.PARTIAL, StopStatus.REFUSED)


class TrackingStatus(models.TextChoices):
    DEPARTED = "departed", _("Departed")
    POSITION = "position", _("Position")
    DELAYED = "delayed", _("Delayed")
    ARRIVED = "arrived", _("Arrived at stop")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")


class TrackingSource(models.TextChoices):
    API = "api", _("API")
    EDI_214 = "edi214", _("EDI 214")
    EPCIS = "epcis", _("GS1 EPCIS")
    DRIVER = "driver", _("Driver")


PLATE_MOST = 20  # characters of a truck's plate, as kept
