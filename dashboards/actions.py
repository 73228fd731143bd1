"""What people do from the pages: each action checks the role, calls one service and answers
with the part of the page that changed (htmx swaps it in), or says what was wrong and where.

Errors are the services' own (`DomainError`: a message naming the field); nothing of a
refused action is written, since each service runs in its one transaction.
"""

import datetime
import re
from collections.abc import Callable, Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import services as core_services
from core.access import require_role, role_anywhere, warehouse_ids_for
from core.choices import (
    EDI_LOG_ROLES,
    FLOOR_ROLES,
    FREIGHT_BILL_ROLES,
    LOT_PULL_ROLES,
    MASTER_DATA_ROLES,
    PLANNING_ROLES,
    QUALITY_HOLD_ROLES,
    SOP_WRITER_ROLES,
    STOCK_CONTROL_ROLES,
    TICKET_ROLES,
)
from core.clock import clock_text
from core.exceptions import DomainError, Forbidden
from core.models import Sop, Warehouse
from core.selectors import warehouses_of
from dashboards import services, shell, views
from dashboards.models import Alert, Department, Ticket, TicketKind
from dashboards.services import alert_acknowledge
from integrations import services as integrations_services
from integrations.models import FreightInvoice
from integrations.selectors import edi_resend_warehouse
from integrations.sheets import items as item_sheets
from integrations.sheets.orders import orders_from_sheet, template_csv
from integrations.sheets.reading import MAX_BYTES, SheetRefused
from integrations.sheets.reading import TOO_BIG as SHEET_TOO_BIG
from inventory import services as stock_services
from inventory.api.serializers import SupplierSerializer
from inventory.models import Item, Location, Lot, Receipt, Supplier, Task, Zone
from inventory.selectors import (
    item_by_code,
    items_by_sku,
    location_by_barcode,
    lots_in_zone,
    receipt_by_reference,
    supplier_by_code,
)
from inventory.services import receipt_unit_receive, stock_receive, task_assign
from shipping import services as shipping
from shipping.choices import StopStatus, TrackingSource, TrackingStatus
from shipping.models import (
    Dock,
    DockAppointment,
    DockHold,
    Driver,
    HandlingUnit,
    Load,
    Order,
    Shipment,
    Vehicle,
)
from shipping.selectors import stop_return_reference


class FormError(DomainError):
    """A field of a page's form is missing or malformed."""


# The fields refusals name (a form's own, or the service's), as the person saw them on the
# page: the form field to put the cursor back in, and its label there.
FIELDS: dict[str, tuple[str, str]] = {
    "vehicle": ("vehicle", gettext_lazy("Vehicle")),
    "control": ("control", None),  # an interchange's control number: the reason names it
    "driver": ("driver", gettext_lazy("Driver")),
    "dock": ("dock", gettext_lazy("Dock")),
    "starts_at": ("starts_at", gettext_lazy("Arrives")),
    "minutes": ("minutes", gettext_lazy("Minutes at the dock")),
    "hours": ("hours", gettext_lazy("Hours")),
    "days": ("days", gettext_lazy("Days")),
    "ends_at": ("minutes", gettext_lazy("Minutes at the dock")),
    "load": ("load", gettext_lazy("For load")),
    "orders": ("orders", gettext_lazy("Orders")),
    "location_barcode": ("location_barcode", gettext_lazy("Dock location")),
    "location": ("location_barcode", gettext_lazy("Dock location")),
    "item_code": ("item_code", gettext_lazy("Item")),
    "item": ("item_code", gettext_lazy("Item")),
    "quantity": ("quantity", gettext_lazy("Quantity")),
    "lot_code": ("lot_code", gettext_lazy("Lot")),
    "lot": ("lot_code", gettext_lazy("Lot")),
    "expires_on": ("expires_on", gettext_lazy("Expires")),
    "user": ("user", gettext_lazy("Given to")),
    "task": ("", gettext_lazy("Task")),
    "lane": ("lane", gettext_lazy("Lane")),
    "sscc": ("sscc", gettext_lazy("SSCC")),
    "units": ("sscc", gettext_lazy("Units")),
    "warehouse": ("", gettext_lazy("Warehouse")),
    "reason": ("reason", gettext_lazy("Reason")),
    "line_no": ("", gettext_lazy("Line")),
    "status": ("", gettext_lazy("Status")),
    "what": ("what", gettext_lazy("Report")),
    "outcome": ("what", gettext_lazy("Report")),
    "stop": ("", gettext_lazy("Stop")),
    "receiver_name": ("receiver_name", gettext_lazy("Received by")),
    "note": ("note", gettext_lazy("Note")),
    "settlement": ("", gettext_lazy("Settlement")),
    "delay": ("delay", gettext_lazy("Minutes late")),
    "delay_minutes": ("delay", gettext_lazy("Minutes late")),
    "photo": ("photo", gettext_lazy("Photo")),
    "at": ("", gettext_lazy("Time")),
    "order": ("order", gettext_lazy("Order")),
    "waybill": ("waybill", gettext_lazy("Waybill")),
    "title": ("title", gettext_lazy("What is wrong")),
    "kind": ("kind", gettext_lazy("Kind")),
    "department": ("department", gettext_lazy("For")),
    "subject_id": ("subject_id", gettext_lazy("About")),
    "text": ("text", gettext_lazy("Note")),
    "resolution": ("resolution", gettext_lazy("How it was resolved")),
    "code": ("code", gettext_lazy("Code")),
    "sop_title": ("sop_title", gettext_lazy("Title")),
    "scope": ("scope", gettext_lazy("Applies to")),
    "body": ("body", gettext_lazy("Procedure")),
    "valid_days": ("valid_days", gettext_lazy("Training valid (days)")),
    "trained_on": ("trained_on", gettext_lazy("on")),
    "plate": ("plate", gettext_lazy("Plate")),
    "expected_plate": ("expected_plate", gettext_lazy("Plate expected")),
    "hold": ("", gettext_lazy("Door held")),
}


def _field(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name, "").strip()
    if not value:
        raise FormError(_("This field is required."), field=name)
    return value


def _chosen(request: HttpRequest, name: str, rows: QuerySet | type[Model]) -> Model:  # type: ignore[type-arg]
    """The row a form's select field names, or a FormError naming the field."""
    raw = _field(request, name)
    rows = rows._default_manager.all() if isinstance(rows, type) else rows
    pk = views.whole_number(raw)
    found = rows.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise FormError(_("No such choice: %(value)s") % {"value": raw}, field=name)
    return found


# How far from now a time typed into a planning form may be: further is a typo.
PLANNING_REACH = datetime.timedelta(days=366)


def _local_time(request: HttpRequest, name: str, warehouse: Warehouse) -> datetime.datetime:
    """A `datetime-local` field, read on the warehouse's wall clock, within a year of now."""
    raw = _field(request, name)
    try:
        moment = datetime.datetime.fromisoformat(raw).replace(tzinfo=warehouse.zone())
    except ValueError:
        raise FormError(_("Not a date and time: %(value)s") % {"value": raw}, field=name) from None
    if abs(moment - timezone.now()) > PLANNING_REACH:
        raise FormError(_("%(value)s is more than a year away.") % {"value": raw}, field=name)
    return moment


def _location(request: HttpRequest, name: str, warehouse_id: int) -> Location:
    """The location of the warehouse whose barcode a form's field holds (a scan)."""
    barcode = _field(request, name)
    location = location_by_barcode(warehouse_id=warehouse_id, barcode=barcode)
    if location is None:
        raise FormError(
            _("No location %(code)s in this warehouse.") % {"code": barcode}, field=name
        )
    return location


