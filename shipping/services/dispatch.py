"""From picked goods to proof of delivery: pack (SSCC), stage, load, depart, track, deliver."""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.gs1 import sscc_build, sscc_scanned
from inventory.choices import ZoneKind
from inventory.locks import lots_held_locked
from inventory.models import Item, Location, Lot, Receipt
from inventory.services import (
    putaway_task_create,
    quantity_check,
    receipt_create,
    stock_move,
    stock_ship,
)
from shipping.choices import (
    DONE_STOP_STATUSES,
    AppointmentStatus,
    LoadStatus,
    OrderStatus,
    ShipmentStatus,
    StopStatus,
    TrackingStatus,
    UnitStatus,
)
from shipping.models import (
    Customer,
    DockAppointment,
    HandlingUnit,
    HandlingUnitLine,
    Load,
    Order,
    OrderLine,
    Shipment,
    Stop,
    TrackingEvent,
)
from shipping.routing import (
    UNLOADING_MINUTES,
    calls_timed,
    km_driven,
    network_calls,
    route_plan,
)
from shipping.selectors import goods_unpacked, load_fill, stop_return_reference, stops_shipped
from shipping.services.orders import load_locked, order_transition_check
from shipping.services.serials import serial_next
from shipping.tariffs import currency, trip_cost

PHOTO_MAX_BYTES = 8 * 1024 * 1024  # a proof-of-delivery photo, at most
# A tracking event's delay, in minutes: a day early at most, a week late at most.
DELAY_MINUTES = (-24 * 60, 7 * 24 * 60)


def _event(type: str, aggregate: str, key: str, warehouse_id: int, payload: dict, actor) -> None:  # type: ignore[no-untyped-def]
    event_record(
        type=type,
        aggregate_type=aggregate,
        aggregate_id=key,
        warehouse=warehouse_id,
        payload=payload,
        actor=actor,
    )


def sscc_next() -> str:
    """The next SSCC of the company prefix in settings (serial handed out under a row lock)."""
    return sscc_build(
        extension=0, company_prefix=settings.GS1_COMPANY_PREFIX, serial=serial_next("sscc")
    )


@service
def unit_pack(
    *,
    order: Order,
    contents: Sequence[tuple[OrderLine, int]] | None,
    actor: AbstractBaseUser | None,
) -> HandlingUnit:
    """Pack picked goods of an order into a handling unit with a new SSCC (`unit.packed`).

    `contents` None packs everything picked and not yet packed. The goods must be picked and
    lie at one drop location. When all the order's picked goods are packed, the order is
    packed. Goods of a lot on hold are not packed (409 `lot_held`, naming the lot and why):
    they are taken back out of the order first (`order_lot_pull`); the lots are read under a
    share lock, so a hold being put on meanwhile is waited for, and seen.
    """
    order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
    if order.status not in (OrderStatus.PICKED, OrderStatus.PACKED):
        raise Conflict(
            _("Order %(order)s is %(status)s; pack it once it is picked.")
            % {"order": order.external_ref, "status": order.get_status_display()}
        )
    open_goods = goods_unpacked(
        lines=order.lines.all(), units=order.units.prefetch_related("lines")
    )
    wanted: list[tuple[int, int | None, int, int]] = []
    if contents is None:
        wanted = [(line, lot, loc, q) for (line, lot, loc), q in open_goods.items()]
    else:
        for index, (line, quantity) in enumerate(contents):
            if line.order_id != order.pk:
                raise DomainError(
                    _("That line is of another order."), field=f"contents[{index}].line"
                )
            quantity_check(quantity, field=f"contents[{index}].quantity")
            still = quantity
            for (line_id, lot, loc), have in open_goods.items():
                if line_id == line.pk and still:
                    take = min(have, still)
                    wanted.append((line.pk, lot, loc, take))
                    still -= take
            if still:
                raise DomainError(
                    _("Line %(line)s: only %(quantity)s picked and not yet packed.")
                    % {"line": line.line_no, "quantity": quantity - still},
                    field=f"contents[{index}].quantity",
                )
    if not wanted:
        raise Conflict(
            _("Order %(order)s has nothing picked left to pack.") % {"order": order.external_ref}
        )
    held = lots_held_locked(lot for _, lot, _, _ in wanted if lot is not None)
    if held:
        raise Conflict(
            _(
                "Goods of lot(s) %(lots)s picked for %(order)s are on hold: take them back out "
                "of the order first (on the lot's page)."
            )
            % {
                "lots": ", ".join(
                    f"{lot.code} {lot.item.sku} ({lot.hold_reason})"
                    for lot in Lot.objects.filter(pk__in=held).select_related("item").order_by("pk")
                ),
                "order": order.external_ref,
            },
            field="contents",
            code="lot_held",
        )
    locations = {loc for _, _, loc, _ in wanted}
    if len(locations) > 1:
        raise DomainError(_("Pack goods of one drop location per unit."), field="contents")
    lines = {line.pk: line for line in order.lines.select_related("item")}
    weight = sum((lines[line_id].item.weight_kg * q for line_id, _, _, q in wanted), Decimal(0))
    unit = HandlingUnit.objects.create(
        sscc=sscc_next(),
        order=order,
        warehouse_id=order.warehouse_id,
        location_id=locations.pop(),
        weight_kg=weight,
    )
    HandlingUnitLine.objects.bulk_create(
        HandlingUnitLine(unit=unit, line_id=line_id, lot_id=lot, quantity=q)
        for line_id, lot, _, q in wanted
    )
    if (
        sum(open_goods.values()) == sum(q for *_, q in wanted)
        and order.status == OrderStatus.PICKED
    ):
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.PACKED)
    _event(
        "unit.packed",
        "order",
        order.external_ref,
        order.warehouse_id,
        {
            "order": order.pk,
            "sscc": unit.sscc,
            "weight_kg": weight,
            "lines": [{"line": lines[i].line_no, "quantity": q} for i, _, _, q in wanted],
        },
        actor,
    )
    return unit


