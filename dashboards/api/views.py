"""Alerts API: what needs a person, by department; acknowledge and resolve. Tickets API:
exceptions handed between the departments."""

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import require_role, warehouse_ids_for
from core.api.base import MasterDataViewSet, ScopedViewSet, WarehouseField
from core.choices import STOCK_CONTROL_ROLES, TICKET_ROLES, Role
from dashboards.models import Alert, AlertThresholds, Department, Ticket, TicketKind, TicketNote
from dashboards.selectors import TICKET_SUBJECTS
from dashboards.services import (
    alert_acknowledge,
    alert_resolve,
    ticket_hand_over,
    ticket_note_add,
    ticket_raise,
    ticket_resolve,
)

ALL_PEOPLE = {Role.OPERATOR, Role.SUPERVISOR, Role.DISPATCHER, Role.MANAGER, Role.ADMIN}


SUBJECT_LINKS = {
    "item": "/api/v1/stock/availability/?item={id}",
    "order": "/api/v1/orders/?external_ref={id}",
    "shipment": "/api/v1/shipments/?reference={id}",
    "appointment": "/api/v1/appointments/{id}/",
    "load": "/api/v1/loads/?reference={id}",
    "webhook": "/api/v1/webhooks/{id}/",
}


def subject_link(kind: str, key: str) -> str | None:
    """Where the API shows the subject of an alert or a ticket; None for one it does not."""
    template = SUBJECT_LINKS.get(kind)
    return template.format(id=key) if template else None


class AlertSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    link = serializers.SerializerMethodField(help_text="Where the subject of the alert is.")
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", allow_null=True, default=None
    )
    resolved_by = serializers.CharField(
        source="resolved_by.username", allow_null=True, default=None
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "key",
            "warehouse",
            "department",
            "severity",
            "status",
            "message",
            "subject_type",
            "subject_id",
            "link",
            "opened_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "auto_resolved",
        ]

    def get_link(self, alert: Alert) -> str | None:
        return subject_link(alert.subject_type, alert.subject_id)


WEEK_MINUTES = 7 * 24 * 60


class ThresholdsSerializer(serializers.ModelSerializer):
    warehouse = WarehouseField()

    class Meta:
        model = AlertThresholds
        fields = [
            "id",
            "warehouse",
            "truck_wait_minutes",
            "cutoff_margin_minutes",
            "pick_lines_per_hour",
            "shipment_late_minutes",
        ]
        # Minutes up to a week, and a pick rate of at least one line an hour: the alert rules
        # divide by the rate and add the minutes to times.
        extra_kwargs = {
            "truck_wait_minutes": {"max_value": WEEK_MINUTES},
            "cutoff_margin_minutes": {"max_value": WEEK_MINUTES},
            "pick_lines_per_hour": {"min_value": 1, "max_value": 100_000},
            "shipment_late_minutes": {"max_value": WEEK_MINUTES},
        }


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = Alert.objects.select_related("warehouse", "acknowledged_by", "resolved_by")
    serializer_class = AlertSerializer
    filterset_fields = {
        "status": ["exact", "in"],
        "department": ["exact"],
        "rule": ["exact"],
        "severity": ["exact"],
        "warehouse__code": ["exact"],
    }

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        alert = self.get_object()
        require_role(request.user, alert.warehouse_id, ALL_PEOPLE)
        return Response(
            self.get_serializer(alert_acknowledge(alert=alert, actor=request.user)).data
        )

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        alert = self.get_object()
        require_role(request.user, alert.warehouse_id, ALL_PEOPLE)
        return Response(self.get_serializer(alert_resolve(alert=alert, actor=request.user)).data)


class ThresholdsViewSet(MasterDataViewSet):
    queryset = AlertThresholds.objects.select_related("warehouse").order_by("warehouse__code")
    serializer_class = ThresholdsSerializer
    write_roles = STOCK_CONTROL_ROLES


# --- the KPI board ---------------------------------------------------------------------------

import datetime  # noqa: E402

from django.http import HttpResponse  # noqa: E402
from drf_spectacular.utils import OpenApiParameter  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from dashboards.board import kpi_board, kpi_table, scorecards  # noqa: E402
from dashboards.sheets import sheet_response  # noqa: E402


