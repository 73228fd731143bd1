"""Loads and waves: orders onto a vehicle, released to the floor in step with the truck."""

import datetime
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Warehouse
from inventory.services import pick_tasks_create
from shipping.choices import (
    BUSY_LOAD_STATUSES,
    AppointmentStatus,
    LoadStatus,
    OrderStatus,
    WaveStatus,
)
from shipping.models import DockAppointment, Driver, LineReservation, Load, Order, Vehicle, Wave
from shipping.selectors import (
    RELEASE_SLOTS,
    Fill,
    load_wave_timing,
    loads_due_release,
    orders_fill,
    wave_timing,
)
from shipping.services.capacity import vehicle_fits
from shipping.services.dock import (
    LIVE,
    DockSlot,
    appointment_book,
    appointment_cancel,
    vehicle_at_one_door,
)
from shipping.services.orders import (
    load_lock_first,
    load_locked,
    order_released_with_wave,
    order_transition_check,
)
from shipping.services.serials import serial_next
from shipping.services.trips import load_trip_clear, trip_clear
from shipping.services.waves import wave_event


def _event(load: Load, type: str, payload: dict, actor: AbstractBaseUser | None) -> None:
    """Write a load's event (`load.*`): its reference, then `payload`."""
    event_record(
        type=type,
        aggregate_type="load",
        aggregate_id=load.reference,
        warehouse=load.warehouse_id,
        payload={"load": load.reference, **payload},
        actor=actor,
    )


def _loadable(orders: list[Order], warehouse: Warehouse, field: str = "orders") -> None:
    """Refuse an order that may not go on a load of this warehouse: shipping from another,
    holding stock elsewhere too, not allocated, or already on a live load. Two queries for
    any number of orders."""
    elsewhere: dict[int, set[str]] = {}
    for order_id, code in (
        LineReservation.objects.filter(line__order__in=orders, quantity__gt=0)
        .exclude(warehouse=warehouse)
        .values_list("line__order", "warehouse__code")
    ):
        elsewhere.setdefault(order_id, set()).add(code)
    loads = Load.objects.in_bulk({o.load_id for o in orders if o.load_id})
    for order in orders:
        if order.warehouse_id != warehouse.pk:
            raise DomainError(
                _("Order %(order)s ships from another warehouse.") % {"order": order.external_ref},
                field=field,
            )
        if order.pk in elsewhere:
            raise DomainError(
                _("Order %(order)s holds stock in %(places)s too; load only what ships from here.")
                % {"order": order.external_ref, "places": ", ".join(sorted(elsewhere[order.pk]))},
                field=field,
                code="split_order",
            )
        if order.status not in (OrderStatus.ALLOCATED, OrderStatus.RELEASED):
            raise DomainError(
                _("Order %(order)s is %(status)s; only allocated orders load.")
                % {"order": order.external_ref, "status": order.get_status_display()},
                field=field,
            )
        load = loads.get(order.load_id) if order.load_id else None
        if load is not None and load.status in BUSY_LOAD_STATUSES:
            raise Conflict(
                _("Order %(order)s is already on load %(load)s.")
                % {"order": order.external_ref, "load": load.reference},
                field=field,
            )


def _drivable(driver: Driver, vehicle: Vehicle) -> None:
    """Refuse a driver who does not drive for the vehicle's carrier (locked here; whether
    the driver is free is `trip_clear`'s)."""
    Driver.objects.select_for_update().filter(pk=driver.pk).first()
    if driver.carrier_id != vehicle.carrier_id:
        raise DomainError(
            _("%(driver)s drives for %(carrier)s, not for %(plate)s's carrier.")
            % {"driver": driver.name, "carrier": driver.carrier.name, "plate": vehicle.plate},
            field="driver",
        )


