"""Shipping API: customers and ship-tos, orders with allocation, changes and cancellation."""

from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import role_in, warehouse_ids_for
from core.api.base import MasterDataViewSet, ScopedViewSet
from core.choices import MASTER_DATA_ROLES, PLANNING_ROLES, Role
from core.exceptions import Forbidden
from shipping import services
from shipping.api import serializers as s
from shipping.models import Customer, LineReservation, Order, OrderLine, ShipTo

ORDER_ROLES = PLANNING_ROLES | {Role.INTEGRATION}


def _may(request: Request, roles: frozenset[str], warehouse_id: int | None = None) -> None:
    """The caller needs one of `roles` in the given warehouse (or in any of theirs)."""
    user = request.user
    ids = [warehouse_id] if warehouse_id else warehouse_ids_for(user)
    if not any(role_in(user, w) in roles for w in ids):
        needed = ", ".join(sorted(roles))
        raise Forbidden(f"This needs one of these roles: {needed}.")


class GlobalMasterDataViewSet(MasterDataViewSet):
    """Master data shared by all warehouses (customers): writable by master-data roles."""

    def get_queryset(self) -> QuerySet:
        return self.queryset.all()

    def _check(self, warehouse_id: int | None) -> None:
        _may(self.request, MASTER_DATA_ROLES)


class CustomerViewSet(GlobalMasterDataViewSet):
    queryset = Customer.objects.all()
    serializer_class = s.CustomerSerializer
    filterset_fields = ["code"]


class ShipToViewSet(GlobalMasterDataViewSet):
    queryset = ShipTo.objects.select_related("customer")
    serializer_class = s.ShipToSerializer
    filterset_fields = {"customer__code": ["exact"], "city": ["exact"]}


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Orders: an ERP posts them (allocated in the request); dispatch changes or cancels them.

    Scoped to orders shipping from, or holding stock in, the caller's warehouses.
    """

    serializer_class = s.OrderSerializer
    filterset_fields = {
        "status": ["exact", "in"],
        "external_ref": ["exact"],
        "customer__code": ["exact"],
        "warehouse__code": ["exact"],
        "promised_ship_date": ["exact", "lte", "gte"],
    }

    def get_queryset(self) -> QuerySet[Order]:
        ids = warehouse_ids_for(self.request.user)
        visible = Order.objects.filter(
            Q(warehouse_id__in=ids) | Q(lines__reservations__warehouse_id__in=ids)
        ).values("pk")
        return (
            Order.objects.filter(pk__in=visible)
            .select_related("customer", "ship_to", "warehouse")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=OrderLine.objects.select_related("item").prefetch_related(
                        Prefetch(
                            "reservations",
                            queryset=LineReservation.objects.select_related("warehouse"),
                        )
                    ),
                )
            )
        )

    def _answer(self, order: Order, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data, code)

    @extend_schema(request=s.OrderCreateInput, responses={201: s.OrderSerializer})
    def create(self, request: Request) -> Response:
        _may(request, ORDER_ROLES)
        data = s.OrderCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = services.order_create(
            customer=v["customer"],
            ship_to=v["ship_to"],
            external_ref=v["external_ref"],
            lines=[services.LineInput(line["item"], line["quantity"]) for line in v["lines"]],
            priority=v["priority"],
            requested_delivery_date=v["requested_delivery_date"],
            promised_ship_date=v["promised_ship_date"],
            cutoff_at=v.get("cutoff_at"),
            actor=request.user,
        )
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        _may(request, ORDER_ROLES, order.warehouse_id)
        return self._answer(services.order_allocate(order=order, actor=request.user))

    @extend_schema(request=s.LineChangeInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], url_path="change-line")
    def change_line(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        _may(request, ORDER_ROLES, order.warehouse_id)
        data = s.LineChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_line_change(order=order, actor=request.user, **data.validated_data)
        return self._answer(order)

    @extend_schema(request=s.CancelInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        _may(request, ORDER_ROLES, order.warehouse_id)
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_cancel(
            order=order, reason=data.validated_data["reason"], actor=request.user
        )
        return self._answer(order)
