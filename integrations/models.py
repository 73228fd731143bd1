"""Webhooks out: who subscribed to which events, and every delivery attempt. EDI in: every
interchange received, so that one sent again is answered, not acted on twice, and the orders
that came in 940s. EDI out: the 945s issued, and each partner's control numbers."""

import base64
import secrets
from decimal import Decimal

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
    # The warehouses what it said was of (orders', receipts', loads', stops'): whose office
    # sees it in the EDI log.
    warehouses = models.ManyToManyField(Warehouse, blank=True, related_name="+")

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
    warehouses = models.ManyToManyField(Warehouse, blank=True, related_name="+")  # told
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.sender} {self.control_number} refused"


class EdiOrder(models.Model):
    """An order that came in an X12 940: whose it is and how it was said, for the 945 that
    answers each shipment of it (its own, and its parts' from other warehouses). The
    depositor's order number (W05-02) is the order's reference."""

    order = models.OneToOneField(
        "shipping.Order", on_delete=models.PROTECT, related_name="edi_order"
    )
    interchange = models.ForeignKey(EdiInterchange, on_delete=models.PROTECT, related_name="orders")
    partner = models.CharField(max_length=40)  # ISA05:ISA06 of the 940: the 945 goes there
    receiver = models.CharField(max_length=40)  # ISA07:ISA08: Handoff, as the partner names it
    group_sender = models.CharField(max_length=15)  # GS02
    group_receiver = models.CharField(max_length=15)  # GS03
    purchase_order = models.CharField(max_length=22, blank=True)  # W05-03
    # Per order line number (as text): how the 940 named its product and unit, which the 945
    # names again: {"1": {"qualifier": "EN", "product": "6901234000017", "unit": "CA"}}.
    lines = models.JSONField(default=dict)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.partner} {self.order_id}"


class InterchangeOut(models.Model):
    """What an interchange Handoff sends a partner and may send again keeps (a 945, an 856, an
    820): its document as issued under its control number, when, and the numbers it went
    under before (`interchange_made_anew`)."""

    control_number = models.CharField(max_length=9)  # ISA13 = GS06
    document = models.TextField()
    issued_at = models.DateTimeField(default=timezone.now)
    # Sent before under other control numbers, and sent again (`edi_resend`): each
    # {"control", "issued_at"}, first first.
    earlier = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["pk"]


class ShippingAdvice(InterchangeOut):
    """The X12 945 that told the partner an order (or a part of it) shipped: issued once, at
    its departure, under a control number of its own, and given again as it was; sent again,
    made anew under a new one, if the partner's 997 rejected it or never came."""

    order = models.OneToOneField(
        "shipping.Order", on_delete=models.PROTECT, related_name="shipping_advice"
    )
    edi_order = models.ForeignKey(EdiOrder, on_delete=models.PROTECT, related_name="advices")

    def __str__(self) -> str:
        return f"945 {self.control_number} {self.order_id}"


class EdiControlCounter(models.Model):
    """The last control number Handoff gave an interchange it sent a partner (997s, 945s),
    one counter per partner, handed out under the row's lock."""

    partner = models.CharField(max_length=40, primary_key=True)  # ISA05:ISA06 as it sends
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.partner}={self.last_number}"


