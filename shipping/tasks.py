"""Celery tasks of shipping: each is named like the service it calls."""

from collections.abc import Iterable

from celery import shared_task

from core.models import Event
from core.selectors import warehouses_releasing_on_time
from shipping.models import OrderLine
from shipping.services import orders_backordered_reallocate as reallocate
from shipping.services import waves_release_due as release_due
from shipping.services.photos import pod_photos_unclaimed_remove as photos_unclaimed_remove

# Events after which units may have become available to reserve: stock came in, went back
# from a reservation, moved into a pickable place, was found by a count, or its location
# opened again. Stock events name their item (aggregate "item", id the SKU).
STOCK_FREED = frozenset(
    {
        "stock.received",
        "stock.put_away",
        "stock.moved",
        "stock.adjusted",
        "stock.counted",
        "stock.released",
        "location.unblocked",
        "lot.hold_lifted",
    }
)


@shared_task(name="shipping.orders_backordered_reallocate", ignore_result=True)
def orders_backordered_reallocate(skus: list[str] | None = None) -> int:
    """Try backordered orders again (stock may have arrived): those with a line of these
    SKUs, or all of them."""
    return reallocate(skus=skus)


@shared_task(name="shipping.waves_release_due", ignore_result=True)
def waves_release_due(references: list[str] | None = None) -> int:
    """Release the waves whose time has come, in the warehouses that release them on time
    (of these loads only, by reference, if given)."""
    return release_due(references=references)


# Events after which a load's wave may be due at once: a slot booked or moved sooner than its
# picking takes, orders added to it, the warehouse's switch turned on.
RELEASE_TIMED = frozenset(
    {"appointment.booked", "appointment.moved", "load.order_added", "wave.planned"}
)


def waves_on_events(*, events: Iterable[Event], **kwargs: object) -> None:
    """Listener of `core.events.events_published`: a load's slot or orders changed, so its
    wave may be due now; only the loads named are looked at (beat's sweep, each minute,
    releases the rest as their time comes), and only in warehouses that release waves on
    time: elsewhere nothing is queued. The warehouse's switch turned on looks at all."""
    timed: list[Event] = []
    for event in events:
        if event.type == "warehouse.waves_release_set" and (event.payload or {}).get("on_time"):
            waves_release_due.delay(None)
            return
        if event.type in RELEASE_TIMED and (event.payload or {}).get("load"):
            timed.append(event)
    if not timed:
        return
    on = warehouses_releasing_on_time({event.warehouse_id for event in timed})
    loads = {str(event.payload["load"]) for event in timed if event.warehouse_id in on}
    if loads:
        waves_release_due.delay(sorted(loads))


@shared_task(name="shipping.pod_photos_unclaimed_remove", ignore_result=True)
def pod_photos_unclaimed_remove() -> int:
    """Delete proof-of-delivery photo files no stop keeps (a delivery rolled back after its
    photo was written)."""
    return photos_unclaimed_remove()


def backorders_on_events(*, events: Iterable[Event], **kwargs: object) -> None:
    """Listener of `core.events.events_published`: when stock may have become available,
    queue a retry of the backorders waiting for it, so an order waits for its stock
    seconds, not until beat's sweep. Only the items named are retried; a location opened
    again retries them all."""
    skus: set[str] = set()
    for event in events:
        if event.type not in STOCK_FREED:
            continue
        if event.type == "stock.moved" and OrderLine.of_reference(
            event.payload.get("reference") or ""
        ):
            continue  # an order's own picked goods on their way to the truck: nothing freed
        if event.aggregate_type != "item":
            orders_backordered_reallocate.delay(None)
            return
        skus.add(event.aggregate_id)
    if skus:
        orders_backordered_reallocate.delay(sorted(skus))