class KpiQuery(serializers.Serializer):
    warehouse = WarehouseField()
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False, help_text="Exclusive; default: tomorrow.")
    trend = serializers.ChoiceField(choices=["daily", "weekly"], default="daily")
    export = serializers.ChoiceField(choices=["json", "csv", "xlsx"], default="json")

    def validate(self, attrs: dict) -> dict:
        end = attrs.get("end") or attrs["warehouse"].today() + datetime.timedelta(days=1)
        start = attrs.get("start") or end - datetime.timedelta(days=30)
        if start >= end:
            raise serializers.ValidationError({"start": "The range starts before it ends."})
        if (end - start).days > 400:
            raise serializers.ValidationError({"start": "At most 400 days at a time."})
        attrs["start"], attrs["end"] = start, end
        return attrs


class KpiView(APIView):
    """The KPIs both departments share, for one warehouse and a date range, with trends, and
    each carrier's scorecard over the range (`carriers`: loads and orders it took, fill,
    freight cost per order, OTIF, gate dwell, its answers to EDI tenders), and each
    supplier's (`suppliers`: receipts closed, the share in full, units received of those
    expected, its trucks at the doors held for them, on time, minutes late, dwell);
    `export=csv|xlsx` downloads the KPIs."""

    @extend_schema(
        parameters=[
            OpenApiParameter("warehouse", str, required=True),
            OpenApiParameter("start", datetime.date),
            OpenApiParameter("end", datetime.date),
            OpenApiParameter("trend", str, enum=["daily", "weekly"]),
            OpenApiParameter("export", str, enum=["json", "csv", "xlsx"]),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response | HttpResponse:
        query = KpiQuery(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        q = query.validated_data
        tz = q["warehouse"].zone()  # days on the warehouse's own clock
        board = kpi_board(
            warehouse_id=q["warehouse"].pk,
            start=datetime.datetime.combine(q["start"], datetime.time(), tz),
            end=datetime.datetime.combine(q["end"], datetime.time(), tz),
            freq="D" if q["trend"] == "daily" else "W-SUN",
        )
        name = f"kpis-{q['warehouse'].code}-{q['start']}-{q['end']}"
        if q["export"] in ("csv", "xlsx"):
            return sheet_response(kpi_table(board), name=name, kind=q["export"], sheet="KPIs")
        cards = scorecards(
            warehouse_id=q["warehouse"].pk,
            start=datetime.datetime.combine(q["start"], datetime.time(), tz),
            end=datetime.datetime.combine(q["end"], datetime.time(), tz),
        )
        return Response(
            {
                "warehouse": q["warehouse"].code,
                "start": q["start"],
                "end": q["end"],
                "kpis": board,
                "carriers": cards["carriers"],
                "suppliers": cards["suppliers"],
            }
        )


# --- tickets --------------------------------------------------------------------------------


class TicketNoteSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", allow_null=True, default=None)

    class Meta:
        model = TicketNote
        fields = ["kind", "at", "by", "text", "to_department"]


class TicketSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    warehouse = serializers.CharField(source="warehouse.code")
    raised_by = serializers.CharField(source="raised_by.username", allow_null=True, default=None)
    resolved_by = serializers.CharField(
        source="resolved_by.username", allow_null=True, default=None
    )
    link = serializers.SerializerMethodField(help_text="Where the subject of the ticket is.")
    notes = TicketNoteSerializer(many=True, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "warehouse",
            "kind",
            "title",
            "department",
            "status",
            "subject_type",
            "subject_id",
            "link",
            "alert",
            "raised_at",
            "raised_by",
            "resolved_at",
            "resolved_by",
            "resolution",
            "notes",
        ]

    def get_link(self, ticket: Ticket) -> str | None:
        return subject_link(ticket.subject_type, ticket.subject_id)


class TicketRaiseInput(serializers.Serializer):
    warehouse = WarehouseField()
    kind = serializers.ChoiceField(choices=TicketKind.choices)
    title = serializers.CharField(max_length=160)
    department = serializers.ChoiceField(
        choices=Department.choices, help_text="The department that is to act on it."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    subject_type = serializers.ChoiceField(
        choices=[(s, s) for s in TICKET_SUBJECTS], required=False, allow_blank=True, default=""
    )
    subject_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    alert = serializers.PrimaryKeyRelatedField(
        queryset=Alert.objects.all(), required=False, allow_null=True, default=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.fields["alert"].queryset = Alert.objects.filter(  # type: ignore[attr-defined]
            warehouse_id__in=warehouse_ids_for(request.user) if request else []
        )

    def validate(self, attrs: dict) -> dict:
        alert = attrs.get("alert")
        if alert is not None and alert.warehouse_id != attrs["warehouse"].pk:
            raise serializers.ValidationError({"alert": [_("An alert of another warehouse.")]})
        return attrs


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=500)


class TextInput(serializers.Serializer):
    text = serializers.CharField(max_length=500)


class ResolutionInput(serializers.Serializer):
    resolution = serializers.CharField(max_length=500)


class TicketViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    """Exceptions handed between the warehouse and the dispatch office: raise one (about an
    order, load, shipment, sensor, item or location, or an alert), hand it over, add notes,
    resolve it. Each step is in its trail (`notes`) and is an event (`ticket.*`)."""

    queryset = Ticket.objects.select_related(
        "warehouse", "raised_by", "resolved_by"
    ).prefetch_related(Prefetch("notes", queryset=TicketNote.objects.select_related("by")))
    serializer_class = TicketSerializer
    filterset_fields = {
        "status": ["exact"],
        "department": ["exact"],
        "kind": ["exact"],
        "subject_type": ["exact"],
        "subject_id": ["exact"],
        "warehouse__code": ["exact"],
    }

    @extend_schema(request=TicketRaiseInput, responses={201: TicketSerializer})
    def create(self, request: Request) -> Response:
        check = TicketRaiseInput(data=request.data, context={"request": request})
        check.is_valid(raise_exception=True)
        attrs = check.validated_data
        require_role(request.user, attrs["warehouse"].pk, TICKET_ROLES)
        ticket = ticket_raise(**attrs, actor=request.user)
        return self._answer(ticket, 201)

    def _acted(self, ticket: Ticket) -> Response:
        return self._answer(ticket)

    def _ticket(self, request: Request) -> Ticket:
        ticket = self.get_object()
        require_role(request.user, ticket.warehouse_id, TICKET_ROLES)
        return ticket

    @extend_schema(request=NoteInput, responses=TicketSerializer)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request: Request, pk: str) -> Response:
        ticket = self._ticket(request)
        check = NoteInput(data=request.data)
        check.is_valid(raise_exception=True)
        return self._acted(
            ticket_hand_over(ticket=ticket, **check.validated_data, actor=request.user)
        )

    @extend_schema(request=TextInput, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        ticket = self._ticket(request)
        check = TextInput(data=request.data)
        check.is_valid(raise_exception=True)
        ticket_note_add(ticket=ticket, **check.validated_data, actor=request.user)
        return self._acted(ticket)

    @extend_schema(request=ResolutionInput, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        ticket = self._ticket(request)
        check = ResolutionInput(data=request.data)
        check.is_valid(raise_exception=True)
        return self._acted(
            ticket_resolve(ticket=ticket, **check.validated_data, actor=request.user)
        )


# --- the customer's link of an order ----------------------------------------------------------

from django.http import Http404  # noqa: E402
from drf_spectacular.utils import inline_serializer  # noqa: E402

from dashboards.consignee_links import consignee_path  # noqa: E402
from shipping.selectors import orders_visible  # noqa: E402


class ConsigneeLinkView(APIView):
    """The link an order's customer follows it by, to send with the order's confirmation: a
    page with no login (`dashboards.consignee`) saying where each part of the order is, when
    it leaves and is expected, with the carrier and its waybill, and who signed for it. The
    same link for the order's whole life (a part split from it, too, opens the whole order);
    it closes `HANDOFF_TRACKING_OPEN_DAYS` after the order is done. An order not of the
    caller's warehouses is not found."""

    @extend_schema(responses=inline_serializer("ConsigneeLink", {"url": serializers.URLField()}))
    def get(self, request: Request, pk: int) -> Response:
        visible = orders_visible(warehouse_ids=warehouse_ids_for(request.user))
        if not visible.filter(pk=pk).exists():
            raise Http404
        return Response({"url": request.build_absolute_uri(consignee_path(pk))})