def _units(request: HttpRequest, name: str, message: str) -> int:
    """A whole number of units, at least 1, from a form's field; `message` if it is not."""
    units = views.whole_number(_field(request, name))
    if units is None or units < 1:
        raise FormError(message, field=name)
    return units


def _minutes(request: HttpRequest, name: str) -> datetime.timedelta:
    minutes = views.whole_number(_field(request, name))
    if minutes is None or not 5 <= minutes <= 600:
        raise FormError(_("Minutes between 5 and 600."), field=name)
    return datetime.timedelta(minutes=minutes)


def _answer(
    request: HttpRequest,
    page: Callable[[HttpRequest], HttpResponse],
    act: Callable[[], str],
    fields: Mapping[str, tuple[str, str]] | None = None,
) -> HttpResponse:
    """Run the action; answer with the page part (htmx) or the page, and a message. `fields`:
    how this action's form names a field where it differs from `FIELDS`."""
    try:
        request.flash = {"good": True, "text": act()}  # type: ignore[attr-defined]
    except DomainError as error:
        request.flash = refusal(error, fields)  # type: ignore[attr-defined]
    if request.htmx:  # type: ignore[attr-defined]
        return page(request)
    return redirect(request.META.get("HTTP_REFERER") or "home")


def refusal(error: DomainError, fields: Mapping[str, tuple[str, str]] | None = None) -> dict:
    """What a refused action says: the field by its label on the page, and the reason; and
    which form field it was (`field`), for the page to put the cursor back there with what
    was typed still in the form."""
    if not error.field:
        return {"good": False, "text": error.message, "field": ""}
    name, label = {**FIELDS, **(fields or {})}.get(
        error.field, (error.field, error.extra.get("label", error.field))
    )
    if label is None:  # the reason names the field itself
        return {"good": False, "text": error.message, "field": name}
    text = _("%(field)s: %(reason)s") % {"field": label, "reason": error.message}
    return {"good": False, "text": text, "field": name}


def _board(request: HttpRequest) -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["fragment"] = "board"
    request.GET.setdefault("warehouse", request.POST.get("warehouse_code", ""))
    return views.dispatch(request)


def _floor(request: HttpRequest, part: str = "supervise") -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["fragment"] = part
    request.GET.setdefault("warehouse", request.POST.get("warehouse_code", ""))
    return views.floor(request)


# --- the alert bell ---------------------------------------------------------------------


@login_required
@require_POST
def alert_take(request: HttpRequest, pk: int) -> HttpResponse:
    """'I'll take it': acknowledge an alert from the bell; answer with the fresh bell."""
    alert = get_object_or_404(Alert, pk=pk, warehouse_id__in=warehouse_ids_for(request.user))

    def act() -> str:
        alert_acknowledge(alert=alert, actor=request.user)
        return _("Acknowledged.")

    return _answer(request, shell.bell, act)


# --- the dispatch board -----------------------------------------------------------------


@login_required
@require_POST
def appointment_book(request: HttpRequest) -> HttpResponse:
    """Book a truck at a dock for a time slot, optionally for a load: without a truck chosen,
    the load's own."""

    def act() -> str:
        dock = _chosen(request, "dock", Dock)
        require_role(request.user, dock.warehouse_id, PLANNING_ROLES)
        load = None
        if request.POST.get("load"):
            load = _chosen(
                request,
                "load",
                Load.objects.filter(warehouse_id=dock.warehouse_id).select_related("vehicle"),
            )
        if request.POST.get("vehicle", "").strip() or load is None:
            vehicle = _chosen(request, "vehicle", Vehicle)
        else:
            vehicle = load.vehicle
        starts_at = _local_time(request, "starts_at", dock.warehouse)
        shipping.appointment_book(
            dock=dock,
            vehicle=vehicle,
            starts_at=starts_at,
            ends_at=starts_at + _minutes(request, "minutes"),
            load=load,
            actor=request.user,
        )
        return _("Booked %(plate)s at %(dock)s, %(time)s.") % {
            "plate": vehicle.plate,
            "dock": dock.code,
            "time": f"{starts_at:%H:%M}",
        }

    return _answer(request, _board, act)


@login_required
@require_POST
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a booked appointment to another time or dock."""

    def act() -> str:
        appointment = get_object_or_404(DockAppointment.objects.select_related("dock"), pk=pk)
        warehouse = appointment.dock.warehouse
        require_role(request.user, warehouse.pk, PLANNING_ROLES)
        dock = appointment.dock
        if request.POST.get("dock"):
            dock = _chosen(request, "dock", Dock.objects.filter(warehouse=warehouse))
        starts_at = _local_time(request, "starts_at", warehouse)
        length = appointment.ends_at - appointment.starts_at
        shipping.appointment_move(
            appointment=appointment,
            dock=dock,
            starts_at=starts_at,
            ends_at=starts_at + length,
            actor=request.user,
        )
        return _("Moved to %(dock)s, %(time)s.") % {"dock": dock.code, "time": f"{starts_at:%H:%M}"}

    return _answer(request, _board, act)


@login_required
@require_POST
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a booked appointment, freeing its slot."""

    def act() -> str:
        appointment = get_object_or_404(
            DockAppointment.objects.select_related("dock", "vehicle"), pk=pk
        )
        require_role(request.user, appointment.dock.warehouse_id, PLANNING_ROLES)
        shipping.appointment_cancel(appointment=appointment, actor=request.user)
        return _("Appointment of %(plate)s at %(dock)s cancelled; the slot is free.") % {
            "plate": appointment.vehicle.plate,
            "dock": appointment.dock.code,
        }

    return _answer(request, _board, act)


# The hold form's fields where they differ from `FIELDS` (the service speaks of the hold's
# ends; the form asks from when, and for how many hours).
HOLD_FIELDS = {
    "starts_at": ("starts_at", gettext_lazy("From")),
    "ends_at": ("hours", gettext_lazy("Hours")),
}


def _hours(request: HttpRequest, name: str) -> datetime.timedelta:
    """A number of hours typed into a form, a quarter of an hour to a week."""
    raw = _field(request, name)
    try:
        hours = float(raw.replace(",", "."))
    except ValueError:
        hours = float("nan")
    if not 0.25 <= hours <= 24 * 7:  # also refuses nan and inf
        raise FormError(_("Hours between 0.25 and 168."), field=name)
    return datetime.timedelta(minutes=round(hours * 60))


@login_required
@require_POST
def dock_hold(request: HttpRequest) -> HttpResponse:
    """Hold a dock from loading for some hours: receiving (a receipt's truck), a repair, or
    another reason the note says."""

    def act() -> str:
        dock = _chosen(request, "dock", Dock)
        require_role(request.user, dock.warehouse_id, PLANNING_ROLES)
        receipt = None
        if request.POST.get("receipt"):
            receipt = _chosen(request, "receipt", Receipt.objects.filter(warehouse=dock.warehouse))
        days = views.whole_number(request.POST.get("days", "").strip() or "1")
        if days is None:
            raise FormError(_("A whole number of days."), field="days")
        if days > 1 and receipt is not None:
            raise FormError(_("A receipt's truck comes once: hold its door one day."), field="days")
        starts_at = _local_time(request, "starts_at", dock.warehouse)
        held = {
            "dock": dock,
            "starts_at": starts_at,
            "ends_at": starts_at + _hours(request, "hours"),
            "reason": request.POST.get("reason", ""),
            "note": request.POST.get("note", ""),
            "expected_plate": request.POST.get("expected_plate", ""),
            "actor": request.user,
        }
        if days == 1:
            hold = shipping.dock_hold_place(receipt=receipt, **held)
        else:
            hold = shipping.dock_holds_place_daily(days=days, **held)[0]
        said = {
            "dock": dock.code,
            "start": f"{starts_at:%H:%M}",
            "end": f"{timezone.localtime(hold.ends_at, dock.warehouse.zone()):%H:%M}",
            "why": hold.get_reason_display().lower(),
            "days": days,
        }
        if days > 1:
            return (
                _("%(dock)s is held %(start)s-%(end)s for %(why)s, %(days)s days running.") % said
            )
        return _("%(dock)s is held %(start)s-%(end)s for %(why)s.") % said

    return _answer(request, _board, act, HOLD_FIELDS)


