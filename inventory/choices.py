from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneKind(models.TextChoices):
    RECEIVING = "receiving", _("Receiving")
    STORAGE = "storage", _("Storage")
    PICK_FACE = "pick_face", _("Pick face")
    STAGING = "staging", _("Staging")
    DOCK = "dock", _("Dock")


# Stock in these zones can be reserved and picked; the others are places goods pass through.
PICKABLE_ZONE_KINDS = (ZoneKind.STORAGE, ZoneKind.PICK_FACE)


class TemperatureClass(models.TextChoices):
    AMBIENT = "ambient", _("Ambient")
    CHILLED = "chilled", _("Chilled")
    FROZEN = "frozen", _("Frozen")


# What goods of each temperature class stand, in °C: a sensor's range unless it is told
# otherwise, and what a carrier is told to keep a load at.
TEMPERATURE_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    TemperatureClass.CHILLED: (Decimal("2"), Decimal("8")),
    TemperatureClass.FROZEN: (Decimal("-30"), Decimal("-18")),
    TemperatureClass.AMBIENT: (Decimal("0"), Decimal("35")),
}


class Velocity(models.TextChoices):
    FAST = "A", _("A (fast mover)")
    MEDIUM = "B", _("B")
    SLOW = "C", _("C (slow mover)")


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    PUTAWAY = "putaway", _("Putaway")
    MOVE = "move", _("Move")
    ADJUSTMENT = "adjustment", _("Adjustment")
    COUNT = "count", _("Count variance")
    PICK = "pick", _("Pick")
    SHIP = "ship", _("Ship")
    # Picked goods that go back to stock instead of out (a held lot pulled from an order).
    UNPICK = "unpick", _("Taken back from an order")


class ReservationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ReceiptStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    RECEIVING = "receiving", _("Receiving")
    CLOSED = "closed", _("Closed")


class TaskKind(models.TextChoices):
    PUTAWAY = "putaway", _("Putaway")
    PICK = "pick", _("Pick")
    COUNT = "count", _("Count")
    REPLENISH = "replenish", _("Replenish")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ASSIGNED = "assigned", _("Assigned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.ASSIGNED)
