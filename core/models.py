"""The shared kernel: warehouses (the unit of access), memberships, the event outbox, idempotency."""

import datetime
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import Role


def warehouse_kept(record: models.Model, *, field: str = "warehouse") -> None:
    """Refuse (ValidationError on `field`) moving a stored place to another warehouse: its
    stock, tasks and appointments are that warehouse's, and a shelf or a door does not
    travel. A new one is made where it is wanted."""
    if record.pk is None:
        return
    before = (
        type(record)
        ._default_manager.filter(pk=record.pk)
        .values_list("warehouse_id", "warehouse__code")
        .first()
    )
    if before is not None and before[0] != record.warehouse_id:  # type: ignore[attr-defined]
        raise ValidationError(
            {
                field: _(
                    "It is in %(warehouse)s and stays there; make a new one where it is wanted."
                )
                % {"warehouse": before[1]}
            }
        )


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255)
    city = models.CharField(_("city"), max_length=80)
    country = models.CharField(_("country"), max_length=2, default="CN")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    opens_at = models.TimeField(_("opens at"), default=datetime.time(7, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(22, 0))
    is_active = models.BooleanField(_("active"), default=True)
    # Each truck's wave goes to the floor by itself when its picking must start to be done its
    # margin before the truck is due (`shipping.services.wave_release_on_time`); off, the
    # dispatch office releases each.
    waves_release_on_time = models.BooleanField(_("waves released on time"), default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90),
                name="warehouse_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180),
                name="warehouse_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def zone(self) -> zoneinfo.ZoneInfo:
        """The warehouse's time zone: its wall clock."""
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> datetime.date:
        """The date on this warehouse's own calendar: what "today" means for its ship dates
        and its lots' expiry, whatever the server's clock (UTC) says."""
        return timezone.localdate(timezone=self.zone())


class Membership(models.Model):
    """A user's role in one warehouse; a user may be a member of several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "warehouse"], name="membership_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.warehouse.code} ({self.role})"


_SEQUENCED = models.Q(sequence__isnull=False)


class Event(models.Model):
    """A domain event in the outbox, written in the same transaction as the change it tells of.

    `id` is the insert order. `sequence` is the feed order, stamped after commit by
    `events_sequence` (one sequencer at a time), so a reader paging with `after=<sequence>`
    never skips an event that committed late. Events of one aggregate are written after the
    rows they lock, so their id order, and hence their sequence order, is their commit order.
    """

    id = models.BigAutoField(primary_key=True)
    sequence = models.BigIntegerField(null=True, blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=64)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    # Every change writes an event, and the sequencer and the relay rewrite its row, each
    # time into every index: only the indexes the feed, the relay and the board read. The
    # warehouse's is event_warehouse_seq; the actor has none (users are deactivated, not
    # deleted, and nothing lists events by who caused them).
    warehouse = models.ForeignKey(
        Warehouse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        # The feed, the relay and the board read sequenced events only, so their indexes
        # hold those only: an event is written into three indexes with the change it tells
        # of, and into the others when the sequencer stamps it (a new row version anyway).
        constraints = [
            models.UniqueConstraint(
                fields=["sequence"], condition=_SEQUENCED, name="event_sequence_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["warehouse", "sequence"], condition=_SEQUENCED, name="event_warehouse_seq"
            ),
            models.Index(fields=["type", "sequence"], condition=_SEQUENCED, name="event_type_seq"),
            models.Index(
                fields=["aggregate_type", "aggregate_id", "sequence"],
                condition=_SEQUENCED,
                name="event_aggregate_seq",
            ),
            models.Index(
                fields=["id"],
                name="event_unsequenced",
                condition=models.Q(sequence__isnull=True),
            ),
            models.Index(
                fields=["sequence"],
                name="event_unpublished",
                condition=models.Q(published_at__isnull=True) & _SEQUENCED,
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence or '-'} {self.type} {self.aggregate_type}:{self.aggregate_id}"


class IdempotencyKey(models.Model):
    """A POST already answered: a replay with the same key gets this answer back."""

    # Looked up by (user, key): idempotency_key_once_per_user is the user's index too.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"


class SopScope(models.TextChoices):
    """Where on the floor a procedure applies: a task there needs its training."""

    ALL = "all", _("All floor work")
    HAZMAT = "hazmat", _("Hazardous goods")
    CHILLED = "chilled", _("Chilled rooms")
    FROZEN = "frozen", _("Frozen rooms")
    DOCK = "dock", _("The dock")


class Sop(models.Model):
    """A standard operating procedure: how a job is done here, in its current version. One
    that `requires_training` lets only people trained on that version (and not expired) work
    where it applies; a new version asks them to be trained again."""

    code = models.CharField(_("code"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=160)
    warehouse = models.ForeignKey(
        Warehouse,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sops",
        help_text=_("Empty: every warehouse."),
    )
    scope = models.CharField(_("applies to"), max_length=8, choices=SopScope.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    body = models.TextField(_("procedure"))
    effective_from = models.DateField(_("effective from"), default=datetime.date.today)
    requires_training = models.BooleanField(_("training required"), default=True)
    valid_days = models.PositiveIntegerField(
        _("training valid for (days)"), null=True, blank=True, help_text=_("Empty: no expiry.")
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} {self.title}"


class TrainingRecord(models.Model):
    """That a person was trained on a version of a procedure, when, by whom, until when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainings"
    )
    sop = models.ForeignKey(Sop, on_delete=models.CASCADE, related_name="trainings")
    version = models.PositiveIntegerField()
    trained_on = models.DateField(_("trained on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-trained_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "sop", "version"], name="training_once_a_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.sop_id} v{self.version}"

    def current(self, *, version: int, on: datetime.date) -> bool:
        """Whether it counts on that day for a procedure now at `version`: of that version, and
        not expired (core.selectors.sops_missing asks the same of the database)."""
        return self.version == version and (self.expires_on is None or self.expires_on >= on)