@login_required
@require_POST
def dock_hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Release a dock's hold: it takes bookings in those hours again."""

    def act() -> str:
        hold = get_object_or_404(DockHold.objects.select_related("dock"), pk=pk)
        require_role(request.user, hold.dock.warehouse_id, PLANNING_ROLES)
        shipping.dock_hold_release(hold=hold, actor=request.user)
        return _("%(dock)s takes bookings again.") % {"dock": hold.dock.code}

    return _answer(request, _board, act)


def _orders_ticked(request: HttpRequest, warehouse: Warehouse) -> list[Order]:
    """The orders of the warehouse a form's `orders` boxes name; a FormError naming the
    field for none, or for one that is not such an order."""
    ids = request.POST.getlist("orders")
    if not ids:
        raise FormError(_("Choose at least one order."), field="orders")
    wanted = {raw: n for raw in ids if (n := views.whole_number(raw)) is not None}
    found = {o.pk: o for o in Order.objects.filter(pk__in=wanted.values(), warehouse=warehouse)}
    missing = [raw for raw in ids if wanted.get(raw) not in found]
    if missing:
        raise FormError(
            _("No such order in this warehouse: %(value)s") % {"value": ", ".join(missing)},
            field="orders",
        )
    return [found[wanted[raw]] for raw in dict.fromkeys(ids)]


@login_required
@require_POST
def load_build(request: HttpRequest) -> HttpResponse:
    """Put chosen allocated orders on a vehicle of the warehouse."""

    def act() -> str:
        warehouse = _chosen(request, "warehouse", Warehouse)
        require_role(request.user, warehouse.pk, PLANNING_ROLES)
        vehicle = _chosen(request, "vehicle", Vehicle)
        orders = _orders_ticked(request, warehouse)
        driver = _chosen(request, "driver", Driver) if request.POST.get("driver") else None
        slot = None
        if request.POST.get("dock"):  # a proposal's slot, booked with the load
            dock = _chosen(request, "dock", Dock.objects.filter(warehouse=warehouse))
            starts_at = _local_time(request, "starts_at", warehouse)
            slot = shipping.DockSlot(dock, starts_at, starts_at + _minutes(request, "minutes"))
        load = shipping.load_build(
            warehouse=warehouse,
            vehicle=vehicle,
            orders=orders,
            driver=driver,
            slot=slot,
            actor=request.user,
        )
        said = _("Load %(load)s planned on %(plate)s.") % {
            "load": load.reference,
            "plate": vehicle.plate,
        }
        if slot is not None:
            said += " " + _("Booked at %(dock)s, %(start)s–%(end)s.") % {
                "dock": slot.dock.code,
                "start": clock_text(slot.starts_at, warehouse.zone()),
                "end": f"{slot.ends_at:%H:%M}",
            }
        return said

    return _answer(request, _board, act)


@login_required
@require_POST
def wave_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Plan the load's wave (timed from its appointment) if it has none, and release it."""

    def act() -> str:
        load = get_object_or_404(Load, pk=pk)
        require_role(request.user, load.warehouse_id, PLANNING_ROLES)
        wave = getattr(load, "wave", None) or shipping.wave_plan(load=load, actor=request.user)
        shipping.wave_release(wave=wave, actor=request.user)
        return _("Wave of %(load)s released to the floor.") % {"load": load.reference}

    return _answer(request, _board, act)


def _returned_label(name: str) -> dict[str, str]:
    """The label of a stop report's `returned_<SKU>` input, as the board shows it."""
    return {"label": _("Came back: %(sku)s") % {"sku": name.removeprefix("returned_")}}


def _came_back(request: HttpRequest) -> tuple[list[str], list[tuple[Item, int]]]:
    """A stop report's `returned_<SKU>` inputs that were filled in: their names, and each
    item with its units (a whole number, at least 1, or a FormError naming the input)."""
    filled = {
        key.removeprefix("returned_"): value.strip()
        for key, value in request.POST.items()
        if key.startswith("returned_") and value.strip()
    }
    items = items_by_sku(filled)
    for sku, value in filled.items():
        name = f"returned_{sku}"
        if (views.whole_number(value) or 0) < 1:
            raise FormError(
                _("A whole number of units, at least 1."), field=name, extra=_returned_label(name)
            )
        if sku not in items:
            raise FormError(_("No such item."), field=name, extra=_returned_label(name))
    return [f"returned_{sku}" for sku in filled], [
        (items[sku], int(value)) for sku, value in filled.items()
    ]


def stop_reported(request: HttpRequest, shipment: Shipment, actor: AbstractBaseUser | None) -> str:
    """What the driver says of one of the shipment's stops (the form's `stop`), now: arrived;
    running late by so many minutes (every open stop's ETA moves); delivered to someone, with
    a photo if one came; partly delivered or refused, with what and why. Recorded as the
    driver's word, through the shipping services; returns what the page says of it."""
    stop = _chosen(request, "stop", shipment.stops.select_related("ship_to"))
    what = _field(request, "what")
    note = request.POST.get("note", "").strip()
    now = timezone.now()
    returned: list[tuple[Item, int]] = []
    if what in ("arrived", "delayed"):
        late = what == "delayed"
        shipping.tracking_record(
            shipment=shipment,
            status=TrackingStatus.DELAYED if late else TrackingStatus.ARRIVED,
            at=now,
            stop_sequence=stop.sequence,
            delay_minutes=_units(request, "delay", _("A whole number of minutes, at least 1."))
            if late
            else 0,
            note=note,
            source=TrackingSource.DRIVER,
            actor=actor,
        )
    elif what in views.STOP_REPORTS:
        fields, returned = _came_back(request)
        try:
            shipping.delivery_record(
                stop=stop,
                outcome=what,
                receiver_name=request.POST.get("receiver_name", ""),
                note=note,
                at=now,
                actor=actor,
                returned=returned,
                photo=request.FILES.get("photo"),
            )
        except DomainError as error:  # about a returned line: the input it came from
            at = re.fullmatch(r"returned(?:\[(\d+)\]\.\w+)?", error.field or "")
            if at is None:
                raise
            name = fields[int(at[1] or 0)]
            raise FormError(error.message, field=name, extra=_returned_label(name)) from error
    else:
        raise FormError(_("No such choice: %(value)s") % {"value": what}, field="what")
    said = _("Stop %(n)s, %(place)s: %(what)s.") % {
        "n": stop.sequence,
        "place": stop.ship_to.name,
        "what": views.STOP_REPORTS[what],
    }
    if what == StopStatus.REFUSED or (what == StopStatus.PARTIAL and returned):
        said += " " + _("The goods are expected back on receipt %(receipt)s.") % {
            "receipt": stop_return_reference(stop)
        }
    return said


@login_required
@require_POST
def stop_report(request: HttpRequest, pk: int) -> HttpResponse:
    """What the driver phoned in about a shipment's next stop (`stop_reported`)."""

    def act() -> str:
        shipment = get_object_or_404(Shipment.objects.select_related("load"), pk=pk)
        require_role(request.user, shipment.load.warehouse_id, PLANNING_ROLES)
        return stop_reported(request, shipment, request.user)

    return _answer(request, _board, act)