class Sensor(models.Model):
    """A thermometer (and hygrometer) in a cold room or a refrigerated truck, known by the
    device ID it reports under (MQTT `handoff/sensors/<device>/reading`, or the API). Its
    goods are safe between `low_c` and `high_c` (and below `humidity_high`); beyond them for
    longer than `grace_minutes` (a door opened to load is not an excursion) it alerts."""

    device = models.CharField(_("device"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="sensors")
    zone = models.ForeignKey(
        "inventory.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="sensors"
    )
    vehicle = models.ForeignKey(
        "shipping.Vehicle",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sensors",
    )
    low_c = models.DecimalField(_("lowest (°C)"), max_digits=5, decimal_places=1)
    high_c = models.DecimalField(_("highest (°C)"), max_digits=5, decimal_places=1)
    humidity_high = models.DecimalField(
        _("most humid (%)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    grace_minutes = models.PositiveSmallIntegerField(_("grace (min)"), default=10)
    last_at = models.DateTimeField(null=True, blank=True)
    last_temperature = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    last_humidity = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["warehouse_id", "device"]
        constraints = [
            models.CheckConstraint(
                condition=Q(zone__isnull=True, vehicle__isnull=False)
                | Q(zone__isnull=False, vehicle__isnull=True),
                name="sensor_in_a_zone_or_a_vehicle",
            ),
            models.CheckConstraint(
                condition=Q(low_c__lt=models.F("high_c")), name="sensor_low_below_high"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device} {self.name}"

    def out_of_range(
        self, temperature: Decimal, humidity: Decimal | None = None
    ) -> tuple[str, Decimal] | None:
        """How a reading is out of its goods' range (an ExcursionKind, and the value out), or
        None if it is in range: too warm or too cold first, then too humid."""
        if temperature > self.high_c:
            return ExcursionKind.WARM, temperature
        if temperature < self.low_c:
            return ExcursionKind.COLD, temperature
        if (
            self.humidity_high is not None
            and humidity is not None
            and humidity > self.humidity_high
        ):
            return ExcursionKind.HUMID, humidity
        return None


class SensorReading(models.Model):
    """What a sensor measured at a moment (its own clock); one reading a moment, so a message
    delivered twice (MQTT QoS 1) is kept once."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="readings")
    at = models.DateTimeField()
    temperature = models.DecimalField(max_digits=5, decimal_places=2)
    humidity = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sensor_id", "at"]
        constraints = [models.UniqueConstraint(fields=["sensor", "at"], name="sensor_reading_once")]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.at:%Y-%m-%d %H:%M} {self.temperature}"


class ExcursionKind(models.TextChoices):
    WARM = "warm", _("too warm")
    COLD = "cold", _("too cold")
    HUMID = "humid", _("too humid")


class Excursion(models.Model):
    """A time a sensor's goods spent out of their range: from the first reading out to the
    first back in (open until then). A truck's names the shipment it was on."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="excursions")
    kind = models.CharField(max_length=5, choices=ExcursionKind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    worst = models.DecimalField(max_digits=5, decimal_places=2)  # °C, or % for humid
    shipment = models.ForeignKey(
        "shipping.Shipment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="excursions",
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["sensor"],
                condition=Q(ended_at__isnull=True),
                name="excursion_one_open_per_sensor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class ShipNotice(InterchangeOut):
    """The X12 856 that told a customer what is coming to one of its ship-tos on a truck that
    left: issued once, at the departure, and given again as it was; sent again, made anew
    under a new control number, if the customer's 997 rejected it or never came."""

    stop = models.OneToOneField(
        "shipping.Stop", on_delete=models.PROTECT, related_name="ship_notice"
    )
    partner = models.CharField(max_length=40)  # ISA qualifier:ID of the customer

    def __str__(self) -> str:
        return f"856 {self.control_number} {self.stop_id}"


class TenderPurpose(models.TextChoices):
    """B2A-01 of a 204: what the tender does."""

    ORIGINAL = "00", _("Tender")
    CANCEL = "01", _("Withdrawn")
    CHANGE = "04", _("Change")


class TenderAnswer(models.TextChoices):
    PENDING = "pending", _("Awaiting the carrier's answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Not answered by the time it was due, and passed on to another carrier's truck.
    LAPSED = "lapsed", _("Not answered in time")


class LoadTender(models.Model):
    """An X12 204 that offered a load to its vehicle's carrier, told it of a change, or
    withdrew it: issued once each, under the carrier's next control number, and given again
    as it was. The carrier's 990 answers the load's last tender to it."""

    load = models.ForeignKey("shipping.Load", on_delete=models.PROTECT, related_name="tenders")
    carrier = models.ForeignKey(
        "shipping.Carrier", on_delete=models.PROTECT, related_name="tenders"
    )
    partner = models.CharField(max_length=40)  # ISA qualifier:ID of the carrier
    purpose = models.CharField(max_length=2, choices=TenderPurpose.choices)
    control_number = models.CharField(max_length=9)
    # What it said of the load (`integrations.edi.load_tender.tender_segments`): a change is
    # tendered only when they differ; a withdrawal says them again.
    segments = models.JSONField(default=list)
    document = models.TextField()
    issued_at = models.DateTimeField(default=timezone.now)
    respond_by = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(
        max_length=10, choices=TenderAnswer.choices, default=TenderAnswer.PENDING
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)  # a decline's, as the 990 says it

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["load", "carrier"], name="tender_load_carrier")]

    def __str__(self) -> str:
        return f"204 {self.control_number} {self.load_id} {self.purpose}"

    @property
    def current(self) -> bool:
        """It is to the carrier whose vehicle the load is on now (its load's vehicle read)."""
        return self.carrier_id == self.load.vehicle.carrier_id

    @property
    def live(self) -> bool:
        """The carrier holds this tender: it was offered (or changed) and not declined (one
        that lapsed unanswered is still theirs until they are told it is withdrawn)."""
        return self.purpose != TenderPurpose.CANCEL and self.answer != TenderAnswer.DECLINED


class EdiAcknowledgment(models.Model):
    """What a partner's 997 said of an interchange Handoff sent it (a 945, an 856, a 204),
    by its control number: the last word kept (a partner may acknowledge again)."""

    partner = models.CharField(max_length=40)  # ISA qualifier:ID
    control_number = models.CharField(max_length=9)  # ours: ISA13 = GS06
    kind = models.CharField(max_length=8)  # the set acknowledged: 945, 856, 204, 820
    status = models.CharField(max_length=1)  # AK9-01: A, E, P or R
    errors = models.JSONField(default=list)  # AK9's and AK5's error codes
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    interchange = models.ForeignKey(
        EdiInterchange, on_delete=models.PROTECT, related_name="acknowledgments"
    )
    warehouse = models.ForeignKey(
        Warehouse, null=True, on_delete=models.PROTECT, related_name="+"
    )  # of what was sent
    # The control number it was sent again under (`edi_resend`), once it was.
    sent_again_as = models.CharField(max_length=9, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "control_number"], name="edi_acknowledged_once"
            )
        ]

    def __str__(self) -> str:
        return f"997 {self.partner} {self.control_number} {self.status}"


class InvoiceStatus(models.TextChoices):
    APPROVED = "approved", _("Within the tariff")
    DISPUTED = "disputed", _("Above the tariff")
    UNPRICED = "unpriced", _("No tariff to check it by")
    # What the office settled a disputed or unpriced one at (`freight_invoice_settle`).
    ACCEPTED = "accepted", _("Accepted as billed")
    SHORT_PAID = "short_paid", _("To be paid at the tariff")
    REFUSED = "refused", _("Refused: to be billed again")


# Bills the office has still to settle.
INVOICES_OPEN = (InvoiceStatus.DISPUTED, InvoiceStatus.UNPRICED)


class FreightInvoice(models.Model):
    """A carrier's bill for a load it carried (an X12 210), checked when it came against
    what the carrier's tariff priced the trip at when the truck left (`tariff`): within
    `HANDOFF_FREIGHT_TOLERANCE_PCT` (or `_ABS`) of it, approved; above, disputed (an alert
    for the office); with no tariff known, unpriced."""

    carrier = models.ForeignKey(
        "shipping.Carrier", on_delete=models.PROTECT, related_name="invoices"
    )
    shipment = models.ForeignKey(
        "shipping.Shipment", on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField(max_length=30)  # B3-02, the carrier's
    invoiced_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    charges = models.JSONField(default=list, blank=True)  # each {code, description, amount}
    tariff = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    interchange = models.ForeignKey(
        EdiInterchange, on_delete=models.PROTECT, related_name="invoices"
    )
    # What is to be paid: the bill within its tariff at once; a disputed or unpriced one
    # once the office settles it (the bill, the tariff, or nothing if refused).
    payable = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    settled_note = models.TextField(blank=True)
    # The 820 of the payment run that told the carrier of it: none while it waits for
    # the office, or, decided, for its warehouse's next payment run.
    remittance = models.ForeignKey(
        "FreightRemittance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bills",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "number"], name="invoice_once_a_carrier")
        ]

    def __str__(self) -> str:
        return f"210 {self.number} {self.amount}"

    @property
    def over(self) -> Decimal | None:
        """What it bills above the tariff (None with no tariff known)."""
        return self.amount - self.tariff if self.tariff is not None else None


class FreightRemittance(InterchangeOut):
    """The X12 820 of a payment run: what of each of its bills (`bills`) the warehouse pays
    one carrier, billed through one partner in one currency, and why any less. Issued once,
    at the warehouse's payment run (`HANDOFF_PAYMENT_RUN_AT`, or when the office sends the
    bills decided before then), to the partner that sent their 210s, and given again as it
    was; sent again, made anew under a new control number, if the carrier's 997 rejected it
    or never came."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    carrier = models.ForeignKey("shipping.Carrier", on_delete=models.PROTECT, related_name="+")
    partner = models.CharField(max_length=40)  # ISA qualifier:ID of the carrier
    currency = models.CharField(max_length=3)
    paid_on = models.DateField()  # the payment run's day, on the warehouse's clock

    def __str__(self) -> str:
        return f"820 {self.control_number} {self.partner}"
