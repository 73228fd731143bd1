"""EPCIS in: a dock door's RFID portal reads the pallets going through it, and Handoff scans
them onto their trucks, or says why not (the wrong truck at that door, above all); at the
goods-in door, it receives the pallets a supplier announced, each whole."""

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import DomainError
from integrations.epcis import RECEIVING, Observation
from inventory.choices import ReceiptStatus
from inventory.models import ReceiptUnit
from inventory.selectors import location_by_barcode
from inventory.services import receipt_unit_receive
from shipping import services as shipping
from shipping.choices import AppointmentStatus, UnitStatus
from shipping.models import DockAppointment, HandlingUnit, Load


def _truck_at(dock: str, warehouse_ids: Iterable[int]) -> Load | None:
    """The load of the truck checked in at that dock now, if any."""
    appointment = (
        DockAppointment.objects.filter(
            dock__code=dock,
            dock__warehouse_id__in=list(warehouse_ids),
            status=AppointmentStatus.CHECKED_IN,
            load__isnull=False,
        )
        .select_related("load")
        .order_by("-checked_in_at")
        .first()
    )
    return appointment.load if appointment is not None else None


def _loaded(
    observed: Observation, sscc: str, warehouse_ids: Sequence[int], actor: AbstractBaseUser | None
) -> tuple[str, str, str]:
    """One unit read going onto a truck: ("loaded" | "skipped", its load, why skipped), or
    a DomainError saying why it may not go."""
    unit = (
        HandlingUnit.objects.filter(sscc=sscc, order__warehouse_id__in=warehouse_ids)
        .select_related("order__load")
        .first()
    )
    if unit is None:
        raise DomainError(_("No unit %(sscc)s in your warehouses.") % {"sscc": sscc})
    load = unit.order.load
    if load is None:
        raise DomainError(
            _("Unit %(sscc)s is of order %(order)s, which is on no truck.")
            % {"sscc": sscc, "order": unit.order.external_ref}
        )
    if unit.status in (UnitStatus.LOADED, UnitStatus.SHIPPED) and unit.load_id == load.pk:
        return "skipped", load.reference, _("Already on its truck.")
    if observed.dock:
        there = _truck_at(observed.dock, warehouse_ids)
        if there is not None and there.pk != load.pk:
            raise DomainError(
                _(
                    "The wrong truck: unit %(sscc)s is for load %(load)s, and the truck at "
                    "%(dock)s is loading %(there)s."
                )
                % {
                    "sscc": sscc,
                    "load": load.reference,
                    "dock": observed.dock,
                    "there": there.reference,
                },
                code="wrong_truck",
            )
    shipping.load_scan(load=load, sscc=sscc, actor=actor)
    return "loaded", load.reference, ""


def _received(
    observed: Observation, sscc: str, warehouse_ids: Sequence[int], actor: AbstractBaseUser | None
) -> tuple[str, str, str]:
    """One pallet read coming in: ("received" | "skipped", its receipt, why skipped), or a
    DomainError saying why it may not be received."""
    unit = (
        ReceiptUnit.objects.filter(sscc=sscc, receipt__warehouse_id__in=warehouse_ids)
        .exclude(receipt__status=ReceiptStatus.CLOSED)
        .select_related("receipt__warehouse", "location")
        .order_by("-pk")
        .first()
    )
    if unit is None:
        raise DomainError(
            _("No open receipt of your warehouses expects pallet %(sscc)s.") % {"sscc": sscc}
        )
    receipt = unit.receipt
    if unit.received_at is not None:
        where = unit.location.barcode if unit.location else "—"
        return (
            "skipped",
            receipt.reference,
            _("Already received at %(location)s.") % {"location": where},
        )
    location = location_by_barcode(warehouse_id=receipt.warehouse_id, barcode=observed.place)
    if location is None:
        raise DomainError(
            _("Where it was received: %(place)s is no location of %(warehouse)s.")
            % {"place": observed.place or "—", "warehouse": receipt.warehouse.code}
        )
    receipt_unit_receive(receipt=receipt, sscc=sscc, location=location, actor=actor)
    return "received", receipt.reference, ""


@service
def epcis_reads_record(
    *,
    observations: Sequence[Observation],
    warehouse_ids: Sequence[int],
    actor: AbstractBaseUser | None,
) -> dict:
    """Act on what portals and scanners read: each SSCC of a loading event (ADD or OBSERVE)
    scanned onto its order's truck through `load_scan`, unit by unit, each in a savepoint of
    its own: a unit already on its truck is skipped (a portal reads a tag many times), and a
    unit that may not go is refused with why (`unit.read_refused`): the wrong truck at the
    door the read names, a truck not checked in, a unit not staged, an order cancelled. Each
    SSCC of a receiving event is a pallet an open receipt expects, received whole where the
    event says it now is (`receipt_unit_receive`); one received already is skipped, one no
    receipt expects (or with no location of its receipt's warehouse) refused. Events Handoff
    does not act on are skipped, and said so. Answers each unit's outcome and the totals."""
    told = []
    for observed in observations:
        if not observed.acts:
            why = _(
                "Handoff acts on loading and receiving (ADD or OBSERVE), not %(step)s %(action)s."
            ) % {
                "step": observed.biz_step or "—",
                "action": observed.action or "—",
            }
            told += [
                {
                    "where": observed.where,
                    "epc": epc,
                    "sscc": sscc,
                    "outcome": "skipped",
                    "load": None,
                    "receipt": None,
                    "why": why,
                }
                for epc, sscc in observed.ssccs
            ]
            continue
        for epc, sscc in observed.ssccs:
            receiving = observed.biz_step == RECEIVING
            act = _received if receiving else _loaded
            try:
                with transaction.atomic():
                    outcome, of, why = act(observed, sscc, warehouse_ids, actor)
            except DomainError as refused:
                outcome, of, why = "refused", None, refused.message
                of_unit = (
                    HandlingUnit.objects.filter(sscc=sscc, order__warehouse_id__in=warehouse_ids)
                    .values_list("order__warehouse_id", flat=True)
                    .first()
                )
                event_record(
                    type="unit.read_refused",
                    aggregate_type="unit",
                    aggregate_id=sscc,
                    # The unit's warehouse, for its dock's screens; else the reader's, if one.
                    warehouse=of_unit or (warehouse_ids[0] if len(warehouse_ids) == 1 else None),
                    payload={
                        "sscc": sscc,
                        "epc": epc,
                        "read_point": observed.read_point,
                        "dock": observed.dock,
                        "at": observed.at.isoformat(),
                        "why": refused.message,
                        "code": refused.code,
                    },
                    actor=actor,
                )
            told.append(
                {
                    "where": observed.where,
                    "epc": epc,
                    "sscc": sscc,
                    "outcome": outcome,
                    "load": None if receiving else of,
                    "receipt": of if receiving else None,
                    "why": why,
                }
            )
    return {
        "events": len(observations),
        "loaded": sum(1 for t in told if t["outcome"] == "loaded"),
        "received": sum(1 for t in told if t["outcome"] == "received"),
        "skipped": sum(1 for t in told if t["outcome"] == "skipped"),
        "refused": sum(1 for t in told if t["outcome"] == "refused"),
        "other_epcs": sum(o.others for o in observations),
        "units": told,
    }