@login_required
@require_POST
def stop_waybill(request: HttpRequest, pk: int) -> HttpResponse:
    """The carrier's waybill of one of a shipment's stops (the form's `stop`), as its label
    or its system gives it; empty takes a wrong one off (`stop_waybill_record`)."""

    def act() -> str:
        shipment = get_object_or_404(Shipment.objects.select_related("load", "carrier"), pk=pk)
        require_role(request.user, shipment.load.warehouse_id, PLANNING_ROLES)
        stop = _chosen(request, "stop", shipment.stops.select_related("ship_to"))
        stop = shipping.stop_waybill_record(
            stop=stop, waybill=request.POST.get("waybill", ""), actor=request.user
        )
        said = {"n": stop.sequence, "place": stop.ship_to.name, "waybill": stop.waybill}
        if stop.waybill:
            return _("Stop %(n)s, %(place)s: waybill %(waybill)s.") % said
        return _("Stop %(n)s, %(place)s: no waybill.") % said

    return _answer(request, _board, act)


@login_required
@require_POST
def load_order_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take an order off a planned load whose wave is not on the floor."""

    def act() -> str:
        load = get_object_or_404(Load, pk=pk)
        require_role(request.user, load.warehouse_id, PLANNING_ROLES)
        order = _chosen(request, "order", load.orders.all())
        shipping.load_order_remove(load=load, order=order, actor=request.user)
        return _("Order %(order)s taken off %(load)s.") % {
            "order": order.external_ref,
            "load": load.reference,
        }

    return _answer(request, _board, act)


@login_required
@require_POST
def load_order_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Put an allocated order on a planned load (and its wave, if not yet picked)."""

    def act() -> str:
        load = get_object_or_404(Load, pk=pk)
        require_role(request.user, load.warehouse_id, PLANNING_ROLES)
        order = _chosen(request, "order", Order.objects.filter(warehouse_id=load.warehouse_id))
        shipping.load_order_add(load=load, order=order, actor=request.user)
        return _("Order %(order)s added to %(load)s.") % {
            "order": order.external_ref,
            "load": load.reference,
        }

    return _answer(request, _board, act)


@login_required
@require_POST
def load_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a planned load whose wave is not on the floor; its orders wait for another."""

    def act() -> str:
        load = get_object_or_404(Load, pk=pk)
        require_role(request.user, load.warehouse_id, PLANNING_ROLES)
        shipping.load_cancel(load=load, actor=request.user)
        return _("Load %(load)s cancelled; its orders wait for another load.") % {
            "load": load.reference
        }

    return _answer(request, _board, act)


@login_required
@require_POST
def waves_release_switch(request: HttpRequest) -> HttpResponse:
    """Waves of the warehouse released on time by themselves (`on_time` 1), or by the office
    (0); for planners."""

    def act() -> str:
        warehouse = get_object_or_404(Warehouse, code=request.POST.get("warehouse_code", ""))
        require_role(request.user, warehouse.pk, PLANNING_ROLES)
        on = _field(request, "on_time") == "1"
        core_services.warehouse_waves_release_set(warehouse=warehouse, on=on, actor=request.user)
        if on:
            return _(
                "Each truck's wave now goes to the floor by itself when its picking must start."
            )
        return _("Waves now wait for the office to release them.")

    return _answer(request, _board, act)


@login_required
@require_POST
def load_vehicle_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a planned load on another vehicle, or give it another driver (none: "")."""

    def act() -> str:
        load = get_object_or_404(Load, pk=pk)
        require_role(request.user, load.warehouse_id, PLANNING_ROLES)
        vehicle = _chosen(request, "vehicle", Vehicle)
        driver = _chosen(request, "driver", Driver) if request.POST.get("driver") else None
        shipping.load_vehicle_change(load=load, vehicle=vehicle, driver=driver, actor=request.user)
        if driver is None:
            return _("Load %(load)s goes on %(plate)s, with no driver yet.") % {
                "load": load.reference,
                "plate": vehicle.plate,
            }
        return _("Load %(load)s goes on %(plate)s, driven by %(driver)s.") % {
            "load": load.reference,
            "plate": vehicle.plate,
            "driver": driver.name,
        }

    return _answer(request, _board, act)


# --- the floor: supervisors -------------------------------------------------------------


@login_required
@require_POST
def task_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor gives an open task to someone on the floor."""

    def act() -> str:
        task = get_object_or_404(Task, pk=pk)
        require_role(request.user, task.warehouse_id, STOCK_CONTROL_ROLES & FLOOR_ROLES)
        user = _chosen(request, "user", get_user_model())
        task_assign(task=task, user=user, actor=request.user)
        return _("Task %(task)s given to %(user)s.") % {
            "task": task.pk,
            "user": user.get_full_name() or user.get_username(),
        }

    return _answer(request, _floor, act)


@login_required
@require_POST
def receipt_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Receive scanned goods against an expected receipt at a scanned dock location."""

    def act() -> str:
        receipt = get_object_or_404(Receipt, pk=pk)
        require_role(request.user, receipt.warehouse_id, FLOOR_ROLES)
        code = _field(request, "item_code")
        item = item_by_code(code)
        if item is None:
            raise FormError(_("No item has the code %(code)s.") % {"code": code}, field="item_code")
        location = _location(request, "location_barcode", receipt.warehouse_id)
        quantity = _units(request, "quantity", _("A whole number of at least 1."))
        expires = request.POST.get("expires_on") or None
        stock_receive(
            item=item,
            quantity=quantity,
            location=location,
            receipt=receipt,
            lot_code=request.POST.get("lot_code") or None,
            expires_on=datetime.date.fromisoformat(expires) if expires else None,
            actor=request.user,
        )
        return _("Received %(quantity)s × %(item)s at %(location)s.") % {
            "quantity": quantity,
            "item": item.sku,
            "location": location.barcode,
        }

    return _answer(request, lambda r: _floor(r, "receiving"), act)


