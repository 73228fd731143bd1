from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.access import warehouse_ids_for
from core.api.base import WarehouseField
from core.gs1 import gtin_problem
from inventory.models import (
    Allocation,
    Item,
    Location,
    Lot,
    Receipt,
    ReceiptLine,
    ReceiptUnit,
    ReceiptUnitLine,
    ReorderPolicy,
    Reservation,
    StockBalance,
    StockMovement,
    Supplier,
    Task,
    Zone,
)
from inventory.services import QUANTITY_MAX


def _user(field: serializers.Field) -> Any:
    request = field.context.get("request")
    return request.user if request else None


class ItemField(serializers.SlugRelatedField):
    """An item given by its SKU."""

    default_error_messages = {"does_not_exist": "Unknown SKU {value}.", "invalid": "Give a SKU."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Item.objects.all())
        super().__init__(slug_field="sku", **kwargs)


class LocationField(serializers.SlugRelatedField):
    """A location given by its barcode, in one of the caller's warehouses."""

    default_error_messages = {
        "does_not_exist": "Unknown location {value}.",
        "invalid": "Give a location barcode.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="barcode", **kwargs)

    def get_queryset(self) -> QuerySet[Location]:
        return Location.objects.select_related("zone").filter(
            warehouse_id__in=warehouse_ids_for(_user(self))
        )


class ZoneField(serializers.SlugRelatedField):
    """A zone given by id, in one of the caller's warehouses."""

    def get_queryset(self) -> QuerySet[Zone]:
        return Zone.objects.filter(warehouse_id__in=warehouse_ids_for(_user(self)))


# --- master data ------------------------------------------------------------------------


class ZoneSerializer(serializers.ModelSerializer):
    warehouse = WarehouseField()

    class Meta:
        model = Zone
        fields = ["id", "warehouse", "code", "name", "kind", "temperature_class", "hazmat_allowed"]


class LocationSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    zone = serializers.PrimaryKeyRelatedField(queryset=Zone.objects.none())

    class Meta:
        model = Location
        fields = [
            "id",
            "warehouse",
            "zone",
            "barcode",
            "pick_sequence",
            "dock_distance_m",
            "capacity_volume_l",
            "capacity_weight_kg",
            "is_blocked",
            "blocked_reason",
        ]
        read_only_fields = ["is_blocked", "blocked_reason"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["zone"].queryset = Zone.objects.filter(  # type: ignore[attr-defined]
            warehouse_id__in=warehouse_ids_for(_user(self))
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "zone" in attrs:
            attrs["warehouse"] = attrs["zone"].warehouse
        return attrs


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = [
            "id",
            "sku",
            "gtin",
            "name",
            "unit",
            "weight_kg",
            "volume_l",
            "temperature_class",
            "hazmat",
            "lot_tracked",
            "shelf_life_days",
            "velocity",
            "is_active",
        ]

    def validate_gtin(self, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        problem = gtin_problem(value)
        if problem:
            raise serializers.ValidationError(
                _("Malformed GTIN %(gtin)s: %(problem)s") % {"gtin": value, "problem": problem}
            )
        return value

    def validate_weight_kg(self, value: Any) -> Any:
        if value < 0:
            raise serializers.ValidationError("Cannot be negative.")
        return value

    validate_volume_l = validate_weight_kg


class LotSerializer(serializers.ModelSerializer):
    item = ItemField()
    held = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = ["id", "item", "code", "expires_on", "held", "held_at", "hold_reason"]
        read_only_fields = ["held_at", "hold_reason"]

    def get_held(self, lot: Lot) -> bool:
        return lot.held_at is not None


class ReorderPolicySerializer(serializers.ModelSerializer):
    item = ItemField()
    warehouse = WarehouseField()

    class Meta:
        model = ReorderPolicy
        fields = ["id", "item", "warehouse", "reorder_point", "safety_stock"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        rop = attrs.get("reorder_point", getattr(self.instance, "reorder_point", 0))
        safety = attrs.get("safety_stock", getattr(self.instance, "safety_stock", 0))
        if safety > rop:
            raise serializers.ValidationError(
                {"safety_stock": "Safety stock cannot exceed the reorder point."}
            )
        return attrs


# --- stock (read) -----------------------------------------------------------------------


class BalanceSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    item = serializers.CharField(source="item.sku")
    location = serializers.CharField(source="location.barcode")
    zone = serializers.CharField(source="location.zone.code")
    lot = serializers.CharField(source="lot.code", allow_null=True, default=None)
    expires_on = serializers.DateField(source="lot.expires_on", allow_null=True, default=None)
    available = serializers.SerializerMethodField()

    class Meta:
        model = StockBalance
        fields = [
            "id",
            "warehouse",
            "item",
            "location",
            "zone",
            "lot",
            "expires_on",
            "on_hand",
            "reserved",
            "available",
        ]

    def get_available(self, balance: StockBalance) -> int:
        return balance.on_hand - balance.reserved


class MovementSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    item = serializers.CharField(source="item.sku")
    lot = serializers.CharField(source="lot.code", allow_null=True, default=None)
    from_location = serializers.CharField(
        source="from_location.barcode", allow_null=True, default=None
    )
    to_location = serializers.CharField(source="to_location.barcode", allow_null=True, default=None)
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    event = serializers.IntegerField(source="event_id")

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "warehouse",
            "kind",
            "item",
            "lot",
            "from_location",
            "to_location",
            "quantity",
            "reason",
            "reference",
            "actor",
            "created_at",
            "event",
        ]


class AllocationSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="balance.location.barcode")
    lot = serializers.CharField(source="balance.lot.code", allow_null=True, default=None)

    class Meta:
        model = Allocation
        fields = ["id", "location", "lot", "quantity", "picked"]


class ReservationSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    item = serializers.CharField(source="item.sku")
    allocations = AllocationSerializer(many=True)
    reserved = serializers.SerializerMethodField()
    picked = serializers.SerializerMethodField()

    class Meta:
        model = Reservation
        fields = [
            "id",
            "warehouse",
            "item",
            "reference",
            "requested",
            "reserved",
            "picked",
            "status",
            "created_at",
            "allocations",
        ]

    def get_reserved(self, reservation: Reservation) -> int:
        return sum(a.quantity for a in reservation.allocations.all())

    def get_picked(self, reservation: Reservation) -> int:
        return sum(a.picked for a in reservation.allocations.all())


class ReceiptLineSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.sku")
    variance = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReceiptLine
        fields = ["id", "item", "expected_quantity", "received_quantity", "variance"]


class ReceiptUnitLineSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.sku")

    class Meta:
        model = ReceiptUnitLine
        fields = ["item", "quantity", "lot_code", "expires_on"]


class ReceiptUnitSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.barcode", allow_null=True, default=None)
    contents = ReceiptUnitLineSerializer(source="lines", many=True)

    class Meta:
        model = ReceiptUnit
        fields = ["sscc", "received_at", "location", "contents"]


class SupplierSerializer(serializers.ModelSerializer):
    """A supplier: its code and name (runs of spaces kept as one), its EDI ID as
    `qualifier:ID` (ISA05:ISA06) or blank, its phone."""

    class Meta:
        model = Supplier
        fields = ["id", "code", "name", "edi_id", "phone", "is_active"]

    def validate_code(self, value: str) -> str:
        code = value.strip()
        if not code or any(c.isspace() for c in code):
            raise serializers.ValidationError(_("A code is one word, without spaces."))
        return code

    def validate_name(self, value: str) -> str:
        name = " ".join(value.split())
        if not name:
            raise serializers.ValidationError(_("Give the supplier's name."))
        return name

    def validate_edi_id(self, value: str) -> str:
        edi_id = value.strip()
        if not edi_id:
            return ""
        qualifier, colon, partner = edi_id.partition(":")
        if not colon or len(qualifier) != 2 or not partner or len(partner) > 15:
            raise serializers.ValidationError(
                _("Give it as the ISA says it: qualifier:ID, e.g. ZZ:YILIEDI (ID 15 at most).")
            )
        edi_id = f"{qualifier.upper()}:{partner.upper()}"
        other = Supplier.objects.filter(edi_id=edi_id)
        if self.instance is not None:
            other = other.exclude(pk=self.instance.pk)
        taken = other.first()
        if taken is not None:
            raise serializers.ValidationError(
                _("%(code)s's ship notices come from %(edi_id)s already.")
                % {"code": taken.code, "edi_id": edi_id}
            )
        return edi_id


class ReceiptSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    supplier_code = serializers.CharField(
        source="from_supplier.code",
        default=None,
        read_only=True,
        help_text="The supplier of the master data the receipt names (its code), if it names one.",
    )
    lines = ReceiptLineSerializer(many=True)
    units = ReceiptUnitSerializer(many=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "warehouse",
            "reference",
            "supplier",
            "supplier_code",
            "expected_on",
            "status",
            "created_at",
            "closed_at",
            "lines",
            "units",
        ]


class TaskSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    item = serializers.CharField(source="item.sku")
    item_name = serializers.CharField(source="item.name")
    lot = serializers.CharField(source="lot.code", allow_null=True, default=None)
    location = serializers.CharField(source="location.barcode")
    to_location = serializers.CharField(source="to_location.barcode", allow_null=True, default=None)
    assigned_to = serializers.CharField(
        source="assigned_to.username", allow_null=True, default=None
    )
    system_quantity = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "warehouse",
            "kind",
            "status",
            "item",
            "item_name",
            "lot",
            "location",
            "to_location",
            "quantity",
            "reference",
            "blind",
            "system_quantity",
            "counted_quantity",
            "assigned_to",
            "created_at",
            "done_at",
        ]

    def get_system_quantity(self, task: Task) -> int | None:
        # A blind count shows the counter nothing of what the system expects.
        if task.blind and task.status != "done":
            return None
        return task.system_quantity


# --- action inputs ----------------------------------------------------------------------


class Quantity(serializers.IntegerField):
    """A number of units: at least 1 (or `min_value`), at most QUANTITY_MAX."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", QUANTITY_MAX)
        kwargs.setdefault("error_messages", {"min_value": _("Must be greater than zero.")})
        super().__init__(**kwargs)


class LotInputMixin(serializers.Serializer):
    lot = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    def lot_resolve(self, attrs: dict[str, Any], item_key: str = "item") -> dict[str, Any]:
        code = attrs.pop("lot", None)
        attrs["lot"] = None
        if code:
            lot = Lot.objects.filter(item=attrs[item_key], code=code).first()
            if lot is None:
                raise serializers.ValidationError(
                    {
                        "lot": _("%(sku)s has no lot %(lot)s.")
                        % {"sku": attrs[item_key].sku, "lot": code}
                    }
                )
            attrs["lot"] = lot
        return attrs


class ReceiveInput(serializers.Serializer):
    item = ItemField()
    quantity = Quantity()
    location = LocationField(queryset=Location.objects.none())
    lot = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)


class MoveInput(LotInputMixin):
    item = ItemField()
    from_location = LocationField(queryset=Location.objects.none())
    to_location = LocationField(queryset=Location.objects.none())
    quantity = Quantity()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return self.lot_resolve(attrs)


class AdjustInput(LotInputMixin):
    item = ItemField()
    location = LocationField(queryset=Location.objects.none())
    quantity_delta = serializers.IntegerField(min_value=-QUANTITY_MAX, max_value=QUANTITY_MAX)
    reason = serializers.CharField(max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return self.lot_resolve(attrs)


class ReserveInput(serializers.Serializer):
    warehouse = WarehouseField()
    item = ItemField()
    quantity = Quantity()
    reference = serializers.CharField(max_length=80)
    allow_partial = serializers.BooleanField(default=False)


class ReleaseInput(serializers.Serializer):
    quantity = Quantity(required=False)


class PickInput(serializers.Serializer):
    location = LocationField(queryset=Location.objects.none())
    lot = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    quantity = Quantity()
    to_location = LocationField(queryset=Location.objects.none(), required=False)


class ReceiptLineInput(serializers.Serializer):
    item = ItemField()
    quantity = Quantity()


class UnitContentInput(serializers.Serializer):
    item = ItemField()
    quantity = Quantity()
    lot = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class UnitExpectedInput(serializers.Serializer):
    sscc = serializers.CharField(max_length=40, help_text="The pallet label's GS1 SSCC.")
    contents = UnitContentInput(many=True, allow_empty=False)


class ReceiptCreateInput(serializers.Serializer):
    warehouse = WarehouseField()
    reference = serializers.CharField(max_length=60)
    supplier = serializers.CharField(max_length=120)
    expected_on = serializers.DateField()
    lines = ReceiptLineInput(many=True, allow_empty=False)
    units = UnitExpectedInput(
        many=True,
        required=False,
        default=list,
        help_text="The pallets the supplier's ship notice says are coming, each received "
        "whole by a scan of its label.",
    )


class UnitReceiveInput(serializers.Serializer):
    sscc = serializers.CharField(max_length=40, help_text="As scanned from its label.")
    location = LocationField(queryset=Location.objects.none())


class BlockInput(serializers.Serializer):
    """Why a location is blocked, or a lot held."""

    reason = serializers.CharField(max_length=200)


class CountPlanInput(serializers.Serializer):
    warehouse = WarehouseField()
    zone = serializers.PrimaryKeyRelatedField(queryset=Zone.objects.all(), required=False)
    item = ItemField(required=False)
    blind = serializers.BooleanField(default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("zone") and not attrs.get("item"):
            raise serializers.ValidationError({"zone": "Count a zone or an item: give one."})
        return attrs


class TaskAssignInput(serializers.Serializer):
    user = serializers.CharField(help_text="User name of the operator.")


class TaskConfirmInput(serializers.Serializer):
    location_barcode = serializers.CharField()
    item_code = serializers.CharField(help_text="GTIN or SKU as scanned.")
    lot_code = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    quantity = Quantity(min_value=0)
    to_location_barcode = serializers.CharField(required=False, allow_blank=True)


class TaskCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class LotAvailabilitySerializer(serializers.Serializer):
    lot = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    expired = serializers.BooleanField()
    held = serializers.BooleanField(help_text="On quality hold: none of it is available.")


class AvailabilitySerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    item = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField(
        help_text="Pickable, unblocked, not held, unexpired, unreserved."
    )
    lots = LotAvailabilitySerializer(many=True)


class BelowReorderPointSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    item = serializers.CharField()
    name = serializers.CharField()
    available = serializers.IntegerField()
    reorder_point = serializers.IntegerField()
    safety_stock = serializers.IntegerField()
    below_safety_stock = serializers.BooleanField()


class ReplenishInput(serializers.Serializer):
    warehouse = WarehouseField()
    min_units = Quantity()
    target_units = Quantity()