@service
def load_build(
    *,
    warehouse: Warehouse,
    vehicle: Vehicle,
    orders: Sequence[Order],
    actor: AbstractBaseUser | None,
    driver: Driver | None = None,
    slot: DockSlot | None = None,
) -> Load:
    """Put allocated orders of one warehouse on a vehicle (`load.planned`) and, with `slot`,
    book the vehicle at that door then for the load (`appointment.booked`): both or neither.

    Refused: a vehicle or driver on another trip (`trip_clear`: with no slot, on any live
    load; with one, on a load whose trip overlaps this one's); a driver of another carrier
    than the vehicle's; an order not allocated here
    or already on a live load; more weight or volume than the vehicle takes; goods colder
    than it carries; a slot `appointment_book` refuses.
    Loads are numbered per warehouse and day on its own calendar: L-BJ1-261125-001, -002, …
    """
    Vehicle.objects.select_for_update().filter(pk=vehicle.pk).first()
    if slot is None:  # else its appointment's booking checks its trip
        trip_clear(vehicle=vehicle, driver=driver, trip=None)
    if driver is not None:
        _drivable(driver, vehicle)
    if not orders:
        raise DomainError(_("A load has at least one order."), field="orders")
    orders = list(
        Order.objects.select_for_update(no_key=True).filter(pk__in=[o.pk for o in orders])
    )
    _loadable(orders, warehouse)
    fill = orders_fill(orders=orders, warehouse_id=warehouse.pk, vehicle=vehicle)
    vehicle_fits(vehicle, fill)
    day = warehouse.today()
    number = serial_next(f"load:{warehouse.code}:{day:%y%m%d}")
    load = Load.objects.create(
        warehouse=warehouse,
        reference=f"L-{warehouse.code}-{day:%y%m%d}-{number:03d}",
        vehicle=vehicle,
        driver=driver,
    )
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(load=load)
    _event(
        load,
        "load.planned",
        {
            "vehicle": vehicle.plate,
            "driver": driver.name if driver is not None else None,
            "orders": [o.external_ref for o in orders],
            "weight_kg": fill.weight_kg,
            "volume_l": fill.volume_l,
            "weight_pct": fill.weight_pct,
            "volume_pct": fill.volume_pct,
        },
        actor,
    )
    if slot is not None:
        appointment_book(
            dock=slot.dock,
            vehicle=vehicle,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            load=load,
            actor=actor,
        )
    return load


def _trip_kept(load: Load) -> None:
    """After an order joined a load booked at the dock: its trip, longer now, still clears
    its vehicle's and driver's other trips (`load_trip_clear`, naming the order)."""
    booked = (
        DockAppointment.objects.filter(load=load, status=AppointmentStatus.BOOKED)
        .select_related("vehicle")
        .first()
    )
    if booked is not None:
        load_trip_clear(load, booked.vehicle, booked.starts_at, booked.ends_at, field="order")


def _load_planned(load: Load) -> None:
    """Refuse to change a load that is no longer planned (loading, gone or cancelled)."""
    if load.status != LoadStatus.PLANNED:
        raise Conflict(
            _("Load %(load)s is %(status)s; only a planned load changes.")
            % {"load": load.reference, "status": load.get_status_display()}
        )


def _load_open_to_change(load: Load, *, unless_empty: bool = False) -> Wave | None:
    """The load's wave (if any), once sure the load may still change: planned, with no wave
    on the floor (its orders are not being picked for this truck). With `unless_empty`, a
    wave on the floor is no bar once no live order is left on the load (all cancelled, or
    gone back to wait for stock): nobody picks for this truck any more."""
    _load_planned(load)
    wave = Wave.objects.select_for_update().filter(load=load).first()
    if unless_empty and not load.orders.exclude(status=OrderStatus.CANCELLED).exists():
        return wave
    if wave is not None and wave.status != WaveStatus.PLANNED:
        raise Conflict(
            _("The wave of %(load)s is on the floor; its orders are picked for this truck.")
            % {"load": load.reference}
        )
    return wave


