"""Reads of the event feed, and of EDI interchanges received."""

import datetime
from collections.abc import Iterable

from django.db.models import Max, QuerySet

from core.models import Event
from integrations.models import EdiInterchange, EdiRefusal


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


def edi_senders_failing(*, since: datetime.datetime) -> list[dict]:
    """Each sender whose interchanges are refused since `since` and since the last one of
    it taken: the sender, when its refusals began, the last reason, and the warehouses
    whose offices are told. Two queries."""
    refusals = list(EdiRefusal.objects.filter(received_at__gte=since).order_by("received_at"))
    taken = dict(
        EdiInterchange.objects.filter(sender__in={r.sender for r in refusals})
        .values("sender")
        .annotate(last=Max("received_at"))
        .values_list("sender", "last")
    )
    failing: dict[str, dict] = {}
    for refusal in refusals:
        last_taken = taken.get(refusal.sender)
        if last_taken is not None and last_taken >= refusal.received_at:
            continue
        row = failing.setdefault(
            refusal.sender, {"sender": refusal.sender, "since": refusal.received_at}
        )
        row.update(reason=refusal.message, warehouse_ids=refusal.warehouse_ids)
    return list(failing.values())
