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
