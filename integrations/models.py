"""Webhooks out: who subscribed to which events, and every delivery attempt. EDI in: every
interchange received, so that one sent again is answered, not acted on twice."""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Event, Warehouse


def webhook_secret_new() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookSubscription(models.Model):
    """An endpoint of another system that wants some event types of one warehouse."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("endpoint URL"), max_length=500)
    event_types = models.JSONField(
        _("event types"), default=list, help_text='e.g. ["stock.*", "order.shipped"]'
    )
    secret = models.CharField(max_length=80, default=webhook_secret_new)
    # During a rotation the old secret signs too, so the receiver can switch over.
    previous_secret = models.CharField(max_length=80, blank=True)
    is_active = models.BooleanField(default=True)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.event_types)})"

    def wants(self, event_type: str) -> bool:
        for pattern in self.event_types:
            if pattern == event_type or pattern == "*":
                return True
            if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
                return True
        return False


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead-lettered")


class WebhookDelivery(models.Model):
    """One event for one subscription, with its attempts; `webhook-id` is the event id."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}/{self.event_id} {self.status}"


class EdiInterchange(models.Model):
    """An X12 interchange received and acted on (a test one is not kept): its sender's
    control number is used once, and the answer given is given again to the same
    interchange sent again."""

    sender = models.CharField(max_length=40)  # ISA05:ISA06
    control_number = models.CharField(max_length=9)  # ISA13
    kind = models.CharField(max_length=8)  # the transaction sets': 214
    digest = models.CharField(max_length=64)  # SHA-256 of the interchange as sent
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.JSONField(default=dict)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "control_number"], name="edi_interchange_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender} {self.control_number}"


class EdiRefusal(models.Model):
    """An X12 interchange refused (a test one aside): kept so that the office sees a
    carrier's messages failing, an integration-failure alert on the boards of the warehouses
    its sender's user works at, until an interchange from that sender is taken."""

    sender = models.CharField(max_length=40)  # ISA05:ISA06; "" if no ISA could be read
    control_number = models.CharField(max_length=9, blank=True)
    kind = models.CharField(max_length=8)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    warehouse_ids = models.JSONField(default=list)  # whose office is told
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.sender} {self.control_number} refused"
