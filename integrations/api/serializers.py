import datetime
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.base import WarehouseField
from integrations.models import (
    Excursion,
    FreightInvoice,
    FreightRemittance,
    Sensor,
    SensorReading,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.services.freight_bills import NOTE_MOST, Settlement
from integrations.services.sensors import ReadingInput
from inventory.models import Zone
from shipping.models import Vehicle


class SubscriptionSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "warehouse",
            "url",
            "event_types",
            "is_active",
            "max_attempts",
            "created_at",
        ]


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    """Shown once, on creation and rotation: the receiver stores the secret."""

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SubscribeInput(serializers.Serializer):
    warehouse = WarehouseField()
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=False
    )
    max_attempts = serializers.IntegerField(min_value=1, max_value=20, default=8)


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.uuid")
    event_type = serializers.CharField(source="event.type")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
        ]


# --- cold chain ------------------------------------------------------------------------------

DEVICE = r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\Z"  # a topic level: no '/', '+' or '#'
MAX_READINGS = 1000
FUTURE_SLACK = datetime.timedelta(minutes=5)  # a device's clock may run a little fast


class ReadingSerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False, help_text="When it was measured (ISO 8601); now if not given."
    )
    temperature = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("-80"),
        max_value=Decimal("80"),
        rounding=ROUND_HALF_UP,
        help_text="°C",
    )
    humidity = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        rounding=ROUND_HALF_UP,
        required=False,
        allow_null=True,
        help_text="% relative humidity",
    )

    def validate_at(self, value: datetime.datetime) -> datetime.datetime:
        now = timezone.now()
        if value > now + FUTURE_SLACK:
            raise serializers.ValidationError(
                _("In the future: %(at)s UTC, and it is %(now)s UTC now.")
                % {"at": f"{value.astimezone(datetime.UTC):%H:%M}", "now": f"{now:%H:%M}"}
            )
        return value


class ReadingsInput(serializers.Serializer):
    readings = ReadingSerializer(many=True, allow_empty=False, max_length=MAX_READINGS)


def readings_parsed(data: Any) -> list[ReadingInput]:
    """A device's readings, as the API or an MQTT message gives them: one reading
    ({"at", "temperature", "humidity"}) or many ({"readings": [...]}), a reading without a
    time taken as measured now. Raises ValidationError naming each field at fault
    (`readings[2].temperature`)."""
    if isinstance(data, Mapping) and "readings" not in data:
        data = {"readings": [data]}
    check = ReadingsInput(data=data)
    check.is_valid(raise_exception=True)
    now = timezone.now()
    return [
        ReadingInput(
            at=r.get("at") or now, temperature=r["temperature"], humidity=r.get("humidity")
        )
        for r in check.validated_data["readings"]
    ]


class SensorInput(serializers.Serializer):
    device = serializers.RegexField(
        DEVICE,
        max_length=64,
        error_messages={
            "invalid": _("Letters, digits and _ . : - only, up to 64, as in its MQTT topic.")
        },
    )
    name = serializers.CharField(max_length=120)
    warehouse = WarehouseField(required=False, help_text="The zone's warehouse.")
    zone = serializers.CharField(required=False, help_text="Code of a zone of `warehouse`.")
    vehicle = serializers.CharField(required=False, help_text="Plate of a truck.")
    low_c = serializers.DecimalField(max_digits=5, decimal_places=1, required=False)
    high_c = serializers.DecimalField(max_digits=5, decimal_places=1, required=False)
    humidity_high = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
    )
    grace_minutes = serializers.IntegerField(min_value=0, max_value=240, default=10)

    def validate(self, attrs: dict) -> dict:
        if ("zone" in attrs) == ("vehicle" in attrs):
            raise serializers.ValidationError(
                {"zone": [_("Give a zone or a vehicle, one of the two.")]}
            )
        if "zone" in attrs:
            if "warehouse" not in attrs:
                raise serializers.ValidationError(
                    {"warehouse": [_("The zone's warehouse is needed.")]}
                )
            zone = Zone.objects.filter(warehouse=attrs["warehouse"], code=attrs["zone"]).first()
            if zone is None:
                raise serializers.ValidationError(
                    {
                        "zone": [
                            _("%(warehouse)s has no zone %(code)s.")
                            % {"warehouse": attrs["warehouse"].code, "code": attrs["zone"]}
                        ]
                    }
                )
            attrs["zone"] = zone
        else:
            vehicle = Vehicle.objects.filter(plate=attrs["vehicle"]).first()
            if vehicle is None:
                raise serializers.ValidationError(
                    {"vehicle": [_("No truck %(plate)s.") % {"plate": attrs["vehicle"]}]}
                )
            attrs["vehicle"] = vehicle
        attrs.pop("warehouse", None)
        return attrs


