"""Alert lifecycle: opened by the rules, acknowledged and resolved by people, or resolved by
the rules when the condition clears. One service per change, each with its `alert.*` event."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict
from core.models import Warehouse
from dashboards.alerts import RULES, Condition
from dashboards.models import LIVE_ALERT_STATUSES, Alert, AlertStatus, AlertThresholds

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
