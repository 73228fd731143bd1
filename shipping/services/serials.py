"""Numbers handed out one after another: SSCC serials, and each warehouse's loads of the day."""

from django.db.models import F

from shipping.models import SerialCounter


def serial_next(name: str) -> int:
    """The next number of the counter `name` (1 for a new one). The counter row stays locked
    until the caller's transaction ends, so two callers never get the same number and a
    rolled-back caller gives its number back."""
    counter, _ = SerialCounter.objects.select_for_update().get_or_create(name=name)
    SerialCounter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
    return counter.value + 1
