import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from inventory.api.serializers import Quantity
from inventory.selectors import items_by_sku
from inventory.services import QUANTITY_MAX
from shipping.choices import ORDER_TRANSITIONS, PLATE_MOST, HoldReason, Priority
from shipping.models import Customer, Order, OrderLine, ShipTo


def edi_qualifier_field() -> serializers.RegexField:
    """An ISA ID qualifier (ISA05/07): two capitals or digits."""
    return serializers.RegexField(r"\A[0-9A-Z]{2}\Z", required=False)


def edi_id_field(help_text: str) -> serializers.RegexField:
    """An ISA ID (ISA06/08): up to 15 capitals, digits, spaces, dots or dashes; blank for a
    partner that takes no EDI."""
    return serializers.RegexField(
        r"\A[0-9A-Z][0-9A-Z .-]{0,14}\Z", required=False, allow_blank=True, help_text=help_text
    )


class CustomerSerializer(serializers.ModelSerializer):
    edi_qualifier = edi_qualifier_field()
    edi_id = edi_id_field(
        "Its EDI ID (ISA06/08), to send it a ship notice (X12 856) as each truck leaves."
    )

    class Meta:
        model = Customer
        fields = ["id", "code", "name", "edi_qualifier", "edi_id"]


class ShipToSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(slug_field="code", queryset=Customer.objects.all())

    class Meta:
        model = ShipTo
        fields = [
            "id",
            "customer",
            "code",
            "name",
            "address",
            "city",
            "latitude",
            "longitude",
            "window_opens",
            "window_closes",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        opens = attrs.get("window_opens", getattr(self.instance, "window_opens", None))
        closes = attrs.get("window_closes", getattr(self.instance, "window_closes", None))
        if opens and closes and opens >= closes:
            raise serializers.ValidationError(
                {"window_closes": "The delivery window must close after it opens."}
            )
        return attrs


class OrderLineSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.sku")
    reserved = serializers.SerializerMethodField()
    reservations = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = ["line_no", "item", "quantity", "reserved", "reservations"]

    def get_reserved(self, line: OrderLine) -> int:
        return sum(r.quantity for r in line.reservations.all())

    def get_reservations(self, line: OrderLine) -> list[dict[str, Any]]:
        return [
            {"warehouse": r.warehouse.code, "reservation": r.reservation_id, "quantity": r.quantity}
            for r in line.reservations.all()
            if r.quantity
        ]


class OrderSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code")
    ship_to = serializers.CharField(source="ship_to.code")
    warehouse = serializers.CharField(source="warehouse.code", allow_null=True, default=None)
    lines = OrderLineSerializer(many=True)
    open_transitions = serializers.SerializerMethodField()
    split_from = serializers.CharField(
        source="split_from.external_ref", allow_null=True, default=None
    )
    split_parts = serializers.SlugRelatedField(many=True, read_only=True, slug_field="external_ref")

    class Meta:
        model = Order
        fields = [
            "id",
            "external_ref",
            "customer",
            "ship_to",
            "warehouse",
            "status",
            "open_transitions",
            "priority",
            "requested_delivery_date",
            "promised_ship_date",
            "cutoff_at",
            "allocation_note",
            "received_at",
            "allocated_at",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
            "split_from",
            "split_parts",
            "lines",
        ]

    def get_open_transitions(self, order: Order) -> list[str]:
        return sorted(ORDER_TRANSITIONS.get(order.status, ()))

    def to_representation(self, order: Order) -> dict[str, Any]:
        """The declared fields written out directly: the same output as the ModelSerializer
        gives (a test holds the two equal) at a fraction of its cost. Every order taken is
        answered while its stock is locked, and an ERP polls the list."""
        lines = []
        for line in order.lines.all():
            held = list(line.reservations.all())
            lines.append(
                {
                    "line_no": line.line_no,
                    "item": line.item.sku,
                    "quantity": line.quantity,
                    "reserved": sum(r.quantity for r in held),
                    "reservations": [
                        {
                            "warehouse": r.warehouse.code,
                            "reservation": r.reservation_id,
                            "quantity": r.quantity,
                        }
                        for r in held
                        if r.quantity
                    ],
                }
            )
        return {
            "id": order.pk,
            "external_ref": order.external_ref,
            "customer": order.customer.code,
            "ship_to": order.ship_to.code,
            "warehouse": order.warehouse.code if order.warehouse_id else None,
            "status": order.status,
            "open_transitions": self.get_open_transitions(order),
            "priority": order.priority,
            "requested_delivery_date": _day(order.requested_delivery_date),
            "promised_ship_date": _day(order.promised_ship_date),
            "cutoff_at": _when(order.cutoff_at),
            "allocation_note": order.allocation_note,
            "received_at": _when(order.received_at),
            "allocated_at": _when(order.allocated_at),
            "shipped_at": _when(order.shipped_at),
            "delivered_at": _when(order.delivered_at),
            "cancelled_at": _when(order.cancelled_at),
            "split_from": order.split_from.external_ref if order.split_from_id else None,
            "split_parts": [part.external_ref for part in order.split_parts.all()],
            "lines": lines,
        }

    def declared_representation(self, order: Order) -> dict[str, Any]:
        """What the declared fields give through DRF: the reference for to_representation."""
        return dict(super().to_representation(order))


_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


def _when(value: Any) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def _day(value: Any) -> str | None:
    return None if value is None else _DATE.to_representation(value)


class OrderLineInput(serializers.Serializer):
    item = serializers.CharField(max_length=64, help_text="SKU of the item.")
    quantity = Quantity()


@extend_schema_field(OrderLineInput(many=True))
class OrderLinesField(serializers.Field):
    """An order's lines, a non-empty list of `OrderLineInput`: each value checked by that
    serializer's own fields, with their messages, but without a serializer (and a copy of
    its fields) per line; each SKU turned into its item, all looked up in one query. Errors
    come per line, all of them at once, as a nested serializer gives them
    (`lines[2].quantity`, `lines[0].item`)."""

    default_error_messages = {
        "not_a_list": serializers.ListSerializer.default_error_messages["not_a_list"],
        "empty": serializers.ListSerializer.default_error_messages["empty"],
        "invalid": serializers.Serializer.default_error_messages["invalid"],
    }
    _fields = OrderLineInput._declared_fields  # the declared ones, used unbound, never changed

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not data:
            self.fail("empty")
        lines: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for entry in data:
            line: dict[str, Any] = {}
            problems: dict[str, Any] = {}
            if not isinstance(entry, Mapping):
                message = self.error_messages["invalid"].format(datatype=type(entry).__name__)
                problems[api_settings.NON_FIELD_ERRORS_KEY] = [message]
            else:
                for name, field in self._fields.items():
                    try:
                        line[name] = field.run_validation(entry.get(name, empty))
                    except serializers.ValidationError as error:
                        problems[name] = error.detail
            lines.append(line)
            errors.append(problems)
        items = items_by_sku(line["item"] for line in lines if "item" in line)
        for line, problems in zip(lines, errors, strict=True):
            if "item" in line and line["item"] not in items:
                problems["item"] = [_("Unknown SKU %(sku)s.") % {"sku": line["item"]}]
        if any(errors):
            raise serializers.ValidationError(errors)
        return [{**line, "item": items[line["item"]]} for line in lines]

    def to_representation(self, value: Any) -> Any:  # pragma: no cover - input only
        return value


PARTIES = ("customer", "ship_to")


class OrderCreateInput(serializers.Serializer):
    external_ref = serializers.CharField(max_length=64)
    customer = serializers.CharField(max_length=32, help_text="Code of the customer.")
    ship_to = serializers.CharField(
        max_length=32, help_text="Code of one of the customer's ship-tos."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    requested_delivery_date = serializers.DateField()
    promised_ship_date = serializers.DateField()
    cutoff_at = serializers.DateTimeField(required=False, allow_null=True)
    lines = OrderLinesField()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """The fields, and the customer and its ship-to (both read in one query), with every
        problem of the order reported at once: an unknown customer next to a bad line, say,
        not one after the other."""
        try:
            attrs, errors = super().to_internal_value(data), {}
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            attrs, errors = None, dict(error.detail)
        # Codes that passed their fields' checks: as the fields gave them, or as sent.
        raw = data if isinstance(data, Mapping) else {}
        codes = attrs or {name: str(raw[name]).strip() for name in PARTIES if name in raw}
        if all(name in codes and name not in errors for name in PARTIES):
            customer, ship_to = customer_and_ship_to(
                customer_code=codes["customer"], ship_to_code=codes["ship_to"]
            )
            if customer is None:
                errors["customer"] = [_("Unknown customer %(code)s.") % {"code": codes["customer"]}]
            elif ship_to is None:
                errors["ship_to"] = [
                    _("%(customer)s has no ship-to %(code)s.")
                    % {"customer": customer.code, "code": codes["ship_to"]}
                ]
            elif attrs is not None:
                attrs["customer"], attrs["ship_to"] = customer, ship_to
        if errors:
            raise serializers.ValidationError(errors)
        return attrs  # type: ignore[return-value]


class LineChangeInput(serializers.Serializer):
    line_no = serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX)
    quantity = Quantity(
        error_messages={"min_value": "Must be greater than zero; cancel the order to drop it."}
    )


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


# --- dock, fleet, loads, waves --------------------------------------------------------------

from core.api.base import WarehouseField  # noqa: E402
from core.models import Warehouse  # noqa: E402
from inventory.api.serializers import LocationField  # noqa: E402
from inventory.models import Location, Lot, Receipt  # noqa: E402
from shipping.models import (  # noqa: E402
    Carrier,
    Dock,
    DockAppointment,
    DockHold,
    Driver,
    HandlingUnit,
    Load,
    Shipment,
    Stop,
    TrackingEvent,
    Vehicle,
    Wave,
)
from shipping.selectors import customer_and_ship_to, load_fill, wave_timing  # noqa: E402
from shipping.services.dispatch import DELAY_MINUTES  # noqa: E402
from shipping.services.dock import HOLD_DAYS_MOST, HOLD_NOTE_MOST, WALK_IN_MINUTES  # noqa: E402
from shipping.tariffs import currency  # noqa: E402


class CarrierSerializer(serializers.ModelSerializer):
    edi_qualifier = edi_qualifier_field()
    edi_id = edi_id_field(
        "Its EDI ID (ISA06/08), to tender it its loads (X12 204) and read its answers (X12 990)."
    )

    class Meta:
        model = Carrier
        fields = [
            "id",
            "code",
            "name",
            "service_level",
            "rate_per_trip",
            "rate_per_stop",
            "rate_per_kg",
            "minimum_charge",
            "network_km_per_day",
            "collects_at",
            "edi_qualifier",
            "edi_id",
        ]
        extra_kwargs = {
            rate: {"min_value": Decimal(0)}
            for rate in ("rate_per_trip", "rate_per_stop", "rate_per_kg", "minimum_charge")
        }


class VehicleSerializer(serializers.ModelSerializer):
    carrier = serializers.SlugRelatedField(slug_field="code", queryset=Carrier.objects.all())
    home_warehouse = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Vehicle
        fields = [
            "id",
            "carrier",
            "plate",
            "home_warehouse",
            "capacity_weight_kg",
            "capacity_volume_l",
            "temperature_class",
            "cost_per_km",
        ]
        extra_kwargs = {
            "capacity_weight_kg": {"min_value": Decimal("0.1")},
            "capacity_volume_l": {"min_value": Decimal("0.1")},
            "cost_per_km": {"min_value": Decimal(0)},
        }


class DriverSerializer(serializers.ModelSerializer):
    carrier = serializers.SlugRelatedField(slug_field="code", queryset=Carrier.objects.all())
    home_warehouse = serializers.SlugRelatedField(
        slug_field="code", queryset=Warehouse.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Driver
        fields = ["id", "carrier", "name", "phone", "home_warehouse"]


class DockSerializer(serializers.ModelSerializer):
    warehouse = WarehouseField()

    class Meta:
        model = Dock
        fields = ["id", "warehouse", "code", "is_active"]


class AppointmentSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="dock.warehouse.code")
    dock = serializers.CharField(source="dock.code")
    vehicle = serializers.CharField(source="vehicle.plate")
    load = serializers.CharField(source="load.reference", allow_null=True, default=None)

    class Meta:
        model = DockAppointment
        fields = [
            "id",
            "warehouse",
            "dock",
            "vehicle",
            "load",
            "starts_at",
            "ends_at",
            "status",
            "checked_in_at",
            "checked_out_at",
        ]


class AppointmentBookInput(serializers.Serializer):
    dock = serializers.PrimaryKeyRelatedField(queryset=Dock.objects.all())
    vehicle = serializers.SlugRelatedField(
        slug_field="plate",
        queryset=Vehicle.objects.all(),
        error_messages={"does_not_exist": "Unknown vehicle {value}."},
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    load = serializers.SlugRelatedField(
        slug_field="reference", queryset=Load.objects.all(), required=False, allow_null=True
    )


class AppointmentMoveInput(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    dock = serializers.PrimaryKeyRelatedField(queryset=Dock.objects.all(), required=False)


class DockHoldSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="dock.warehouse.code")
    dock_code = serializers.CharField(source="dock.code")
    receipt_reference = serializers.CharField(
        source="receipt.reference", allow_null=True, default=None
    )
    placed_by = serializers.CharField(
        source="placed_by.username", allow_null=True, default=None, read_only=True
    )
    released_by = serializers.CharField(
        source="released_by.username", allow_null=True, default=None, read_only=True
    )
    dwell_minutes = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = DockHold
        fields = [
            "id",
            "warehouse",
            "dock",
            "dock_code",
            "starts_at",
            "ends_at",
            "reason",
            "receipt",
            "receipt_reference",
            "note",
            "placed_at",
            "placed_by",
            "released_at",
            "released_by",
            "expected_plate",
            "plate",
            "checked_in_at",
            "checked_out_at",
            "dwell_minutes",
        ]


class DockHoldInput(serializers.Serializer):
    dock = serializers.PrimaryKeyRelatedField(queryset=Dock.objects.all())
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.ChoiceField(
        choices=HoldReason.choices,
        help_text="receiving: a supplier's truck unloads there (name its receipt if known); "
        "maintenance; other (the note says what).",
    )
    receipt = serializers.PrimaryKeyRelatedField(
        queryset=Receipt.objects.all(), required=False, allow_null=True
    )
    note = serializers.CharField(
        max_length=HOLD_NOTE_MOST, required=False, allow_blank=True, default=""
    )
    expected_plate = serializers.CharField(
        max_length=PLATE_MOST,
        required=False,
        allow_blank=True,
        default="",
        help_text="The plate of the supplier's truck expected (receiving only), if known.",
    )


class DockHoldDailyInput(DockHoldInput):
    """A hold's hours on its first day, and how many days running; no receipt (a receipt's
    truck comes once)."""

    receipt = None
    days = serializers.IntegerField(
        min_value=1, max_value=HOLD_DAYS_MOST, help_text="How many days running, 1 to 31."
    )


class DockHoldsPlaced(serializers.Serializer):
    holds = DockHoldSerializer(many=True)


class GateInput(serializers.Serializer):
    at = serializers.DateTimeField(required=False)


class SupplierGateInput(GateInput):
    plate = serializers.CharField(
        max_length=PLATE_MOST, help_text="The supplier's truck's plate, as the gate reads it."
    )


class WalkInInput(serializers.Serializer):
    """A supplier's truck at the gate with no door held for it."""

    warehouse = WarehouseField()
    plate = serializers.CharField(
        max_length=PLATE_MOST, help_text="The supplier's truck's plate, as the gate reads it."
    )
    minutes = serializers.IntegerField(
        min_value=WALK_IN_MINUTES[0],
        max_value=WALK_IN_MINUTES[1],
        default=60,
        help_text="How long to hold its door from now, 15 to 480.",
    )
    receipt = serializers.PrimaryKeyRelatedField(
        queryset=Receipt.objects.all(), required=False, allow_null=True
    )
    note = serializers.CharField(
        max_length=HOLD_NOTE_MOST, required=False, allow_blank=True, default=""
    )


class FillSerializer(serializers.Serializer):
    weight_kg = serializers.DecimalField(max_digits=12, decimal_places=2)
    volume_l = serializers.DecimalField(max_digits=12, decimal_places=2)
    weight_pct = serializers.FloatField()
    volume_pct = serializers.FloatField()
    coldest = serializers.CharField()


class TimingSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    pick_minutes = serializers.IntegerField()
    truck_due = serializers.DateTimeField(allow_null=True)
    ready_by = serializers.DateTimeField(allow_null=True)
    release_at = serializers.DateTimeField(allow_null=True)
    expected_ready = serializers.DateTimeField(allow_null=True)
    late_minutes = serializers.IntegerField()


class WaveSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    load = serializers.CharField(source="load.reference", allow_null=True, default=None)
    orders = serializers.SlugRelatedField(slug_field="external_ref", many=True, read_only=True)
    timing = serializers.SerializerMethodField()

    class Meta:
        model = Wave
        fields = [
            "id",
            "warehouse",
            "load",
            "status",
            "lines_per_picker_hour",
            "pickers",
            "margin_minutes",
            "released_at",
            "picked_at",
            "orders",
            "timing",
        ]

    def get_timing(self, wave: Wave) -> dict:
        return TimingSerializer(wave_timing(wave).__dict__).data


class LoadDriverSerializer(serializers.ModelSerializer):
    class Meta:
        model = Driver
        fields = ["id", "name", "phone"]


class RouteQuery(serializers.Serializer):
    leaves_at = serializers.DateTimeField(
        required=False,
        help_text="When the truck would leave; default: the end of its dock slot, or now.",
    )


class RouteStopSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    ship_to = serializers.CharField(source="call.ship_to.code")
    name = serializers.CharField(source="call.ship_to.name")
    km = serializers.FloatField()
    arrives_at = serializers.DateTimeField(source="call.arrives_at")
    eta = serializers.DateTimeField(source="call.eta")
    window_opens = serializers.TimeField(source="call.ship_to.window_opens")
    window_closes = serializers.TimeField(source="call.ship_to.window_closes")
    waits_minutes = serializers.IntegerField(source="call.waits_minutes")
    late_minutes = serializers.IntegerField(source="call.late_minutes")


class PricedSerializer(serializers.Serializer):
    """What a trip costs by its vehicle's tariff (`shipping.tariffs`), and in what."""

    cost = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="By the vehicle's tariff; null if none is known.",
    )
    currency = serializers.SerializerMethodField()

    def get_currency(self, priced: object) -> str:
        return currency()


class RouteSerializer(PricedSerializer):
    load = serializers.CharField()
    leaves_at = serializers.DateTimeField()
    late_minutes = serializers.IntegerField()
    km = serializers.FloatField(help_text="Driven in all, the way back to the warehouse too.")
    stops = RouteStopSerializer(many=True)


class SlotSuggestedSerializer(serializers.Serializer):
    load = serializers.CharField()
    dock = serializers.CharField(allow_null=True, help_text="Null if no door is free around then.")
    dock_id = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="When the truck leaves.")
    late_minutes = serializers.IntegerField()
    stops = RouteStopSerializer(many=True)


class LoadSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    vehicle = serializers.CharField(source="vehicle.plate")
    orders = serializers.SlugRelatedField(slug_field="external_ref", many=True, read_only=True)
    driver = LoadDriverSerializer(read_only=True, allow_null=True)
    fill = serializers.SerializerMethodField()
    wave = serializers.SerializerMethodField()
    appointment = serializers.SerializerMethodField()

    class Meta:
        model = Load
        fields = [
            "id",
            "reference",
            "warehouse",
            "vehicle",
            "driver",
            "status",
            "created_at",
            "departed_at",
            "orders",
            "fill",
            "wave",
            "appointment",
        ]

    def get_fill(self, load: Load) -> dict:
        return FillSerializer(load_fill(load).__dict__).data

    def get_wave(self, load: Load) -> int | None:
        wave = getattr(load, "wave", None)
        return wave.pk if wave else None

    def get_appointment(self, load: Load) -> int | None:
        appointment = getattr(load, "appointment", None)
        return appointment.pk if appointment else None


class LoadVehicleInput(serializers.Serializer):
    vehicle = serializers.SlugRelatedField(
        slug_field="plate",
        queryset=Vehicle.objects.select_related("carrier"),
        help_text="Plate of the vehicle the load goes on now (see /loads/vehicle-choice/).",
        error_messages={"does_not_exist": "Unknown vehicle {value}."},
    )
    driver = serializers.PrimaryKeyRelatedField(
        queryset=Driver.objects.select_related("carrier"),
        required=False,
        allow_null=True,
        help_text="Id of a driver of the vehicle's carrier; null for none. Left out: the "
        "load's driver stays if he drives for that carrier, else it has none.",
        error_messages={"does_not_exist": "Unknown driver {pk_value}."},
    )