@login_required
@require_POST
def receipt_pallet_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Receive a whole pallet of an expected receipt by the scan of its label (its SSCC) at a
    scanned dock location: everything it holds, with lots and expiry dates."""

    def act() -> str:
        receipt = get_object_or_404(Receipt, pk=pk)
        require_role(request.user, receipt.warehouse_id, FLOOR_ROLES)
        location = _location(request, "location_barcode", receipt.warehouse_id)
        unit = receipt_unit_receive(
            receipt=receipt, sscc=_field(request, "sscc"), location=location, actor=request.user
        )
        n = unit.lines.count()
        return ngettext(
            "Received pallet %(sscc)s at %(location)s: %(n)s item.",
            "Received pallet %(sscc)s at %(location)s: %(n)s items.",
            n,
        ) % {"sscc": unit.sscc, "location": location.barcode, "n": n}

    return _answer(request, lambda r: _floor(r, "receiving"), act)


# --- the floor: packing bench and dock --------------------------------------------------

GATE_ROLES = PLANNING_ROLES | FLOOR_ROLES


def _dock(request: HttpRequest) -> HttpResponse:
    return _floor(request, "dock")


@login_required
@require_POST
def order_pack(request: HttpRequest, pk: int) -> HttpResponse:
    """Pack all that is picked of an order into one handling unit with a new SSCC."""

    def act() -> str:
        order = get_object_or_404(Order, pk=pk)
        require_role(request.user, order.warehouse_id, FLOOR_ROLES)
        unit = shipping.unit_pack(order=order, contents=None, actor=request.user)
        return _("Packed %(order)s into unit %(sscc)s: print its label.") % {
            "order": order.external_ref,
            "sscc": unit.sscc,
        }

    return _answer(request, _dock, act)


def _bench(pk: int) -> Callable[[HttpRequest], HttpResponse]:
    def page(request: HttpRequest) -> HttpResponse:
        request.GET = request.GET.copy()
        request.GET["fragment"] = "body"
        return views.pack_bench(request, pk)

    return page


@login_required
@require_POST
def unit_close(request: HttpRequest, pk: int) -> HttpResponse:
    """At the packing bench: close a unit with the units typed per line (`qty-<line no>`;
    blank or 0 leaves the line out), under a new SSCC."""

    def act() -> str:
        order = get_object_or_404(Order, pk=pk)
        require_role(request.user, order.warehouse_id, FLOOR_ROLES)
        contents = []
        for line in order.lines.order_by("line_no"):
            name = f"qty-{line.line_no}"
            raw = request.POST.get(name, "").strip()
            units = views.whole_number(raw)
            if not raw or units == 0:
                continue
            if units is None:
                raise FormError(
                    _("Must be a whole number of units, zero or more."),
                    field=name,
                    extra={"label": _("Line %(line)s") % {"line": line.line_no}},
                )
            contents.append((line, units))
        if not contents:
            raise FormError(_("Put at least one unit in."))
        try:
            unit = shipping.unit_pack(order=order, contents=contents, actor=request.user)
        except DomainError as error:  # the service names a line by its place in `contents`
            place = re.fullmatch(r"contents\[(\d+)\]\.\w+", error.field or "")
            if place is None:
                raise
            line_no = contents[int(place[1])][0].line_no
            # Its message names the line already.
            raise FormError(error.message, field=f"qty-{line_no}", extra={"label": None}) from None
        units = sum(quantity for _line, quantity in contents)
        return ngettext(
            "Unit %(sscc)s closed with %(units)s unit: print its label.",
            "Unit %(sscc)s closed with %(units)s units: print its label.",
            units,
        ) % {"sscc": unit.sscc, "units": units}

    return _answer(request, _bench(pk), act)


@login_required
@require_POST
def unit_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """Bring a packed unit to the staging or dock lane scanned."""

    def act() -> str:
        unit = get_object_or_404(HandlingUnit, pk=pk)
        require_role(request.user, unit.warehouse_id, FLOOR_ROLES)
        lane = _location(request, "lane", unit.warehouse_id)
        shipping.unit_stage(unit=unit, lane=lane, actor=request.user)
        return _("Unit %(sscc)s staged at %(lane)s.") % {"sscc": unit.sscc, "lane": lane.barcode}

    return _answer(request, _dock, act)


@login_required
@require_POST
def truck_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The gate lets a booked truck in: its time at the dock starts."""

    def act() -> str:
        appointment = get_object_or_404(
            DockAppointment.objects.select_related("dock", "vehicle"), pk=pk
        )
        require_role(request.user, appointment.dock.warehouse_id, GATE_ROLES)
        shipping.vehicle_check_in(appointment=appointment, actor=request.user)
        return _("%(plate)s checked in at %(dock)s.") % {
            "plate": appointment.vehicle.plate,
            "dock": appointment.dock.code,
        }

    return _answer(request, _dock, act)


def _held_for_receiving(request: HttpRequest, pk: int) -> DockHold:
    """The hold whose supplier's truck the gate deals with, for one who may work the gate."""
    hold = get_object_or_404(DockHold.objects.select_related("dock"), pk=pk)
    require_role(request.user, hold.dock.warehouse_id, GATE_ROLES)
    return hold


@login_required
@require_POST
def supplier_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The gate lets a supplier's truck in to the door held for its receiving, by its plate."""

    def act() -> str:
        hold = shipping.supplier_truck_check_in(
            hold=_held_for_receiving(request, pk),
            plate=request.POST.get("plate", ""),
            actor=request.user,
        )
        return _("%(plate)s checked in at %(dock)s.") % {
            "plate": hold.plate,
            "dock": hold.dock.code,
        }

    return _answer(request, _dock, act)


@login_required
@require_POST
def supplier_walk_in(request: HttpRequest) -> HttpResponse:
    """A supplier's truck at the gate with no door held for it: the first door free is held
    for it, and it is checked in there."""

    def act() -> str:
        warehouse = get_object_or_404(Warehouse, code=request.POST.get("warehouse_code", ""))
        require_role(request.user, warehouse.pk, GATE_ROLES)
        minutes = views.whole_number(request.POST.get("minutes", "").strip() or "60")
        if minutes is None:
            raise FormError(_("A whole number of minutes."), field="minutes")
        receipt = None
        if reference := request.POST.get("receipt", "").strip():
            receipt = receipt_by_reference(warehouse_id=warehouse.pk, reference=reference)
            if receipt is None:
                raise FormError(
                    _("No receipt %(reference)s here.") % {"reference": reference},
                    field="receipt",
                )
        hold = shipping.supplier_truck_walk_in(
            warehouse=warehouse,
            plate=request.POST.get("plate", ""),
            minutes=minutes,
            receipt=receipt,
            note=request.POST.get("note", ""),
            actor=request.user,
        )
        return _("%(plate)s checked in at %(dock)s, held for it until %(end)s.") % {
            "plate": hold.plate,
            "dock": hold.dock.code,
            "end": f"{timezone.localtime(hold.ends_at, warehouse.zone()):%H:%M}",
        }

    return _answer(request, _dock, act, WALK_IN_FIELDS)


# The walk-in form's own fields, where they differ from `FIELDS`.
WALK_IN_FIELDS = {
    "minutes": ("minutes", gettext_lazy("Minutes at the door")),
    "receipt": ("receipt", gettext_lazy("Receipt")),
}


@login_required
@require_POST
def supplier_check_out(request: HttpRequest, pk: int) -> HttpResponse:
    """The supplier's truck leaves: its time at the door is measured and the door is free."""

    def act() -> str:
        hold = shipping.supplier_truck_check_out(
            hold=_held_for_receiving(request, pk), actor=request.user
        )
        return _("%(plate)s left %(dock)s after %(minutes)s min: the door is free.") % {
            "plate": hold.plate,
            "dock": hold.dock.code,
            "minutes": round(hold.dwell_minutes),
        }

    return _answer(request, _dock, act)


@login_required
@require_POST
def load_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """Scan a staged unit onto the truck of this load."""

    def act() -> str:
        load = get_object_or_404(Load, pk=pk)
        require_role(request.user, load.warehouse_id, FLOOR_ROLES)
        unit = shipping.load_scan(load=load, sscc=_field(request, "sscc"), actor=request.user)
        return _("Unit %(sscc)s is on %(load)s.") % {"sscc": unit.sscc, "load": load.reference}

    return _answer(request, _dock, act)


