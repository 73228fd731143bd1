"""Inventory API: master data, the ledger (read-only), and one endpoint per stock service."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import require_role, role_anywhere, warehouse_ids_for
from core.api.base import MasterDataViewSet, ScopedViewSet, ServiceView
from core.api.pagination import LedgerCursorPagination
from core.choices import (
    FLOOR_ROLES,
    MASTER_DATA_ROLES,
    PLANNING_ROLES,
    STOCK_CONTROL_ROLES,
    Role,
)
from core.exceptions import DomainError, Forbidden
from inventory import selectors, services
from inventory.api import serializers as s
from inventory.filtersets import (
    BalanceFilter,
    LocationFilter,
    LotFilter,
    MovementFilter,
    ReceiptFilter,
    TaskFilter,
)
from inventory.models import (
    Allocation,
    Item,
    Location,
    Lot,
    Receipt,
    ReorderPolicy,
    Reservation,
    StockBalance,
    StockMovement,
    Supplier,
    Task,
    Zone,
)

RESERVE_ROLES = PLANNING_ROLES | {Role.INTEGRATION, Role.SUPERVISOR}


def _validated(serializer_class: type, request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- master data ------------------------------------------------------------------------


class ItemViewSet(MasterDataViewSet):
    """The item catalogue (shared by all warehouses)."""

    queryset = Item.objects.all()
    serializer_class = s.ItemSerializer
    filterset_fields = ["sku", "gtin", "temperature_class", "hazmat", "lot_tracked", "is_active"]
    search_fields = ["sku", "name", "gtin"]

    def get_queryset(self) -> QuerySet[Item]:
        return Item.objects.all()  # the catalogue is not per warehouse

    def _check(self, warehouse_id: int | None) -> None:
        if not role_anywhere(self.request.user, MASTER_DATA_ROLES):
            raise Forbidden(
                "Editing the item catalogue needs an admin, manager or integration role."
            )


class SupplierViewSet(MasterDataViewSet):
    """The suppliers the warehouses receive from (shared by all warehouses): a receipt names
    one by its code or its name, an 856 by the EDI ID it comes from; the dock calls its
    phone when its truck is late. Writes need an admin, manager or integration role."""

    queryset = Supplier.objects.all()
    serializer_class = s.SupplierSerializer
    filterset_fields = ["code", "edi_id", "is_active"]
    search_fields = ["code", "name", "edi_id"]

    def get_queryset(self) -> QuerySet[Supplier]:
        return Supplier.objects.all()  # the suppliers are not per warehouse

    def _check(self, warehouse_id: int | None) -> None:
        if not role_anywhere(self.request.user, MASTER_DATA_ROLES):
            raise Forbidden("Editing the suppliers needs an admin, manager or integration role.")


class ZoneViewSet(MasterDataViewSet):
    queryset = Zone.objects.select_related("warehouse")
    serializer_class = s.ZoneSerializer
    filterset_fields = ["warehouse", "kind", "temperature_class"]
    write_roles = MASTER_DATA_ROLES


class LocationViewSet(MasterDataViewSet):
    queryset = Location.objects.select_related("warehouse", "zone")
    serializer_class = s.LocationSerializer
    filterset_class = LocationFilter
    write_roles = MASTER_DATA_ROLES

    @extend_schema(request=s.BlockInput, responses=s.LocationSerializer)
    @action(detail=True, methods=["post"])
    def block(self, request: Request, pk: str) -> Response:
        location = self.get_object()
        require_role(request.user, location.warehouse_id, STOCK_CONTROL_ROLES)
        data = _validated(s.BlockInput, request)
        location = services.location_block(
            location=location, reason=data["reason"], actor=request.user
        )
        return Response(s.LocationSerializer(location, context={"request": request}).data)

    @extend_schema(request=None, responses=s.LocationSerializer)
    @action(detail=True, methods=["post"])
    def unblock(self, request: Request, pk: str) -> Response:
        location = self.get_object()
        require_role(request.user, location.warehouse_id, STOCK_CONTROL_ROLES)
        location = services.location_unblock(location=location, actor=request.user)
        return Response(s.LocationSerializer(location, context={"request": request}).data)


class LotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Lots are created when goods are received; read them here. Quality holds one (or lifts
    its hold) at `POST /lots/{id}/hold/` (`/lift-hold/`), and reads where it came from and
    went at `GET /lots/{id}/trace/`."""

    queryset = Lot.objects.select_related("item")
    serializer_class = s.LotSerializer
    filterset_class = LotFilter

    def get_queryset(self) -> QuerySet[Lot]:
        return Lot.objects.select_related("item").order_by("expires_on", "pk")