@service
def unit_stage(
    *, unit: HandlingUnit, lane: Location, actor: AbstractBaseUser | None
) -> HandlingUnit:
    """Bring a unit to a staging or dock lane (`unit.staged`); its stock moves in the ledger."""
    unit = HandlingUnit.objects.select_for_update().get(pk=unit.pk)
    if unit.status not in (UnitStatus.PACKED, UnitStatus.STAGED):
        raise Conflict(
            _("Unit %(sscc)s is %(status)s.")
            % {"sscc": unit.sscc, "status": unit.get_status_display()}
        )
    if lane.warehouse_id != unit.warehouse_id or lane.zone.kind not in (
        ZoneKind.STAGING,
        ZoneKind.DOCK,
    ):
        raise DomainError(
            _("%(lane)s is not a staging or dock lane here.") % {"lane": lane.barcode},
            field="lane",
        )
    if lane.pk != unit.location_id:
        for content in unit.lines.select_related("line__item", "lot"):
            stock_move(
                item=content.line.item,
                lot=content.lot,
                from_location=unit.location,
                to_location=lane,
                quantity=content.quantity,
                actor=actor,
                reference=content.line.reference,
            )
    HandlingUnit.objects.filter(pk=unit.pk).update(location=lane, status=UnitStatus.STAGED)
    unit.refresh_from_db()
    order = unit.order
    if (
        order.status == OrderStatus.PACKED
        and not order.units.exclude(status__in=(UnitStatus.STAGED, UnitStatus.CANCELLED)).exists()
    ):
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.STAGED)
    _event(
        "load.staged" if order.load_id else "unit.staged",
        "order",
        order.external_ref,
        unit.warehouse_id,
        {"order": order.pk, "sscc": unit.sscc, "lane": lane.barcode},
        actor,
    )
    return unit


def _load_open_locked(load: Load) -> Load:
    """The load again, locked, with its warehouse and vehicle, while units still go on and
    off it (planned or loading); else Conflict naming its status."""
    load = load_locked(load.pk, "warehouse", "vehicle__carrier")
    if load.status not in (LoadStatus.PLANNED, LoadStatus.LOADING):
        raise Conflict(
            _("Load %(load)s is %(status)s.")
            % {"load": load.reference, "status": load.get_status_display()}
        )
    return load


def _truck_at_the_dock_check(load: Load) -> None:
    """Raise Conflict if the load's truck has a dock appointment and has not checked in at
    the gate: goods go onto a truck that is there, and its dwell is measured from check-in."""
    appointment = DockAppointment.objects.filter(load=load).select_related("dock").first()
    if appointment is not None and appointment.status == AppointmentStatus.BOOKED:
        raise Conflict(
            _("Truck %(vehicle)s has not checked in for dock %(dock)s: check it in first.")
            % {"vehicle": load.vehicle.plate, "dock": appointment.dock.code},
            field="load",
            code="truck_not_in",
        )