class ExcursionSerializer(serializers.ModelSerializer):
    shipment = serializers.CharField(
        source="shipment.reference", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Excursion
        fields = ["kind", "started_at", "ended_at", "worst", "shipment"]


class SensorSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    zone = serializers.CharField(source="zone.code", default=None, read_only=True, allow_null=True)
    vehicle = serializers.CharField(
        source="vehicle.plate", default=None, read_only=True, allow_null=True
    )
    excursion = serializers.SerializerMethodField()

    class Meta:
        model = Sensor
        fields = [
            "device",
            "name",
            "warehouse",
            "zone",
            "vehicle",
            "low_c",
            "high_c",
            "humidity_high",
            "grace_minutes",
            "last_at",
            "last_temperature",
            "last_humidity",
            "excursion",
        ]

    @extend_schema_field(ExcursionSerializer(allow_null=True))
    def get_excursion(self, sensor: Sensor) -> dict | None:
        """The excursion its goods are in now, if any."""
        found = getattr(sensor, "open_excursion", None)
        return ExcursionSerializer(found).data if found is not None else None


class ReadingOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = SensorReading
        fields = ["at", "temperature", "humidity"]


# --- carriers' bills (X12 210) ----------------------------------------------------------------


class FreightRemittanceSerializer(serializers.ModelSerializer):
    """The 820 of the payment run that told a bill's carrier of it, as its bill shows it
    (`link`: the bill's way to the document)."""

    control = serializers.CharField(source="control_number")
    link = serializers.SerializerMethodField()

    class Meta:
        model = FreightRemittance
        fields = ["control", "issued_at", "paid_on", "link"]

    def get_link(self, sent: FreightRemittance) -> str:
        return f"/api/v1/freight-invoices/{self.context['bill']}/edi/820/"


class FreightInvoiceSerializer(serializers.ModelSerializer):
    carrier = serializers.CharField(source="carrier.code")
    shipment = serializers.CharField(source="shipment.reference")
    load = serializers.CharField(source="shipment.load.reference")
    warehouse = serializers.CharField(source="shipment.load.warehouse.code")
    over = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    settled_by = serializers.CharField(
        source="settled_by.username", allow_null=True, default=None, read_only=True
    )
    interchange = serializers.CharField(source="interchange.control_number")
    remittance = serializers.SerializerMethodField(
        help_text="The X12 820 of the payment run that told the carrier of the bill: its "
        "control number, when it went, the run's day, and where its document is; null while "
        "the bill waits for the office or, decided, for its warehouse's next payment run."
    )

    class Meta:
        model = FreightInvoice
        fields = [
            "id",
            "carrier",
            "number",
            "invoiced_on",
            "warehouse",
            "load",
            "shipment",
            "amount",
            "currency",
            "charges",
            "tariff",
            "over",
            "status",
            "payable",
            "received_at",
            "interchange",
            "settled_at",
            "settled_by",
            "settled_note",
            "remittance",
        ]

    @extend_schema_field(FreightRemittanceSerializer(allow_null=True))
    def get_remittance(self, invoice: FreightInvoice) -> dict | None:
        sent = invoice.remittance
        if sent is None:
            return None
        return FreightRemittanceSerializer(sent, context={"bill": invoice.pk}).data


class PaymentRunInput(serializers.Serializer):
    warehouse = WarehouseField(help_text="The warehouse whose decided bills go now.")


class PaymentRunBillSerializer(serializers.ModelSerializer):
    class Meta:
        model = FreightInvoice
        fields = ["id", "number", "status", "payable"]


class PaymentRunSerializer(serializers.ModelSerializer):
    """An 820 a payment run sent: to which partner, of which carrier, and its bills."""

    control = serializers.CharField(source="control_number")
    carrier = serializers.CharField(source="carrier.code")
    bills = PaymentRunBillSerializer(many=True)

    class Meta:
        model = FreightRemittance
        fields = ["control", "partner", "carrier", "currency", "paid_on", "issued_at", "bills"]


class SettleInput(serializers.Serializer):
    settlement = serializers.ChoiceField(
        choices=Settlement.choices,
        help_text="pay_billed: what it bills is payable (above the tariff, say why in the "
        "note); pay_tariff: the tariff is payable; refuse: nothing is, the carrier bills "
        "again under a new number (say why).",
    )
    note = serializers.CharField(max_length=NOTE_MOST, required=False, allow_blank=True)