class ReorderPolicyViewSet(MasterDataViewSet):
    queryset = ReorderPolicy.objects.select_related("item", "warehouse")
    serializer_class = s.ReorderPolicySerializer
    filterset_fields = ["warehouse", "item"]
    write_roles = MASTER_DATA_ROLES | {Role.SUPERVISOR}


# --- stock: reads -----------------------------------------------------------------------


class BalanceViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Stock by location: positions with stock, per item and lot."""

    serializer_class = s.BalanceSerializer
    filterset_class = BalanceFilter

    def get_queryset(self) -> QuerySet[StockBalance]:
        return selectors.stock_by_location(warehouse_ids=list(warehouse_ids_for(self.request.user)))


class MovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The stock ledger: append-only, newest first, cursor-paginated."""

    serializer_class = s.MovementSerializer
    filterset_class = MovementFilter
    pagination_class = LedgerCursorPagination
    ordering_fields: list[str] = []

    def get_queryset(self) -> QuerySet[StockMovement]:
        return selectors.movements_recent(warehouse_ids=list(warehouse_ids_for(self.request.user)))


class AvailabilityView(ServiceView):
    """On hand, reserved and available per item and warehouse (and per lot): one query."""

    @extend_schema(
        parameters=[
            OpenApiParameter("warehouse", str, description="Warehouse code (default: all yours)"),
            OpenApiParameter("item", str, description="Comma-separated SKUs (default: all)"),
        ],
        responses=inline_serializer(
            "AvailabilityPage", {"results": s.AvailabilitySerializer(many=True)}
        ),
    )
    def get(self, request: Request) -> Response:
        ids = warehouse_ids_for(request.user)
        code = request.query_params.get("warehouse")
        if code:
            ids = frozenset(w for w, c in _warehouse_codes(ids).items() if c == code) or _unknown(
                "warehouse", code
            )
        items = None
        skus = [x for x in request.query_params.get("item", "").split(",") if x]
        if skus:
            items = list(Item.objects.filter(sku__in=skus))
            missing = sorted(set(skus) - {i.sku for i in items})
            if missing:
                _unknown("item", ", ".join(missing))
        return Response(
            {"results": selectors.stock_available(warehouse_ids=list(ids), items=items)}
        )


class BelowReorderPointView(ServiceView):
    """Items whose available stock fell below their reorder point."""

    @extend_schema(
        responses=inline_serializer(
            "BelowReorderPointPage", {"results": s.BelowReorderPointSerializer(many=True)}
        )
    )
    def get(self, request: Request) -> Response:
        ids = list(warehouse_ids_for(request.user))
        return Response({"results": selectors.items_below_reorder_point(warehouse_ids=ids)})


def _warehouse_codes(ids: frozenset[int]) -> dict[int, str]:
    from core.models import Warehouse

    return dict(Warehouse.objects.filter(pk__in=ids).values_list("pk", "code"))


def _unknown(field: str, value: str) -> Any:
    raise DomainError(
        _("Unknown %(field)s %(value)s.") % {"field": field, "value": value}, field=field
    )


# --- stock: actions ---------------------------------------------------------------------


def _receive(request: Request, receipt: Receipt | None = None) -> Response:
    """Receive as the body says (against `receipt` if given); the movement and putaway task."""
    data = _validated(s.ReceiveInput, request)
    require_role(request.user, data["location"].warehouse_id, FLOOR_ROLES)
    movement, task = services.stock_receive(
        item=data["item"],
        quantity=data["quantity"],
        location=data["location"],
        lot_code=data.get("lot") or None,
        expires_on=data.get("expires_on"),
        receipt=receipt,
        actor=request.user,
    )
    body = s.MovementSerializer(movement).data
    body["putaway_task"] = s.TaskSerializer(task).data if task else None
    return Response(body, status=status.HTTP_201_CREATED)


class ReceiveView(ServiceView):
    """Blind receipt: goods arrive with no expected receipt."""

    @extend_schema(request=s.ReceiveInput, responses={201: s.MovementSerializer})
    def post(self, request: Request) -> Response:
        return _receive(request)


