from rest_framework import serializers

from core.api.base import WarehouseField
from integrations.models import WebhookDelivery, WebhookSubscription


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