def _orders_changed(
    load: Load,
    kind: str,
    order: Order,
    orders: list[Order],
    actor: AbstractBaseUser | None,
    fill: Fill | None = None,
) -> None:
    """The event of an order put on or taken off a load: the load's orders and fill now."""
    fill = fill or orders_fill(orders=orders, warehouse_id=load.warehouse_id, vehicle=load.vehicle)
    _event(
        load,
        kind,
        {
            "order": order.external_ref,
            "orders": [o.external_ref for o in orders],
            "weight_pct": fill.weight_pct,
            "volume_pct": fill.volume_pct,
        },
        actor,
    )


@service
def load_order_remove(*, load: Load, order: Order, actor: AbstractBaseUser | None) -> Load:
    """Take an order off a planned load whose wave is not on the floor
    (`load.order_removed`): the order stays allocated, free for another load, and leaves the
    load's planned wave too. The load's last order stays: cancel the load instead."""
    load = load_locked(load.pk, "vehicle")
    _load_open_to_change(load)
    order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
    if order.load_id != load.pk:
        raise DomainError(
            _("Order %(order)s is not on load %(load)s.")
            % {"order": order.external_ref, "load": load.reference},
            field="order",
        )
    rest = list(load.orders.exclude(pk=order.pk))
    if not rest:
        raise DomainError(
            _("Order %(order)s is the only one on %(load)s: cancel the load instead.")
            % {"order": order.external_ref, "load": load.reference},
            field="order",
        )
    Order.objects.filter(pk=order.pk).update(load=None, wave=None)
    _orders_changed(load, "load.order_removed", order, rest, actor)
    return load


@service
def load_order_add(*, load: Load, order: Order, actor: AbstractBaseUser | None) -> Load:
    """Put one more allocated order on a planned load (an urgent one, say), with the load's
    weight, volume and temperature rules. If the load has a wave not yet picked, the order
    joins it (`wave.order_added`; on the floor already, its pick tasks come at once);
    otherwise it joins the load alone (`load.order_added`)."""
    load = load_locked(load.pk, "vehicle", "warehouse")
    _load_planned(load)
    wave = Wave.objects.filter(load=load).first()
    if wave is not None:
        wave_order_add(wave=wave, order=order, actor=actor)
        return load
    order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
    _loadable([order], load.warehouse, field="order")
    orders = [*load.orders.all(), order]
    fill = orders_fill(orders=orders, warehouse_id=load.warehouse_id, vehicle=load.vehicle)
    vehicle_fits(load.vehicle, fill, field="order")
    Order.objects.filter(pk=order.pk).update(load=load)
    _trip_kept(load)
    _orders_changed(load, "load.order_added", order, orders, actor, fill)
    return load


@service
def load_cancel(*, load: Load, actor: AbstractBaseUser | None) -> Load:
    """Cancel a planned load whose wave is not on the floor, or whose orders are all gone
    (`load.cancelled`): its orders stay allocated, free for another load; its wave is
    cancelled, and its booked dock appointment too, freeing the slot (a truck already at the
    dock stays checked in)."""
    load = load_locked(load.pk, "vehicle")
    wave = _load_open_to_change(load, unless_empty=True)
    orders = list(load.orders.values_list("external_ref", flat=True))
    Order.objects.filter(load=load).update(load=None, wave=None)
    if wave is not None:
        Wave.objects.filter(pk=wave.pk).update(status=WaveStatus.CANCELLED)
    booked = DockAppointment.objects.filter(load=load, status=AppointmentStatus.BOOKED).first()
    if booked is not None:
        appointment_cancel(appointment=booked, actor=actor)
    Load.objects.filter(pk=load.pk).update(status=LoadStatus.CANCELLED)
    load.status = LoadStatus.CANCELLED
    _event(
        load,
        "load.cancelled",
        {
            "vehicle": load.vehicle.plate,
            "orders": orders,
            "appointment_cancelled": booked is not None,
        },
        actor,
    )
    return load


