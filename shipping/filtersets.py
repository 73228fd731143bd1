import django_filters
from django.db.models import QuerySet

from shipping.models import TRUCK_IN, DockHold, Shipment
from shipping.waybills import waybill_clean


class ShipmentFilter(django_filters.FilterSet):
    carrier = django_filters.CharFilter(field_name="carrier__code")
    waybill = django_filters.CharFilter(
        method="filter_waybill",
        help_text="Shipments with a stop of this waybill, typed as the carrier prints it.",
    )

    class Meta:
        model = Shipment
        fields = ["status", "reference", "carrier", "waybill"]

    def filter_waybill(self, queryset: QuerySet, name: str, value: str) -> QuerySet:  # type: ignore[type-arg]
        """A waybill with spaces or in small letters finds the same stop; one of a form no
        waybill has is a 400 naming `waybill`."""
        return queryset.filter(stops__waybill=waybill_clean(value)).distinct()


class DockHoldFilter(django_filters.FilterSet):
    live = django_filters.BooleanFilter(
        field_name="released_at",
        lookup_expr="isnull",
        help_text="true: the holds not released; false: those released.",
    )
    inside = django_filters.BooleanFilter(
        method="_inside",
        help_text="true: the holds whose supplier's truck is in (checked in, not out); "
        "false: the others.",
    )

    def _inside(self, queryset: QuerySet[DockHold], name: str, value: bool) -> QuerySet[DockHold]:
        return queryset.filter(TRUCK_IN) if value else queryset.exclude(TRUCK_IN)

    class Meta:
        model = DockHold
        fields = {"dock": ["exact"], "reason": ["exact"], "starts_at": ["gte", "lt"]}