@service
def load_scan(*, load: Load, sscc: str, actor: AbstractBaseUser | None) -> HandlingUnit:
    """Scan a unit onto the vehicle (`unit.loaded`). A unit of another load, of a cancelled
    order or not yet packed is refused, and so is any while the truck has not checked in for
    its dock appointment."""
    load = _load_open_locked(load)
    _truck_at_the_dock_check(load)
    unit = HandlingUnit.objects.select_for_update().filter(sscc=sscc_scanned(sscc)).first()
    if unit is None:
        raise DomainError(_("Unknown SSCC %(sscc)s.") % {"sscc": sscc}, field="sscc")
    order = unit.order
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(
            _("Unit %(sscc)s is of cancelled order %(order)s.")
            % {"sscc": unit.sscc, "order": order.external_ref},
            field="sscc",
        )
    if order.load_id != load.pk:
        raise DomainError(
            _("Unit %(sscc)s belongs to order %(order)s, not on load %(load)s.")
            % {"sscc": unit.sscc, "order": order.external_ref, "load": load.reference},
            field="sscc",
            code="wrong_load",
        )
    if unit.status == UnitStatus.LOADED:
        raise Conflict(_("Unit %(sscc)s is already loaded.") % {"sscc": unit.sscc}, field="sscc")
    if unit.status != UnitStatus.STAGED:
        raise Conflict(
            _("Unit %(sscc)s is %(status)s; stage it first.")
            % {"sscc": unit.sscc, "status": unit.get_status_display()},
            field="sscc",
        )
    now = timezone.now()
    HandlingUnit.objects.filter(pk=unit.pk).update(
        load=load, status=UnitStatus.LOADED, loaded_at=now
    )
    Load.objects.filter(pk=load.pk).update(status=LoadStatus.LOADING)
    if (
        order.status == OrderStatus.STAGED
        and not order.units.exclude(status__in=(UnitStatus.LOADED, UnitStatus.CANCELLED)).exists()
    ):
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.LOADED)
    unit.refresh_from_db()
    _event(
        "unit.loaded",
        "load",
        load.reference,
        load.warehouse_id,
        {"load": load.reference, "sscc": unit.sscc, "order": order.external_ref},
        actor,
    )
    return unit


@service
def unit_unload(*, load: Load, sscc: str, actor: AbstractBaseUser | None) -> HandlingUnit:
    """Take a unit off the truck back to its lane (`unit.unloaded`): a unit loaded by
    mistake, one of an order cancelled after it went on, or one that does not fit. Its order,
    if loaded, is staged again; a unit of a cancelled order is broken down and its goods get
    a putaway task back to stock. A load with nothing left on it is planned again."""
    load = _load_open_locked(load)
    unit = (
        HandlingUnit.objects.select_for_update(of=("self",))
        .select_related("order")
        .filter(sscc=sscc_scanned(sscc))
        .first()
    )
    if unit is None:
        raise DomainError(_("Unknown SSCC %(sscc)s.") % {"sscc": sscc}, field="sscc")
    if unit.load_id != load.pk or unit.status != UnitStatus.LOADED:
        raise DomainError(
            _("Unit %(sscc)s is not on %(load)s.") % {"sscc": unit.sscc, "load": load.reference},
            field="sscc",
            code="not_on_load",
        )
    order = unit.order
    cancelled = order.status == OrderStatus.CANCELLED
    HandlingUnit.objects.filter(pk=unit.pk).update(
        load=None,
        status=UnitStatus.CANCELLED if cancelled else UnitStatus.STAGED,
        loaded_at=None,
    )
    put_back = []
    if cancelled:
        for content in unit.lines.select_related("line"):
            task = putaway_task_create(
                item_id=content.line.item_id,
                lot_id=content.lot_id,
                location_id=unit.location_id,
                quantity=content.quantity,
                reference=content.line.reference,
                actor=actor,
            )
            put_back.append({"task": task.pk, "quantity": content.quantity})
    if order.status == OrderStatus.LOADED:
        order_transition_check(order, OrderStatus.STAGED)
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.STAGED)
    if not HandlingUnit.objects.filter(load=load, status=UnitStatus.LOADED).exists():
        Load.objects.filter(pk=load.pk).update(status=LoadStatus.PLANNED)
    unit.refresh_from_db()
    _event(
        "unit.unloaded",
        "load",
        load.reference,
        load.warehouse_id,
        {
            "load": load.reference,
            "sscc": unit.sscc,
            "order": order.external_ref,
            "put_back": put_back,
        },
        actor,
    )
    return unit