@service
def load_vehicle_change(
    *,
    load: Load,
    vehicle: Vehicle,
    driver: Driver | None,
    actor: AbstractBaseUser | None,
    was: Vehicle | None = None,
) -> Load:
    """Give a planned load another vehicle or driver, or both (`load.vehicle_changed`): a
    truck broken down, or one that costs less. Its booked dock slot goes to the new vehicle
    (the same door and hours); its wave, even on the floor, goes on: the goods are staged
    for whichever truck comes.

    Refused, with nothing changed: a load loading, gone or cancelled, or whose truck is at
    its door already; the same vehicle and driver it has; goods heavier, bulkier or colder
    than the vehicle takes; a driver of another carrier; a vehicle or driver on another
    trip (`trip_clear`: with a booked slot, one overlapping it; without, any live load), or a
    vehicle due at another door in the slot's hours; with `was`, a load no longer on that
    vehicle (someone moved it meanwhile: Conflict `moved`)."""
    Vehicle.objects.select_for_update().filter(pk=vehicle.pk).first()  # vehicle, then load
    load = load_locked(load.pk, "warehouse", "vehicle", "driver")
    _load_planned(load)
    if was is not None and load.vehicle_id != was.pk:
        raise Conflict(
            _("Load %(load)s went on %(plate)s meanwhile.")
            % {"load": load.reference, "plate": load.vehicle.plate},
            field="vehicle",
            code="moved",
        )
    if vehicle.pk == load.vehicle_id and (driver.pk if driver else None) == load.driver_id:
        raise DomainError(
            _("Load %(load)s goes on %(plate)s with that driver already.")
            % {"load": load.reference, "plate": vehicle.plate},
            field="vehicle",
        )
    if driver is not None:
        _drivable(driver, vehicle)
    appointment = (
        DockAppointment.objects.filter(load=load, status__in=LIVE).select_related("dock").first()
    )
    if appointment is not None and appointment.status == AppointmentStatus.CHECKED_IN:
        raise Conflict(
            _("%(plate)s is at dock %(dock)s with load %(load)s: check it out first.")
            % {"plate": load.vehicle.plate, "dock": appointment.dock.code, "load": load.reference},
            field="vehicle",
            code="at_the_dock",
        )
    orders = list(load.orders.exclude(status=OrderStatus.CANCELLED))
    fill = orders_fill(orders=orders, warehouse_id=load.warehouse_id, vehicle=vehicle)
    vehicle_fits(vehicle, fill, field="vehicle")
    if appointment is None:
        trip_clear(vehicle=vehicle, driver=driver, trip=None, load=load, field="vehicle")
    else:
        load_trip_clear(
            load,
            vehicle,
            appointment.starts_at,
            appointment.ends_at,
            field="vehicle",
            driver=driver,
        )
        vehicle_at_one_door(vehicle, appointment.starts_at, appointment.ends_at, moving=appointment)
        # Conditional: a check-in that got there first (it locks the appointment) wins.
        if not DockAppointment.objects.filter(
            pk=appointment.pk, status=AppointmentStatus.BOOKED
        ).update(vehicle=vehicle):
            raise Conflict(
                _("The truck of %(load)s checked in meanwhile.") % {"load": load.reference},
                field="vehicle",
                code="at_the_dock",
            )
    before = (load.vehicle.plate, load.driver.name if load.driver else None)
    Load.objects.filter(pk=load.pk).update(vehicle=vehicle, driver=driver)
    load.vehicle, load.driver = vehicle, driver
    _event(
        load,
        "load.vehicle_changed",
        {
            "vehicle": vehicle.plate,
            "driver": driver.name if driver is not None else None,
            "was": {"vehicle": before[0], "driver": before[1]},
            "weight_pct": fill.weight_pct,
            "volume_pct": fill.volume_pct,
            "appointment": appointment.pk if appointment is not None else None,
        },
        actor,
    )
    return load


