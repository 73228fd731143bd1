"""Housekeeping of answered Idempotency-Keys."""

import datetime

from django.utils import timezone

from core.models import IdempotencyKey


def idempotency_keys_prune(*, older_than_hours: int) -> int:
    """Forget keys older than the replay window; return how many."""
    cutoff = timezone.now() - datetime.timedelta(hours=older_than_hours)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
