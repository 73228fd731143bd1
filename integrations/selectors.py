"""Reads of the event feed."""

from collections.abc import Iterable

from django.db.models import QuerySet

from core.models import Event


def events_after(
    *,
    after: int,
    warehouse_ids: Iterable[int],
    types: Iterable[str] = (),
    aggregate_type: str | None = None,
    aggregate_id: str | None = None,
    limit: int = 100,
) -> QuerySet[Event]:
    """Events of the given warehouses with sequence > after, oldest first, at most `limit`."""
    queryset = Event.objects.filter(sequence__gt=after, warehouse_id__in=list(warehouse_ids))
    types = [t for t in types if t]
    if types:
        queryset = queryset.filter(type__in=types)
    if aggregate_type:
        queryset = queryset.filter(aggregate_type=aggregate_type)
    if aggregate_id:
        queryset = queryset.filter(aggregate_id=aggregate_id)
    return queryset.select_related("warehouse").order_by("sequence")[:limit]
