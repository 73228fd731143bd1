"""Alert lifecycle: opened by the rules, acknowledged and resolved by people, or resolved by
the rules when the condition clears. Tickets: exceptions raised by people, handed between the
warehouse and the dispatch office until resolved. One service per change, each with its
`alert.*` or `ticket.*` event."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Warehouse
from dashboards.alerts import RULES, Condition
from dashboards.models import (
    LIVE_ALERT_STATUSES,
    Alert,
    AlertStatus,
    AlertThresholds,
    Department,
    Ticket,
    TicketKind,
    TicketNote,
    TicketNoteKind,
    TicketStatus,
)
from dashboards.selectors import ticket_subject

_EVALUATOR_LOCK = 0x414C5254  # "ALRT"


def _event(alert: Alert, type: str, actor: AbstractBaseUser | None) -> None:
    event_record(
        type=type,
        aggregate_type="alert",
        aggregate_id=alert.pk,
        warehouse=alert.warehouse_id,
        payload={
            "alert": alert.pk,
            "rule": alert.rule,
            "key": alert.key,
            "severity": alert.severity,
            "department": alert.department,
            "status": alert.status,
            "message": alert.message,
            "subject_type": alert.subject_type,
            "subject_id": alert.subject_id,
        },
        actor=actor,
    )


@service
def alerts_evaluate(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Run every rule: open an alert for each new condition (`alert.opened`), resolve the
    live alerts whose condition is gone (`alert.resolved`, auto). One evaluator at a time."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_EVALUATOR_LOCK])
            if not cursor.fetchone()[0]:
                return {"opened": 0, "resolved": 0, "skipped": 1}
    warehouses = {w.pk: w for w in Warehouse.objects.filter(is_active=True)}
    limits = {
        t.warehouse_id: t for t in AlertThresholds.objects.filter(warehouse_id__in=list(warehouses))
    }
    for warehouse_id in warehouses:
        limits.setdefault(warehouse_id, AlertThresholds(warehouse_id=warehouse_id))
    found: dict[tuple[str, str], Condition] = {}
    for rule in RULES:
        for condition in rule(warehouses, limits, now):
            found[(condition.rule, condition.key)] = condition
    live = {(a.rule, a.key): a for a in Alert.objects.filter(status__in=LIVE_ALERT_STATUSES)}
    opened = resolved = 0
    for key, condition in found.items():
        alert = live.get(key)
        if alert is not None:
            if (alert.severity, alert.message) != (condition.severity, condition.message):
                Alert.objects.filter(pk=alert.pk).update(
                    severity=condition.severity,
                    message=condition.message,
                    params=condition.params,
                )
            continue
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    rule=condition.rule,
                    key=condition.key,
                    warehouse_id=condition.warehouse_id,
                    department=condition.department,
                    severity=condition.severity,
                    message=condition.message,
                    params=condition.params,
                    subject_type=condition.subject_type,
                    subject_id=condition.subject_id,
                    opened_at=now,
                )
        except IntegrityError:
            continue  # opened meanwhile
        _event(alert, "alert.opened", None)
        opened += 1
    for key, alert in live.items():
        if key not in found:
            Alert.objects.filter(pk=alert.pk).update(
                status=AlertStatus.RESOLVED, resolved_at=now, auto_resolved=True
            )
            alert.status = AlertStatus.RESOLVED
            _event(alert, "alert.resolved", None)
            resolved += 1
    return {"opened": opened, "resolved": resolved, "skipped": 0}


@service
def alert_acknowledge(*, alert: Alert, actor: AbstractBaseUser) -> Alert:
    """Someone owns it now (`alert.acknowledged`)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(_("This alert is %(status)s.") % {"status": alert.get_status_display()})
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(), acknowledged_by=actor
    )
    alert.refresh_from_db()
    _event(alert, "alert.acknowledged", actor)
    return alert


@service
def alert_resolve(*, alert: Alert, actor: AbstractBaseUser) -> Alert:
    """Closed by a person (`alert.resolved`). If the condition is still there, the next
    evaluation opens a new alert for it."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(_("This alert is already resolved."))
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.RESOLVED, resolved_at=timezone.now(), resolved_by=actor
    )
    alert.refresh_from_db()
    _event(alert, "alert.resolved", actor)
    return alert


# --- tickets --------------------------------------------------------------------------------


def _ticket_event(
    ticket: Ticket, type: str, actor: AbstractBaseUser | None, **extra: object
) -> None:
    event_record(
        type=type,
        aggregate_type="ticket",
        aggregate_id=ticket.pk,
        warehouse=ticket.warehouse_id,
        payload={
            "ticket": ticket.pk,
            "number": ticket.number,
            "kind": ticket.kind,
            "title": ticket.title,
            "department": ticket.department,
            "status": ticket.status,
            "subject_type": ticket.subject_type,
            "subject_id": ticket.subject_id,
            **extra,
        },
        actor=actor,
    )


def _said(text: str, field: str, most: int = 500) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Say it in a few words."), field=field)
    if len(text) > most:
        raise DomainError(_("At most %(n)s characters.") % {"n": most}, field=field)
    return text


def _open(ticket: Ticket) -> Ticket:
    """The ticket, its row locked, if it is still open; Conflict if resolved."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status != TicketStatus.OPEN:
        raise Conflict(
            _("%(number)s was resolved on %(at)s.")
            % {"number": ticket.number, "at": f"{ticket.resolved_at:%Y-%m-%d %H:%M} UTC"},
            code="ticket_resolved",
        )
    return ticket