@service
def wave_plan(
    *,
    load: Load,
    actor: AbstractBaseUser | None,
    lines_per_picker_hour: int = 60,
    pickers: int = 2,
    margin_minutes: int = 30,
) -> Wave:
    """A wave for the load's orders (`wave.planned`), timed from the load's dock appointment.
    Only a planned load gets one: not one that is loading, gone or cancelled."""
    load = Load.objects.select_for_update(no_key=True).get(pk=load.pk)
    _load_planned(load)
    if hasattr(load, "wave"):
        raise Conflict(
            _("Load %(load)s already has wave W%(wave)s.")
            % {"load": load.reference, "wave": load.wave.pk}
        )
    if lines_per_picker_hour <= 0:
        raise DomainError(_("Must be greater than zero."), field="lines_per_picker_hour")
    if pickers <= 0:
        raise DomainError(_("Must be greater than zero."), field="pickers")
    wave = Wave.objects.create(
        warehouse_id=load.warehouse_id,
        load=load,
        lines_per_picker_hour=lines_per_picker_hour,
        pickers=pickers,
        margin_minutes=margin_minutes,
    )
    Order.objects.filter(load=load).update(wave=wave)
    wave_event(wave, "wave.planned", wave_timing(wave).__dict__, actor)
    return wave


@service
def wave_release(*, wave: Wave, actor: AbstractBaseUser | None, on_time: bool = False) -> Wave:
    """Release a wave to the floor (`wave.released`): its orders become released and pick
    tasks are created along the pick path for what they hold in this warehouse. Orders
    cancelled meanwhile are left out. `on_time`: released by itself, its time come (the
    event says so)."""
    wave = Wave.objects.select_for_update(of=("self",)).select_related("load").get(pk=wave.pk)
    if wave.status != WaveStatus.PLANNED:
        raise Conflict(
            _("Wave W%(wave)s is %(status)s.")
            % {"wave": wave.pk, "status": wave.get_status_display()}
        )
    # An order cancelled since it was planned stays on its load, with nothing to pick.
    orders = list(wave.orders.exclude(status=OrderStatus.CANCELLED).select_for_update(no_key=True))
    if not orders:
        raise DomainError(_("The wave has no orders."), field="orders")
    for order in orders:
        order_transition_check(order, OrderStatus.RELEASED)
    held = LineReservation.objects.filter(
        Q(line__order__in=orders), warehouse_id=wave.warehouse_id, quantity__gt=0
    ).select_related("reservation")
    tasks = pick_tasks_create(
        reservations=[h.reservation for h in held if h.reservation.status == "open"], actor=actor
    )
    now = timezone.now()
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(status=OrderStatus.RELEASED)
    Wave.objects.filter(pk=wave.pk).update(status=WaveStatus.RELEASED, released_at=now)
    wave.refresh_from_db()
    wave_event(
        wave,
        "wave.released",
        {
            "orders": [o.external_ref for o in orders],
            "pick_tasks": len(tasks),
            "on_time": on_time,
            **wave_timing(wave, now=now).__dict__,
        },
        actor,
    )
    return wave


@service
def wave_release_on_time(*, load_id: int, now: datetime.datetime | None = None) -> Wave | None:
    """Release the load's wave by itself, its time come, in a warehouse that releases waves
    on time: a planned load whose truck's dock slot is booked (or the truck is at its door),
    whose wave is planned, or is planned now at a new wave's pace (`wave.planned`), and must
    be released by `now` for its picking to end the wave's margin before the truck is due
    (`shipping.selectors.load_wave_timing`). Then `wave.released`, with no one's name and
    `on_time`, as `wave_release`. Under the load's row lock, so a dispatcher releasing it
    meanwhile releases it once. None, with nothing written, for a load not (or no longer)
    such: released by hand, its slot moved later or cancelled, the warehouse's switch off;
    and for a load with no live order, which has nothing to pick."""
    now = now or timezone.now()
    load = load_locked(load_id, "warehouse", "wave", "appointment")
    appointment = getattr(load, "appointment", None)
    wave = getattr(load, "wave", None)
    if (
        not load.warehouse.waves_release_on_time
        or load.status != LoadStatus.PLANNED
        or appointment is None
        or appointment.status not in RELEASE_SLOTS
        or (wave is not None and wave.status != WaveStatus.PLANNED)
        or not load.orders.exclude(status=OrderStatus.CANCELLED).exists()
    ):
        return None
    release_at = load_wave_timing(load, now=now).release_at
    if release_at is None or release_at > now:
        return None
    wave = wave or wave_plan(load=load, actor=None)
    return wave_release(wave=wave, actor=None, on_time=True)


