"""EDI in: a carrier's X12 214 statuses become Handoff's tracking and proof of delivery."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from integrations.edi import carrier_status as cs
from integrations.edi.x12 import Interchange, acknowledgment_997
from integrations.models import EdiInterchange, EdiRefusal
from shipping import services as shipping
from shipping.choices import DONE_STOP_STATUSES, ShipmentStatus, TrackingSource, TrackingStatus
from shipping.models import Stop
from shipping.services.dispatch import DELAY_MINUTES


@dataclass(frozen=True)
class StatusFor:
    """A status of the interchange and the stop its waybill names (None: skipped)."""

    status: cs.CarrierStatus
    stop: Stop | None


def _told(item: StatusFor, applied: bool, skipped: str) -> dict:
    status, stop = item.status, item.stop
    return {
        "where": status.where,
        "carrier": status.carrier,
        "waybill": status.waybill,
        "code": status.code,
        "shipment": stop.shipment.reference if stop is not None else None,
        "stop": stop.sequence if stop is not None else None,
        "applied": applied,
        "skipped": skipped,
    }


def _closed(stop: Stop) -> str:
    """Why nothing more is recorded of this stop, or ""."""
    stop.refresh_from_db(fields=["status"])
    if stop.status in DONE_STOP_STATUSES:
        return _("Stop %(n)s of %(shipment)s is already %(status)s.") % {
            "n": stop.sequence,
            "shipment": stop.shipment.reference,
            "status": stop.get_status_display(),
        }
    stop.shipment.refresh_from_db(fields=["status"])
    if stop.shipment.status != ShipmentStatus.IN_TRANSIT:
        return _("Shipment %(shipment)s is %(status)s.") % {
            "shipment": stop.shipment.reference,
            "status": stop.shipment.get_status_display(),
        }
    return ""


def _apply(item: StatusFor, actor: AbstractBaseUser | None, now: datetime.datetime) -> None:
    """One status through the shipping services, on the stop's warehouse's clock."""
    status, stop = item.status, item.stop
    assert stop is not None
    zone = stop.shipment.load.warehouse.zone()
    at = status.moment(zone)
    assert at is not None
    tracked = {
        "shipment": stop.shipment,
        "actor": actor,
        "source": TrackingSource.EDI_214,
        "place": status.place,
        "latitude": status.latitude,
        "longitude": status.longitude,
        "stop_sequence": stop.sequence,
        "note": status.note,
    }
    if status.kind == cs.DELIVERED:
        if not status.remarks:
            raise DomainError(
                _("A delivery (D1) names who signed for it in a K1 of its LX loop."),
                field="K1",
            )
        shipping.delivery_record(
            stop=stop,
            outcome="delivered",
            receiver_name=status.remarks[0][:80],
            at=at,
            note=status.note,
            actor=actor,
        )
    elif status.kind == cs.REFUSED:
        shipping.delivery_record(
            stop=stop, outcome="refused", receiver_name="", at=at, note=status.note, actor=actor
        )
    elif status.kind == cs.ESTIMATE:
        # The carrier's own ETA: the stop's moves to it, told now.
        stop.refresh_from_db(fields=["eta"])
        minutes = round((at - stop.eta).total_seconds() / 60)
        if not DELAY_MINUTES[0] <= minutes <= DELAY_MINUTES[1]:
            raise DomainError(
                _("The estimate %(at)s is %(minutes)s minutes from the stop's ETA %(eta)s.")
                % {
                    "at": at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    "minutes": minutes,
                    "eta": stop.eta.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                },
                field="AT705",
            )
        shipping.tracking_record(
            status=TrackingStatus.DELAYED if minutes > 0 else TrackingStatus.POSITION,
            at=now,
            delay_minutes=minutes,
            **{**tracked, "latitude": None, "longitude": None},
        )
    else:
        shipping.tracking_record(
            status={
                cs.ARRIVED: TrackingStatus.ARRIVED,
                cs.DELAYED: TrackingStatus.DELAYED,
                cs.POSITION: TrackingStatus.POSITION,
                cs.EXCEPTION: TrackingStatus.EXCEPTION,
            }[status.kind or ""],
            at=at,
            **tracked,
        )


@service
def carrier_statuses_record(
    *,
    interchange: Interchange,
    digest: str,
    statuses: list[StatusFor],
    actor: AbstractBaseUser | None,
) -> tuple[dict, bool]:
    """Act on a carrier's 214 interchange (`edi.received`), all of it or nothing: each
    status through the shipping services as a tracking event from EDI 214, an arrival, a
    delivery or a refusal, in the order sent; a status Handoff does not read, or one about
    a stop already done, is skipped and said so. Answers what was done, with the 997 that
    acknowledges it, and whether it is the answer already given (the same interchange sent
    again: nothing done again). The sender's control number is used once: another
    interchange under it is a Conflict. A refusal names the status (its ST, LX and AT7) and
    the reason."""
    sender = f"{interchange.sender_qualifier}:{interchange.sender}"
    kept = (
        EdiInterchange.objects.select_for_update()
        .filter(sender=sender, control_number=interchange.control)
        .first()
    )
    if kept is not None:
        if kept.digest != digest:
            raise Conflict(
                _(
                    "Interchange %(control)s of %(sender)s was received on %(at)s with other "
                    "contents; a new interchange takes a new control number."
                )
                % {
                    "control": interchange.control,
                    "sender": interchange.sender,
                    "at": kept.received_at.strftime("%Y-%m-%d %H:%M UTC"),
                },
                field="ISA13",
                code="interchange_received",
            )
        return kept.answer, True
    try:
        with transaction.atomic():
            kept = EdiInterchange.objects.create(
                sender=sender,
                control_number=interchange.control,
                kind="214",
                digest=digest,
                received_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        raise Conflict(
            _("Interchange %(control)s of %(sender)s is being received now.")
            % {"control": interchange.control, "sender": interchange.sender},
            field="ISA13",
            code="interchange_received",
        ) from None
    now = timezone.now()
    told = []
    warehouses = set()
    for item in statuses:
        skipped = item.status.skipped or (_closed(item.stop) if item.stop is not None else "")
        if not skipped:
            assert item.stop is not None
            warehouses.add(item.stop.shipment.load.warehouse_id)
            try:
                _apply(item, actor, now)
            except DomainError as refused:
                where = f"{item.status.where}, {item.status.segment.where}"
                raise type(refused)(
                    f"{where}: {refused.message}",
                    field=where,
                    code=refused.code,
                    extra=refused.extra,
                ) from refused
        told.append(_told(item, not skipped, skipped))
    answer = {
        "interchange": interchange.control,
        "sender": interchange.sender,
        "test": interchange.test,
        "statuses": told,
        "acknowledgment": acknowledgment_997(interchange, control=kept.pk, at=now),
    }
    EdiInterchange.objects.filter(pk=kept.pk).update(answer=answer)
    event_record(
        type="edi.received",
        aggregate_type="edi",
        aggregate_id=f"{sender}/{interchange.control}",
        warehouse=next(iter(warehouses)) if len(warehouses) == 1 else None,
        payload={
            "sender": sender,
            "interchange": interchange.control,
            "kind": "214",
            "applied": sum(1 for t in told if t["applied"]),
            "skipped": sum(1 for t in told if not t["applied"]),
            "test": interchange.test,
        },
        actor=actor,
    )
    return answer, False


@service
def edi_refusal_record(
    *,
    sender: str,
    control: str,
    kind: str,
    message: str,
    warehouse_ids: list[int],
    actor: AbstractBaseUser | None,
) -> EdiRefusal:
    """Keep that an interchange was refused, and why (`edi.refused`), in a transaction of its
    own, the refused one having rolled back: the integration-failure alert tells the offices
    of these warehouses until an interchange from the sender is taken."""
    refusal = EdiRefusal.objects.create(
        sender=sender[:40],
        control_number=control[:9],
        kind=kind,
        message=message[:500],
        warehouse_ids=sorted(warehouse_ids),
        received_by=actor if actor is not None and actor.is_authenticated else None,
    )
    event_record(
        type="edi.refused",
        aggregate_type="edi",
        aggregate_id=f"{sender}/{control}",
        warehouse=warehouse_ids[0] if len(warehouse_ids) == 1 else None,
        payload={"sender": sender, "interchange": control, "kind": kind, "message": message},
        actor=actor,
    )
    return refusal