def _no_held_lot_check(load: Load) -> None:
    """Refuse (409 `lot_held`) a departure with a unit holding a lot on hold, naming the
    units, the lots and why they are held. The lots on the truck are read under a share lock,
    so a hold being put on meanwhile is waited for, and seen."""
    on_board = HandlingUnitLine.objects.filter(unit__load=load, lot__isnull=False)
    held_lots = lots_held_locked(on_board.values_list("lot_id", flat=True))
    if not held_lots:
        return
    held = list(
        on_board.filter(lot_id__in=held_lots)
        .select_related("unit", "lot__item")
        .order_by("unit__sscc", "lot_id")
    )
    lots = {f"{c.lot.item.sku} {c.lot.code} ({c.lot.hold_reason})" for c in held}
    raise Conflict(
        _(
            "Units %(units)s hold lots on hold: %(lots)s. Take them off and take the lots "
            "back out of their orders, or lift the hold."
        )
        % {
            "units": ", ".join(dict.fromkeys(c.unit.sscc for c in held)),
            "lots": "; ".join(sorted(lots)),
        },
        field="units",
        code="lot_held",
    )


@service
def load_depart(
    *, load: Load, actor: AbstractBaseUser | None, at: datetime.datetime | None = None
) -> Shipment:
    """The truck leaves (`load.departed`): every unit must be scanned on, and a truck with a
    dock appointment must have checked in (it checks out now); stock leaves the ledger;
    orders are shipped; a shipment with its stops and planned ETAs begins: on the truck's
    route, or through its carrier's network (each stop on the day it delivers there; the
    truck is then free)."""
    load = _load_open_locked(load)
    _truck_at_the_dock_check(load)
    orders = list(
        load.orders.select_for_update(of=("self",), no_key=True).select_related("ship_to")
    )
    live = [o for o in orders if o.status != OrderStatus.CANCELLED]
    if not live:
        raise DomainError(_("The load has no orders to ship."), field="orders")
    cancelled_units = HandlingUnit.objects.filter(load=load, order__status=OrderStatus.CANCELLED)
    if cancelled_units.exists():
        raise Conflict(
            _("Units of cancelled orders are on the truck: %(units)s; take them off.")
            % {"units": ", ".join(cancelled_units.values_list("sscc", flat=True))},
            field="units",
        )
    _no_held_lot_check(load)
    for order in live:
        if order.status != OrderStatus.LOADED:
            unscanned = list(
                order.units.exclude(
                    status__in=(UnitStatus.LOADED, UnitStatus.CANCELLED)
                ).values_list("sscc", flat=True)
            )
            what = (
                _("unscanned units %(units)s") % {"units": ", ".join(unscanned)}
                if unscanned
                else _("it is %(status)s") % {"status": order.get_status_display()}
            )
            raise Conflict(
                _("Order %(order)s is not loaded: %(what)s.")
                % {"order": order.external_ref, "what": what},
                field="units",
                code="not_loaded",
            )
    now = at or timezone.now()
    for unit in HandlingUnit.objects.filter(load=load).select_related("location"):
        for content in unit.lines.select_related("line__item", "lot"):
            stock_ship(
                item=content.line.item,
                lot=content.lot,
                location=unit.location,
                quantity=content.quantity,
                reference=content.line.reference,
                actor=actor,
            )
    fill = load_fill(load)
    HandlingUnit.objects.filter(load=load).update(status=UnitStatus.SHIPPED)
    Load.objects.filter(pk=load.pk).update(
        status=LoadStatus.DEPARTED,
        departed_at=now,
        weight_fill_pct=fill.weight_pct,
        volume_fill_pct=fill.volume_pct,
    )
    origin = (load.warehouse.latitude, load.warehouse.longitude)
    network = load.vehicle.network
    route = route_plan(
        origin=origin,
        at=now,
        ship_tos=[o.ship_to for o in live],
        zone=load.warehouse.zone(),
        network=network,
    )
    km = km_driven(origin=origin, calls=route, network=network)
    shipment = Shipment.objects.create(
        load=load,
        reference=f"SH-{load.reference}"[:32],
        carrier_id=load.vehicle.carrier_id,
        departed_at=now,
        km_planned=Decimal(str(round(km, 1))),
        freight_cost=trip_cost(load.vehicle, km=km, stops=len(route), kg=fill.weight_kg),
    )
    stops = [
        Stop.objects.create(
            shipment=shipment, sequence=n, ship_to=call.ship_to, planned_eta=call.eta, eta=call.eta
        )
        for n, call in enumerate(route, start=1)
    ]
    by_ship_to = {s.ship_to_id: s for s in stops}
    for order in live:
        order_transition_check(order, OrderStatus.SHIPPED)
        Order.objects.filter(pk=order.pk).update(
            status=OrderStatus.SHIPPED, shipped_at=now, stop=by_ship_to[order.ship_to_id]
        )
        _event(
            "order.shipped",
            "order",
            order.external_ref,
            load.warehouse_id,
            {"order": order.pk, "shipment": shipment.reference, "at": now},
            actor,
        )
    appointment = getattr(load, "appointment", None)
    if appointment is not None and appointment.status == AppointmentStatus.CHECKED_IN:
        from shipping.services.dock import vehicle_check_out

        vehicle_check_out(appointment=appointment, at=now, actor=actor)
    TrackingEvent.objects.create(
        shipment=shipment, status=TrackingStatus.DEPARTED, at=now, place=load.warehouse.city
    )
    _event(
        "load.departed",
        "load",
        load.reference,
        load.warehouse_id,
        {
            "load": load.reference,
            "shipment": shipment.reference,
            "vehicle": load.vehicle.plate,
            "at": now,
            "km_planned": shipment.km_planned,
            "freight_cost": shipment.freight_cost,
            "currency": currency(),
            "stops": [
                {
                    "sequence": n,
                    "ship_to": call.ship_to.code,
                    "eta": call.eta,
                    "km": round(call.km, 1),
                    "waits_minutes": call.waits_minutes,
                    "late_minutes": call.late_minutes,
                }
                for n, call in enumerate(route, start=1)
            ],
        },
        actor,
    )
    return shipment


