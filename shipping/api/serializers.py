from typing import Any

from rest_framework import serializers

from inventory.api.serializers import ItemField
from shipping.choices import ORDER_TRANSITIONS, Priority
from shipping.models import Customer, Order, OrderLine, ShipTo


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "code", "name"]


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
            "lines",
        ]

    def get_open_transitions(self, order: Order) -> list[str]:
        return sorted(ORDER_TRANSITIONS.get(order.status, ()))


class OrderLineInput(serializers.Serializer):
    item = ItemField()
    quantity = serializers.IntegerField(
        min_value=1, error_messages={"min_value": "Must be greater than zero."}
    )


class OrderCreateInput(serializers.Serializer):
    external_ref = serializers.CharField(max_length=64)
    customer = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Customer.objects.all(),
        error_messages={"does_not_exist": "Unknown customer {value}."},
    )
    ship_to = serializers.CharField(
        max_length=32, help_text="Code of one of the customer's ship-tos."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    requested_delivery_date = serializers.DateField()
    promised_ship_date = serializers.DateField()
    cutoff_at = serializers.DateTimeField(required=False, allow_null=True)
    lines = OrderLineInput(many=True, allow_empty=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        ship_to = ShipTo.objects.filter(customer=attrs["customer"], code=attrs["ship_to"]).first()
        if ship_to is None:
            raise serializers.ValidationError(
                {"ship_to": f"{attrs['customer'].code} has no ship-to {attrs['ship_to']}."}
            )
        attrs["ship_to"] = ship_to
        return attrs


class LineChangeInput(serializers.Serializer):
    line_no = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(
        min_value=1,
        error_messages={"min_value": "Must be greater than zero; cancel the order to drop it."},
    )


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
