"""Every API list and detail is scoped to the caller's warehouses."""

from typing import Any

from django.db.models import QuerySet

from core.access import warehouse_ids_for


class WarehouseScopedMixin:
    """Filter the view's queryset to rows of the caller's warehouses.

    `warehouse_field` is the lookup from the model to its warehouse id. A row of another
    warehouse is simply not there: a detail request for it answers 404.
    """

    warehouse_field = "warehouse_id"

    def get_queryset(self) -> QuerySet:
        queryset: QuerySet = super().get_queryset()  # type: ignore[misc]
        user: Any = self.request.user  # type: ignore[attr-defined]
        return queryset.filter(**{f"{self.warehouse_field}__in": warehouse_ids_for(user)})