class LoadBuildInput(serializers.Serializer):
    warehouse = WarehouseField()
    vehicle = serializers.SlugRelatedField(
        slug_field="plate",
        queryset=Vehicle.objects.all(),
        required=False,
        help_text="Plate; default: the best free vehicle that takes the orders "
        "(see /loads/vehicle-choice/).",
        error_messages={"does_not_exist": "Unknown vehicle {value}."},
    )
    orders = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    driver = serializers.PrimaryKeyRelatedField(
        queryset=Driver.objects.select_related("carrier"),
        required=False,
        allow_null=True,
        help_text="Id of a driver of the vehicle's carrier (see /drivers/).",
        error_messages={"does_not_exist": "Unknown driver {pk_value}."},
    )
    dock = serializers.PrimaryKeyRelatedField(
        queryset=Dock.objects.all(),
        required=False,
        help_text="With starts_at and ends_at: book the vehicle at this door then, for the "
        "load (as /loads/proposed/ suggests).",
        error_messages={"does_not_exist": "Unknown dock {pk_value}."},
    )
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)

    def validate(self, data: dict) -> dict:
        slot = ("dock", "starts_at", "ends_at")
        given = [name for name in slot if data.get(name) is not None]
        if given and len(given) < len(slot):
            missing = next(name for name in slot if name not in given)
            raise serializers.ValidationError(
                {
                    missing: _(
                        "A dock slot needs dock, starts_at and ends_at; %(field)s is missing."
                    )
                    % {"field": missing}
                }
            )
        if given and data["dock"].warehouse_id != data["warehouse"].pk:
            raise serializers.ValidationError(
                {"dock": _("Dock %(dock)s is in another warehouse.") % {"dock": data["dock"].code}}
            )
        return data


