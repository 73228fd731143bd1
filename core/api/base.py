"""Base classes for API edges: idempotent POSTs, warehouse scoping, saves through services."""

from typing import Any

from django.db.models import Model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import require_role, warehouse_ids_for
from core.api.idempotency import IdempotentMixin
from core.api.scoping import WarehouseScopedMixin
from core.models import Warehouse
from core.services import record_delete, record_save


class ServiceView(IdempotentMixin, APIView):
    """An action endpoint: validate input, check the role, call one service."""


class ScopedViewSet(IdempotentMixin, WarehouseScopedMixin, viewsets.GenericViewSet):
    """A viewset over rows of the caller's warehouses."""

    def _answer(self, row: Model, code: int = status.HTTP_200_OK) -> Response:
        """The row a service just wrote, read back as this viewset shows it (its queryset's
        joins, among the caller's warehouses), with `code`."""
        return Response(self.get_serializer(self.get_queryset().get(pk=row.pk)).data, code)


@extend_schema_field(OpenApiTypes.STR)
class WarehouseField(serializers.SlugRelatedField):
    """A warehouse given by its code, among the caller's warehouses only."""

    default_error_messages = {
        "does_not_exist": "Unknown warehouse {value}.",
        "invalid": "Give a warehouse code.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        user = request.user if request else None
        return (
            Warehouse.objects.filter(pk__in=warehouse_ids_for(user))
            if user
            else Warehouse.objects.none()
        )


class MasterDataViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """CRUD for master data; writes go through `record_save` / `record_delete` and need a
    master-data role in the record's warehouse."""

    write_roles: frozenset[str] = frozenset()

    def _warehouse_id(self, instance: Model) -> int | None:
        return getattr(instance, "warehouse_id", None)

    def _check(self, warehouse_id: int | None) -> None:
        if warehouse_id is not None:
            require_role(self.request.user, warehouse_id, self.write_roles)

    def perform_create(self, serializer: serializers.ModelSerializer) -> None:
        instance = serializer.Meta.model(**serializer.validated_data)
        self._check(self._warehouse_id(instance))
        serializer.instance = record_save(
            instance=instance, actor=self.request.user, warehouse_id=self._warehouse_id(instance)
        )

    def perform_update(self, serializer: serializers.ModelSerializer) -> None:
        instance = serializer.instance
        self._check(self._warehouse_id(instance))
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        self._check(self._warehouse_id(instance))
        record_save(
            instance=instance, actor=self.request.user, warehouse_id=self._warehouse_id(instance)
        )

    def perform_destroy(self, instance: Model) -> None:
        self._check(self._warehouse_id(instance))
        record_delete(
            instance=instance, actor=self.request.user, warehouse_id=self._warehouse_id(instance)
        )
