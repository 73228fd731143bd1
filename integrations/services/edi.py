"""EDI: a carrier's X12 214 statuses become Handoff's tracking and proof of delivery; a
depositor's 940s become orders, and each of their shipments is answered with a 945; a
customer is sent an 856 for each stop; a carrier is tendered its loads in 204s and answers
them in 990s; a carrier's 210s are checked against its tariff, and the bills decided are
answered at the warehouse's payment run, in one 820 per carrier; a supplier's 856s become
expected receipts, pallet by pallet; partners' 997s say whether they took what Handoff
sent."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from integrations.edi import carrier_status as cs
from integrations.edi.acknowledgment import Acknowledgment
from integrations.edi.asn_intake import ReceiptSaid
from integrations.edi.freight_invoice import FreightInvoiceSaid
from integrations.edi.load_tender import Envelope, load_tender_204, tender_segments
from integrations.edi.ship_notice import ship_notice_856
from integrations.edi.shipping_advice import shipping_advice_945
from integrations.edi.shipping_order import ShippingOrder
from integrations.edi.tender_response import ACCEPTED, TenderResponse
from integrations.edi.x12 import Interchange, acknowledgment_997
from integrations.models import (
    EdiAcknowledgment,
    EdiInterchange,
    EdiOrder,
    EdiRefusal,
    FreightInvoice,
    FreightRemittance,
    InvoiceStatus,
    LoadTender,
    ShipNotice,
    ShippingAdvice,
    TenderAnswer,
    TenderPurpose,
)
from integrations.selectors import (
    edi_not_waiting,
    edi_order_of,
    edi_sent,
    load_tenders_due,
    loads_referenced,
    ship_notice_of,
    ship_notices_due,
    shipping_advice_of,
    shipping_advices_due,
    tender_of_load,
)
from integrations.services.freight_bills import remittance_resent, remittances_send_due
from integrations.services.interchanges_out import (
    control_number_next,
    interchange_made_anew,
    interchange_sent,
)
from inventory.models import Receipt
from inventory.services import receipt_create
from shipping import services as shipping
from shipping.choices import (
    DONE_STOP_STATUSES,
    AppointmentStatus,
    HoldReason,
    LoadStatus,
    OrderStatus,
    ShipmentStatus,
    TrackingSource,
    TrackingStatus,
)
from shipping.models import Carrier, Load, Order, Shipment, Stop
from shipping.services import OrderDraft
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


def _interchange_kept(
    interchange: Interchange, *, digest: str, kind: str, actor: AbstractBaseUser | None
) -> tuple[EdiInterchange, dict | None]:
    """Keep that this interchange is being received (its row, to be answered at the end of
    the caller's transaction), or the answer already given to it, sent again as it was
    (digest). The sender's control number is used once: another interchange under it, or
    the same one being received at this moment, is a Conflict naming ISA13."""
    sender = interchange.partner
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
        return kept, kept.answer
    try:
        with transaction.atomic():
            kept = EdiInterchange.objects.create(
                sender=sender,
                control_number=interchange.control,
                kind=kind,
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
    return kept, None


def _interchange_answered(
    kept: EdiInterchange,
    interchange: Interchange,
    *,
    told: dict,
    warehouses: set[int],
    counts: dict,
    at: datetime.datetime,
    actor: AbstractBaseUser | None,
    acknowledged: bool = True,
) -> dict:
    """The answer to the interchange being received: what was done (`told`) with the 997,
    under the partner's next control number (none for a 997: `acknowledged` False); kept,
    to be given again to the same interchange sent again, and told as `edi.received` (with
    `counts`, on the one warehouse concerned if there is one)."""
    sender = interchange.partner
    answer = {
        "interchange": interchange.control,
        "sender": interchange.sender,
        "test": interchange.test,
        **told,
    }
    if acknowledged:
        answer["acknowledgment"] = acknowledgment_997(
            interchange, control=control_number_next(sender), at=at
        )
    EdiInterchange.objects.filter(pk=kept.pk).update(answer=answer)
    kept.warehouses.add(*sorted(warehouses))
    event_record(
        type="edi.received",
        aggregate_type="edi",
        aggregate_id=f"{sender}/{interchange.control}",
        warehouse=next(iter(warehouses)) if len(warehouses) == 1 else None,
        payload={
            "sender": sender,
            "interchange": interchange.control,
            "kind": kept.kind,
            **counts,
            "test": interchange.test,
        },
        actor=actor,
    )
    return answer


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
    kept, given = _interchange_kept(interchange, digest=digest, kind="214", actor=actor)
    if given is not None:
        return given, True
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
    answer = _interchange_answered(
        kept,
        interchange,
        told={"statuses": told},
        warehouses=warehouses,
        counts={
            "applied": sum(1 for t in told if t["applied"]),
            "skipped": sum(1 for t in told if not t["applied"]),
        },
        at=now,
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
        received_by=actor if actor is not None and actor.is_authenticated else None,
    )
    refusal.warehouses.add(*sorted(warehouse_ids))
    event_record(
        type="edi.refused",
        aggregate_type="edi",
        aggregate_id=f"{sender}/{control}",
        warehouse=warehouse_ids[0] if len(warehouse_ids) == 1 else None,
        payload={"sender": sender, "interchange": control, "kind": kind, "message": message},
        actor=actor,
    )
    return refusal


# --- 940 in, 945 out -------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderSaid:
    """A 940 read and checked against what Handoff knows: a new order's draft, or the order
    it cancels."""

    said: ShippingOrder
    draft: OrderDraft | None = None
    cancel: Order | None = None


def _refused_at(said: ShippingOrder, refused: DomainError, default: str) -> DomainError:
    """The refusal of a service, named by the segment and element that said the field."""
    where = said.place(refused.field) if refused.field else f"{said.header.where} {default}"
    return type(refused)(
        f"{said.where}, {where}: {refused.message}",
        field=where,
        code=refused.code,
        extra=refused.extra,
    )


@service
def shipping_orders_record(
    *,
    interchange: Interchange,
    digest: str,
    orders: list[OrderSaid],
    actor: AbstractBaseUser | None,
) -> tuple[dict, bool]:
    """Act on a depositor's 940 interchange (`edi.received`), all of it or nothing, in the
    order sent: each new order taken and allocated as the API's order intake takes one, and
    kept as the 940 said it (`EdiOrder`), for the 945s that answer its shipments; each
    cancel through `order_cancel`, with the 940's note as the reason. Answers what was done,
    with the 997, and whether it is the answer already given (the same interchange sent
    again: nothing done again). A refusal names the 940 and the segment and element whose
    value is refused (a reference used already: W05-02)."""
    kept, given = _interchange_kept(interchange, digest=digest, kind="940", actor=actor)
    if given is not None:
        return given, True
    group = interchange.groups[0]
    told = []
    warehouses = set()
    for item in orders:
        said = item.said
        try:
            if item.cancel is not None:
                reason = said.note or _("Cancelled by the depositor's 940 (interchange %(n)s).") % {
                    "n": interchange.control
                }
                order = shipping.order_cancel(order=item.cancel, reason=reason, actor=actor)
            else:
                assert item.draft is not None
                order = shipping.order_create(**vars(item.draft), actor=actor)
                EdiOrder.objects.create(
                    order=order,
                    interchange=kept,
                    partner=interchange.partner,
                    receiver=f"{interchange.receiver_qualifier}:{interchange.receiver}",
                    group_sender=group.sender[:15],
                    group_receiver=group.receiver[:15],
                    purchase_order=said.purchase_order,
                    lines={
                        str(n): {
                            "qualifier": line.qualifier,
                            "product": line.product,
                            "unit": line.unit,
                        }
                        for n, line in enumerate(said.lines, start=1)
                    },
                )
        except DomainError as refused:
            raise _refused_at(said, refused, "W0501" if item.cancel else "W0502") from refused
        order.refresh_from_db(fields=["status", "warehouse"])
        if order.warehouse_id:
            warehouses.add(order.warehouse_id)
        told.append(
            {
                "where": said.where,
                "order": order.pk,
                "reference": order.external_ref,
                "purpose": "cancel" if item.cancel is not None else "new",
                "status": order.status,
                "warehouse": order.warehouse.code if order.warehouse_id else None,
            }
        )
    answer = _interchange_answered(
        kept,
        interchange,
        told={"orders": told},
        warehouses=warehouses,
        counts={
            "orders": len(told),
            "cancelled": sum(1 for t in told if t["purpose"] == "cancel"),
        },
        at=timezone.now(),
        actor=actor,
    )
    return answer, False


def _door_for(item: ReceiptSaid, receipt: Receipt, actor: AbstractBaseUser | None) -> dict:
    """A door held for the receipt's truck at the time its 856 said (DTM 017), for
    `HANDOFF_RECEIVING_DOOR_MINUTES`, the first free then (`dock_hold_first_free`), as the
    answer tells it: `door` (its hold, dock and hours), or None with `door_not_held` saying
    why (no time said, a time past, no door free: the receiving team holds one by hand)."""
    arrives = item.arrives_at
    if arrives is None:
        return {"door": None, "door_not_held": _("The 856 gives no time (DTM 017, DTM03).")}
    until = arrives + datetime.timedelta(minutes=settings.HANDOFF_RECEIVING_DOOR_MINUTES)
    zone = item.warehouse.zone()
    if until <= timezone.now():
        return {
            "door": None,
            "door_not_held": _("%(time)s is past.") % {"time": f"{arrives:%Y-%m-%d %H:%M}"},
        }
    hold = shipping.dock_hold_first_free(
        warehouse=item.warehouse,
        starts_at=arrives,
        ends_at=until,
        reason=HoldReason.RECEIVING,
        receipt=receipt,
        expected_plate=item.said.plate,
        actor=actor,
    )
    if hold is None:
        return {
            "door": None,
            "door_not_held": _(
                "No door of %(warehouse)s is free %(start)s-%(end)s: the receiving team holds "
                "one by hand."
            )
            % {
                "warehouse": item.warehouse.code,
                "start": f"{arrives.astimezone(zone):%m-%d %H:%M}",
                "end": f"{until.astimezone(zone):%H:%M}",
            },
        }
    return {
        "door": {
            "hold": hold.pk,
            "dock": hold.dock.code,
            "starts_at": hold.starts_at.isoformat(),
            "ends_at": hold.ends_at.isoformat(),
            "expected_plate": hold.expected_plate,
        },
        "door_not_held": None,
    }


@service
def receipts_expected_record(
    *,
    interchange: Interchange,
    digest: str,
    receipts: list[ReceiptSaid],
    actor: AbstractBaseUser | None,
) -> tuple[dict, bool]:
    """Act on a supplier's 856 interchange (`edi.received`), all of it or nothing: each 856
    an expected receipt at its warehouse, with its lines and the pallets it announced, each
    to be received whole by a scan of its label (`receipt_create`). Answers what was done,
    with the 997, and whether it is the answer already given (the same interchange sent
    again). A refusal names the 856 and the segment and element of the refused value (a
    reference used already: BSN-02; an SSCC: its MAN-02)."""
    kept, given = _interchange_kept(interchange, digest=digest, kind="856", actor=actor)
    if given is not None:
        return given, True
    told = []
    warehouses = set()
    for item in receipts:
        said = item.said
        try:
            receipt = receipt_create(
                warehouse=item.warehouse,
                reference=said.reference,
                supplier=said.supplier or interchange.sender,
                expected_on=said.expected_on,
                lines=item.lines,
                units=item.units,
                actor=actor,
                edi_id=interchange.partner,
            )
        except DomainError as refused:
            where = f"{said.where}, {item.place(refused.field or 'reference')}"
            raise type(refused)(
                f"{where}: {refused.message}",
                field=where,
                code=refused.code,
                extra=refused.extra,
            ) from refused
        warehouses.add(item.warehouse.pk)
        told.append(
            {
                "where": said.where,
                "receipt": receipt.pk,
                "reference": receipt.reference,
                "warehouse": item.warehouse.code,
                "lines": len(item.lines),
                "pallets": len(item.units),
                **_door_for(item, receipt, actor),
            }
        )
    answer = _interchange_answered(
        kept,
        interchange,
        told={"receipts": told},
        warehouses=warehouses,
        counts={"receipts": len(told), "pallets": sum(t["pallets"] for t in told)},
        at=timezone.now(),
        actor=actor,
    )
    return answer, False


@service
def acknowledgments_record(
    *,
    interchange: Interchange,
    digest: str,
    acknowledgments: list[Acknowledgment],
    warehouse_ids: set[int],
    actor: AbstractBaseUser | None,
) -> tuple[dict, bool]:
    """Keep what a partner's 997s say of the interchanges Handoff sent it (`edi.received`;
    each `edi.acknowledged`, with the group's and sets' statuses, on the warehouse the
    interchange was of): accepted, accepted with errors, partly, or rejected (an alert for
    the office, `integration_failure`). A 997 of a group Handoff did not send that partner,
    or one of a warehouse not among `warehouse_ids` (the sender's), is skipped and said so. Nothing answers a 997. The same interchange sent again gets the
    same answer; its control number is used once."""
    kept, given = _interchange_kept(interchange, digest=digest, kind="997", actor=actor)
    if given is not None:
        return given, True
    partner = interchange.partner
    told = []
    warehouses = set()
    for ack in acknowledgments:
        sent = edi_sent(partner=partner, control=ack.control)
        if sent is not None and sent.warehouse_id not in (None, *warehouse_ids):
            sent = None
        if sent is None:
            told.append(
                {
                    "where": ack.where,
                    "interchange": ack.control,
                    "kind": None,
                    "status": ack.status,
                    "applied": False,
                    "skipped": _("Handoff sent you no interchange %(control)s.")
                    % {"control": ack.control},
                }
            )
            continue
        kind, warehouse_id, about = sent.kind, sent.warehouse_id, sent.about
        errors = [*ack.errors, *(e for s in ack.sets for e in s.errors)]
        EdiAcknowledgment.objects.update_or_create(
            partner=partner,
            control_number=ack.control,
            defaults={
                "kind": kind,
                "status": ack.status,
                "errors": errors,
                "received_at": timezone.now(),
                "interchange": kept,
                "warehouse_id": warehouse_id,
                # Late, of what went again since: that one's 997 is the one to wait for.
                "sent_again_as": sent.again_as,
            },
        )
        if warehouse_id is not None:
            warehouses.add(warehouse_id)
        event_record(
            type="edi.acknowledged",
            aggregate_type="edi",
            aggregate_id=f"{partner}/{ack.control}",
            warehouse=warehouse_id,
            payload={
                "partner": partner,
                "interchange": ack.control,
                "kind": kind,
                "about": about,
                "status": ack.status,
                "errors": errors,
                "sets": [
                    {"code": s.code, "control": s.control, "status": s.status} for s in ack.sets
                ],
            },
            actor=actor,
        )
        told.append(
            {
                "where": ack.where,
                "interchange": ack.control,
                "kind": kind,
                "status": ack.status,
                "applied": True,
                "skipped": "",
            }
        )
    answer = _interchange_answered(
        kept,
        interchange,
        told={"acknowledged": told},
        warehouses=warehouses,
        counts={
            "taken": sum(1 for t in told if t["applied"] and t["status"] != "R"),
            "rejected": sum(1 for t in told if t["applied"] and t["status"] == "R"),
        },
        at=timezone.now(),
        actor=actor,
        acknowledged=False,
    )
    return answer, False


@service
def shipping_advice_issue(*, order_id: int) -> ShippingAdvice | None:
    """Issue the 945 of a shipped order that came in a 940, or of a part of one
    (`edi.sent`, with the interchange in its payload, for the webhooks and the event feed):
    once, under the next control number of the partner, the order's row locked meanwhile.
    The advice already issued is returned as it was; None for an order not shipped or not
    from a 940."""
    order = Order.objects.select_for_update(no_key=True).filter(pk=order_id).first()
    if order is None or order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        return None
    issued = ShippingAdvice.objects.filter(order=order).first()
    if issued is not None:
        return issued
    edi_order = edi_order_of(order)
    if edi_order is None:
        return None
    partner = edi_order.partner
    control = control_number_next(partner)
    advice = shipping_advice_of(order=order, edi_order=edi_order, control=control)
    if advice is None:  # pragma: no cover - a shipped order has its packed units
        return None
    issued = ShippingAdvice.objects.create(
        order=order,
        edi_order=edi_order,
        control_number=f"{control:09d}",
        document=shipping_advice_945(advice),
    )
    _advice_sent(issued, order, actor=None)
    return issued


def _advice_sent(
    issued: ShippingAdvice, order: Order, *, actor: AbstractBaseUser | None, resends: str = ""
) -> None:
    """`edi.sent` of a 945, with its interchange (and the control number it sends again)."""
    interchange_sent(
        issued,
        kind="945",
        partner=issued.edi_order.partner,
        about=("order", order.external_ref, order.warehouse_id),
        told={
            "order": order.pk,
            "reference": order.external_ref,
            "depositor_order": issued.edi_order.order.external_ref,
        },
        actor=actor,
        resends=resends,
    )


@service
def ship_notice_issue(*, stop_id: int) -> ShipNotice | None:
    """Issue the 856 of a stop of a truck that left, for a customer with an EDI ID
    (`edi.sent`, with the interchange in its payload): once, under the customer's next
    control number, the stop's row locked meanwhile. The notice already issued is returned as
    it was; None for a stop whose customer takes no EDI."""
    stop = (
        Stop.objects.select_for_update(of=("self",))
        .select_related("ship_to__customer", "shipment__load")
        .filter(pk=stop_id)
        .first()
    )
    if stop is None:
        return None
    issued = ShipNotice.objects.filter(stop=stop).first()
    customer = stop.ship_to.customer
    if issued is not None or not customer.edi_id:
        return issued
    partner = f"{customer.edi_qualifier}:{customer.edi_id}"
    control = control_number_next(partner)
    issued = ShipNotice.objects.create(
        stop=stop,
        partner=partner,
        control_number=f"{control:09d}",
        document=ship_notice_856(ship_notice_of(stop=stop, control=control)),
    )
    _notice_sent(issued, stop, actor=None)
    return issued


def _notice_sent(
    issued: ShipNotice, stop: Stop, *, actor: AbstractBaseUser | None, resends: str = ""
) -> None:
    """`edi.sent` of an 856, with its interchange (and the control number it sends again)."""
    shipment = stop.shipment
    interchange_sent(
        issued,
        kind="856",
        partner=issued.partner,
        about=("shipment", shipment.reference, shipment.load.warehouse_id),
        told={
            "shipment": shipment.reference,
            "stop": stop.sequence,
            "customer": stop.ship_to.customer.code,
        },
        actor=actor,
        resends=resends,
    )


def shipping_advices_issue_due() -> int:
    """Issue every 945 due (`shipping_advices_due`), each in a transaction of its own;
    return how many were issued."""
    return sum(1 for order_id in shipping_advices_due() if shipping_advice_issue(order_id=order_id))


# B2A-01 as the `edi.sent` event names it.
PURPOSE_NAMES = {
    TenderPurpose.ORIGINAL: "tender",
    TenderPurpose.CHANGE: "change",
    TenderPurpose.CANCEL: "withdrawal",
}


def _tender_send(
    load: Load,
    carrier: Carrier,
    *,
    purpose: str,
    segments: list[list[str]],
    respond_by: datetime.datetime | None,
    now: datetime.datetime,
    actor: AbstractBaseUser | None = None,
    resends: str = "",
) -> LoadTender:
    """Write and keep one 204 to `carrier` under its next control number, issued `now`,
    told as `edi.sent` (with the interchange, for the webhooks and the event feed, and the
    control number it sends again, if it does)."""
    partner = f"{carrier.edi_qualifier}:{carrier.edi_id}"
    control = control_number_next(partner)
    zone = load.warehouse.zone()
    document = load_tender_204(
        carrier=carrier.code,
        load=load.reference,
        segments=segments,
        envelope=Envelope(
            sender=(settings.HANDOFF_EDI_QUALIFIER, settings.HANDOFF_EDI_ID),
            receiver=(carrier.edi_qualifier, carrier.edi_id),
            control=control,
            at=now.astimezone(datetime.UTC),
            purpose=purpose,
            respond_by=respond_by.astimezone(zone) if respond_by is not None else None,
        ),
    )
    tender = LoadTender.objects.create(
        load=load,
        carrier=carrier,
        partner=partner,
        purpose=purpose,
        control_number=f"{control:09d}",
        segments=segments,
        document=document,
        issued_at=now,
        respond_by=respond_by,
        answer=TenderAnswer.WITHDRAWN if purpose == TenderPurpose.CANCEL else TenderAnswer.PENDING,
    )
    event_record(
        type="edi.sent",
        aggregate_type="load",
        aggregate_id=load.reference,
        warehouse=load.warehouse_id,
        payload={
            "kind": "204",
            "partner": partner,
            "interchange": tender.control_number,
            "load": load.reference,
            "carrier": carrier.code,
            "purpose": PURPOSE_NAMES[purpose],
            "respond_by": respond_by,
            "document": document,
            **({"resends": resends} if resends else {}),
        },
        actor=actor,
    )
    return tender


def _respond_by(load: Load, now: datetime.datetime) -> datetime.datetime:
    """When a tender's answer is due: HANDOFF_TENDER_ANSWER_MINUTES from now, or when the
    truck's dock slot starts if that is sooner (and still ahead)."""
    by = now + datetime.timedelta(minutes=settings.HANDOFF_TENDER_ANSWER_MINUTES)
    appointment = getattr(load, "appointment", None)
    if appointment is not None and now < appointment.starts_at < by:
        return appointment.starts_at
    return by


@service
def load_tender_issue(*, load_id: int) -> list[LoadTender]:
    """Tell the carriers what they hold of the load now, in 204s, under the load's row lock:
    - a planned load on a vehicle of a carrier with an EDI ID, with a booked dock slot and a
      live order, is tendered to it (B2A 00); once tendered, a change in what the tender says
      (the slot, the stops, their orders, weight or volume, the vehicle) is sent as a change
      (04), or as a new tender (00) if the carrier had declined (a declined load is not
      offered to it again unchanged);
    - a carrier that holds a tender of the load (not declined, not withdrawn) it no longer
      has, because the load was cancelled, went to another carrier's vehicle, lost its slot
      or its orders, is told it is withdrawn (01), saying what its last tender said;
    - a load whose truck has checked in, is loading or gone is left as it is.
    Each 204 is `edi.sent`. Returns those sent (none if nothing changed)."""
    load = (
        Load.objects.select_for_update(of=("self",))
        .select_related("warehouse", "vehicle__carrier", "appointment")
        .filter(pk=load_id)
        .first()
    )
    if load is None or load.status not in (LoadStatus.PLANNED, LoadStatus.CANCELLED):
        return []
    appointment = getattr(load, "appointment", None)
    if appointment is not None and appointment.status in (
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.CHECKED_OUT,
    ):
        return []  # its truck came: what it was tendered is settled
    last: dict[int, LoadTender] = {}
    for tender in LoadTender.objects.filter(load=load).select_related("carrier").order_by("pk"):
        last[tender.carrier_id] = tender
    said = tender_of_load(load)
    carrier = load.vehicle.carrier
    now = timezone.now()
    sent = []
    for kept in last.values():
        if kept.live and (said is None or kept.carrier_id != carrier.pk):
            sent.append(
                _tender_send(
                    load,
                    kept.carrier,
                    purpose=TenderPurpose.CANCEL,
                    segments=kept.segments,
                    respond_by=None,
                    now=now,
                )
            )
    if said is None:
        return sent
    segments = tender_segments(said)
    kept = last.get(carrier.pk)
    if kept is not None and kept.purpose != TenderPurpose.CANCEL and kept.segments == segments:
        return sent  # as tendered: pending, accepted, or declined and not offered again
    sent.append(
        _tender_send(
            load,
            carrier,
            purpose=TenderPurpose.CHANGE
            if kept is not None and kept.live
            else TenderPurpose.ORIGINAL,
            segments=segments,
            respond_by=_respond_by(load, now),
            now=now,
        )
    )
    return sent


def load_tenders_issue_of(*, references: list[str]) -> int:
    """Issue the 204s due of these loads (by reference), each in a transaction of its own;
    return how many were issued."""
    return sum(len(load_tender_issue(load_id=load_id)) for load_id in loads_referenced(references))


def load_tenders_issue_due() -> int:
    """Issue every 204 due (`load_tenders_due`), each load in a transaction of its own;
    return how many were issued."""
    return sum(len(load_tender_issue(load_id=load_id)) for load_id in load_tenders_due())


@dataclass(frozen=True)
class AnswerFor:
    """A 990's answer and the tender it answers: the load's last to that carrier."""

    response: TenderResponse
    tender: LoadTender


@service
def tender_responses_record(
    *,
    interchange: Interchange,
    digest: str,
    answers: list[AnswerFor],
    actor: AbstractBaseUser | None,
) -> tuple[dict, bool]:
    """Act on a carrier's 990 interchange (`edi.received`), all of it or nothing: each answer
    accepts or declines the load's last tender to that carrier (`load.tender_accepted`,
    `load.tender_declined` with its reason, the dispatch office's alert), under the tender's
    row lock. An answer to a withdrawn tender, to one that lapsed unanswered (the load was
    passed on), or the same answer again, is skipped and said so; a tender accepted cannot then be declined by EDI (the carrier calls the office).
    Answers what was done, with the 997, and whether it is the answer already given (the
    same interchange sent again). The sender's control number is used once."""
    kept, given = _interchange_kept(interchange, digest=digest, kind="990", actor=actor)
    if given is not None:
        return given, True
    now = timezone.now()
    told = []
    warehouses = set()
    for item in answers:
        said = item.response
        tender = LoadTender.objects.select_for_update().get(pk=item.tender.pk)
        answer = TenderAnswer.ACCEPTED if said.answer == ACCEPTED else TenderAnswer.DECLINED
        skipped = ""
        if tender.purpose == TenderPurpose.CANCEL:
            skipped = _("Load %(load)s was withdrawn from %(carrier)s.") % {
                "load": said.load,
                "carrier": said.carrier,
            }
        elif tender.answer == TenderAnswer.LAPSED:
            skipped = _(
                "Tender %(control)s was not answered by %(at)s: load %(load)s went to another "
                "carrier."
            ) % {
                "control": tender.control_number,
                "at": tender.respond_by.strftime("%Y-%m-%d %H:%M UTC"),
                "load": said.load,
            }
        elif tender.answer == answer:
            skipped = _("Tender %(control)s was already %(answer)s.") % {
                "control": tender.control_number,
                "answer": tender.get_answer_display().lower(),
            }
        elif tender.answer == TenderAnswer.ACCEPTED:
            where = f"{said.where}, {said.segment.where} B104"
            raise Conflict(
                _(
                    "%(where)s: %(carrier)s accepted load %(load)s on %(at)s; to give it back, "
                    "call the dispatch office."
                )
                % {
                    "where": where,
                    "carrier": said.carrier,
                    "load": said.load,
                    "at": tender.answered_at.strftime("%Y-%m-%d %H:%M UTC"),
                },
                field=where,
                code="tender_accepted",
            )
        if not skipped:
            LoadTender.objects.filter(pk=tender.pk).update(
                answer=answer, answered_at=now, reason=said.reason
            )
            load = tender.load
            warehouses.add(load.warehouse_id)
            event_record(
                type=f"load.tender_{answer}",
                aggregate_type="load",
                aggregate_id=load.reference,
                warehouse=load.warehouse_id,
                payload={
                    "load": load.reference,
                    "carrier": said.carrier,
                    "tender": tender.control_number,
                    "reference": said.reference,
                    "reason": said.reason,
                },
                actor=actor,
            )
        told.append(
            {
                "where": said.where,
                "carrier": said.carrier,
                "load": said.load,
                "answer": said.answer,
                "tender": tender.control_number,
                "applied": not skipped,
                "skipped": skipped,
            }
        )
    answer = _interchange_answered(
        kept,
        interchange,
        told={"answers": told},
        warehouses=warehouses,
        counts={
            "accepted": sum(1 for t in told if t["applied"] and t["answer"] == ACCEPTED),
            "declined": sum(1 for t in told if t["applied"] and t["answer"] != ACCEPTED),
            "skipped": sum(1 for t in told if not t["applied"]),
        },
        at=now,
        actor=actor,
    )
    return answer, False


@dataclass(frozen=True)
class InvoiceFor:
    """A 210's invoice and the shipment it bills: the load's, of the carrier it names."""

    invoice: FreightInvoiceSaid
    shipment: Shipment


def _invoice_status(amount: Decimal, tariff: Decimal | None) -> str:
    """Approved within the tolerance of the tariff (the larger of its share and its
    amount), disputed above it, unpriced with no tariff known."""
    if tariff is None:
        return InvoiceStatus.UNPRICED
    allowed = max(
        tariff * Decimal(str(settings.HANDOFF_FREIGHT_TOLERANCE_PCT)) / 100,
        Decimal(str(settings.HANDOFF_FREIGHT_TOLERANCE_ABS)),
    )
    return InvoiceStatus.APPROVED if amount - tariff <= allowed else InvoiceStatus.DISPUTED


def _invoice_told(said: FreightInvoiceSaid, invoice: FreightInvoice, skipped: str = "") -> dict:
    """What the answer says of a 210's invoice: kept now, or skipped (and why)."""
    return {
        "where": said.where,
        "invoice": said.number,
        "load": said.load,
        "amount": str(invoice.amount),
        "tariff": str(invoice.tariff) if invoice.tariff is not None else None,
        "status": invoice.status,
        "applied": not skipped,
        "skipped": skipped,
    }


@service
def freight_invoices_record(
    *,
    interchange: Interchange,
    digest: str,
    invoices: list[InvoiceFor],
    actor: AbstractBaseUser | None,
) -> tuple[dict, bool]:
    """Keep a carrier's 210 invoices (`edi.received`), all of them or none, each checked
    against the tariff's price of its shipment's trip as the truck left
    (`Shipment.freight_cost`): approved, disputed (an alert for the office) or unpriced
    (`shipment.invoiced`, saying which and by how much). An invoice number the carrier sent
    before is skipped if it bills the same, and refuses the interchange if it bills another
    amount (a correction goes under a new number). Answers what was done, with the 997; the
    same interchange sent again gets the answer given (`replayed`)."""
    kept, given = _interchange_kept(interchange, digest=digest, kind="210", actor=actor)
    if given is not None:
        return given, True
    told = []
    warehouses = set()
    for item in invoices:
        said, shipment = item.invoice, item.shipment
        carrier = shipment.carrier
        before = FreightInvoice.objects.filter(carrier=carrier, number=said.number).first()
        if before is not None:
            if before.amount != said.amount:
                where = f"{said.where}, {said.segment.where} B302"
                raise Conflict(
                    _(
                        "%(where)s: invoice %(number)s came on %(at)s billing %(amount)s; a "
                        "correction goes under a new invoice number."
                    )
                    % {
                        "where": where,
                        "number": said.number,
                        "at": before.received_at.strftime("%Y-%m-%d"),
                        "amount": before.amount,
                    },
                    field=where,
                    code="invoiced_before",
                )
            told.append(
                _invoice_told(
                    said,
                    before,
                    _("Invoice %(number)s was received already.") % {"number": said.number},
                )
            )
            continue
        tariff = shipment.freight_cost
        status = _invoice_status(said.amount, tariff)
        invoice = FreightInvoice.objects.create(
            carrier=carrier,
            shipment=shipment,
            number=said.number,
            invoiced_on=said.invoiced_on,
            amount=said.amount,
            currency=said.currency or settings.HANDOFF_CURRENCY,
            charges=[
                {"code": c.code, "description": c.description, "amount": str(c.amount)}
                for c in said.charges
            ],
            tariff=tariff,
            status=status,
            interchange=kept,
            payable=said.amount if status == InvoiceStatus.APPROVED else None,
        )
        load = shipment.load
        warehouses.add(load.warehouse_id)
        event_record(
            type="shipment.invoiced",
            aggregate_type="shipment",
            aggregate_id=shipment.reference,
            warehouse=load.warehouse_id,
            payload={
                "shipment": shipment.reference,
                "load": load.reference,
                "carrier": carrier.code,
                "invoice": invoice.number,
                "amount": str(invoice.amount),
                "currency": invoice.currency,
                "tariff": str(tariff) if tariff is not None else None,
                "over": str(invoice.over) if invoice.over is not None else None,
                "status": status,
            },
            actor=actor,
        )
        told.append(_invoice_told(said, invoice))
    answer = _interchange_answered(
        kept,
        interchange,
        told={"invoices": told},
        warehouses=warehouses,
        counts={
            status: sum(1 for t in told if t["applied"] and t["status"] == status)
            for status in InvoiceStatus.values
        }
        | {"skipped": sum(1 for t in told if not t["applied"])},
        at=timezone.now(),
        actor=actor,
    )
    return answer, False


def edi_out_issue_due() -> int:
    """Issue every interchange due out, each in a transaction of its own: the 945s of orders
    from 940s that shipped, the 856s of stops whose customers take EDI
    (`ship_notices_due`), the 204s of loads tendered to carriers that take EDI, and the 820s
    of the payment runs due (`remittances_send_due`); return how many were issued."""
    notices = sum(1 for stop_id in ship_notices_due() if ship_notice_issue(stop_id=stop_id))
    return (
        shipping_advices_issue_due() + notices + load_tenders_issue_due() + remittances_send_due()
    )


# What a partner's 997 says of an interchange it took (A, or E: with errors noted): nothing to
# send again.
TAKEN = ("A", "E")


@dataclass(frozen=True)
class SentAgain:
    """An interchange sent again: its kind, and the control numbers it went under before
    and goes under now."""

    kind: str
    was: str
    control: str


@service
def edi_resend(*, partner: str, control: str, actor: AbstractBaseUser | None) -> SentAgain:
    """Send again an interchange Handoff sent this partner (ISA qualifier:ID) under this
    control number, which the partner's 997 rejected (R, or P: in part) or has not
    acknowledged: made anew under the partner's next control number, as `edi.sent` saying
    which it `resends`.
    - A 945, an 856 or an 820 is made from what Handoff knows now (a code mended since, say),
      under its order's, stop's or remittance's row lock; it keeps the numbers it went under before
      (`earlier`).
    - A 204 is a new tender of what the one rejected said, under its load's row lock; the
      carrier's 990 answers the new one.
    Refused, nothing written: nothing sent under that number, or sent again already (NotFound,
    naming `control`); taken by the partner's 997 (Conflict); a 204 that is no longer the
    load's last to the carrier, or whose truck has come (Conflict)."""
    acknowledged = EdiAcknowledgment.objects.filter(partner=partner, control_number=control).first()
    if acknowledged is not None and acknowledged.status in TAKEN:
        raise Conflict(
            _(
                "%(partner)s took interchange %(control)s (997 %(status)s on %(at)s): nothing "
                "to send again."
            )
            % {
                "partner": partner,
                "control": control,
                "status": acknowledged.status,
                "at": acknowledged.received_at.strftime("%Y-%m-%d %H:%M UTC"),
            },
            field="control",
            code="taken",
        )
    again = _resent(partner, control, actor)
    # The partner's 997 of what went again says under which number it went.
    EdiAcknowledgment.objects.filter(partner=partner, control_number=again.was).update(
        sent_again_as=again.control
    )
    return again


def _resent(partner: str, control: str, actor: AbstractBaseUser | None) -> SentAgain:
    """What went to the partner under this number, sent again: a 945, an 856 or a 204."""
    advice = ShippingAdvice.objects.filter(
        edi_order__partner=partner, control_number=control
    ).first()
    if advice is not None:
        return _advice_resent(advice, control, actor)
    notice = ShipNotice.objects.filter(partner=partner, control_number=control).first()
    if notice is not None:
        return _notice_resent(notice, control, actor)
    tender = LoadTender.objects.filter(partner=partner, control_number=control).first()
    if tender is not None:
        return _tender_resent(tender, actor)
    remittance = FreightRemittance.objects.filter(partner=partner, control_number=control).first()
    if remittance is not None:
        again = remittance_resent(remittance, control, actor)
        return SentAgain(kind="820", was=control, control=again.control_number)
    raise edi_not_waiting(partner, control)


def _advice_resent(advice: ShippingAdvice, was: str, actor: AbstractBaseUser | None) -> SentAgain:
    """The 945 made anew for its order, its row locked (as `shipping_advice_issue`), unless
    it went again meanwhile."""
    order = Order.objects.select_for_update(no_key=True).get(pk=advice.order_id)
    advice = ShippingAdvice.objects.select_related("edi_order__order").get(pk=advice.pk)
    if advice.control_number != was:
        raise edi_not_waiting(advice.edi_order.partner, was)
    partner = advice.edi_order.partner
    control = control_number_next(partner)
    made = shipping_advice_of(order=order, edi_order=advice.edi_order, control=control)
    if made is None:  # pragma: no cover - it was made once from the same shipped order
        raise Conflict(_("The order's shipment can no longer be told."), field="control")
    interchange_made_anew(advice, control, shipping_advice_945(made))
    _advice_sent(advice, order, actor=actor, resends=was)
    return SentAgain(kind="945", was=was, control=advice.control_number)


def _notice_resent(notice: ShipNotice, was: str, actor: AbstractBaseUser | None) -> SentAgain:
    """The 856 made anew for its stop, its row locked (as `ship_notice_issue`), unless it
    went again meanwhile."""
    stop = (
        Stop.objects.select_for_update(of=("self",))
        .select_related("ship_to__customer", "shipment__load")
        .get(pk=notice.stop_id)
    )
    notice = ShipNotice.objects.get(pk=notice.pk)
    if notice.control_number != was:
        raise edi_not_waiting(notice.partner, was)
    control = control_number_next(notice.partner)
    interchange_made_anew(
        notice, control, ship_notice_856(ship_notice_of(stop=stop, control=control))
    )
    _notice_sent(notice, stop, actor=actor, resends=was)
    return SentAgain(kind="856", was=was, control=notice.control_number)


def _tender_resent(tender: LoadTender, actor: AbstractBaseUser | None) -> SentAgain:
    """The 204 sent again as a new tender, its load's row locked (as `load_tender_issue`)."""
    load = (
        Load.objects.select_for_update(of=("self",))
        .select_related("warehouse", "appointment")
        .get(pk=tender.load_id)
    )
    newer = LoadTender.objects.filter(load=load, carrier=tender.carrier, pk__gt=tender.pk)
    if newer.exists():
        raise Conflict(
            _("Load %(load)s was tendered to %(carrier)s again since, under %(control)s.")
            % {
                "load": load.reference,
                "carrier": tender.carrier.code,
                "control": newer.order_by("-pk").first().control_number,
            },
            field="control",
            code="sent_again",
        )
    appointment = getattr(load, "appointment", None)
    if load.status not in (LoadStatus.PLANNED, LoadStatus.CANCELLED) or (
        appointment is not None
        and appointment.status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.CHECKED_OUT)
    ):
        raise Conflict(
            _("Load %(load)s is %(status)s: its truck came, and the tender stands as it was.")
            % {"load": load.reference, "status": load.get_status_display().lower()},
            field="control",
            code="truck_came",
        )
    now = timezone.now()
    sent = _tender_send(
        load,
        tender.carrier,
        purpose=tender.purpose,
        segments=tender.segments,
        respond_by=None if tender.purpose == TenderPurpose.CANCEL else _respond_by(load, now),
        now=now,
        actor=actor,
        resends=tender.control_number,
    )
    return SentAgain(kind="204", was=tender.control_number, control=sent.control_number)