class VehicleChoiceQuery(serializers.Serializer):
    warehouse = WarehouseField()
    orders = serializers.ListField(child=serializers.CharField(), allow_empty=False, required=False)
    load = serializers.CharField(
        required=False,
        help_text="Instead of orders: a planned load's reference, for another truck for it "
        "(its own trip holds no vehicle).",
    )

    def validate(self, data: dict) -> dict:
        if bool(data.get("orders")) == bool(data.get("load")):
            raise serializers.ValidationError(
                {"orders": "Name the orders, or a load (load=…), one or the other."}
            )
        return data


class TripSerializer(serializers.Serializer):
    """A trip booked for a vehicle: its load, from its slot until the truck is back."""

    load = serializers.CharField(source="load.reference")
    starts_at = serializers.DateTimeField()
    back_at = serializers.DateTimeField()


class TrucksDayQuery(serializers.Serializer):
    warehouse = WarehouseField()
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def validate(self, data: dict) -> dict:
        now = timezone.now()
        data.setdefault("start", now - datetime.timedelta(hours=6))
        data.setdefault("end", data["start"] + datetime.timedelta(hours=36))
        if data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": "It must be after start."})
        if data["end"] - data["start"] > datetime.timedelta(days=7):
            raise serializers.ValidationError({"end": "At most 7 days after start."})
        return data


