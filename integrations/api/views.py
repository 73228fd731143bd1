from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import warehouse_ids_for
from core.api.serializers import EventSerializer
from core.events import events_sequence
from integrations.selectors import events_after


class FeedQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    type = serializers.CharField(required=False, allow_blank=True)
    aggregate_type = serializers.CharField(required=False, allow_blank=True)
    aggregate_id = serializers.CharField(required=False, allow_blank=True)


class EventFeedView(APIView):
    """The events of the caller's warehouses in commit order, after a sequence number.

    Poll with `after` set to the last `sequence` you processed (returned as `next_after`);
    an event never appears before its transaction committed, and never if it rolled back.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="Last sequence you have."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many (1000)."),
            OpenApiParameter("type", OpenApiTypes.STR, description="Comma-separated types."),
            OpenApiParameter("aggregate_type", OpenApiTypes.STR),
            OpenApiParameter("aggregate_id", OpenApiTypes.STR),
        ],
        responses=inline_serializer(
            "EventFeedPage",
            {
                "results": EventSerializer(many=True),
                "next_after": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        query = FeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        events_sequence()  # stamp anything committed since the relay last ran
        events = list(
            events_after(
                after=params["after"],
                warehouse_ids=warehouse_ids_for(request.user),
                types=params.get("type", "").split(","),
                aggregate_type=params.get("aggregate_type") or None,
                aggregate_id=params.get("aggregate_id") or None,
                limit=params["limit"],
            )
        )
        next_after = events[-1].sequence if events else params["after"]
        return Response(
            {"results": EventSerializer(events, many=True).data, "next_after": next_after}
        )


# --- webhooks out ---------------------------------------------------------------------------

from rest_framework import mixins, status  # noqa: E402
from rest_framework.decorators import action  # noqa: E402

from core.access import require_role  # noqa: E402
from core.api.base import ScopedViewSet  # noqa: E402
from core.choices import Role  # noqa: E402
from integrations import services  # noqa: E402
from integrations.api import serializers as s  # noqa: E402
from integrations.models import WebhookDelivery, WebhookSubscription  # noqa: E402

WEBHOOK_ROLES = {Role.ADMIN, Role.INTEGRATION}


class WebhookViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    """Webhook subscriptions of the caller's warehouses (admins and integration users)."""

    queryset = WebhookSubscription.objects.select_related("warehouse")
    serializer_class = s.SubscriptionSerializer

    @extend_schema(request=s.SubscribeInput, responses={201: s.SubscriptionWithSecretSerializer})
    def create(self, request: Request) -> Response:
        data = s.SubscribeInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        require_role(request.user, data.validated_data["warehouse"].pk, WEBHOOK_ROLES)
        subscription = services.webhook_subscribe(actor=request.user, **data.validated_data)
        return Response(
            s.SubscriptionWithSecretSerializer(subscription).data, status.HTTP_201_CREATED
        )

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        require_role(self.request.user, instance.warehouse_id, WEBHOOK_ROLES)
        instance.delete()

    @extend_schema(request=None, responses=s.SubscriptionWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        subscription = self.get_object()
        require_role(request.user, subscription.warehouse_id, WEBHOOK_ROLES)
        subscription = services.webhook_secret_rotate(subscription=subscription, actor=request.user)
        return Response(s.SubscriptionWithSecretSerializer(subscription).data)

    @extend_schema(responses=s.DeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        subscription = self.get_object()
        rows = WebhookDelivery.objects.filter(subscription=subscription).select_related("event")
        page = self.paginate_queryset(rows.order_by("-pk"))
        return self.get_paginated_response(s.DeliverySerializer(page, many=True).data)


class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """A delivery's log, and replay."""

    queryset = WebhookDelivery.objects.select_related("event", "subscription")
    serializer_class = s.DeliverySerializer
    warehouse_field = "subscription__warehouse_id"

    @extend_schema(request=None, responses=s.DeliverySerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        require_role(request.user, delivery.subscription.warehouse_id, WEBHOOK_ROLES)
        delivery = services.webhook_replay(delivery=delivery, actor=request.user)
        from integrations.relay import webhooks_request

        webhooks_request()
        return Response(s.DeliverySerializer(delivery).data)
