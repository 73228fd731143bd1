"""Alerts that need a person: one per condition, owned by a department until resolved."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.models import Warehouse


class Department(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    LOGISTICS = "logistics", _("Logistics")


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


LIVE_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class AlertThresholds(models.Model):
    """When a warehouse's conditions become alerts."""

    warehouse = models.OneToOneField(
        Warehouse, on_delete=models.CASCADE, related_name="alert_thresholds"
    )
    truck_wait_minutes = models.PositiveIntegerField(_("truck waiting beyond (min)"), default=45)
    cutoff_margin_minutes = models.PositiveIntegerField(_("cut-off margin (min)"), default=30)
    pick_lines_per_hour = models.PositiveIntegerField(_("current pick rate (lines/h)"), default=120)
    shipment_late_minutes = models.PositiveIntegerField(_("shipment late beyond (min)"), default=15)

    def __str__(self) -> str:
        return f"thresholds {self.warehouse.code}"


class Alert(models.Model):
    rule = models.CharField(max_length=32)
    key = models.CharField(max_length=120, help_text="Identifies the condition within its rule.")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="alerts")
    department = models.CharField(max_length=10, choices=Department.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    message = models.CharField(max_length=300)
    # The message's template and values (see dashboards.alerts.said), to say it again in the
    # reader's language.
    params = models.JSONField(default=dict, blank=True)
    subject_type = models.CharField(max_length=32)
    subject_id = models.CharField(max_length=64)
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # No floods: one live alert per condition.
            models.UniqueConstraint(
                fields=["rule", "key"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="alert_one_live_per_condition",
            )
        ]
        indexes = [models.Index(fields=["warehouse", "status", "department"], name="alert_board")]

    def __str__(self) -> str:
        return f"{self.rule}:{self.key} {self.status}"

    @property
    def text(self) -> str:
        """The message in the active language (the stored English one if it cannot be)."""
        template = self.params.get("template")
        if not template:
            return self.message
        try:
            if "template_plural" in self.params:  # the count's form (dashboards.alerts.said)
                count = self.params[self.params["template_count"]]
                return ngettext(template, self.params["template_plural"], count) % self.params
            return gettext(template) % self.params
        except (KeyError, TypeError, ValueError):
            return self.message


class TicketKind(models.TextChoices):
    SHORT = "short", _("Goods short or missing")
    DAMAGE = "damage", _("Damaged goods")
    LATE = "late", _("Late, or at risk of it")
    TRUCK = "truck", _("Truck or dock")
    TEMPERATURE = "temperature", _("Temperature")
    DATA = "data", _("Wrong data")
    OTHER = "other", _("Other")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Ticket(models.Model):
    """An exception one department hands the other: what is wrong and about what (an order,
    a load, a shipment, a sensor, an item or a place), which department has it now, and its
    trail (`TicketNote`), until one of them resolves it."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="tickets")
    kind = models.CharField(_("kind"), max_length=12, choices=TicketKind.choices)
    title = models.CharField(_("what is wrong"), max_length=160)
    department = models.CharField(_("with"), max_length=10, choices=Department.choices)
    status = models.CharField(max_length=8, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [
            models.Index(fields=["warehouse", "status", "department"], name="ticket_queue"),
            models.Index(fields=["subject_type", "subject_id"], name="ticket_subject"),
        ]

    def __str__(self) -> str:
        return f"T-{self.pk} {self.title}"

    @property
    def number(self) -> str:
        return f"T-{self.pk:05d}"


class TicketNoteKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    NOTE = "note", _("Note")
    HANDED = "handed", _("Handed over")
    RESOLVED = "resolved", _("Resolved")


class TicketNote(models.Model):
    """A step of a ticket's trail: raised, a note, handed from one department to the other,
    resolved; who, when and what they said."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=8, choices=TicketNoteKind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=500, blank=True)
    to_department = models.CharField(max_length=10, choices=Department.choices, blank=True)

    class Meta:
        ordering = ["ticket_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"