class TruckTripSerializer(TripSerializer):
    """A trip as the board's trucks' day shows it: with the load's status, and whether the
    truck will not be back in time for its next trip."""

    status = serializers.CharField(source="load.status")
    at_risk = serializers.BooleanField()


class TruckDaySerializer(serializers.Serializer):
    vehicle = serializers.CharField(source="vehicle.plate")
    carrier = serializers.CharField(source="vehicle.carrier.code")
    trips = TruckTripSerializer(many=True)


class VehicleChoiceSerializer(PricedSerializer):
    vehicle = serializers.CharField(source="vehicle.plate")
    carrier = serializers.CharField(source="vehicle.carrier.code")
    service_level = serializers.CharField(source="vehicle.carrier.service_level")
    temperature_class = serializers.CharField(source="vehicle.temperature_class")
    weight_pct = serializers.FloatField(source="fill.weight_pct")
    volume_pct = serializers.FloatField(source="fill.volume_pct")
    usable = serializers.BooleanField()
    refusal = serializers.CharField()
    trips = TripSerializer(many=True)


class WarehouseQuery(serializers.Serializer):
    warehouse = WarehouseField()


class LoadProposalSerializer(PricedSerializer):
    vehicle = serializers.CharField(source="vehicle.plate")
    carrier = serializers.CharField(source="vehicle.carrier.code")
    orders = serializers.SerializerMethodField()
    weight_pct = serializers.FloatField()
    volume_pct = serializers.FloatField()
    late_minutes = serializers.IntegerField()
    leaves_at = serializers.DateTimeField()
    dock = serializers.CharField(source="dock.code", allow_null=True, default=None)
    dock_id = serializers.IntegerField(source="dock.pk", allow_null=True, default=None)
    slot_starts_at = serializers.DateTimeField()
    driver = serializers.CharField(source="driver.name", allow_null=True, default=None)
    driver_id = serializers.IntegerField(source="driver.pk", allow_null=True, default=None)
    stops = serializers.SerializerMethodField()

    def get_orders(self, proposal: object) -> list[str]:
        return [o.external_ref for o in proposal.orders]  # type: ignore[attr-defined]

    def get_stops(self, proposal: object) -> list[dict]:
        return [
            {"ship_to": c.ship_to.code, "eta": c.eta, "late_minutes": c.late_minutes}
            for c in proposal.route  # type: ignore[attr-defined]
        ]


