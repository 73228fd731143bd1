"""The dock: appointments that never double-book a door, doors held from loading for a
while (receiving, a repair), and the gate's check-in and -out."""

import datetime
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Warehouse
from inventory.choices import ReceiptStatus
from inventory.models import Receipt
from shipping.choices import PLATE_MOST, AppointmentStatus, HoldReason, LoadStatus
from shipping.models import (
    TRUCK_IN,
    Dock,
    DockAppointment,
    DockHold,
    Load,
    Vehicle,
    plate_key,
    plate_key_of,
)
from shipping.services.orders import load_locked
from shipping.services.trips import load_trip_clear

LIVE = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
HOLD_LONGEST = datetime.timedelta(days=7)  # a door held longer is out of service
HOLD_NOTE_MOST = 200
HOLD_DAYS_MOST = 31  # a door held at the same hours this many days running, at most


def _plate(plate: str, field: str) -> str:
    """A truck's plate as kept: its spaces squeezed. Refused (DomainError naming `field`)
    when longer than `PLATE_MOST`."""
    plate = " ".join(plate.split())
    if len(plate) > PLATE_MOST:
        raise DomainError(
            _("At most %(n)s characters.") % {"n": PLATE_MOST}, field=field, code="too_long"
        )
    return plate


def _event(
    appointment: DockAppointment, type: str, payload: dict, actor: AbstractBaseUser | None
) -> None:
    event_record(
        type=type,
        aggregate_type="dock",
        aggregate_id=f"{appointment.dock.warehouse.code}/{appointment.dock.code}",
        warehouse=appointment.dock.warehouse_id,
        payload={
            "appointment": appointment.pk,
            "dock": appointment.dock.code,
            "vehicle": appointment.vehicle.plate,
            "starts_at": appointment.starts_at,
            "ends_at": appointment.ends_at,
            "load": appointment.load.reference if appointment.load_id else None,
            **payload,
        },
        actor=actor,
    )


def _wall(dock: Dock, at: datetime.datetime) -> datetime.datetime:
    """`at` on the dock's warehouse's wall clock, as the people there read times."""
    return timezone.localtime(at, dock.warehouse.zone())


class DockSlot(NamedTuple):
    """A door and a time at it, to book."""

    dock: Dock
    starts_at: datetime.datetime
    ends_at: datetime.datetime


def _vehicle_lock(vehicle_id: int) -> None:
    """Lock the vehicle, before its door (`_slot_check`), as `load_build` does: what books,
    moves or checks in one truck queues here, in one order everywhere."""
    Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()


def _slot_check(
    *,
    dock: Dock,
    vehicle: Vehicle,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    moving: DockAppointment | None = None,
) -> None:
    if ends_at <= starts_at:
        raise DomainError(_("An appointment ends after it starts."), field="ends_at")
    if starts_at < timezone.now() - datetime.timedelta(minutes=5):
        raise DomainError(
            _("%(time)s is in the past.") % {"time": f"{_wall(dock, starts_at):%Y-%m-%d %H:%M}"},
            field="starts_at",
        )
    if not dock.is_active:
        raise DomainError(_("Dock %(dock)s is out of service.") % {"dock": dock.code}, field="dock")
    _door_free(dock, starts_at, ends_at, moving=moving)
    vehicle_at_one_door(vehicle, starts_at, ends_at, moving=moving)


def _live_between(
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    moving: DockAppointment | None,
    **where: object,
) -> QuerySet[DockAppointment]:
    """The live appointments (`where`: of a door, or of a truck) overlapping these hours,
    `moving` (the one being moved) left out."""
    return DockAppointment.objects.filter(
        status__in=LIVE, starts_at__lt=ends_at, ends_at__gt=starts_at, **where
    ).exclude(pk=moving.pk if moving is not None else None)


