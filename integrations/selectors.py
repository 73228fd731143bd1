"""Reads of the event feed, of EDI interchanges received, and of what a 945, an 856 and a
204 say."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.models import Event, Membership, Warehouse
from integrations.edi.load_tender import Place, Tender, TenderStop
from integrations.edi.remittance import (
    HELD_BACK_AT_TARIFF,
    HELD_BACK_REFUSED,
    Remittance,
    RemittanceBill,
)
from integrations.edi.ship_notice import Notice, NoticeItem, NoticeOrder, NoticeUnit
from integrations.edi.shipping_advice import Advice, AdviceLine
from integrations.models import (
    INVOICES_OPEN,
    EdiAcknowledgment,
    EdiInterchange,
    EdiOrder,
    EdiRefusal,
    Excursion,
    FreightInvoice,
    FreightRemittance,
    InterchangeOut,
    InvoiceStatus,
    LoadTender,
    Sensor,
    SensorReading,
    ShipNotice,
    ShippingAdvice,
    TenderAnswer,
    TenderPurpose,
)
from inventory.choices import TEMPERATURE_LIMITS, TemperatureClass
from shipping.choices import (
    DONE_STOP_STATUSES,
    AppointmentStatus,
    LoadStatus,
    OrderStatus,
    ShipmentStatus,
    UnitStatus,
)
from shipping.models import HandlingUnit, HandlingUnitLine, Load, Order, Shipment, Stop
from shipping.selectors import coldest_class, delivery_notes, goods_by_order, route_from

SPLIT_DEPTH = 3  # parts of parts of an order: a split, then a backorder of a part, and one more


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
    whose offices are told. Three queries."""
    refusals = list(
        EdiRefusal.objects.filter(received_at__gte=since)
        .prefetch_related(Prefetch("warehouses", Warehouse.objects.only("pk")))
        .order_by("received_at")
    )
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
        row.update(reason=refusal.message, warehouse_ids=[w.pk for w in refusal.warehouses.all()])
    return list(failing.values())


def edi_order_of(order: Order) -> EdiOrder | None:
    """How the 940 that brought this order, or the order it was split from (up to
    SPLIT_DEPTH parts up), said it; None for an order that came another way."""
    seen = 0
    while order is not None and seen <= SPLIT_DEPTH:
        found = EdiOrder.objects.filter(order_id=order.pk).select_related("order").first()
        if found is not None or order.split_from_id is None:
            return found
        order = Order.objects.only("pk", "split_from_id").get(pk=order.split_from_id)
        seen += 1
    return None