class OrderWaitingSerializer(serializers.Serializer):
    order = serializers.CharField(source="order.external_ref")
    ship_to = serializers.CharField(source="order.ship_to.code")
    reason = serializers.CharField()
    why = serializers.CharField()


class LoadPlanSerializer(serializers.Serializer):
    proposals = LoadProposalSerializer(many=True)
    waiting = OrderWaitingSerializer(many=True)


class WavePlanInput(serializers.Serializer):
    lines_per_picker_hour = serializers.IntegerField(min_value=1, max_value=10_000, default=60)
    pickers = serializers.IntegerField(min_value=1, max_value=1_000, default=2)
    margin_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60, default=30)


class ScanInput(serializers.Serializer):
    sscc = serializers.CharField(max_length=20)


class PickConfirmInput(serializers.Serializer):
    location_barcode = serializers.CharField()
    item_code = serializers.CharField()
    lot_code = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    quantity = Quantity(min_value=0)


class PackLineInput(serializers.Serializer):
    line_no = serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX)
    quantity = Quantity()


class PackInput(serializers.Serializer):
    contents = PackLineInput(many=True, required=False)


class UnitSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.external_ref")
    location = serializers.CharField(source="location.barcode")
    load = serializers.CharField(source="load.reference", allow_null=True, default=None)
    lines = serializers.SerializerMethodField()

    class Meta:
        model = HandlingUnit
        fields = [
            "id",
            "sscc",
            "order",
            "status",
            "location",
            "load",
            "weight_kg",
            "packed_at",
            "lines",
        ]

    def get_lines(self, unit: HandlingUnit) -> list[dict]:
        return [
            {"line_no": c.line.line_no, "item": c.line.item.sku, "quantity": c.quantity}
            for c in unit.lines.all()
        ]