def _etas_from(
    shipment: Shipment,
    at: datetime.datetime,
    lat: Decimal | None,
    lon: Decimal | None,
    delay: datetime.timedelta,
    stop_named: Stop | None = None,
) -> list[Stop]:
    """Recompute the ETA of each open stop, in the route's order and the stops' windows: the
    next from the truck's position if known, else shifted by the delay; each after it from
    the one before, once that one is unloaded. Through a carrier's network each stop on its
    own: from the goods' position if known (`network_calls`), else shifted by the delay;
    an event of a stop (`stop_named`) tells of that stop's goods only."""
    open_stops = list(
        shipment.stops.exclude(status__in=DONE_STOP_STATUSES).select_related("ship_to")
    )
    zone = shipment.load.warehouse.zone()
    network = shipment.carrier.network_km_per_day  # the carrier that took it
    unloading = datetime.timedelta(minutes=UNLOADING_MINUTES)
    for n, stop in enumerate(open_stops):
        if stop.status == StopStatus.ARRIVED:
            eta = stop.arrived_at or at
        elif network:
            if stop_named is not None and stop.pk != stop_named.pk:
                eta = stop.eta
            elif lat is not None and lon is not None:
                (call,) = network_calls(
                    start=(lat, lon),
                    at=at,
                    ship_tos=[stop.ship_to],
                    zone=zone,
                    km_per_day=network,
                    collected=False,
                )
                eta = call.eta
            else:
                eta = max(stop.eta + delay, at)
        elif n:
            before = open_stops[n - 1].ship_to
            (call,) = calls_timed(
                start=(before.latitude, before.longitude),
                at=open_stops[n - 1].eta + unloading,
                ship_tos=[stop.ship_to],
                zone=zone,
            )
            eta = call.eta
        elif lat is not None and lon is not None:
            (call,) = calls_timed(start=(lat, lon), at=at, ship_tos=[stop.ship_to], zone=zone)
            eta = call.eta
        else:
            eta = max(stop.eta + delay, at)
        Stop.objects.filter(pk=stop.pk).update(eta=eta)
        stop.eta = eta
    return open_stops


def _etas_told(stops: list[Stop]) -> list[dict]:
    """The stops' ETAs as the feed tells them."""
    return [{"sequence": s.sequence, "eta": s.eta, "planned_eta": s.planned_eta} for s in stops]


