from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import BaseModelForm
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from core.models import Event, IdempotencyKey, Membership, Warehouse
from core.services import record_delete, record_save


def _warehouse_id(record: Model) -> int | None:
    return getattr(record, "warehouse_id", None)


class MasterDataAdmin(admin.ModelAdmin):
    """Master data edited by hand goes through the API's services (`record_save`,
    `record_delete`), inlines too: each change writes its event, with the model's own rules
    already checked by the form."""

    def save_model(
        self, request: HttpRequest, obj: Model, form: BaseModelForm, change: bool
    ) -> None:
        record_save(instance=obj, actor=request.user, warehouse_id=_warehouse_id(obj))  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        record_delete(instance=obj, actor=request.user, warehouse_id=_warehouse_id(obj))  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(
        self, request: HttpRequest, form: BaseModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        for obj in formset.save(commit=False):
            record_save(instance=obj, actor=request.user, warehouse_id=_warehouse_id(obj))  # type: ignore[arg-type]
        for obj in formset.deleted_objects:
            record_delete(instance=obj, actor=request.user, warehouse_id=_warehouse_id(obj))  # type: ignore[arg-type]
        formset.save_m2m()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Warehouse)
class WarehouseAdmin(MasterDataAdmin):
    list_display = ["code", "name", "city", "time_zone", "is_active"]
    search_fields = ["code", "name", "city"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(MasterDataAdmin):
    list_display = ["user", "warehouse", "role"]
    list_filter = ["role", "warehouse"]
    autocomplete_fields = ["user"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The outbox and the idempotency log are written by services only."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "sequence",
        "type",
        "aggregate_type",
        "aggregate_id",
        "warehouse",
        "occurred_at",
    ]
    list_filter = ["type", "warehouse"]
    search_fields = ["aggregate_id", "uuid"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "method", "path", "response_status", "created_at"]
