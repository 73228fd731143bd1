"""The routing guide: a load its carrier declined (X12 990), or did not answer by the time its
answer was due, goes on to the next truck free for it, as the dispatch board's "suggest a
vehicle" ranks them (`shipping.selectors.vehicles_ranked`: those that take the goods, the
cheapest for the trip by the tariffs, own fleet first), of a carrier that has not declined
the load or let it lapse. The relay then withdraws the load from a carrier that let it lapse
(a 204 01) and tenders it to the new one, if that one takes EDI. With no truck free for it,
the load stays where it is, and the dispatch office's alert with it, until someone acts or
a truck comes free (beat's sweep tries again)."""

import datetime

from django.conf import settings
from django.utils import timezone

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from integrations.models import LoadTender, TenderAnswer
from integrations.selectors import loads_referenced, tender_open, tenders_open, tenders_passed
from shipping import services as shipping
from shipping.models import Driver, Load
from shipping.selectors import (
    VehicleChoice,
    drivers_free,
    drivers_here,
    load_planned_orders,
    vehicles_ranked,
)

TRIES = 12  # trucks (with a driver each) tried before the load is left for the office


def _candidates(load: Load, passed: set[int]) -> list[VehicleChoice]:
    """The trucks free that take the load's goods, best first, of carriers not in `passed`,
    of its kind: trucks driving our routes for a load on one, a network's for a network's."""
    found = load_planned_orders(warehouse_id=load.warehouse_id, pk=load.pk)
    if found is None or not found[1]:
        return []
    ranked = vehicles_ranked(warehouse_id=load.warehouse_id, orders=found[1], excluding=load.pk)
    return [
        choice
        for choice in ranked
        if choice.usable
        and choice.vehicle.carrier_id not in passed
        and bool(choice.vehicle.network) == bool(load.vehicle.network)
    ]


def _crews(warehouse_id: int) -> tuple[set[int], dict[int, list[Driver]]]:
    """The carriers with drivers on record here, and each one's drivers free now."""
    drivers = list(drivers_here(warehouse_id=warehouse_id))
    staffed = {driver.carrier_id for driver in drivers}
    free: dict[int, list[Driver]] = {}
    for driver, _trips in drivers_free(warehouse_id=warehouse_id, drivers=drivers):
        free.setdefault(driver.carrier_id, []).append(driver)
    return staffed, free


@service
def load_tender_pass_on(*, load_id: int, now: datetime.datetime | None = None) -> Load | None:
    """Pass a load on when its last tender, to the carrier whose truck it is on, was declined
    or is unanswered past the time its answer was due (`tender_open`): put it on the first
    truck, as the board ranks them, of another carrier that has not declined or let lapse a
    tender of this load, of the same kind (a day's trip, or a network's), with a free driver
    of that carrier if it keeps drivers on record here (none if it does not: a hired carrier
    names its own), through `shipping.load_vehicle_change` (`load.vehicle_changed`, every
    check of a dispatcher's move: the slot's hours, the goods, the trips). A tender unanswered
    is marked lapsed; `load.tender_passed_on` says from whom, to whom and why.

    Under the tender's row lock, so a 990 answering it meanwhile either comes first (and an
    acceptance keeps the load) or finds it lapsed; a load moved meanwhile by someone else is
    left as they put it. Nothing is done, and None returned, with passing on switched off
    (`HANDOFF_TENDER_PASS_ON`), no such tender, or no truck free for the load; else the
    load, on its new truck."""
    if not settings.HANDOFF_TENDER_PASS_ON:
        return None
    now = now or timezone.now()
    last = (
        LoadTender.objects.filter(load_id=load_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if last is None:
        return None
    tender = (
        LoadTender.objects.select_for_update(of=("self",))
        .select_related("load__vehicle__carrier", "carrier")
        .get(pk=last)
    )
    if LoadTender.objects.filter(load_id=load_id, pk__gt=tender.pk).exists():
        return None  # tendered again meanwhile
    if not tender_open(tender, now):
        return None
    load = tender.load
    passed = {t.carrier_id for t in tenders_passed([load.pk]).get(load.pk, [])}
    passed.add(tender.carrier_id)
    staffed, free = _crews(load.warehouse_id)
    tries = 0
    for choice in _candidates(load, passed):
        vehicle = choice.vehicle
        crew: list[Driver | None] = (
            list(free.get(vehicle.carrier_id, [])) if vehicle.carrier_id in staffed else [None]
        )
        for driver in crew:
            if tries == TRIES:
                return None
            tries += 1
            try:
                moved = shipping.load_vehicle_change(
                    load=load, vehicle=vehicle, driver=driver, actor=None, was=load.vehicle
                )
            except Conflict as refused:
                if refused.code == "moved":
                    return None
                continue
            except DomainError:
                continue
            why = "declined" if tender.answer == TenderAnswer.DECLINED else "lapsed"
            if why == "lapsed":
                LoadTender.objects.filter(pk=tender.pk).update(answer=TenderAnswer.LAPSED)
            event_record(
                type="load.tender_passed_on",
                aggregate_type="load",
                aggregate_id=load.reference,
                warehouse=load.warehouse_id,
                payload={
                    "load": load.reference,
                    "from": tender.carrier.code,
                    "to": vehicle.carrier.code,
                    "vehicle": vehicle.plate,
                    "driver": driver.name if driver is not None else None,
                    "why": why,
                    "reason": tender.reason,
                    "tender": tender.control_number,
                    "cost": str(choice.cost) if choice.cost is not None else None,
                },
                actor=None,
            )
            return moved
    return None


def load_tenders_pass_on_of(*, references: list[str]) -> int:
    """Pass on these loads (by reference) if their carriers declined them, each in a
    transaction of its own; return how many went to another truck."""
    return sum(
        1 for load_id in loads_referenced(references) if load_tender_pass_on(load_id=load_id)
    )


def load_tenders_pass_on_due() -> int:
    """Pass on every load whose carrier declined it or let its answer lapse (`tenders_open`),
    each in a transaction of its own; return how many went to another truck."""
    if not settings.HANDOFF_TENDER_PASS_ON:
        return 0
    now = timezone.now()
    return sum(
        1
        for tender in tenders_open(warehouse_ids=None, now=now)
        if load_tender_pass_on(load_id=tender.load_id, now=now)
    )