@service
def tracking_record(
    *,
    shipment: Shipment,
    status: str,
    at: datetime.datetime,
    actor: AbstractBaseUser | None,
    source: str = "api",
    place: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    stop_sequence: int | None = None,
    delay_minutes: int = 0,
    note: str = "",
) -> TrackingEvent:
    """Record a carrier status (`shipment.event`) and recompute each open stop's ETA from it."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status != ShipmentStatus.IN_TRANSIT:
        raise Conflict(
            _("Shipment %(shipment)s is %(status)s.")
            % {"shipment": shipment.reference, "status": shipment.get_status_display()}
        )
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise DomainError(_("A tracking event cannot be in the future."), field="at")
    if at < shipment.departed_at:
        raise DomainError(_("A tracking event cannot be before departure."), field="at")
    if (latitude is None) != (longitude is None):
        raise DomainError(_("Give both latitude and longitude, or neither."), field="latitude")
    if not DELAY_MINUTES[0] <= delay_minutes <= DELAY_MINUTES[1]:
        raise DomainError(
            _("A delay is between %(least)s and %(most)s minutes.")
            % {"least": DELAY_MINUTES[0], "most": DELAY_MINUTES[1]},
            field="delay_minutes",
        )
    stop = None
    if stop_sequence is not None:
        stop = shipment.stops.filter(sequence=stop_sequence).first()
        if stop is None:
            raise DomainError(
                _("The shipment has no stop %(n)s.") % {"n": stop_sequence}, field="stop"
            )
    if status == TrackingStatus.ARRIVED:
        if stop is None:
            raise DomainError(_("Say at which stop it arrived."), field="stop")
        Stop.objects.filter(pk=stop.pk).update(status=StopStatus.ARRIVED, arrived_at=at, eta=at)
        latitude, longitude = stop.ship_to.latitude, stop.ship_to.longitude
    event = TrackingEvent.objects.create(
        shipment=shipment,
        stop=stop,
        status=status,
        at=at,
        place=place,
        latitude=latitude,
        longitude=longitude,
        source=source,
        note=note,
    )
    stops = _etas_from(
        shipment, at, latitude, longitude, datetime.timedelta(minutes=delay_minutes), stop
    )
    _event(
        "shipment.event",
        "shipment",
        shipment.reference,
        shipment.load.warehouse_id,
        {
            "shipment": shipment.reference,
            "status": status,
            "at": at,
            "place": place,
            "source": source,
            "etas": _etas_told(stops),
        },
        actor,
    )
    return event


@service
def delivery_record(
    *,
    stop: Stop,
    outcome: str,
    receiver_name: str,
    at: datetime.datetime,
    actor: AbstractBaseUser | None,
    note: str = "",
    photo: UploadedFile | None = None,
    returned: Sequence[tuple[Item, int]] = (),
) -> Stop:
    """Proof of delivery at a stop (`shipment.delivered`): delivered, partly delivered (with
    a note of what was not taken) or refused. Orders of the stop are delivered, or refused;
    the shipment completes with its last stop. A refusal (`shipment.refused`) sends the goods
    back: what was shipped to the stop is expected at the warehouse it left as a receipt,
    `stop_return_reference(stop)` (`receipt.expected`), received by scan like any other. A
    partial delivery may say what came back (`returned`, item and units, at most what was
    shipped there), expected the same way; refused with nothing written otherwise. The
    photo, if any, is an image of at most 8 MB."""
    # The stop and its shipment (two deliveries of one truck complete it once); not the
    # ship-to, which new orders to it only reference.
    stop = (
        Stop.objects.select_for_update(of=("self", "shipment"))
        .select_related("shipment", "ship_to")
        .get(pk=stop.pk)
    )
    if stop.status in DONE_STOP_STATUSES:
        raise Conflict(
            _("Stop %(n)s is already %(status)s.")
            % {"n": stop.sequence, "status": stop.get_status_display()}
        )
    if outcome not in (StopStatus.DELIVERED, StopStatus.PARTIAL, StopStatus.REFUSED):
        raise DomainError(_("Outcome is delivered, partial or refused."), field="outcome")
    if outcome != StopStatus.REFUSED and not receiver_name.strip():
        raise DomainError(_("Who received the goods?"), field="receiver_name")
    if outcome != StopStatus.DELIVERED and not note.strip():
        raise DomainError(_("Say what was not delivered, and why."), field="note")
    if at < stop.shipment.departed_at or at > timezone.now() + datetime.timedelta(minutes=5):
        raise DomainError(_("The delivery time is before departure or in the future."), field="at")
    if photo is not None and not (photo.content_type or "").startswith("image/"):
        raise DomainError(_("The proof-of-delivery photo must be an image."), field="photo")
    if photo is not None and (photo.size or 0) > PHOTO_MAX_BYTES:
        raise DomainError(_("The photo is larger than 8 MB."), field="photo")
    if returned and outcome != StopStatus.PARTIAL:
        raise DomainError(
            _("Only a partial delivery names what came back; a refusal brings back everything."),
            field="returned",
        )
    shipped = (
        stops_shipped([stop]).get(stop.pk, {}) if outcome == StopStatus.REFUSED or returned else {}
    )
    seen: set[int] = set()
    for index, (item, quantity) in enumerate(returned):
        if item.pk in seen:
            raise DomainError(
                _("%(sku)s is named twice.") % {"sku": item.sku}, field=f"returned[{index}].item"
            )
        seen.add(item.pk)
        if quantity > shipped.get(item, 0):
            raise DomainError(
                _("%(n)s of %(sku)s went to this stop; %(back)s cannot come back.")
                % {"n": shipped.get(item, 0), "sku": item.sku, "back": quantity},
                field=f"returned[{index}].quantity",
            )
    refused = outcome == StopStatus.REFUSED
    orders = list(stop.orders.select_for_update(no_key=True))
    for order in orders:  # all checked before anything, the photo's file too, is written
        order_transition_check(order, OrderStatus.REFUSED if refused else OrderStatus.DELIVERED)
    stop.status, stop.delivered_at, stop.receiver_name, stop.note = (
        outcome,
        at,
        receiver_name.strip(),
        note.strip(),
    )
    stop.arrived_at = stop.arrived_at or at
    if photo is not None:
        stop.pod_photo = photo
    stop.save()
    for order in orders:
        if refused:
            Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUSED)
        else:
            Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED, delivered_at=at)
    TrackingEvent.objects.create(
        shipment=stop.shipment,
        stop=stop,
        status=TrackingStatus.DELIVERED
        if outcome != StopStatus.REFUSED
        else TrackingStatus.EXCEPTION,
        at=at,
        note=note,
    )
    shipment = stop.shipment
    back = None
    if outcome == StopStatus.REFUSED:
        back = _return_expected(stop, shipped.items(), actor)
    elif returned:
        back = _return_expected(stop, returned, actor)
    # The truck drives on from here, now: the stops after this one move with it (through a
    # carrier's network, each stop goes on its own: the others stay as they were).
    at_stop = (stop.ship_to.latitude, stop.ship_to.longitude)
    still = _etas_from(shipment, at, *at_stop, datetime.timedelta(), stop)
    if not still:
        Shipment.objects.filter(pk=shipment.pk).update(
            status=ShipmentStatus.COMPLETED, completed_at=at
        )
    _event(
        "shipment.delivered" if outcome != StopStatus.REFUSED else "shipment.refused",
        "shipment",
        shipment.reference,
        shipment.load.warehouse_id,
        {
            "shipment": shipment.reference,
            "stop": stop.sequence,
            "outcome": outcome,
            "receiver_name": stop.receiver_name,
            "at": at,
            "note": stop.note,
            "photo": bool(stop.pod_photo),
            "orders": list(stop.orders.values_list("external_ref", flat=True)),
            "return_receipt": back.reference if back else None,
            "etas": _etas_told(still),
        },
        actor,
    )
    return stop


def _return_expected(
    stop: Stop, back: Iterable[tuple[Item, int]], actor: AbstractBaseUser | None
) -> Receipt | None:
    """Expect these units back, from the stop's customer, at the warehouse the stop's goods
    left (no receipt if there are none)."""
    lines = sorted(((item, n) for item, n in back if n), key=lambda pair: pair[0].sku)
    if not lines:
        return None
    warehouse = stop.shipment.load.warehouse
    customer = Customer.objects.filter(orders__stop=stop).first()
    return receipt_create(
        warehouse=warehouse,
        reference=stop_return_reference(stop),
        supplier=customer.name if customer else "",
        expected_on=warehouse.today(),
        lines=lines,
        actor=actor,
    )