class StageInput(serializers.Serializer):
    lane = LocationField(queryset=Location.objects.none())


class StopSerializer(serializers.ModelSerializer):
    ship_to = serializers.CharField(source="ship_to.code")
    city = serializers.CharField(source="ship_to.city")
    orders = serializers.SlugRelatedField(slug_field="external_ref", many=True, read_only=True)
    photo = serializers.SerializerMethodField(
        help_text="Where to fetch the proof-of-delivery photo, if one was taken."
    )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_photo(self, stop: Stop) -> str | None:
        if not stop.pod_photo:
            return None
        path = reverse("shipment-photo", args=[stop.shipment_id, stop.sequence])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    class Meta:
        model = Stop
        fields = [
            "id",
            "sequence",
            "ship_to",
            "city",
            "status",
            "waybill",
            "planned_eta",
            "eta",
            "arrived_at",
            "delivered_at",
            "receiver_name",
            "note",
            "photo",
            "orders",
        ]


class TrackingSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["status", "at", "place", "latitude", "longitude", "source", "note"]


class ShipmentSerializer(serializers.ModelSerializer):
    load = serializers.CharField(source="load.reference")
    warehouse = serializers.CharField(source="load.warehouse.code")
    carrier = serializers.CharField(
        source="carrier.code", help_text="The carrier that took the load away."
    )
    stops = StopSerializer(many=True)
    tracking = TrackingSerializer(many=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "reference",
            "load",
            "warehouse",
            "carrier",
            "status",
            "departed_at",
            "completed_at",
            "km_planned",
            "freight_cost",
            "stops",
            "tracking",
        ]


class TrackingInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=TrackingEvent._meta.get_field("status").choices)
    at = serializers.DateTimeField()
    source = serializers.ChoiceField(
        choices=TrackingEvent._meta.get_field("source").choices, default="api"
    )
    place = serializers.CharField(required=False, allow_blank=True, default="")
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        min_value=-180,
        max_value=180,
    )
    stop = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    delay_minutes = serializers.IntegerField(
        required=False, default=0, min_value=DELAY_MINUTES[0], max_value=DELAY_MINUTES[1]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WaybillInput(serializers.Serializer):
    waybill = serializers.CharField(
        allow_blank=True,
        max_length=80,
        help_text=(
            "The carrier's number for the stop's consignment: 4 to 40 letters, digits and "
            "hyphens, kept without spaces, in capitals; empty takes a wrong one off."
        ),
    )


class DeliveryInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["delivered", "partial", "refused"])
    receiver_name = serializers.CharField(required=False, allow_blank=True, default="")
    at = serializers.DateTimeField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    photo = serializers.FileField(required=False, allow_null=True)
    returned = OrderLinesField(
        required=False,
        help_text="Partial delivery: what came back, as item SKU and units (a JSON body).",
    )


class OrderRefInput(serializers.Serializer):
    """The order an action on a wave or a load is about, by its external reference."""

    order = serializers.CharField(help_text="The order's external reference.")


# --- a lot's trace, for a recall --------------------------------------------------------


class TraceLotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.CharField()
    item_name = serializers.CharField()
    code = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    held = serializers.BooleanField()
    held_at = serializers.DateTimeField(allow_null=True)
    hold_reason = serializers.CharField()


class TraceTotalsSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    picked_not_packed = serializers.IntegerField()
    packed_not_shipped = serializers.IntegerField()
    shipped = serializers.IntegerField()
    customers = serializers.IntegerField(help_text="Customers it was shipped to.")


class TraceReceivedSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    reference = serializers.CharField(help_text="The receipt's reference.")
    supplier = serializers.CharField()
    supplier_code = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    first_at = serializers.DateTimeField()


class TraceOnHandSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    location = serializers.CharField()
    zone_kind = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()


class TraceReservedSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    reference = serializers.CharField(help_text="The order line's reference.")
    location = serializers.CharField()
    quantity = serializers.IntegerField()


class TracePickedSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    order = serializers.CharField()
    order_id = serializers.IntegerField()
    order_status = serializers.CharField()
    location = serializers.CharField(help_text="Where the goods lie: a drop place or lane.")
    quantity = serializers.IntegerField()


class TraceUnitSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    sscc = serializers.CharField()
    unit_status = serializers.CharField()
    order = serializers.CharField()
    order_id = serializers.IntegerField()
    order_status = serializers.CharField()
    customer = serializers.CharField()
    customer_code = serializers.CharField()
    ship_to = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    quantity = serializers.IntegerField()
    load = serializers.CharField(allow_null=True)
    shipment = serializers.CharField(allow_null=True)
    departed_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class LotTraceSerializer(serializers.Serializer):
    """Where a lot came from, where it is and where it went, in the caller's warehouses."""

    lot = TraceLotSerializer()
    totals = TraceTotalsSerializer()
    received = TraceReceivedSerializer(many=True)
    on_hand = TraceOnHandSerializer(many=True)
    reserved = TraceReservedSerializer(many=True)
    picked_not_packed = TracePickedSerializer(many=True)
    packed_not_shipped = TraceUnitSerializer(many=True)
    shipped = TraceUnitSerializer(many=True)


class LotPullInput(serializers.Serializer):
    """Which held lot to take back out of an order, and where its goods are put."""

    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all())
    to_location = LocationField(queryset=Location.objects.none())
