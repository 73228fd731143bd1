from django.contrib import admin

from core.admin import MasterDataAdmin, ReadOnlyAdmin
from inventory.models import (
    Item,
    Location,
    Lot,
    Receipt,
    ReceiptLine,
    ReorderPolicy,
    Reservation,
    StockBalance,
    StockMovement,
    Supplier,
    Task,
    Zone,
)


@admin.register(Zone)
class ZoneAdmin(MasterDataAdmin):
    list_display = ["code", "name", "warehouse", "kind", "temperature_class", "hazmat_allowed"]
    list_filter = ["warehouse", "kind", "temperature_class"]


@admin.register(Location)
class LocationAdmin(MasterDataAdmin):
    list_display = ["barcode", "warehouse", "zone", "pick_sequence", "is_blocked"]
    list_filter = ["warehouse", "zone__kind", "is_blocked"]
    search_fields = ["barcode"]
    # Blocking is a floor action with an event: use the API or the floor page.
    readonly_fields = ["is_blocked", "blocked_reason"]


class ReorderPolicyInline(admin.TabularInline):
    model = ReorderPolicy
    extra = 0


@admin.register(Item)
class ItemAdmin(MasterDataAdmin):
    list_display = ["sku", "name", "gtin", "temperature_class", "hazmat", "lot_tracked", "velocity"]
    list_filter = ["temperature_class", "hazmat", "lot_tracked", "velocity", "is_active"]
    search_fields = ["sku", "name", "gtin"]
    inlines = [ReorderPolicyInline]


@admin.register(Supplier)
class SupplierAdmin(MasterDataAdmin):
    list_display = ["code", "name", "edi_id", "phone", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "edi_id"]


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    """Read only: a hold is put on and lifted through its service (the Lots page, the API)."""

    list_display = ["item", "code", "expires_on", "held_at", "hold_reason"]
    list_filter = [("held_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "item__sku"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "created_at",
        "kind",
        "item",
        "lot",
        "from_location",
        "to_location",
        "quantity",
        "reference",
    ]
    list_filter = ["kind", "warehouse"]
    search_fields = ["item__sku", "reference"]
    list_select_related = ["item", "lot", "from_location", "to_location"]


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ["item", "location", "lot", "on_hand", "reserved"]
    list_filter = ["warehouse"]
    search_fields = ["item__sku", "location__barcode"]
    list_select_related = ["item", "location", "lot"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "reference", "item", "warehouse", "requested", "status", "created_at"]
    list_filter = ["status", "warehouse"]


class ReceiptLineInline(admin.TabularInline):
    model = ReceiptLine
    extra = 0
    can_delete = False
    readonly_fields = ["item", "expected_quantity", "received_quantity"]

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["reference", "supplier", "warehouse", "expected_on", "status"]
    list_filter = ["status", "warehouse"]
    inlines = [ReceiptLineInline]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "kind",
        "status",
        "warehouse",
        "item",
        "location",
        "quantity",
        "assigned_to",
    ]
    list_filter = ["kind", "status", "warehouse"]
