"""Small helpers for dashboard tests."""

from core.models import Warehouse
from dashboards.models import Alert


def alert_open(
    warehouse: Warehouse,
    *,
    key: str,
    department: str = "warehouse",
    message: str | None = None,
    subject: tuple[str, str] | None = None,
) -> Alert:
    """An open warning in a warehouse, as the rules raise them: a truck waiting for logistics,
    stock below its reorder point for the warehouse; about the warehouse unless `subject`
    (type, id) says otherwise."""
    subject_type, subject_id = subject or ("warehouse", str(warehouse.pk))
    return Alert.objects.create(
        rule="truck_waiting" if department == "logistics" else "below_reorder_point",
        key=key,
        warehouse=warehouse,
        department=department,
        severity="warning",
        message=message or f"{department} needs you ({key})",
        subject_type=subject_type,
        subject_id=subject_id,
    )
