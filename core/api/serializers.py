from rest_framework import serializers

from core.models import Event, Membership, Warehouse


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = [
            "id",
            "code",
            "name",
            "address",
            "city",
            "country",
            "latitude",
            "longitude",
            "time_zone",
            "opens_at",
            "closes_at",
            "is_active",
            "waves_release_on_time",
        ]


class MembershipSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Membership
        fields = ["warehouse", "role"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    memberships = MembershipSerializer(many=True)


class EventSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid")
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "sequence",
            "type",
            "aggregate_type",
            "aggregate_id",
            "warehouse",
            "payload",
            "occurred_at",
        ]
