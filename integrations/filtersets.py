import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from integrations.models import INVOICES_OPEN, FreightInvoice, InvoiceStatus


class FreightInvoiceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("open", _("To settle")), *InvoiceStatus.choices], method="filter_status"
    )
    carrier = django_filters.CharFilter(field_name="carrier__code")
    load = django_filters.CharFilter(field_name="shipment__load__reference")
    warehouse = django_filters.CharFilter(field_name="shipment__load__warehouse__code")

    class Meta:
        model = FreightInvoice
        fields = ["status", "carrier", "load", "warehouse"]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """`open`: the bills the office has still to settle (disputed, unpriced)."""
        if value == "open":
            return queryset.filter(status__in=INVOICES_OPEN)
        return queryset.filter(status=value)