@service
def ticket_raise(
    *,
    warehouse: Warehouse,
    kind: str,
    title: str,
    department: str,
    note: str = "",
    subject_type: str = "",
    subject_id: str = "",
    alert: Alert | None = None,
    actor: AbstractBaseUser | None,
) -> Ticket:
    """Raise an exception for a department of a warehouse (`ticket.raised`), about a subject
    of that warehouse if one is named (checked: an order, load, shipment, sensor, item or
    location that is there), or about an alert (its subject, unless another is named). The
    first note says what the other side should know."""
    if kind not in TicketKind.values:
        raise DomainError(_("Not a kind of ticket: %(kind)s.") % {"kind": kind}, field="kind")
    if department not in Department.values:
        raise DomainError(
            _("Not a department: %(department)s.") % {"department": department}, field="department"
        )
    title = _said(title, "title", 160)
    subject_type, subject_id = (subject_type or "").strip(), (subject_id or "").strip()
    named = bool(subject_type or subject_id)
    if (
        named
        and ticket_subject(warehouse_id=warehouse.pk, kind=subject_type, key=subject_id) is None
    ):
        raise DomainError(
            _("No %(kind)s %(key)s at %(warehouse)s.")
            % {"kind": subject_type or "—", "key": subject_id or "—", "warehouse": warehouse.code},
            field="subject_id",
        )
    if alert is not None and not named:  # what the alert is about, as the rule named it
        subject_type, subject_id = alert.subject_type, alert.subject_id
    ticket = Ticket.objects.create(
        warehouse=warehouse,
        kind=kind,
        title=title,
        department=department,
        subject_type=subject_type,
        subject_id=subject_id,
        alert=alert,
        raised_by=actor if actor is not None and actor.is_authenticated else None,
    )
    TicketNote.objects.create(
        ticket=ticket,
        kind=TicketNoteKind.RAISED,
        by=ticket.raised_by,
        text=(note or "").strip()[:500],
        to_department=department,
    )
    _ticket_event(ticket, "ticket.raised", actor, note=(note or "").strip()[:500])
    return ticket


@service
def ticket_hand_over(*, ticket: Ticket, note: str, actor: AbstractBaseUser | None) -> Ticket:
    """Hand an open ticket to the other department (`ticket.handed_over`), saying what it is
    to do; it is theirs until handed back or resolved."""
    ticket = _open(ticket)
    note = _said(note, "note")
    ticket.department = (
        Department.LOGISTICS if ticket.department == Department.WAREHOUSE else Department.WAREHOUSE
    )
    ticket.save(update_fields=["department"])
    TicketNote.objects.create(
        ticket=ticket,
        kind=TicketNoteKind.HANDED,
        by=actor if actor is not None and actor.is_authenticated else None,
        text=note,
        to_department=ticket.department,
    )
    _ticket_event(ticket, "ticket.handed_over", actor, note=note)
    return ticket


@service
def ticket_note_add(*, ticket: Ticket, text: str, actor: AbstractBaseUser | None) -> TicketNote:
    """Add a note to an open ticket's trail (`ticket.noted`)."""
    ticket = _open(ticket)
    note = TicketNote.objects.create(
        ticket=ticket,
        kind=TicketNoteKind.NOTE,
        by=actor if actor is not None and actor.is_authenticated else None,
        text=_said(text, "text"),
    )
    _ticket_event(ticket, "ticket.noted", actor, note=note.text)
    return note


@service
def ticket_resolve(*, ticket: Ticket, resolution: str, actor: AbstractBaseUser | None) -> Ticket:
    """Resolve an open ticket (`ticket.resolved`), saying how."""
    ticket = _open(ticket)
    ticket.resolution = _said(resolution, "resolution")
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = timezone.now()
    ticket.resolved_by = actor if actor is not None and actor.is_authenticated else None
    ticket.save(update_fields=["resolution", "status", "resolved_at", "resolved_by"])
    TicketNote.objects.create(
        ticket=ticket, kind=TicketNoteKind.RESOLVED, by=ticket.resolved_by, text=ticket.resolution
    )
    _ticket_event(ticket, "ticket.resolved", actor, resolution=ticket.resolution)
    return ticket
