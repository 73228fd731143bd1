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