def _door_free(
    dock: Dock,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    *,
    moving: DockAppointment | None = None,
    holding: bool = False,
) -> None:
    """Lock the door, so that what books or holds it queues here and these checks hold, then
    refuse (Conflict, naming it) a live appointment at it in these hours other than
    `moving` (to one `holding` the door, with what to do first), and a hold."""
    Dock.objects.select_for_update().filter(pk=dock.pk).first()
    clash = _live_between(starts_at, ends_at, moving, dock=dock).select_related("vehicle").first()
    if clash:
        said = {
            "dock": dock.code,
            "start": f"{_wall(dock, clash.starts_at):{'%m-%d %H:%M' if holding else '%H:%M'}}",
            "end": f"{_wall(dock, clash.ends_at):%H:%M}",
            "plate": clash.vehicle.plate,
        }
        raise Conflict(
            (
                _("Dock %(dock)s is booked %(start)s-%(end)s by %(plate)s: move that truck first.")
                if holding
                else _("Dock %(dock)s is booked %(start)s-%(end)s by %(plate)s.")
            )
            % said,
            field="starts_at",
            code="dock_booked",
        )
    _held_check(dock, starts_at, ends_at)


def _hold_said(hold: DockHold) -> str:
    """Why a door is held, as the dispatcher reads it: the reason, the receipt, the note."""
    why = hold.get_reason_display().lower()
    if hold.receipt_id is not None:
        why += f" {hold.receipt.reference}"
    return f"{why} ({hold.note})" if hold.note else why