@login_required
@require_POST
def unit_unload(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a scanned unit off the truck of this load, back to its lane."""

    def act() -> str:
        load = get_object_or_404(Load, pk=pk)
        require_role(request.user, load.warehouse_id, FLOOR_ROLES)
        unit = shipping.unit_unload(load=load, sscc=_field(request, "sscc"), actor=request.user)
        return _("Unit %(sscc)s is off %(load)s, back on lane %(lane)s.") % {
            "sscc": unit.sscc,
            "load": load.reference,
            "lane": unit.location.barcode,
        }

    return _answer(request, _dock, act)


@login_required
@require_POST
def load_depart(request: HttpRequest, pk: int) -> HttpResponse:
    """The loaded truck leaves: its orders ship and the shipment starts."""

    def act() -> str:
        load = get_object_or_404(Load.objects.select_related("vehicle"), pk=pk)
        require_role(request.user, load.warehouse_id, GATE_ROLES)
        shipment = shipping.load_depart(load=load, actor=request.user)
        return _("%(plate)s left with %(load)s: shipment %(shipment)s.") % {
            "plate": load.vehicle.plate,
            "load": load.reference,
            "shipment": shipment.reference,
        }

    return _answer(request, _dock, act)


# --- an order: changes the customer asks for ----------------------------------------------


def _order(request: HttpRequest, pk: int) -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["fragment"] = "body"
    return views.order_page(request, pk)


@login_required
@require_POST
def order_line_change(request: HttpRequest, pk: int, line_no: int) -> HttpResponse:
    """Change a line's quantity: less gives stock back, more reserves it."""

    def act() -> str:
        order = get_object_or_404(Order, pk=pk)
        require_role(request.user, order.warehouse_id, PLANNING_ROLES)
        quantity = _units(
            request, "quantity", _("A whole number of at least 1; cancel the order to drop it.")
        )
        shipping.order_line_change(
            order=order, line_no=line_no, quantity=quantity, actor=request.user
        )
        return _("Line %(line)s of %(order)s is now %(quantity)s.") % {
            "line": line_no,
            "order": order.external_ref,
            "quantity": quantity,
        }

    return _answer(request, lambda r: _order(r, pk), act)


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an order, saying why: its stock goes back, its open tasks are dropped."""

    def act() -> str:
        order = get_object_or_404(Order, pk=pk)
        require_role(request.user, order.warehouse_id, PLANNING_ROLES)
        shipping.order_cancel(order=order, reason=_field(request, "reason"), actor=request.user)
        return _("%(order)s is cancelled.") % {"order": order.external_ref}

    return _answer(request, lambda r: _order(r, pk), act)


# --- orders from a sheet --------------------------------------------------------------------


def _sheet_taken(request: HttpRequest, take: Callable[[bytes, str], str]) -> None:
    """The form's sheet (field `sheet`) handed to `take`, which imports it and says what it
    took: told on the page as a flash, or, refused, with every problem by its cell
    (`request.import_problems`)."""
    try:
        sheet = request.FILES.get("sheet")
        if sheet is None:
            raise FormError(_("Choose the sheet to import."), field="sheet")
        if sheet.size > MAX_BYTES:  # not read into memory to be refused
            raise FormError(str(SHEET_TOO_BIG), field="sheet")
        told = take(sheet.read(), sheet.name or "")
        request.flash = {"good": True, "text": told}  # type: ignore[attr-defined]
    except SheetRefused as refused:
        request.flash = {  # type: ignore[attr-defined]
            "good": False,
            "text": _("Nothing was imported: mend these and import the sheet again."),
        }
        request.import_problems = [  # type: ignore[attr-defined]
            f"{cell}: {messages[0]}" for cell, messages in refused.fields.items()
        ]
    except DomainError as error:
        request.flash = refusal(error)  # type: ignore[attr-defined]


@login_required
@require_POST
def orders_import(request: HttpRequest) -> HttpResponse:
    """Orders from a sheet (CSV or XLSX) an ERP exported, for a planner: all taken and
    allocated, or none, with every problem named by its row and column
    (`integrations.sheets.orders`); answers with the orders page saying which."""
    warehouses = warehouses_of(request.user)

    def take(content: bytes, name: str) -> str:
        if not role_anywhere(request.user, PLANNING_ROLES):
            raise Forbidden(_("Importing orders is for the dispatch office."))
        orders = orders_from_sheet(
            content=content, name=name, zone=warehouses[0].zone(), actor=request.user
        )
        return ngettext(
            "%(n)s order taken from %(sheet)s: %(refs)s.",
            "%(n)s orders taken from %(sheet)s: %(refs)s.",
            len(orders),
        ) % {
            "n": len(orders),
            "sheet": name,
            "refs": ", ".join(o.external_ref for o in orders[:20])
            + (" …" if len(orders) > 20 else ""),
        }

    _sheet_taken(request, take)
    return views.orders_list(request)


@login_required
def orders_import_template(request: HttpRequest) -> HttpResponse:
    """The sheet to fill in, its columns named in the reader's language, with an example."""
    ship = timezone.localdate() + datetime.timedelta(days=1)
    deliver = ship + datetime.timedelta(days=1)
    head = ["SO-0001", "C001", "MAIN", deliver.isoformat(), ship.isoformat(), "normal", ""]
    example = [[*head, "SKU-00019", "2"], [*head, "SKU-00201", "5"]]
    chinese = (get_language() or "").startswith("zh")
    answer = HttpResponse(
        template_csv(chinese=chinese, example=example), content_type="text/csv; charset=utf-8"
    )
    answer["Content-Disposition"] = 'attachment; filename="handoff-orders.csv"'
    return answer


@login_required
@require_POST
def items_import(request: HttpRequest) -> HttpResponse:
    """The item catalogue from a sheet (CSV or XLSX) an ERP exported, for whoever keeps the
    catalogue: every item added or changed, or none, with every problem named by its row
    and column (`integrations.sheets.items`); answers with the stock page saying which."""

    def take(content: bytes, name: str) -> str:
        if not role_anywhere(request.user, MASTER_DATA_ROLES):
            raise Forbidden(_("The item catalogue is kept by an admin or a manager."))
        added, changed = item_sheets.items_from_sheet(
            content=content, name=name, actor=request.user
        )
        return _("From %(sheet)s: %(added)s items added, %(changed)s changed.") % {
            "sheet": name,
            "added": len(added),
            "changed": len(changed),
        }

    _sheet_taken(request, take)
    request.GET = request.GET.copy()
    request.GET.setdefault("warehouse", request.POST.get("warehouse", ""))
    return views.stock_overview(request)


@login_required
def items_import_template(request: HttpRequest) -> HttpResponse:
    """The item sheet to fill in, its columns named in the reader's language, with two
    example items."""
    chinese = (get_language() or "").startswith("zh")
    answer = HttpResponse(
        item_sheets.template_csv(chinese=chinese), content_type="text/csv; charset=utf-8"
    )
    answer["Content-Disposition"] = 'attachment; filename="handoff-items.csv"'
    return answer


# --- tickets --------------------------------------------------------------------------------


def _tickets(request: HttpRequest) -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["fragment"] = "body"
    return views.tickets_page(request)


def _raised(ticket: Ticket) -> str:
    return _("%(number)s raised for %(department)s.") % {
        "number": ticket.number,
        "department": ticket.get_department_display(),
    }


def _ticket_of(request: HttpRequest, pk: int) -> Ticket:
    ticket = get_object_or_404(Ticket, pk=pk, warehouse_id__in=warehouse_ids_for(request.user))
    require_role(request.user, ticket.warehouse_id, TICKET_ROLES)
    return ticket


@login_required
@require_POST
def ticket_raise(request: HttpRequest) -> HttpResponse:
    """Raise an exception for a department, about an order, load, shipment, sensor, item or
    location of the warehouse if one is named."""

    def act() -> str:
        warehouse = _chosen(
            request, "warehouse", Warehouse.objects.filter(pk__in=warehouse_ids_for(request.user))
        )
        require_role(request.user, warehouse.pk, TICKET_ROLES)
        ticket = services.ticket_raise(
            warehouse=warehouse,
            kind=_field(request, "kind"),
            title=_field(request, "title"),
            department=_field(request, "department"),
            note=request.POST.get("note", ""),
            subject_type=request.POST.get("subject_type", ""),
            subject_id=request.POST.get("subject_id", ""),
            actor=request.user,
        )
        return _raised(ticket)

    return _answer(request, _tickets, act)


@login_required
@require_POST
def ticket_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand a ticket to the other department, saying what it is to do."""

    def act() -> str:
        ticket = services.ticket_hand_over(
            ticket=_ticket_of(request, pk), note=_field(request, "note"), actor=request.user
        )
        return _("%(number)s handed to %(department)s.") % {
            "number": ticket.number,
            "department": ticket.get_department_display(),
        }

    return _answer(request, _tickets, act)


@login_required
@require_POST
def ticket_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a note to a ticket's trail."""

    def act() -> str:
        ticket = _ticket_of(request, pk)
        services.ticket_note_add(ticket=ticket, text=_field(request, "text"), actor=request.user)
        return _("Noted on %(number)s.") % {"number": ticket.number}

    return _answer(request, _tickets, act)


@login_required
@require_POST
def ticket_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Resolve a ticket, saying how."""

    def act() -> str:
        ticket = services.ticket_resolve(
            ticket=_ticket_of(request, pk),
            resolution=_field(request, "resolution"),
            actor=request.user,
        )
        return _("%(number)s resolved.") % {"number": ticket.number}

    return _answer(request, _tickets, act)


@login_required
@require_POST
def alert_to_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand an alert to the other department as a ticket ('Hand to dispatch' on the
    warehouse's bell, 'Hand to the warehouse' on dispatch's): its text is the ticket's, its
    subject too; answers with the fresh bell."""
    alert = get_object_or_404(Alert, pk=pk, warehouse_id__in=warehouse_ids_for(request.user))

    def act() -> str:
        require_role(request.user, alert.warehouse_id, TICKET_ROLES)
        other = (
            Department.LOGISTICS
            if alert.department == Department.WAREHOUSE
            else Department.WAREHOUSE
        )
        ticket = services.ticket_raise(
            warehouse=alert.warehouse,
            kind=KIND_OF_RULE.get(alert.rule, TicketKind.OTHER),
            title=alert.text[:160],
            department=other,
            note=request.POST.get("note", ""),
            alert=alert,
            actor=request.user,
        )
        return _raised(ticket)

    return _answer(request, shell.bell, act)


# The kind of ticket an alert of a rule becomes.
KIND_OF_RULE = {
    "below_reorder_point": TicketKind.SHORT,
    "stockout_blocking": TicketKind.SHORT,
    "order_at_risk": TicketKind.LATE,
    "shipment_late": TicketKind.LATE,
    "load_not_ready": TicketKind.LATE,
    "next_trip_at_risk": TicketKind.LATE,
    "route_outside_windows": TicketKind.LATE,
    "truck_waiting": TicketKind.TRUCK,
    "supplier_late": TicketKind.TRUCK,
    "held_lot_packed": TicketKind.OTHER,
    "temperature_excursion": TicketKind.TEMPERATURE,
    "sensor_silent": TicketKind.TEMPERATURE,
    "integration_failure": TicketKind.DATA,
    "tender_declined": TicketKind.TRUCK,
    "tender_unanswered": TicketKind.TRUCK,
    "freight_invoice_disputed": TicketKind.OTHER,
    "freight_invoice_unpriced": TicketKind.OTHER,
}


# --- procedures and training ------------------------------------------------------------------


def _edi(request: HttpRequest) -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["fragment"] = "body"
    request.GET.setdefault("partner", request.POST.get("filter", ""))
    return views.edi_log(request)


@login_required
@require_POST
def edi_resend(request: HttpRequest) -> HttpResponse:
    """Send again an interchange a partner's 997 rejected, once its cause is mended; for the
    office and the integrations' keepers of its warehouse."""

    def act() -> str:
        partner, control = _field(request, "partner"), _field(request, "control")
        warehouse_id = edi_resend_warehouse(partner=partner, control=control)
        require_role(request.user, warehouse_id, EDI_LOG_ROLES)
        again = integrations_services.edi_resend(
            partner=partner, control=control, actor=request.user
        )
        return _("%(kind)s %(was)s went again to %(partner)s, as %(control)s.") % {
            "kind": again.kind,
            "was": again.was,
            "partner": partner,
            "control": again.control,
        }

    return _answer(request, _edi, act)


def _bills(request: HttpRequest) -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["fragment"] = "body"
    request.GET.setdefault("show", request.POST.get("show", ""))
    request.GET.setdefault("find", request.POST.get("find", ""))
    return views.freight_bills_page(request)


@login_required
@require_POST
def freight_bill_settle(request: HttpRequest, pk: int) -> HttpResponse:
    """Settle a carrier's bill its tariff did not pass: pay it as billed, pay the tariff, or
    refuse it, with a note saying why; for the office of its warehouse."""

    def act() -> str:
        bill = get_object_or_404(
            FreightInvoice.objects.filter(
                shipment__load__warehouse_id__in=warehouse_ids_for(request.user)
            ).select_related("shipment__load"),
            pk=pk,
        )
        require_role(request.user, bill.shipment.load.warehouse_id, FREIGHT_BILL_ROLES)
        bill = integrations_services.freight_invoice_settle(
            invoice_id=bill.pk,
            settlement=request.POST.get("settlement", ""),
            note=request.POST.get("note", ""),
            actor=request.user,
        )
        return _("%(carrier)s's invoice %(number)s: %(status)s.") % {
            "carrier": bill.carrier.name,
            "number": bill.number,
            "status": bill.get_status_display().lower(),
        }

    return _answer(request, _bills, act)


@login_required
@require_POST
def payment_run_now(request: HttpRequest) -> HttpResponse:
    """The payment run of one warehouse now: its decided bills not yet told go to their
    carriers, one 820 per carrier; for the office of that warehouse."""

    def act() -> str:
        warehouse = get_object_or_404(
            Warehouse.objects.filter(pk__in=warehouse_ids_for(request.user)),
            code=request.POST.get("warehouse_code", ""),
        )
        require_role(request.user, warehouse.pk, FREIGHT_BILL_ROLES)
        sent = integrations_services.remittances_send(
            warehouse_id=warehouse.pk, until=timezone.now(), actor=request.user
        )
        bills = FreightInvoice.objects.filter(remittance__in=sent).count()
        return _("%(warehouse)s's payment run: 820s sent: %(n)s; bills told: %(bills)s.") % {
            "warehouse": warehouse.code,
            "n": len(sent),
            "bills": bills,
        }

    return _answer(request, _bills, act)


def _suppliers(request: HttpRequest) -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["fragment"] = "body"
    return views.suppliers_page(request)


@login_required
@require_POST
def supplier_save(request: HttpRequest) -> HttpResponse:
    """Who keeps the master data adds a supplier, or changes the one of that code: its name,
    EDI ID, phone and whether it is active, checked as the API checks them."""

    def act() -> str:
        if not role_anywhere(request.user, MASTER_DATA_ROLES):
            raise Forbidden(_("Keeping the suppliers needs an admin, manager or integration role."))
        known = supplier_by_code(request.POST.get("code", ""))
        given = SupplierSerializer(
            known,
            data={
                "code": request.POST.get("code", ""),
                "name": request.POST.get("name", ""),
                "edi_id": request.POST.get("edi_id", ""),
                "phone": request.POST.get("phone", ""),
                "is_active": request.POST.get("is_active") == "on",
            },
        )
        if not given.is_valid():
            field, reasons = next(iter(given.errors.items()))
            raise FormError(str(reasons[0]), field=field)
        supplier = known or Supplier()
        for name, value in given.validated_data.items():
            if not (known and name == "code"):  # a code, once given, stays as it was written
                setattr(supplier, name, value)
        supplier = core_services.record_save(
            instance=supplier, actor=request.user, warehouse_id=None
        )
        said = _("%(code)s changed.") if known else _("%(code)s added.")
        return said % {"code": supplier.code}

    return _answer(request, _suppliers, act, SUPPLIER_FIELDS)


# The supplier form's fields: (the form's name, its label on the page).
SUPPLIER_FIELDS = {
    "code": ("code", gettext_lazy("Code")),
    "name": ("name", gettext_lazy("Name")),
    "edi_id": ("edi_id", gettext_lazy("EDI ID")),
    "phone": ("phone", gettext_lazy("Phone")),
    "is_active": ("is_active", gettext_lazy("Active")),
}


def _sops(request: HttpRequest) -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["fragment"] = "body"
    request.GET.setdefault("warehouse", request.POST.get("warehouse_code", ""))
    return views.sops_page(request)


@login_required
@require_POST
def training_record(request: HttpRequest) -> HttpResponse:
    """A supervisor records that a person of the floor was trained on a procedure's current
    version, on a day."""

    def act() -> str:
        warehouse = _chosen(
            request, "warehouse", Warehouse.objects.filter(pk__in=warehouse_ids_for(request.user))
        )
        require_role(request.user, warehouse.pk, SOP_WRITER_ROLES)
        sop = _chosen(
            request, "sop", Sop.objects.filter(Q(warehouse__isnull=True) | Q(warehouse=warehouse))
        )
        person = _chosen(
            request,
            "user",
            get_user_model().objects.filter(memberships__warehouse=warehouse).distinct(),
        )
        try:
            day = datetime.date.fromisoformat(_field(request, "trained_on"))
        except ValueError:
            raise FormError(
                _("Not a date: %(value)s") % {"value": request.POST.get("trained_on")},
                field="trained_on",
            ) from None
        record = core_services.training_record(
            user=person, sop=sop, trained_on=day, trainer=request.user
        )
        return _("%(user)s trained on %(sop)s v%(version)s.") % {
            "user": person.get_username(),
            "sop": sop.code,
            "version": record.version,
        }

    return _answer(request, _sops, act)


@login_required
@require_POST
def sop_publish(request: HttpRequest) -> HttpResponse:
    """A supervisor or manager publishes a procedure for the warehouse, or the next version of
    one (the same code), which asks everyone to be trained on it again."""

    def act() -> str:
        warehouse = _chosen(
            request, "warehouse", Warehouse.objects.filter(pk__in=warehouse_ids_for(request.user))
        )
        require_role(request.user, warehouse.pk, SOP_WRITER_ROLES)
        code = _field(request, "code")
        known = Sop.objects.filter(code=code).first()
        if known is not None and known.warehouse_id not in (None, warehouse.pk):
            raise FormError(
                _("%(code)s is another warehouse's procedure.") % {"code": code}, field="code"
            )
        days = request.POST.get("valid_days", "").strip()
        valid_days = views.whole_number(days)
        if days and not valid_days:
            raise FormError(_("A number of days, or nothing."), field="valid_days")
        sop = core_services.sop_publish(
            code=code,
            title=_field(request, "sop_title"),
            scope=_field(request, "scope"),
            body=_field(request, "body"),
            # A procedure of every warehouse stays one; a new one is this warehouse's.
            warehouse=None if known is not None and known.warehouse_id is None else warehouse,
            valid_days=valid_days,
            requires_training=request.POST.get("requires_training") == "on",
            actor=request.user,
        )
        return _("%(code)s v%(version)s published.") % {"code": sop.code, "version": sop.version}

    return _answer(request, _sops, act)


def _lots(request: HttpRequest, *, lot: int | None = None, zone: int | None = None) -> HttpResponse:
    """The lots page's body: of a lot, or of a room's lots."""
    request.GET = request.GET.copy()
    request.GET["fragment"] = "body"
    if zone is not None:
        request.GET["zone"] = str(zone)
    return views.lots_page(request, pk=lot)


@login_required
@require_POST
def lot_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """Quality holds the lot in every warehouse, saying why (as `POST /api/v1/lots/{id}/hold/`)."""
    lot = get_object_or_404(Lot, pk=pk)

    def act() -> str:
        if not role_anywhere(request.user, QUALITY_HOLD_ROLES):
            raise Forbidden(_("Holding a lot needs an admin, manager or integration role."))
        held = shipping.lot_hold(lot=lot, reason=request.POST.get("reason", ""), actor=request.user)
        return _("Lot %(lot)s is on hold: nothing of it is reserved or leaves.") % {
            "lot": held.code
        }

    return _answer(request, lambda r: _lots(r, lot=pk), act, {"reason": ("reason", _("Why"))})


@login_required
@require_POST
def lot_hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    """Quality lifts the lot's hold (as `POST /api/v1/lots/{id}/lift-hold/`)."""
    lot = get_object_or_404(Lot, pk=pk)

    def act() -> str:
        if not role_anywhere(request.user, QUALITY_HOLD_ROLES):
            raise Forbidden(_("Lifting a hold needs an admin, manager or integration role."))
        lifted = stock_services.lot_hold_lift(lot=lot, actor=request.user)
        return _("The hold on lot %(lot)s is lifted.") % {"lot": lifted.code}

    return _answer(request, lambda r: _lots(r, lot=pk), act)


@login_required
@require_POST
def lot_pull(request: HttpRequest, pk: int) -> HttpResponse:
    """The floor or quality takes the held lot's goods back out of an order, to a place of
    its warehouse (as `POST /api/v1/orders/{id}/pull-lot/`)."""
    lot = get_object_or_404(Lot, pk=pk)

    def act() -> str:
        order = _chosen(
            request, "order", Order.objects.filter(warehouse_id__in=warehouse_ids_for(request.user))
        )
        require_role(request.user, order.warehouse_id, LOT_PULL_ROLES)
        place = _location(request, "to_location", order.warehouse_id)
        pulled = shipping.order_lot_pull(
            order=order, lot=lot, to_location=place, actor=request.user
        )
        return _("Lot %(lot)s is out of %(order)s, at %(place)s; the order is %(status)s.") % {
            "lot": lot.code,
            "order": pulled.external_ref,
            "place": place.barcode,
            "status": pulled.get_status_display(),
        }

    return _answer(
        request,
        lambda r: _lots(r, lot=pk),
        act,
        {"to_location": ("to_location", _("Put at")), "lot": ("", _("Lot"))},
    )


@login_required
@require_POST
def zone_lots_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """Quality holds every lot on hand in a room (its cold chain broken, say) not held yet,
    for one reason, all or none (as `POST /api/v1/lots/{id}/hold/` for each)."""
    zone = get_object_or_404(Zone, pk=pk, warehouse_id__in=warehouse_ids_for(request.user))

    def act() -> str:
        if not role_anywhere(request.user, QUALITY_HOLD_ROLES):
            raise Forbidden(_("Holding a lot needs an admin, manager or integration role."))
        in_zone, _no_lot = lots_in_zone(zone)
        held = shipping.lots_hold(
            lots=[row["lot"] for row in in_zone if row["lot"].held_at is None],
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
        return ngettext(
            "%(n)s lot of %(room)s is on hold.", "%(n)s lots of %(room)s are on hold.", len(held)
        ) % {"n": len(held), "room": zone.name or zone.code}

    return _answer(
        request,
        lambda r: _lots(r, zone=pk),
        act,
        {"reason": ("reason", _("Why")), "lots": ("", _("Lots"))},
    )
