"""A wave's record: the events it writes, and its closing once its orders are picked.

The wave services themselves (plan, release, late orders) live with the loads they are
timed from, in `shipping.services.loads`; these pieces are shared by them and by the order
services that pick, change or cancel a wave's orders.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from core.db import row_update
from core.events import event_record
from shipping.choices import OrderStatus, WaveStatus
from shipping.models import Wave
from shipping.selectors import wave_timing

# An order in one of these still has picking to come on its wave.
STILL_TO_PICK = frozenset(
    {OrderStatus.RECEIVED, OrderStatus.ALLOCATED, OrderStatus.BACKORDERED, OrderStatus.RELEASED}
)


def wave_event(wave: Wave, type: str, payload: dict, actor: AbstractBaseUser | None) -> None:
    """Write a wave's event (`wave.*`): its id and its load's reference, then `payload`."""
    event_record(
        type=type,
        aggregate_type="wave",
        aggregate_id=wave.pk,
        warehouse=wave.warehouse_id,
        payload={
            "wave": wave.pk,
            "load": wave.load.reference if wave.load_id else None,
            **payload,
        },
        actor=actor,
    )


def wave_picked_if_done(wave_id: int, actor: AbstractBaseUser | None) -> None:
    """A wave on the floor whose orders are all picked (or gone: cancelled, or back to wait
    for stock), at least one of them, becomes picked (`wave.picked`, with how it did against
    its truck's ready-by time): its truck's goods are ready, and no late order joins it any
    more. The wave's row is locked before its orders are read, so of two last picks of one
    wave committing at once, the second sees the first (inside the caller's transaction)."""
    wave = (
        Wave.objects.select_for_update(of=("self",), no_key=True)
        .select_related("load")
        .filter(pk=wave_id, status=WaveStatus.RELEASED)
        .first()
    )
    if wave is None:
        return
    orders = list(wave.orders.values_list("external_ref", "status"))
    statuses = {status for _, status in orders}
    if statuses & STILL_TO_PICK or not statuses - {OrderStatus.CANCELLED}:
        return
    now = timezone.now()
    row_update(wave, status=WaveStatus.PICKED, picked_at=now)
    timing = wave_timing(wave, now=now, lines=0)
    wave_event(
        wave,
        "wave.picked",
        {
            "orders": sorted(ref for ref, status in orders if status != OrderStatus.CANCELLED),
            "picked_at": now,
            "ready_by": timing.ready_by,
            "truck_due": timing.truck_due,
            "late_minutes": timing.late_minutes,
        },
        actor,
    )