def _held_check(dock: Dock, starts_at: datetime.datetime, ends_at: datetime.datetime) -> None:
    """Refuse (Conflict naming the hold) a door held in these hours; the caller holds the
    door's row lock, as the hold's placing does."""
    hold = (
        DockHold.objects.filter(
            dock=dock, released_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        .select_related("receipt")
        .first()
    )
    if hold:
        raise Conflict(
            _("Dock %(dock)s is held %(start)s-%(end)s for %(why)s.")
            % {
                "dock": dock.code,
                "start": f"{_wall(dock, hold.starts_at):%m-%d %H:%M}",
                "end": f"{_wall(dock, hold.ends_at):%H:%M}",
                "why": _hold_said(hold),
            },
            field="starts_at",
            code="dock_held",
        )


def vehicle_at_one_door(
    vehicle: Vehicle,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    *,
    moving: DockAppointment | None = None,
) -> None:
    """Refuse (Conflict naming the vehicle) a vehicle due at a door, by a live appointment
    other than `moving`, in these hours: a truck is at one door at a time."""
    busy = _live_between(starts_at, ends_at, moving, vehicle=vehicle).select_related("dock").first()
    if busy:
        raise Conflict(
            _("%(plate)s is due at dock %(dock)s then.")
            % {"plate": vehicle.plate, "dock": busy.dock.code},
            field="vehicle",
            code="vehicle_booked",
        )


def _save_or_conflict(appointment: DockAppointment) -> None:
    """Save; the database's exclusion constraint (PostgreSQL) has the last word."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        if "dock_appointment_no_overlap" in str(error):
            raise Conflict(
                _("Dock %(dock)s was booked for that time meanwhile.")
                % {"dock": appointment.dock.code},
                field="starts_at",
                code="dock_booked",
            ) from None
        raise


def _load_bookable_check(load: Load, dock: Dock, vehicle: Vehicle) -> None:
    """Raise unless the load (locked here) may get this appointment: same warehouse, its own
    vehicle, not gone or cancelled, and no appointment yet."""
    load = load_locked(load.pk, "vehicle")
    if load.warehouse_id != dock.warehouse_id:
        raise DomainError(_("The load leaves from another warehouse."), field="load")
    if load.status not in (LoadStatus.PLANNED, LoadStatus.LOADING):
        raise Conflict(
            _("Load %(load)s is %(status)s.")
            % {"load": load.reference, "status": load.get_status_display()},
            field="load",
        )
    if load.vehicle_id != vehicle.pk:
        raise DomainError(
            _("Load %(load)s goes on %(plate)s, not %(other)s.")
            % {"load": load.reference, "plate": load.vehicle.plate, "other": vehicle.plate},
            field="vehicle",
        )
    held = DockAppointment.objects.filter(load=load).select_related("dock").first()
    if held is not None:
        raise Conflict(
            _("Load %(load)s already has an appointment: %(dock)s %(start)s; move that one.")
            % {
                "load": load.reference,
                "dock": held.dock.code,
                "start": f"{_wall(held.dock, held.starts_at):%m-%d %H:%M}",
            },
            field="load",
            code="load_booked",
        )


@service
def appointment_book(
    *,
    dock: Dock,
    vehicle: Vehicle,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    actor: AbstractBaseUser | None,
    load: Load | None = None,
) -> DockAppointment:
    """Book a vehicle at a dock (`appointment.booked`); a taken slot is a conflict. A load is
    booked with its own vehicle, while planned or loading, and once: a load with a live
    appointment moves that one instead (a cancelled one no longer holds it); and only for a
    trip its vehicle and driver are free for (`trip_clear`)."""
    _vehicle_lock(vehicle.pk)
    if load is not None:
        _load_bookable_check(load, dock, vehicle)
    _slot_check(dock=dock, vehicle=vehicle, starts_at=starts_at, ends_at=ends_at)
    if load is not None:
        load_trip_clear(load, vehicle, starts_at, ends_at)
    appointment = DockAppointment(
        dock=dock, vehicle=vehicle, load=load, starts_at=starts_at, ends_at=ends_at
    )
    _save_or_conflict(appointment)
    _event(appointment, "appointment.booked", {}, actor)
    return appointment


@service
def appointment_move(
    *,
    appointment: DockAppointment,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    actor: AbstractBaseUser | None,
    dock: Dock | None = None,
) -> DockAppointment:
    """Move a booked appointment to another time (or door); `appointment.moved`. A load's
    appointment moves only to a trip its vehicle and driver are free for (`trip_clear`)."""
    appointment = DockAppointment.objects.select_for_update().get(pk=appointment.pk)
    _vehicle_lock(appointment.vehicle_id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            _("Only a booked appointment moves; this one is %(status)s.")
            % {"status": appointment.get_status_display()}
        )
    dock = dock or appointment.dock
    if dock.warehouse_id != appointment.dock.warehouse_id:
        raise DomainError(_("Move to a dock of the same warehouse."), field="dock")
    _slot_check(
        dock=dock,
        vehicle=appointment.vehicle,
        starts_at=starts_at,
        ends_at=ends_at,
        moving=appointment,
    )
    if appointment.load_id is not None:
        load_trip_clear(appointment.load, appointment.vehicle, starts_at, ends_at)
    before = {"from_starts_at": appointment.starts_at, "from_dock": appointment.dock.code}
    appointment.dock, appointment.starts_at, appointment.ends_at = dock, starts_at, ends_at
    _save_or_conflict(appointment)
    _event(appointment, "appointment.moved", before, actor)
    return appointment


@service
def appointment_cancel(
    *, appointment: DockAppointment, actor: AbstractBaseUser | None
) -> DockAppointment:
    """Cancel a booked appointment and free its slot; `appointment.cancelled`, which names
    its load. The load lets go of it, so it can be booked again."""
    appointment = DockAppointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            _("This appointment is %(status)s; only a booked one is cancelled.")
            % {"status": appointment.get_status_display()}
        )
    DockAppointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CANCELLED, load=None
    )
    appointment.status = AppointmentStatus.CANCELLED
    _event(appointment, "appointment.cancelled", {}, actor)  # still naming the load
    appointment.refresh_from_db()
    return appointment


@service
def vehicle_check_in(
    *,
    appointment: DockAppointment,
    actor: AbstractBaseUser | None,
    at: datetime.datetime | None = None,
) -> DockAppointment:
    """The gate lets the truck in (`vehicle.checked_in`): dwell time starts here. A truck
    checked in at another door (for another trip) checks out there first."""
    appointment = DockAppointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            _("This appointment is %(status)s; it cannot check in.")
            % {"status": appointment.get_status_display()}
        )
    _vehicle_lock(appointment.vehicle_id)
    inside = (
        DockAppointment.objects.filter(
            vehicle_id=appointment.vehicle_id, status=AppointmentStatus.CHECKED_IN
        )
        .select_related("dock", "vehicle")
        .first()
    )
    if inside is not None:
        raise Conflict(
            _("%(plate)s is checked in at dock %(dock)s already; it checks out there first.")
            % {"plate": inside.vehicle.plate, "dock": inside.dock.code},
            field="appointment",
            code="inside_already",
        )
    at = at or timezone.now()
    DockAppointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CHECKED_IN, checked_in_at=at
    )
    appointment.refresh_from_db()
    late = (at - appointment.starts_at).total_seconds() / 60
    _event(appointment, "vehicle.checked_in", {"at": at, "minutes_late": round(late, 1)}, actor)
    return appointment


@service
def vehicle_check_out(
    *,
    appointment: DockAppointment,
    actor: AbstractBaseUser | None,
    at: datetime.datetime | None = None,
) -> DockAppointment:
    """The truck leaves the gate (`vehicle.checked_out`), with its dwell time.

    A truck with goods scanned on for a load that has not departed is refused: it leaves by
    the load's departure, which ships them. A truck leaving without loading its planned load
    lets go of the load, which can book the dock again (the event names it)."""
    # The load first, as loading and departure lock it, then the appointment.
    load_id = DockAppointment.objects.filter(pk=appointment.pk).values_list("load", flat=True)[0]
    load = (
        Load.objects.select_for_update(no_key=True).filter(pk=load_id).first() if load_id else None
    )
    appointment = DockAppointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.CHECKED_IN:
        raise Conflict(
            _("This appointment is %(status)s; only a truck inside checks out.")
            % {"status": appointment.get_status_display()}
        )
    at = at or timezone.now()
    if at < appointment.checked_in_at:
        raise DomainError(_("Check-out cannot be before check-in."), field="at")
    if load is not None and load.status == LoadStatus.LOADING:
        raise Conflict(
            _("Units of load %(load)s are on the truck: it leaves when the load departs.")
            % {"load": load.reference},
            field="load",
            code="load_on_truck",
        )
    left_behind = load is not None and load.status == LoadStatus.PLANNED
    DockAppointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CHECKED_OUT,
        checked_out_at=at,
        **({"load": None} if left_behind else {}),
    )
    dwell = (at - appointment.checked_in_at).total_seconds() / 60
    appointment.status, appointment.checked_out_at = AppointmentStatus.CHECKED_OUT, at
    _event(  # still naming the load
        appointment,
        "vehicle.checked_out",
        {"at": at, "dwell_minutes": round(dwell, 1), "load_left_behind": left_behind},
        actor,
    )
    appointment.refresh_from_db()
    return appointment


def _hold_locked(hold: DockHold) -> DockHold:
    """The hold read anew under its row lock, with its door, warehouse and receipt: what
    changes a hold queues here."""
    return (
        DockHold.objects.select_for_update(of=("self",))
        .select_related("dock__warehouse", "receipt")
        .get(pk=hold.pk)
    )


def _standing_check(hold: DockHold) -> None:
    """Refuse (Conflict `released`, saying when) a hold released already."""
    if hold.released_at is not None:
        raise Conflict(
            _("This hold of dock %(dock)s was released at %(at)s.")
            % {"dock": hold.dock.code, "at": f"{_wall(hold.dock, hold.released_at):%m-%d %H:%M}"},
            code="released",
        )


def _hold_event(
    hold: DockHold, type: str, actor: AbstractBaseUser | None, told: dict | None = None
) -> None:
    """The hold's event: its door, reason, hours, receipt and note, and what else is `told`."""
    dock = hold.dock
    event_record(
        type=type,
        aggregate_type="dock",
        aggregate_id=f"{dock.warehouse.code}/{dock.code}",
        warehouse=dock.warehouse_id,
        payload={
            "hold": hold.pk,
            "dock": dock.code,
            "reason": hold.reason,
            "starts_at": hold.starts_at,
            "ends_at": hold.ends_at,
            "receipt": hold.receipt.reference if hold.receipt_id else None,
            "note": hold.note,
            "expected_plate": hold.expected_plate,
            **(told or {}),
        },
        actor=actor,
    )


@service
def dock_hold_place(
    *,
    dock: Dock,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    reason: str,
    actor: AbstractBaseUser | None,
    note: str = "",
    receipt: Receipt | None = None,
    expected_plate: str = "",
) -> DockHold:
    """Hold a door from loading for these hours (`dock.held`): for receiving (with the
    receipt its truck brings, of the door's warehouse and not closed, and the plate of the
    truck expected, if known), a repair, or another reason that the note says. No
    appointment is booked at it then.
    Refused, nothing written: a reason unknown, or "other" with no note; a note too long; an
    end not after the start, more than `HOLD_LONGEST` on, or past already; a door out of
    service; a receipt of another warehouse or closed (DomainError naming the field). A live
    appointment at the door then, or another hold, is a conflict naming it, checked under
    the door's row lock as a booking checks the holds."""
    if reason not in HoldReason.values:
        raise DomainError(_("Say receiving, maintenance or other."), field="reason", code="invalid")
    note = note.strip()
    if len(note) > HOLD_NOTE_MOST:
        raise DomainError(
            _("At most %(n)s characters.") % {"n": HOLD_NOTE_MOST}, field="note", code="too_long"
        )
    if reason == HoldReason.OTHER and not note:
        raise DomainError(_("Say what holds the door."), field="note", code="required")
    expected_plate = _plate(expected_plate, "expected_plate")
    if expected_plate and reason != HoldReason.RECEIVING:
        raise DomainError(
            _("A truck is expected at a door held for receiving."), field="expected_plate"
        )
    if ends_at <= starts_at:
        raise DomainError(_("A hold ends after it starts."), field="ends_at")
    if ends_at - starts_at > HOLD_LONGEST:
        raise DomainError(
            _("A door is held %(days)s days at most; one out longer is set out of service.")
            % {"days": HOLD_LONGEST.days},
            field="ends_at",
        )
    if ends_at <= timezone.now():
        raise DomainError(
            _("%(time)s is past.") % {"time": f"{_wall(dock, ends_at):%Y-%m-%d %H:%M}"},
            field="ends_at",
        )
    if not dock.is_active:
        raise DomainError(_("Dock %(dock)s is out of service.") % {"dock": dock.code}, field="dock")
    if receipt is not None and receipt.warehouse_id != dock.warehouse_id:
        raise DomainError(
            _("Receipt %(receipt)s is expected at another warehouse.")
            % {"receipt": receipt.reference},
            field="receipt",
        )
    if receipt is not None and receipt.status == ReceiptStatus.CLOSED:
        raise DomainError(
            _("Receipt %(receipt)s is closed.") % {"receipt": receipt.reference}, field="receipt"
        )
    _door_free(dock, starts_at, ends_at, holding=True)
    hold = DockHold(
        dock=dock,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        receipt=receipt,
        note=note,
        expected_plate=expected_plate,
        placed_by=actor if actor is not None and actor.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            hold.save()
    except IntegrityError as error:  # pragma: no cover - the lock above comes first
        if "dock_hold_no_overlap" in str(error):
            raise Conflict(
                _("Dock %(dock)s was held for that time meanwhile.") % {"dock": dock.code},
                field="starts_at",
                code="dock_held",
            ) from None
        raise
    _hold_event(hold, "dock.held", actor)
    return hold


@service
def dock_holds_place_daily(
    *,
    dock: Dock,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    days: int,
    reason: str,
    actor: AbstractBaseUser | None,
    note: str = "",
    expected_plate: str = "",
) -> list[DockHold]:
    """Hold a door at the same hours of the warehouse's clock on `days` days running, from
    the day of `starts_at` (a door kept for receiving every morning, say): one `dock.held`
    each, all or none, each checked as `dock_hold_place` checks one (a conflict names its
    day). No receipt: a receipt's truck comes once. `days` from 1 to `HOLD_DAYS_MOST`, else
    a DomainError naming `days`."""
    if not 1 <= days <= HOLD_DAYS_MOST:
        raise DomainError(
            _("From 1 to %(most)s days.") % {"most": HOLD_DAYS_MOST}, field="days", code="invalid"
        )
    zone = dock.warehouse.zone()
    first, last = starts_at.astimezone(zone), ends_at.astimezone(zone)
    return [
        dock_hold_place(
            dock=dock,
            # Wall-clock arithmetic in the warehouse's zone: the same hours each day.
            starts_at=first + datetime.timedelta(days=day),
            ends_at=last + datetime.timedelta(days=day),
            reason=reason,
            actor=actor,
            note=note,
            expected_plate=expected_plate,
        )
        for day in range(days)
    ]


@service
def dock_hold_release(*, hold: DockHold, actor: AbstractBaseUser | None) -> DockHold:
    """Release a hold (`dock.hold_released`): the door takes bookings in its hours again. One
    released already is a conflict saying when, and so is one whose supplier's truck is in
    (it frees the door by checking out); the row lock makes two hands release it once."""
    hold = _hold_locked(hold)
    _standing_check(hold)
    if hold.truck_in:
        raise Conflict(
            _("%(plate)s is in at dock %(dock)s, unloading: check it out first.")
            % {"plate": hold.plate, "dock": hold.dock.code},
            code="truck_inside",
        )
    hold.released_at = timezone.now()
    hold.released_by = actor if actor is not None and actor.is_authenticated else None
    hold.save(update_fields=["released_at", "released_by"])
    _hold_event(hold, "dock.hold_released", actor)
    return hold


# A gate clerk's clock may run a little ahead of the server's: a check-in or -out this far
# ahead of now is taken as now-ish, further is a mistake.
GATE_AHEAD = datetime.timedelta(minutes=2)


def _gate_time(at: datetime.datetime | None) -> datetime.datetime:
    """When the gate says a truck came or went: now if not said; refused (DomainError naming
    `at`) if ahead of now, as a gate reads what happened."""
    now = timezone.now()
    if at is None:
        return now
    if at > now + GATE_AHEAD:
        raise DomainError(
            _("A truck is checked in or out when it is at the gate, not ahead."), field="at"
        )
    return at


@service
def supplier_truck_check_in(
    *,
    hold: DockHold,
    plate: str,
    actor: AbstractBaseUser | None,
    at: datetime.datetime | None = None,
) -> DockHold:
    """The gate lets a supplier's truck in to the door held for its receiving
    (`supplier_truck.checked_in`, with how late it came against the hold's start): its dwell
    starts here. Refused, nothing written: no plate, or one too long (DomainError naming
    `plate`); a time ahead of now (`at`); a hold for anything but receiving (`hold`). A
    conflict: the hold released, or over by then; a truck in at it already; this plate in at
    another door. The hold's row lock makes two clerks check one truck in once."""
    plate = _plate(plate, "plate")
    if not plate:
        raise DomainError(_("Say the truck's plate."), field="plate", code="required")
    at = _gate_time(at)
    hold = _hold_locked(hold)
    if hold.reason != HoldReason.RECEIVING:
        raise DomainError(
            _(
                "Dock %(dock)s is held for %(why)s: a supplier's truck checks in at a door "
                "held for receiving."
            )
            % {"dock": hold.dock.code, "why": _hold_said(hold)},
            field="hold",
            code="not_receiving",
        )
    _standing_check(hold)
    if hold.checked_in_at is not None:
        raise Conflict(
            _("%(plate)s checked in at dock %(dock)s at %(at)s already.")
            % {
                "plate": hold.plate,
                "dock": hold.dock.code,
                "at": f"{_wall(hold.dock, hold.checked_in_at):%H:%M}",
            },
            code="inside_already",
        )
    if at >= hold.ends_at:
        raise Conflict(
            _("The hold of dock %(dock)s ended at %(end)s: hold the door again for this truck.")
            % {"dock": hold.dock.code, "end": f"{_wall(hold.dock, hold.ends_at):%m-%d %H:%M}"},
            field="at",
            code="hold_over",
        )
    inside = (
        DockHold.objects.alias(key=plate_key_of("plate"))
        .filter(TRUCK_IN, key=plate_key(plate))
        .select_related("dock")
        .first()
    )
    if inside is not None:
        raise Conflict(
            _("%(plate)s is checked in at dock %(dock)s already; it checks out there first.")
            % {"plate": inside.plate, "dock": inside.dock.code},
            field="plate",
            code="inside_already",
        )
    hold.plate, hold.checked_in_at = plate, at
    try:
        with transaction.atomic():
            hold.save(update_fields=["plate", "checked_in_at"])
    except IntegrityError as error:  # checked in at another door meanwhile
        if "dock_hold_plate_in_once" not in str(error):
            raise
        raise Conflict(
            _("%(plate)s was checked in at another door meanwhile.") % {"plate": plate},
            field="plate",
            code="inside_already",
        ) from None
    late = (at - hold.starts_at).total_seconds() / 60
    expected = hold.expected_plate
    _hold_event(
        hold,
        "supplier_truck.checked_in",
        actor,
        {
            "plate": plate,
            "at": at,
            "minutes_late": round(late, 1),
            # Another truck than the one said may come: told, not refused.
            "as_expected": plate_key(plate) == plate_key(expected) if expected else None,
        },
    )
    return hold


@service
def supplier_truck_check_out(
    *, hold: DockHold, actor: AbstractBaseUser | None, at: datetime.datetime | None = None
) -> DockHold:
    """A supplier's truck leaves the gate (`supplier_truck.checked_out`, with its dwell):
    the door it was held for is free from then, the hold ending when the truck left (or
    released, if it left before the hold began), so the office may book a truck there at
    once. Refused: no truck in at this hold (a conflict); a time before its check-in or
    ahead of now (DomainError naming `at`)."""
    at = _gate_time(at)
    hold = _hold_locked(hold)
    if hold.checked_in_at is None or hold.checked_out_at is not None:
        raise Conflict(
            _("No truck is in at this hold of dock %(dock)s to check out.")
            % {"dock": hold.dock.code},
            code="not_inside",
        )
    if at < hold.checked_in_at:
        raise DomainError(_("Check-out cannot be before check-in."), field="at")
    hold.checked_out_at = at
    fields = ["checked_out_at"]
    if hold.released_at is None and at <= hold.starts_at:
        hold.released_at, hold.released_by = at, actor if actor and actor.is_authenticated else None
        fields += ["released_at", "released_by"]
    elif hold.released_at is None and at < hold.ends_at:
        hold.ends_at = at
        fields.append("ends_at")
    hold.save(update_fields=fields)
    _hold_event(
        hold,
        "supplier_truck.checked_out",
        actor,
        {
            "plate": hold.plate,
            "at": at,
            "dwell_minutes": hold.dwell_minutes,
            "door_free_from": min(at, hold.ends_at),
        },
    )
    return hold


WALK_IN_MINUTES = (15, 480)  # how long a door is held for a truck that came unannounced


@service
def dock_hold_first_free(
    *,
    warehouse: Warehouse,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    reason: str,
    actor: AbstractBaseUser | None,
    receipt: Receipt | None = None,
    note: str = "",
    expected_plate: str = "",
) -> DockHold | None:
    """Hold the first door of the warehouse (by its code; in service) that is free in these
    hours, no truck booked there nor held then, as `dock_hold_place` holds one (`dock.held`);
    None, nothing written, if none is. Each door is tried under its row lock, so two hands
    at once get two doors. What `dock_hold_place` refuses of the hold itself (a receipt of
    another warehouse, hours past) is refused here too."""
    for dock in Dock.objects.filter(warehouse=warehouse, is_active=True).order_by("code"):
        try:
            return dock_hold_place(
                dock=dock,
                starts_at=starts_at,
                ends_at=ends_at,
                reason=reason,
                receipt=receipt,
                note=note,
                expected_plate=expected_plate,
                actor=actor,
            )
        except Conflict:  # booked or held then: the next door
            continue
    return None


@service
def supplier_truck_walk_in(
    *,
    warehouse: Warehouse,
    plate: str,
    minutes: int,
    actor: AbstractBaseUser | None,
    receipt: Receipt | None = None,
    note: str = "",
) -> DockHold:
    """A supplier's truck at the gate with no door held for it: the first door of the
    warehouse free from now for `minutes` is held for its receiving
    (`dock_hold_first_free`, `dock.held`) and the truck checked in to it
    (`supplier_truck.checked_in`), both or neither. Refused, nothing written: `minutes`
    out of `WALK_IN_MINUTES`, or what holding a door or checking a truck in refuses (naming
    the field); no door free then is a conflict naming `minutes`, the truck waits in the
    yard."""
    least, most = WALK_IN_MINUTES
    if not least <= minutes <= most:
        raise DomainError(
            _("From %(least)s to %(most)s minutes.") % {"least": least, "most": most},
            field="minutes",
        )
    now = timezone.now()
    hold = dock_hold_first_free(
        warehouse=warehouse,
        starts_at=now,
        ends_at=now + datetime.timedelta(minutes=minutes),
        reason=HoldReason.RECEIVING,
        receipt=receipt,
        note=note,
        actor=actor,
    )
    if hold is None:
        raise Conflict(
            _("No door of %(warehouse)s is free for the next %(minutes)s minutes: the truck waits.")
            % {"warehouse": warehouse.code, "minutes": minutes},
            field="minutes",
            code="no_door_free",
        )
    return supplier_truck_check_in(hold=hold, plate=plate, actor=actor, at=now)