def waves_release_due(*, references: list[str] | None = None) -> int:
    """Release every wave whose time has come (`loads_due_release`; of these loads only, if
    given), each in a transaction of its own; return how many went to the floor. A wave the
    floor cannot take (an order on it not ready to release) stays planned, and the others
    go: the dispatch office's alert says its goods will not be ready in time."""
    now = timezone.now()
    released = 0
    for load_id in loads_due_release(now=now, references=references):
        try:
            released += wave_release_on_time(load_id=load_id, now=now) is not None
        except DomainError:
            continue
    return released


@service
def wave_order_add(*, wave: Wave, order: Order, actor: AbstractBaseUser | None) -> Wave:
    """Insert a late (urgent) order into a wave that is not yet picked (`wave.order_added`).

    If the wave is on the floor already, the order is released with it and its pick tasks
    are created at once; if the wave has a load, the order joins the load too (the load's
    weight, volume and temperature rules apply). The load is locked first, as its departure
    and load_order_add take it, so an order never joins a truck that is leaving meanwhile.
    """
    load_lock_first(Wave.objects.filter(pk=wave.pk).values_list("load_id", flat=True).first())
    wave = (
        Wave.objects.select_for_update(of=("self",))
        .select_related("load__vehicle", "warehouse")
        .get(pk=wave.pk)
    )
    order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
    if wave.load_id and wave.load.status == LoadStatus.DEPARTED:
        raise Conflict(
            _("The truck of wave W%(wave)s has left (%(load)s); give the order a load of its own.")
            % {"wave": wave.pk, "load": wave.load.reference}
        )
    if wave.load_id and wave.load.status not in BUSY_LOAD_STATUSES:
        _load_planned(wave.load)  # cancelled: says so
    if wave.status == WaveStatus.PICKED:
        raise Conflict(
            _(
                "Wave W%(wave)s is picked already: its truck's goods are ready. Give the order a load and wave of its own."
            )
            % {"wave": wave.pk}
        )
    if wave.status not in (WaveStatus.PLANNED, WaveStatus.RELEASED):
        raise Conflict(
            _("Wave W%(wave)s is %(status)s; give the order a wave of its own.")
            % {"wave": wave.pk, "status": wave.get_status_display()}
        )
    if order.status != OrderStatus.ALLOCATED:
        raise DomainError(
            _("Order %(order)s is %(status)s; only an allocated order joins a wave.")
            % {"order": order.external_ref, "status": order.get_status_display()},
            field="order",
        )
    _loadable([order], wave.warehouse, field="order")
    if wave.load_id:
        fill = orders_fill(
            orders=[*wave.load.orders.all(), order],
            warehouse_id=wave.warehouse_id,
            vehicle=wave.load.vehicle,
        )
        vehicle_fits(wave.load.vehicle, fill, field="order")
    Order.objects.filter(pk=order.pk).update(wave=wave, load=wave.load)
    if wave.load_id:
        _trip_kept(wave.load)
    order.wave = wave
    tasks = order_released_with_wave(order=order, actor=actor)
    wave_event(
        wave, "wave.order_added", {"order": order.external_ref, "pick_tasks": len(tasks)}, actor
    )
    return wave