def shipping_advices_due(*, limit: int = 500) -> list[int]:
    """The shipped orders, from a 940 or split from one (at the depths that occur), whose
    945 is not issued yet, oldest shipment first."""
    from_940 = Q(edi_order__isnull=False)
    for depth in range(1, SPLIT_DEPTH + 1):
        from_940 |= Q(**{"split_from__" * depth + "edi_order__isnull": False})
    return list(
        Order.objects.filter(
            from_940,
            status__in=(OrderStatus.SHIPPED, OrderStatus.DELIVERED),
            shipping_advice__isnull=True,
        )
        .order_by("shipped_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def shipping_advice_of(*, order: Order, edi_order: EdiOrder, control: int) -> Advice | None:
    """What the 945 of this shipped order says, under this control number: its delivery
    note's lines and units (`delivery_notes`), named as the 940 named them. None if it has
    no packed goods."""
    notes = delivery_notes(order_ids=[order.pk], warehouse_ids=[order.warehouse_id])
    if not notes:
        return None
    note = notes[0]
    order = note["order"]
    zone = order.warehouse.zone()
    shipment = order.stop.shipment if order.stop_id else None
    said = edi_order.lines
    lines = []
    for line in note["lines"]:
        named = said.get(str(line.line_no)) or {
            "qualifier": "SK",
            "product": line.item.sku,
            "unit": line.item.unit,
        }
        lines.append(
            AdviceLine(
                line_no=line.line_no,
                ordered=line.quantity,
                shipped=line.delivered,
                unit=named["unit"],
                qualifier=named["qualifier"],
                product=named["product"],
                lots=line.lots,
                ssccs=line.ssccs,
            )
        )
    shipped_at = order.shipped_at or timezone.now()
    return Advice(
        sender=tuple(edi_order.receiver.split(":", 1)),  # type: ignore[arg-type]
        receiver=tuple(edi_order.partner.split(":", 1)),  # type: ignore[arg-type]
        group_sender=edi_order.group_receiver,
        group_receiver=edi_order.group_sender,
        control=control,
        at=timezone.now().astimezone(datetime.UTC),
        depositor_order=edi_order.order.external_ref,
        purchase_order=edi_order.purchase_order,
        shipped_on=shipped_at.astimezone(zone).date(),
        shipment=shipment.reference if shipment else "",
        waybill=order.stop.waybill if order.stop_id else "",
        carrier=shipment.carrier.code if shipment else "",
        ship_from=(order.warehouse.name, order.warehouse.code),
        ship_to=(order.ship_to.name, order.ship_to.code),
        weight_kg=note["weight_kg"],
        lines=lines,
    )


def edi_of_order(order: Order) -> dict | None:
    """How an order came in EDI, for its page: the partner, the interchange and the
    purchase order of its 940 (or of the 940 of the order it was split from), and the 945
    that answered its shipment, if issued. None for an order that came another way."""
    edi_order = edi_order_of(order)
    if edi_order is None:
        return None
    return {
        "partner": edi_order.partner.split(":", 1)[-1],
        "interchange": edi_order.interchange.control_number,
        "purchase_order": edi_order.purchase_order,
        "advice": ShippingAdvice.objects.filter(order=order).first(),
    }


def sensor_of_device(device: str, warehouse_ids: Iterable[int] | None = None) -> Sensor | None:
    """The sensor of that device ID (among these warehouses' if given), with its warehouse,
    zone and truck."""
    sensors = Sensor.objects.filter(device=device)
    if warehouse_ids is not None:
        sensors = sensors.filter(warehouse_id__in=list(warehouse_ids))
    return sensors.select_related("warehouse", "zone", "vehicle").first()


def sensors_watched(*, warehouse_ids: Iterable[int]) -> list[Sensor]:
    """These warehouses' sensors, each with its open excursion (`open_excursion`, None if
    its goods are in range) and, a truck's, the shipment it is on the road with
    (`on_shipment`). Three queries."""
    sensors = list(
        Sensor.objects.filter(warehouse_id__in=list(warehouse_ids)).select_related(
            "warehouse", "zone", "vehicle"
        )
    )
    open_ = {
        e.sensor_id: e
        for e in Excursion.objects.filter(sensor__in=sensors, ended_at__isnull=True).select_related(
            "shipment"
        )
    }
    on_the_road = {
        shipment.load.vehicle_id: shipment
        for shipment in Shipment.objects.filter(
            load__vehicle_id__in=[s.vehicle_id for s in sensors if s.vehicle_id],
            status=ShipmentStatus.IN_TRANSIT,
        )
        .select_related("load")
        .order_by("departed_at")
    }
    for sensor in sensors:
        sensor.open_excursion = open_.get(sensor.pk)
        sensor.on_shipment = on_the_road.get(sensor.vehicle_id)
    return sensors


def sensor_readings(
    *, sensor: Sensor, since: datetime.datetime, limit: int = 2000
) -> list[SensorReading]:
    """The sensor's readings since then, oldest first, at most `limit` (the latest)."""
    rows = list(SensorReading.objects.filter(sensor=sensor, at__gte=since).order_by("-at")[:limit])
    return rows[::-1]


def ship_notices_due(*, limit: int = 500) -> list[int]:
    """The stops still to be reached by trucks that left, for customers with an EDI ID, whose
    856 is not issued yet, oldest departure first (a stop delivered already needs none)."""
    return list(
        Stop.objects.filter(ship_notice__isnull=True)
        .exclude(ship_to__customer__edi_id="")
        .exclude(status__in=DONE_STOP_STATUSES)
        .order_by("shipment__departed_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


# ADX-02 of an 820, by the bill's status: why less is paid than billed.
HELD_BACK_BECAUSE = {
    InvoiceStatus.SHORT_PAID: HELD_BACK_AT_TARIFF,
    InvoiceStatus.REFUSED: HELD_BACK_REFUSED,
}


def remittance_of(*, remittance: FreightRemittance, control: int) -> Remittance:
    """What the 820 of a payment run says, under this control number: to the partner that
    sent its bills' 210s, what is paid of each (nothing if refused) of what it billed, and
    why any less, with the office's note; its bills in the order they came. Two queries."""
    remittance = FreightRemittance.objects.select_related("warehouse", "carrier").get(
        pk=remittance.pk
    )
    warehouse = remittance.warehouse
    qualifier, _colon, partner_id = remittance.partner.partition(":")
    bills = remittance.bills.select_related("shipment__load").order_by("received_at", "pk")
    return Remittance(
        sender=(settings.HANDOFF_EDI_QUALIFIER, settings.HANDOFF_EDI_ID),
        receiver=(qualifier, partner_id),
        control=control,
        at=timezone.now().astimezone(datetime.UTC),
        trace=f"RA{remittance.pk:09d}",
        paid_on=remittance.paid_on,
        currency=remittance.currency,
        payer=(warehouse.name, warehouse.code),
        carrier=(remittance.carrier.name, remittance.carrier.code),
        bills=tuple(
            RemittanceBill(
                invoice=bill.number,
                invoiced_on=bill.invoiced_on,
                load=bill.shipment.load.reference,
                billed=bill.amount,
                paid=bill.payable or Decimal(0),
                held_back_because=HELD_BACK_BECAUSE.get(bill.status, ""),
                note=bill.settled_note,
            )
            for bill in bills
        ),
    )


REMITTANCE_ABOUT_MOST = 5  # bills named where a remittance is listed; the rest counted


def _bills_named(numbers: list[str]) -> str:
    """Bills by their numbers, the first `REMITTANCE_ABOUT_MOST`, and how many more."""
    more = len(numbers) - REMITTANCE_ABOUT_MOST
    return ", ".join(numbers[:REMITTANCE_ABOUT_MOST]) + (f" +{more}" if more > 0 else "")


def remittance_about(remittance: FreightRemittance) -> str:
    """The bills a remittance told of, by their numbers, as the EDI log and a 997's alert
    name them. One query."""
    bills = remittance.bills.order_by("received_at", "pk")
    return _bills_named(list(bills.values_list("number", flat=True)))


def bills_to_remit(*, warehouse_ids: Iterable[int] | None = None) -> QuerySet[FreightInvoice]:
    """The bills decided (approved as they came, or settled) that no 820 has told their
    carrier of yet, of these warehouses' loads (all, if None), each with `decided_at`
    (when it was settled, or received if approved as it came)."""
    bills = FreightInvoice.objects.filter(remittance__isnull=True).exclude(status__in=INVOICES_OPEN)
    if warehouse_ids is not None:
        bills = bills.filter(shipment__load__warehouse_id__in=list(warehouse_ids))
    return bills.annotate(decided_at=Coalesce("settled_at", "received_at"))


def ship_notice_of(*, stop: Stop, control: int) -> Notice:
    """What the 856 of a stop says, under this control number: its orders (not cancelled),
    their units with what each holds (item, quantity, lot). Three queries."""
    stop = Stop.objects.select_related(
        "ship_to__customer", "shipment__carrier", "shipment__load__warehouse"
    ).get(pk=stop.pk)
    shipment = stop.shipment
    warehouse = shipment.load.warehouse
    zone = warehouse.zone()
    orders = list(
        Order.objects.filter(stop=stop)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by("external_ref")
    )
    contents: dict[int, list[HandlingUnitLine]] = defaultdict(list)
    units: dict[int, list[HandlingUnit]] = defaultdict(list)
    for content in (
        HandlingUnitLine.objects.filter(unit__order__in=orders)
        .exclude(unit__status=UnitStatus.CANCELLED)
        .select_related("unit", "line__item", "lot")
        .order_by("unit__pk", "line__line_no", "pk")
    ):
        if not contents[content.unit_id]:
            units[content.unit.order_id].append(content.unit)
        contents[content.unit_id].append(content)
    customer = stop.ship_to.customer
    return Notice(
        sender=(settings.HANDOFF_EDI_QUALIFIER, settings.HANDOFF_EDI_ID),
        receiver=(customer.edi_qualifier, customer.edi_id),
        control=control,
        at=timezone.now().astimezone(datetime.UTC),
        number=f"{shipment.reference}-{stop.sequence}",
        left_at=shipment.departed_at.astimezone(zone),
        eta=stop.eta.astimezone(zone),
        shipment=shipment.reference,
        waybill=stop.waybill,
        carrier=shipment.carrier.code,
        ship_to=(stop.ship_to.name, stop.ship_to.code),
        ship_from=(warehouse.name, warehouse.code),
        weight_kg=sum((u.weight_kg for us in units.values() for u in us), Decimal(0)),
        orders=[
            NoticeOrder(
                reference=order.external_ref,
                units=[
                    NoticeUnit(
                        sscc=unit.sscc,
                        items=[
                            NoticeItem(
                                sku=c.line.item.sku,
                                gtin=c.line.item.gtin or "",
                                quantity=c.quantity,
                                unit=c.line.item.unit,
                                lot=c.lot.code if c.lot_id else "",
                            )
                            for c in contents[unit.pk]
                        ],
                    )
                    for unit in units[order.pk]
                ],
            )
            for order in orders
        ],
    )


def tender_of_load(load: Load) -> Tender | None:
    """What a 204 would tender of the load now (`integrations.edi.load_tender`): its
    vehicle, its dock slot, and its stops in the order the truck would drive them leaving at
    the slot's end (`route_from`), each with its orders, their weight and volume, and the
    ship-to's window on the day the truck is due there. None if it cannot be tendered: not
    planned, without a booked dock slot or a live order, or its carrier takes no EDI. The
    load comes with its warehouse, its vehicle's carrier and its appointment; three
    queries."""
    appointment = getattr(load, "appointment", None)
    if (
        load.status != LoadStatus.PLANNED
        or not load.vehicle.carrier.edi_id
        or appointment is None
        or appointment.status != AppointmentStatus.BOOKED
    ):
        return None
    orders = list(
        load.orders.exclude(status=OrderStatus.CANCELLED)
        .select_related("ship_to")
        .order_by("external_ref")
    )
    if not orders:
        return None
    warehouse = load.warehouse
    zone = warehouse.zone()
    goods = goods_by_order(orders=orders, warehouse_id=warehouse.pk)
    calls = route_from(load, [o.ship_to for o in orders], appointment.ends_at)["calls"]
    stops = []
    for call in calls:
        here = [o for o in orders if o.ship_to_id == call.ship_to.pk]
        day = call.eta.astimezone(zone).date()
        ship_to = call.ship_to
        stops.append(
            TenderStop(
                place=Place(
                    ship_to.name, ship_to.code, ship_to.address, ship_to.city, warehouse.country
                ),
                weight_kg=sum((goods[o.pk][0] for o in here if o.pk in goods), Decimal(0)),
                volume_l=sum((goods[o.pk][1] for o in here if o.pk in goods), Decimal(0)),
                orders=[o.external_ref for o in here],
                window=(
                    datetime.datetime.combine(day, ship_to.window_opens, zone),
                    datetime.datetime.combine(day, ship_to.window_closes, zone),
                ),
            )
        )
    coldest = coldest_class(g[2] for g in goods.values())
    low, high = TEMPERATURE_LIMITS[coldest]
    return Tender(
        carrier=load.vehicle.carrier.code,
        load=load.reference,
        vehicle=load.vehicle.plate,
        refrigerated=load.vehicle.temperature_class != TemperatureClass.AMBIENT,
        keep="" if coldest == TemperatureClass.AMBIENT else f"{low}..{high} C",
        pickup=Place(
            warehouse.name, warehouse.code, warehouse.address, warehouse.city, warehouse.country
        ),
        slot=(appointment.starts_at.astimezone(zone), appointment.ends_at.astimezone(zone)),
        stops=stops,
    )


def tenders_issued(
    *, warehouse_id: int, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[LoadTender]:
    """The loads of the warehouse offered to carriers (204 `00`, not changes or withdrawals)
    in [start, end), in no order: what each carrier was asked, and answered, in the range."""
    return LoadTender.objects.filter(
        load__warehouse_id=warehouse_id,
        purpose=TenderPurpose.ORIGINAL,
        issued_at__gte=start,
        issued_at__lt=end,
    ).order_by()


def invoices_of_loads(*, loads: QuerySet[Load]) -> QuerySet[FreightInvoice]:
    """The carriers' bills (X12 210) for these loads' shipments, in no order; not those the
    office refused (the carrier bills the trip again under a new number)."""
    return (
        FreightInvoice.objects.filter(shipment__load__in=loads.values("pk"))
        .exclude(status=InvoiceStatus.REFUSED)
        .order_by()
    )


def tenders_last(load_ids: Iterable[int]) -> dict[int, LoadTender]:
    """Per load: its last tender (of any purpose, to any carrier), with its load (and its
    vehicle) and carrier. One query."""
    last: dict[int, LoadTender] = {}
    tenders = LoadTender.objects.filter(load_id__in=list(load_ids)).select_related(
        "load__vehicle", "carrier"
    )
    for tender in tenders.order_by("pk"):
        last[tender.load_id] = tender
    return last


def load_tenders_due(*, limit: int = 500) -> list[int]:
    """The loads whose tenders may be due: planned ones on a vehicle of a carrier that takes
    EDI or already tendered, and cancelled ones whose last tender still stands."""
    last = LoadTender.objects.filter(load=OuterRef("pk")).order_by("-pk")
    planned = Load.objects.filter(status=LoadStatus.PLANNED).filter(
        Q(vehicle__carrier__edi_id__gt="") | Q(tenders__isnull=False)
    )
    cancelled = (
        Load.objects.filter(status=LoadStatus.CANCELLED)
        .annotate(
            last_purpose=Subquery(last.values("purpose")[:1]),
            last_answer=Subquery(last.values("answer")[:1]),
        )
        .exclude(last_purpose__isnull=True)
        .exclude(last_purpose=TenderPurpose.CANCEL)
        .exclude(last_answer=TenderAnswer.DECLINED)
    )
    ids = set(planned.values_list("pk", flat=True)[:limit])
    ids |= set(cancelled.values_list("pk", flat=True)[:limit])
    return sorted(ids)[:limit]


def loads_referenced(references: Iterable[str]) -> list[int]:
    """The ids of the loads with these references, in id order."""
    return list(
        Load.objects.filter(reference__in=list(references))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def tenders_open(
    *, warehouse_ids: Iterable[int] | None, now: datetime.datetime
) -> list[LoadTender]:
    """The last tender of each planned load of these warehouses (None: of all), to the
    carrier whose truck it is still on, that the carrier declined or has not answered by the
    time it was due: for the dispatch office's alerts, and to pass on to another carrier."""
    planned = Load.objects.filter(status=LoadStatus.PLANNED)
    if warehouse_ids is not None:
        planned = planned.filter(warehouse_id__in=list(warehouse_ids))
    last = tenders_last(planned.values_list("pk", flat=True))
    return [t for t in sorted(last.values(), key=lambda t: t.pk) if tender_open(t, now)]


def tender_open(tender: LoadTender, now: datetime.datetime) -> bool:
    """Whether a load's last tender (with its load and vehicle read) is one its carrier,
    whose truck the load is still on, declined or has not answered by the time it was due."""
    return (
        tender.purpose != TenderPurpose.CANCEL
        and tender.current
        and (
            tender.answer == TenderAnswer.DECLINED
            or (
                tender.answer == TenderAnswer.PENDING
                and tender.respond_by is not None
                and tender.respond_by <= now
            )
        )
    )


def tenders_passed(load_ids: Iterable[int]) -> dict[int, list[LoadTender]]:
    """Per load: the tenders of it that their carriers declined or let lapse unanswered
    (`TenderAnswer.LAPSED`), first first, each with its carrier: the carriers a routing
    guide does not offer the load again. One query."""
    passed: dict[int, list[LoadTender]] = defaultdict(list)
    tenders = LoadTender.objects.filter(
        load_id__in=list(load_ids), answer__in=(TenderAnswer.DECLINED, TenderAnswer.LAPSED)
    ).select_related("carrier")
    for tender in tenders.order_by("pk"):
        passed[tender.load_id].append(tender)
    return dict(passed)


def tender_to_answer(*, load: str, carrier: str, warehouse_ids: Iterable[int]) -> LoadTender | None:
    """The tender a carrier's 990 answers: the last one to the carrier with this code of the
    load with this reference, in these warehouses (None if none), with its load."""
    return (
        LoadTender.objects.filter(
            load__reference=load,
            load__warehouse_id__in=list(warehouse_ids),
            carrier__code=carrier,
        )
        .select_related("load")
        .order_by("-pk")
        .first()
    )


def load_tender_last(load: Load, *, control: str = "") -> LoadTender | None:
    """The last 204 sent about the load, or the one under this control number (ISA13)."""
    tenders = LoadTender.objects.filter(load=load).order_by("-pk")
    if control:
        tenders = tenders.filter(control_number=control)
    return tenders.first()


def _sent_under(control: str) -> Q:
    """A 945, an 856 or an 820 under this control number now, or before it was sent again."""
    return Q(control_number=control) | Q(earlier__icontains=f'"{control}"')


@dataclass(frozen=True)
class Sent:
    """An interchange Handoff sent a partner: its kind (945, 856, 820, 204), the warehouse it
    is of, what it was about (an order's, a stop's or a load's reference, a bill's number),
    and the control number it went under since, sent again (`edi_resend`), or ""."""

    kind: str
    warehouse_id: int | None
    about: str
    again_as: str = ""


def edi_sent(*, partner: str, control: str) -> Sent | None:
    """What Handoff sent this partner under this control number (a 945, an 856 or an 820 sent
    again since too; a 204 followed by the same tender again), None if nothing. Five queries
    at most."""
    advice = (
        ShippingAdvice.objects.filter(_sent_under(control), edi_order__partner=partner)
        .select_related("order")
        .first()
    )
    if advice is not None:
        order = advice.order
        again = advice.control_number if advice.control_number != control else ""
        return Sent("945", order.warehouse_id, order.external_ref, again)
    notice = (
        ShipNotice.objects.filter(_sent_under(control), partner=partner)
        .select_related("stop__shipment__load")
        .first()
    )
    if notice is not None:
        shipment = notice.stop.shipment
        again = notice.control_number if notice.control_number != control else ""
        about = f"{shipment.reference}/{notice.stop.sequence}"
        return Sent("856", shipment.load.warehouse_id, about, again)
    remittance = FreightRemittance.objects.filter(_sent_under(control), partner=partner).first()
    if remittance is not None:
        again = remittance.control_number if remittance.control_number != control else ""
        return Sent("820", remittance.warehouse_id, remittance_about(remittance), again)
    tender = (
        LoadTender.objects.filter(partner=partner, control_number=control)
        .select_related("load")
        .first()
    )
    if tender is None:
        return None
    later = (
        LoadTender.objects.filter(
            load_id=tender.load_id, carrier_id=tender.carrier_id, pk__gt=tender.pk
        )
        .order_by("pk")
        .first()
    )
    # The same tender again, not a change or a withdrawal since.
    same = later is not None and (later.purpose, later.segments) == (
        tender.purpose,
        tender.segments,
    )
    again = later.control_number if same and later is not None else ""
    return Sent("204", tender.load.warehouse_id, tender.load.reference, again)


def edi_not_waiting(partner: str, control: str) -> NotFound:
    """The refusal of sending again what nothing waits to send again under this number."""
    return NotFound(
        _(
            "Nothing sent to %(partner)s under control number %(control)s is waiting to be "
            "sent again: nothing went under it, or it went again under a newer one."
        )
        % {"partner": partner, "control": control},
        field="control",
    )


def edi_resend_warehouse(*, partner: str, control: str) -> int:
    """The warehouse of what Handoff sent the partner under this control number, for the
    caller to check who may send it again (`edi_resend`); `edi_not_waiting` if nothing went
    under it, or it went again under a newer one."""
    found = edi_sent(partner=partner, control=control)
    if found is None or found.warehouse_id is None:
        raise edi_not_waiting(partner, control)
    return found.warehouse_id


# How long a bill to settle keeps its alert up: a bill is settled within a month.
INVOICE_OPEN_FOR = datetime.timedelta(days=30)


def invoices_to_settle(
    *, warehouse_ids: Iterable[int], now: datetime.datetime
) -> list[FreightInvoice]:
    """The carriers' invoices (X12 210) of these warehouses' loads that the office has still
    to settle, received within `INVOICE_OPEN_FOR`: billed above their tariff beyond the
    tolerance (disputed), or with no tariff to check them by (unpriced); each with its
    carrier and its shipment's load."""
    return list(
        FreightInvoice.objects.filter(
            status__in=INVOICES_OPEN,
            shipment__load__warehouse_id__in=list(warehouse_ids),
            received_at__gte=now - INVOICE_OPEN_FOR,
        )
        .select_related("carrier", "shipment__load")
        .order_by("pk")
    )


FREIGHT_BILLS_LIMIT = 200  # the freight bills page's rows, at most


def freight_bills(
    *, warehouse_ids: Iterable[int], open_only: bool, find: str = ""
) -> list[FreightInvoice]:
    """The carriers' bills (X12 210) of these warehouses' loads, newest first, the last
    `FREIGHT_BILLS_LIMIT`: only those still to settle (disputed, unpriced) if `open_only`;
    those whose invoice number, load or carrier holds `find`. Each with its carrier, its
    shipment's load and warehouse, who settled it, and the 820 that told the carrier."""
    bills = FreightInvoice.objects.filter(shipment__load__warehouse_id__in=list(warehouse_ids))
    if open_only:
        bills = bills.filter(status__in=INVOICES_OPEN)
    if find:
        bills = bills.filter(
            Q(number__icontains=find)
            | Q(shipment__load__reference__icontains=find)
            | Q(carrier__code__icontains=find)
            | Q(carrier__name__icontains=find)
        )
    return list(
        bills.select_related(
            "carrier", "shipment__load__warehouse", "settled_by", "remittance"
        ).order_by("-received_at", "-pk")[:FREIGHT_BILLS_LIMIT]
    )


def bills_waiting_for_run(*, warehouse_ids: Iterable[int] | None = None) -> list[dict]:
    """Per warehouse of these (all, if None) with bills decided that no 820 has told yet (by
    code): its `warehouse_id`, `warehouse` code, how many bills wait (`bills`), what they
    pay in all (`payable`) and when the first of them was decided (`first_decided`). One
    query."""
    return list(
        bills_to_remit(warehouse_ids=warehouse_ids)
        .values(
            warehouse_id=F("shipment__load__warehouse_id"),
            warehouse=F("shipment__load__warehouse__code"),
        )
        .annotate(bills=Count("pk"), payable=Sum("payable"), first_decided=Min("decided_at"))
        .order_by("warehouse")
    )


def freight_bills_open(*, warehouse_ids: Iterable[int]) -> int:
    """How many of these warehouses' carriers' bills the office has still to settle."""
    return FreightInvoice.objects.filter(
        shipment__load__warehouse_id__in=list(warehouse_ids), status__in=INVOICES_OPEN
    ).count()


def edi_rejections(*, since: datetime.datetime) -> QuerySet[EdiAcknowledgment]:
    """Interchanges Handoff sent that their partners rejected (997 AK9 R) since then, and
    that were not sent again since."""
    return EdiAcknowledgment.objects.filter(
        status="R", received_at__gte=since, sent_again_as=""
    ).order_by("pk")


EDI_LOG_LIMIT = 200  # the EDI log's rows, at most


def edi_traffic(
    *,
    warehouse_ids: Iterable[int],
    partner: str = "",
    control: str = "",
    before: datetime.datetime | None = None,
    limit: int = EDI_LOG_LIMIT,
) -> list[dict]:
    """The interchanges of these warehouses, newest first (`limit` at most): each received
    (its kind, what was done) or refused (why), each sent (a 945, an 856, a 204, an 820) with
    what the partner's 997 said of it, and a 204's answer. `partner` narrows them to the partners
    whose EDI ID holds it, `control` to the control numbers holding it, `before` to those
    received or sent before then. An interchange received is of the warehouses what it said was of
    (`EdiInterchange.warehouses`; one that touched none, of those its sender's account
    works at); one refused, of the warehouses told of it; one sent, of its order's, stop's
    or load's, or its bill's load's. Each chosen by the database, so another warehouse's
    traffic, however much, hides none of these. Eight queries at most."""
    ids = sorted(set(warehouse_ids))
    text = partner.strip().upper()
    number = control.strip()
    rows: list[dict] = []

    def narrowed(queryset: QuerySet, at: str, by: str) -> QuerySet:
        """The queryset narrowed to the partner (its field `by`), control number (one it
        went under before, too, for one sent again) and time (its field `at`) asked for."""
        if text:
            queryset = queryset.filter(**{f"{by}__icontains": text})
        if number:
            went_under = Q(control_number__contains=number)
            if issubclass(queryset.model, InterchangeOut):
                went_under |= Q(earlier__icontains=number)  # rows told apart below
            queryset = queryset.filter(went_under)
        if before is not None:
            queryset = queryset.filter(**{f"{at}__lt": before})
        return queryset

    of_interchange = EdiInterchange.warehouses.through.objects.filter(
        ediinterchange_id=OuterRef("pk")
    )
    received = EdiInterchange.objects.filter(
        Exists(of_interchange.filter(warehouse_id__in=ids))
        | (
            ~Exists(of_interchange)
            & Exists(
                Membership.objects.filter(user_id=OuterRef("received_by_id"), warehouse_id__in=ids)
            )
        )
    ).order_by("-pk")
    for kept in narrowed(received, "received_at", "sender")[:limit]:
        answer = kept.answer or {}
        rows.append(
            {
                "direction": "in",
                "at": kept.received_at,
                "partner": kept.sender,
                "kind": kept.kind,
                "control": kept.control_number,
                "about": ", ".join(
                    str(t.get("reference") or t.get("load") or t.get("waybill") or "")
                    for told in ("orders", "receipts", "answers", "statuses", "invoices")
                    for t in answer.get(told, [])[:5]
                ),
                "status": "taken",
                "note": "",
                "link": "",
            }
        )
    refused = EdiRefusal.objects.filter(
        Exists(
            EdiRefusal.warehouses.through.objects.filter(
                edirefusal_id=OuterRef("pk"), warehouse_id__in=ids
            )
        )
    ).order_by("-pk")
    for refusal in narrowed(refused, "received_at", "sender")[:limit]:
        rows.append(
            {
                "direction": "in",
                "at": refusal.received_at,
                "partner": refusal.sender,
                "kind": refusal.kind,
                "control": refusal.control_number,
                "about": "",
                "status": "refused",
                "note": refusal.message,
                "link": "",
            }
        )
    out: list[dict] = []

    def sent(
        partner_id: str, control: str, kind: str, at, about: str, link: str, note: str = ""
    ) -> dict:  # type: ignore[no-untyped-def]
        row = {
            "direction": "out",
            "at": at,
            "partner": partner_id,
            "kind": kind,
            "control": control,
            "about": about,
            "status": "sent",
            "note": note,
            "link": link,
        }
        out.append(row)
        return row

    def sent_before(  # type: ignore[no-untyped-def]
        kept: InterchangeOut,
        partner_id: str,
        kind: str,
        about: str,
    ):
        """The rows of the numbers a 945, an 856 or an 820 went under before it went again."""
        for earlier in kept.earlier:
            sent(
                partner_id,
                earlier["control"],
                kind,
                datetime.datetime.fromisoformat(earlier["issued_at"]),
                about,
                "",
            )

    advices = ShippingAdvice.objects.filter(order__warehouse_id__in=ids).select_related(
        "order", "edi_order"
    )
    notices = ShipNotice.objects.filter(stop__shipment__load__warehouse_id__in=ids).select_related(
        "stop__shipment"
    )
    tenders = LoadTender.objects.filter(load__warehouse_id__in=ids).select_related("load")
    remittances = FreightRemittance.objects.filter(warehouse_id__in=ids).prefetch_related(
        Prefetch(
            "bills",
            FreightInvoice.objects.order_by("received_at", "pk").only(
                "pk", "number", "remittance_id", "received_at"
            ),
        )
    )
    advices = narrowed(advices, "issued_at", "edi_order__partner")
    notices = narrowed(notices, "issued_at", "partner")
    tenders = narrowed(tenders, "issued_at", "partner")
    remittances = narrowed(remittances, "issued_at", "partner")
    for advice in advices.order_by("-pk")[:limit]:
        sent(
            advice.edi_order.partner,
            advice.control_number,
            "945",
            advice.issued_at,
            advice.order.external_ref,
            f"/api/v1/orders/{advice.order_id}/edi/945/",
        )
        sent_before(advice, advice.edi_order.partner, "945", advice.order.external_ref)
    for notice in notices.order_by("-pk")[:limit]:
        stop = notice.stop
        about = f"{stop.shipment.reference}/{stop.sequence}"
        sent(
            notice.partner,
            notice.control_number,
            "856",
            notice.issued_at,
            about,
            f"/api/v1/shipments/{stop.shipment_id}/stops/{stop.sequence}/edi/856/",
        )
        sent_before(notice, notice.partner, "856", about)
    for tender in tenders.order_by("-pk")[:limit]:
        sent(
            tender.partner,
            tender.control_number,
            "204",
            tender.issued_at,
            tender.load.reference,
            f"/api/v1/loads/{tender.load_id}/edi/204/?control={tender.control_number}",
            note=tender.reason,
        )["answer"] = tender.answer
    for remittance in remittances.order_by("-pk")[:limit]:
        bills = list(remittance.bills.all())
        about = _bills_named([bill.number for bill in bills])
        sent(
            remittance.partner,
            remittance.control_number,
            "820",
            remittance.issued_at,
            about,
            f"/api/v1/freight-invoices/{bills[0].pk}/edi/820/" if bills else "",
        )
        sent_before(remittance, remittance.partner, "820", about)
    # What the partners' 997s said of those sent: one query, for the numbers shown.
    acks = EdiAcknowledgment.objects.filter(
        warehouse_id__in=ids, control_number__in={row["control"] for row in out}
    )
    said = {(a.partner, a.control_number): a for a in acks}
    for row in out:
        ack = said.get((row["partner"], row["control"]))
        if ack is not None:
            row["status"] = f"997 {ack.status}"
            row["note"] = row["note"] or ", ".join(ack.errors)
            row["sent_again_as"] = ack.sent_again_as
    rows += [  # the numbers a resent one went under before, narrowed too
        row for row in out if number in row["control"] and (before is None or row["at"] < before)
    ]
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows[:limit]


def zone_excursion_latest(zone_id: int) -> Excursion | None:
    """The latest excursion of a sensor of the zone (open, or the last one ended), with its
    sensor; None if it never had one. One query."""
    return (
        Excursion.objects.filter(sensor__zone_id=zone_id)
        .select_related("sensor")
        .order_by("-started_at", "-pk")
        .first()
    )
