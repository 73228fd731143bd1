import django_filters

from inventory.models import Location, Lot, Receipt, StockBalance, StockMovement, Task


class MovementFilter(django_filters.FilterSet):
    warehouse = django_filters.CharFilter(field_name="warehouse__code")
    item = django_filters.CharFilter(field_name="item__sku")
    lot = django_filters.CharFilter(field_name="lot__code")
    location = django_filters.CharFilter(method="filter_location")
    reference = django_filters.CharFilter()
    kind = django_filters.MultipleChoiceFilter(
        choices=StockMovement._meta.get_field("kind").choices
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockMovement
        fields = ["warehouse", "item", "lot", "kind", "reference"]

    def filter_location(self, queryset, name, value):  # type: ignore[no-untyped-def]
        from django.db.models import Q

        return queryset.filter(Q(from_location__barcode=value) | Q(to_location__barcode=value))


class BalanceFilter(django_filters.FilterSet):
    warehouse = django_filters.CharFilter(field_name="warehouse__code")
    item = django_filters.CharFilter(field_name="item__sku")
    location = django_filters.CharFilter(field_name="location__barcode")
    # A zone's id: a whole number within the database's integers, else a 400 naming `zone`.
    zone = django_filters.NumberFilter(
        field_name="location__zone_id", min_value=1, max_value=2**31 - 1, decimal_places=0
    )

    class Meta:
        model = StockBalance
        fields = ["warehouse", "item", "location", "zone"]


class LocationFilter(django_filters.FilterSet):
    warehouse = django_filters.CharFilter(field_name="warehouse__code")
    zone_kind = django_filters.CharFilter(field_name="zone__kind")

    class Meta:
        model = Location
        fields = ["warehouse", "zone", "zone_kind", "is_blocked", "barcode"]


class TaskFilter(django_filters.FilterSet):
    warehouse = django_filters.CharFilter(field_name="warehouse__code")
    assigned_to = django_filters.CharFilter(field_name="assigned_to__username")
    status = django_filters.MultipleChoiceFilter(choices=Task._meta.get_field("status").choices)

    class Meta:
        model = Task
        fields = ["warehouse", "kind", "status", "assigned_to", "reference"]


class ReceiptFilter(django_filters.FilterSet):
    """Receipts by status, reference, the supplier's name as given, or the code of the
    supplier of the master data they name (`supplier_code`, case aside)."""

    supplier_code = django_filters.CharFilter(
        field_name="from_supplier__code", lookup_expr="iexact"
    )

    class Meta:
        model = Receipt
        fields = ["status", "reference", "supplier", "supplier_code"]


class LotFilter(django_filters.FilterSet):
    """Lots by item and code, expiry, and whether on hold (`held`)."""

    held = django_filters.BooleanFilter(field_name="held_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Lot
        fields = {"item__sku": ["exact"], "code": ["exact"], "expires_on": ["lte", "gte"]}
