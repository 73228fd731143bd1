from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.scoping import WarehouseScopedMixin
from core.api.serializers import MeSerializer, WarehouseSerializer
from core.models import Membership, Warehouse


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


class WarehouseViewSet(WarehouseScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The warehouses the caller belongs to (master data is kept in the admin)."""

    queryset = Warehouse.objects.all()
    serializer_class = WarehouseSerializer
    warehouse_field = "pk"
    filterset_fields = ["code", "is_active"]
