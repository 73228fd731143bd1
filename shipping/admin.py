from django.contrib import admin

from core.admin import MasterDataAdmin, ReadOnlyAdmin
from shipping.models import Customer, LineReservation, Order, OrderLine, ShipTo


class ShipToInline(admin.TabularInline):
    model = ShipTo
    extra = 0


@admin.register(Customer)
class CustomerAdmin(MasterDataAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [ShipToInline]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["line_no", "item", "quantity"]

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders change through services (API, pages): read-only here."""

    list_display = [
        "external_ref",
        "customer",
        "warehouse",
        "status",
        "priority",
        "promised_ship_date",
    ]
    list_filter = ["status", "warehouse", "priority"]
    search_fields = ["external_ref", "customer__code"]
    inlines = [OrderLineInline]


@admin.register(LineReservation)
class LineReservationAdmin(ReadOnlyAdmin):
    list_display = ["line", "warehouse", "reservation", "quantity"]