class MoveView(ServiceView):
    @extend_schema(request=s.MoveInput, responses={201: s.MovementSerializer})
    def post(self, request: Request) -> Response:
        data = _validated(s.MoveInput, request)
        require_role(request.user, data["from_location"].warehouse_id, FLOOR_ROLES)
        movement = services.stock_move(
            item=data["item"],
            lot=data["lot"],
            from_location=data["from_location"],
            to_location=data["to_location"],
            quantity=data["quantity"],
            actor=request.user,
        )
        return Response(s.MovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class AdjustView(ServiceView):
    @extend_schema(request=s.AdjustInput, responses={201: s.MovementSerializer})
    def post(self, request: Request) -> Response:
        data = _validated(s.AdjustInput, request)
        require_role(request.user, data["location"].warehouse_id, STOCK_CONTROL_ROLES)
        movement = services.stock_adjust(
            item=data["item"],
            lot=data["lot"],
            location=data["location"],
            quantity_delta=data["quantity_delta"],
            reason=data["reason"],
            actor=request.user,
        )
        return Response(s.MovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class ReservationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Stock reserved for a reference; create, release, pick, and make pick tasks."""

    serializer_class = s.ReservationSerializer
    filterset_fields = {"reference": ["exact"], "status": ["exact"], "item__sku": ["exact"]}

    def get_queryset(self) -> QuerySet[Reservation]:
        return Reservation.objects.select_related("warehouse", "item").prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("balance__location", "balance__lot"),
            )
        )

    @extend_schema(request=s.ReserveInput, responses={201: s.ReservationSerializer})
    def create(self, request: Request) -> Response:
        data = _validated(s.ReserveInput, request)
        require_role(request.user, data["warehouse"].pk, RESERVE_ROLES)
        reservation = services.stock_reserve(actor=request.user, **data)
        return self._answer(reservation, status.HTTP_201_CREATED)

    @extend_schema(request=s.ReleaseInput, responses=s.ReservationSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        reservation = self.get_object()
        require_role(request.user, reservation.warehouse_id, RESERVE_ROLES)
        data = _validated(s.ReleaseInput, request)
        services.stock_release(
            reservation=reservation, quantity=data.get("quantity"), actor=request.user
        )
        return self._answer(reservation)

    @extend_schema(request=s.PickInput, responses={201: s.MovementSerializer})
    @action(detail=True, methods=["post"])
    def pick(self, request: Request, pk: str) -> Response:
        reservation = self.get_object()
        require_role(request.user, reservation.warehouse_id, FLOOR_ROLES)
        data = _validated(s.PickInput, request)
        lot = None
        if data.get("lot"):
            lot = Lot.objects.filter(item_id=reservation.item_id, code=data["lot"]).first()
            if lot is None:
                raise DomainError(
                    _("No lot %(lot)s of this item.") % {"lot": data["lot"]}, field="lot"
                )
        movement = services.stock_pick(
            reservation=reservation,
            location=data["location"],
            lot=lot,
            quantity=data["quantity"],
            to_location=data.get("to_location"),
            actor=request.user,
        )
        return Response(s.MovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: s.TaskSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="pick-tasks", pagination_class=None)
    def pick_tasks(self, request: Request, pk: str) -> Response:
        reservation = self.get_object()
        require_role(request.user, reservation.warehouse_id, RESERVE_ROLES | FLOOR_ROLES)
        tasks = services.pick_tasks_create(reservations=[reservation], actor=request.user)
        tasks = list(TaskViewSet.base_queryset().filter(pk__in=[t.pk for t in tasks]))
        return Response(s.TaskSerializer(tasks, many=True).data, status=status.HTTP_201_CREATED)


class ReceiptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Expected receipts (ASNs): create, receive against them, close with variances."""

    serializer_class = s.ReceiptSerializer
    filterset_class = ReceiptFilter

    def get_queryset(self) -> QuerySet[Receipt]:
        return Receipt.objects.select_related("warehouse", "from_supplier").prefetch_related(
            "lines__item", "units__location", "units__lines__item"
        )

    @extend_schema(request=s.ReceiptCreateInput, responses={201: s.ReceiptSerializer})
    def create(self, request: Request) -> Response:
        data = _validated(s.ReceiptCreateInput, request)
        require_role(request.user, data["warehouse"].pk, FLOOR_ROLES | MASTER_DATA_ROLES)
        receipt = services.receipt_create(
            warehouse=data["warehouse"],
            reference=data["reference"],
            supplier=data["supplier"],
            expected_on=data["expected_on"],
            lines=[(line["item"], line["quantity"]) for line in data["lines"]],
            units=[
                services.UnitExpected(
                    sscc=unit["sscc"],
                    contents=[
                        services.UnitContent(
                            item=c["item"],
                            quantity=c["quantity"],
                            lot_code=c["lot"],
                            expires_on=c["expires_on"],
                        )
                        for c in unit["contents"]
                    ],
                )
                for unit in data["units"]
            ],
            actor=request.user,
        )
        return self._answer(receipt, status.HTTP_201_CREATED)

    @extend_schema(request=s.UnitReceiveInput, responses={201: s.ReceiptSerializer})
    @action(detail=True, methods=["post"], url_path="units/receive")
    def receive_unit(self, request: Request, pk: str) -> Response:
        """Receive a whole pallet of the receipt by the scan of its label (its SSCC), each
        item it holds with its lot and expiry, at the scanned location."""
        receipt = self.get_object()
        require_role(request.user, receipt.warehouse_id, FLOOR_ROLES)
        data = _validated(s.UnitReceiveInput, request)
        services.receipt_unit_receive(
            receipt=receipt, sscc=data["sscc"], location=data["location"], actor=request.user
        )
        return self._answer(receipt, status.HTTP_201_CREATED)

    @extend_schema(request=s.ReceiveInput, responses={201: s.MovementSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str) -> Response:
        receipt = self.get_object()
        require_role(request.user, receipt.warehouse_id, FLOOR_ROLES)
        return _receive(request, receipt)

    @extend_schema(request=None, responses=s.ReceiptSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        receipt = self.get_object()
        require_role(request.user, receipt.warehouse_id, FLOOR_ROLES | MASTER_DATA_ROLES)
        services.receipt_close(receipt=receipt, actor=request.user)
        return self._answer(receipt)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Floor tasks: list, assign, confirm by scans, cancel."""

    serializer_class = s.TaskSerializer
    filterset_class = TaskFilter

    @staticmethod
    def base_queryset() -> QuerySet[Task]:
        return Task.objects.select_related(
            "warehouse", "item", "lot", "location", "to_location", "assigned_to"
        )

    def get_queryset(self) -> QuerySet[Task]:
        return self.base_queryset().filter(warehouse_id__in=warehouse_ids_for(self.request.user))

    def _answer(self, task: Task) -> Response:
        return Response(self.get_serializer(self.base_queryset().get(pk=task.pk)).data)

    @extend_schema(request=s.TaskAssignInput, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        require_role(request.user, task.warehouse_id, {Role.SUPERVISOR, Role.ADMIN})
        data = _validated(s.TaskAssignInput, request)
        user = get_user_model().objects.filter(username=data["user"]).first()
        if user is None:
            raise DomainError(_("Unknown user %(user)s.") % {"user": data["user"]}, field="user")
        return self._answer(services.task_assign(task=task, user=user, actor=request.user))

    @extend_schema(request=s.TaskConfirmInput, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        require_role(request.user, task.warehouse_id, FLOOR_ROLES)
        data = _validated(s.TaskConfirmInput, request)
        done = services.task_confirm(
            task=task,
            location_barcode=data["location_barcode"],
            item_code=data["item_code"],
            lot_code=data.get("lot_code") or None,
            quantity=data["quantity"],
            to_location_barcode=data.get("to_location_barcode") or None,
            actor=request.user,
        )
        return self._answer(done)

    @extend_schema(request=s.TaskCancelInput, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        require_role(request.user, task.warehouse_id, {Role.SUPERVISOR, Role.ADMIN})
        data = _validated(s.TaskCancelInput, request)
        return self._answer(
            services.task_cancel(task=task, reason=data["reason"], actor=request.user)
        )


class CountPlanView(ServiceView):
    """Plan a cycle count of a zone or an item: one count task per stocked position."""

    @extend_schema(request=s.CountPlanInput, responses={201: s.TaskSerializer(many=True)})
    def post(self, request: Request) -> Response:
        data = _validated(s.CountPlanInput, request)
        require_role(request.user, data["warehouse"].pk, STOCK_CONTROL_ROLES)
        tasks = services.count_tasks_create(actor=request.user, **data)
        tasks = list(TaskViewSet.base_queryset().filter(pk__in=[t.pk for t in tasks]))
        return Response(s.TaskSerializer(tasks, many=True).data, status=status.HTTP_201_CREATED)


class ReplenishPlanView(ServiceView):
    """Plan pick-face replenishment: one task per position below the minimum."""

    @extend_schema(request=s.ReplenishInput, responses={201: s.TaskSerializer(many=True)})
    def post(self, request: Request) -> Response:
        data = _validated(s.ReplenishInput, request)
        require_role(request.user, data["warehouse"].pk, STOCK_CONTROL_ROLES)
        tasks = services.replenish_tasks_create(
            warehouse_id=data["warehouse"].pk,
            min_units=data["min_units"],
            target_units=data["target_units"],
            actor=request.user,
        )
        tasks = list(TaskViewSet.base_queryset().filter(pk__in=[t.pk for t in tasks]))
        return Response(s.TaskSerializer(tasks, many=True).data, status=status.HTTP_201_CREATED)
