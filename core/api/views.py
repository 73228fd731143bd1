from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import require_role, role_in, roles_of, warehouse_ids_for
from core.api.base import WarehouseField
from core.api.scoping import WarehouseScopedMixin
from core.api.serializers import MeSerializer, WarehouseSerializer
from core.choices import PLANNING_ROLES, SOP_WRITER_ROLES
from core.exceptions import Forbidden, NotFound
from core.models import Membership, Sop, SopScope, TrainingRecord, Warehouse
from core.services import sop_publish, training_record, warehouse_waves_release_set


class MeView(APIView):
    """Who the caller is and their role in each warehouse."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        memberships = Membership.objects.filter(user=request.user).select_related("warehouse")
        data = {
            "username": request.user.get_username(),
            "full_name": request.user.get_full_name(),
            "memberships": memberships,
        }
        return Response(MeSerializer(data).data)


class WavesReleaseInput(serializers.Serializer):
    on_time = serializers.BooleanField(
        help_text="True: each truck's wave goes to the floor by itself when its picking must "
        "start; false: the dispatch office releases each."
    )


class WarehouseViewSet(WarehouseScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The warehouses the caller belongs to (master data is kept in the admin). The dispatch
    office switches whether their waves are released on time by themselves
    (`POST .../waves-release/`)."""

    queryset = Warehouse.objects.all()
    serializer_class = WarehouseSerializer
    warehouse_field = "pk"
    filterset_fields = ["code", "is_active"]

    @extend_schema(request=WavesReleaseInput, responses=WarehouseSerializer)
    @action(detail=True, methods=["post"], url_path="waves-release")
    def waves_release(self, request: Request, pk: str) -> Response:
        """Each truck's wave released by itself when its picking must start, so that it ends
        the wave's margin before the truck is due (`on_time` true), or by the office (false);
        for planners of the warehouse."""
        warehouse = self.get_object()
        require_role(request.user, warehouse.pk, PLANNING_ROLES)
        check = WavesReleaseInput(data=request.data)
        check.is_valid(raise_exception=True)
        warehouse = warehouse_waves_release_set(
            warehouse=warehouse, on=check.validated_data["on_time"], actor=request.user
        )
        return Response(WarehouseSerializer(warehouse).data)


# --- procedures and training ------------------------------------------------------------------


def _sops_of(user: Any) -> QuerySet[Sop]:
    """The procedures of the user's warehouses, and those of every warehouse."""
    return Sop.objects.filter(
        Q(warehouse__isnull=True) | Q(warehouse_id__in=warehouse_ids_for(user))
    ).select_related("warehouse")


class SopSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", allow_null=True, default=None)

    class Meta:
        model = Sop
        fields = [
            "code",
            "title",
            "warehouse",
            "scope",
            "version",
            "body",
            "effective_from",
            "requires_training",
            "valid_days",
        ]


class SopInput(serializers.Serializer):
    code = serializers.RegexField(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,23}\Z")
    title = serializers.CharField(max_length=160)
    warehouse = WarehouseField(required=False, allow_null=True, default=None)
    scope = serializers.ChoiceField(choices=SopScope.choices)
    body = serializers.CharField(max_length=20_000)
    requires_training = serializers.BooleanField(default=True)
    valid_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )
    effective_from = serializers.DateField(required=False, allow_null=True)


class TrainingSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")
    sop = serializers.CharField(source="sop.code")
    trainer = serializers.CharField(source="trainer.username", allow_null=True, default=None)
    current = serializers.SerializerMethodField(
        help_text="Of the procedure's current version, and not expired."
    )

    class Meta:
        model = TrainingRecord
        fields = [
            "id",
            "user",
            "sop",
            "version",
            "trained_on",
            "expires_on",
            "trainer",
            "note",
            "current",
        ]

    def get_current(self, record: TrainingRecord) -> bool:
        return record.current(version=record.sop.version, on=timezone.localdate())


class TrainingInput(serializers.Serializer):
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all()
    )
    sop = serializers.CharField(help_text="The procedure's code.")
    trained_on = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SopViewSet(viewsets.GenericViewSet):
    """Standard operating procedures: how a job is done here. `GET` those of your warehouses
    (and every warehouse's); `POST` publishes one, or the next version of a code already
    known, which asks everyone to be trained again. A procedure that requires training keeps
    people without it (of its current version, not expired) from floor work where it applies:
    hazardous goods, chilled or frozen rooms, the dock, or all of it."""

    lookup_field = "code"
    serializer_class = SopSerializer
    pagination_class = None  # a warehouse has tens of procedures, not thousands

    def get_queryset(self) -> QuerySet[Sop]:
        return _sops_of(self.request.user)

    def list(self, request: Request) -> Response:
        return Response(SopSerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, code: str) -> Response:
        return Response(SopSerializer(self.get_object()).data)

    @extend_schema(request=SopInput, responses={201: SopSerializer})
    def create(self, request: Request) -> Response:
        check = SopInput(data=request.data, context={"request": request})
        check.is_valid(raise_exception=True)
        attrs = check.validated_data
        if attrs["warehouse"] is not None:
            require_role(request.user, attrs["warehouse"].pk, SOP_WRITER_ROLES)
        else:  # every warehouse's: for those who write them everywhere
            for warehouse_id in warehouse_ids_for(request.user) or {0}:
                require_role(request.user, warehouse_id, SOP_WRITER_ROLES)
        sop = sop_publish(**attrs, actor=request.user)
        return Response(SopSerializer(sop).data, status=201)


class TrainingViewSet(viewsets.GenericViewSet):
    """Who is trained on which procedure: `GET` the trainings of your warehouses' people
    (`?user=`, `?sop=`); `POST` records one, on the procedure's current version, by a
    supervisor or manager of a warehouse the person works at."""

    serializer_class = TrainingSerializer
    pagination_class = None  # the latest 1,000, filtered by person or procedure

    def get_queryset(self) -> QuerySet[TrainingRecord]:
        people = Membership.objects.filter(warehouse_id__in=warehouse_ids_for(self.request.user))
        rows = TrainingRecord.objects.filter(user__in=people.values("user")).select_related(
            "user", "sop", "trainer"
        )
        if self.request.query_params.get("user"):
            rows = rows.filter(user__username=self.request.query_params["user"])
        if self.request.query_params.get("sop"):
            rows = rows.filter(sop__code=self.request.query_params["sop"])
        return rows

    def list(self, request: Request) -> Response:
        return Response(TrainingSerializer(self.get_queryset()[:1000], many=True).data)

    @extend_schema(request=TrainingInput, responses={201: TrainingSerializer})
    def create(self, request: Request) -> Response:
        check = TrainingInput(data=request.data)
        check.is_valid(raise_exception=True)
        attrs = check.validated_data
        sop = _sops_of(request.user).filter(code=attrs["sop"]).first()
        if sop is None:
            raise NotFound(_("No procedure %(code)s.") % {"code": attrs["sop"]}, field="sop")
        shared = set(roles_of(attrs["user"])) & set(warehouse_ids_for(request.user))
        if sop.warehouse_id is not None:
            shared &= {sop.warehouse_id}
        if not any(role_in(request.user, w) in SOP_WRITER_ROLES for w in shared):
            raise Forbidden(
                _("Training is recorded by a supervisor or manager where the person works."),
                field="user",
            )
        record = training_record(
            user=attrs["user"],
            sop=sop,
            trained_on=attrs["trained_on"],
            note=attrs["note"],
            trainer=request.user,
        )
        return Response(TrainingSerializer(record).data, status=201)
