"""The shell around every page: where a person lands after login, and the alert bell."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject

from core.choices import Role
from core.models import Membership
from dashboards.models import LIVE_ALERT_STATUSES, Alert, Department

# Which departments' alerts a role owns (and so sees in its bell).
DEPARTMENTS_OF_ROLE: dict[str, tuple[str, ...]] = {
    Role.OPERATOR: (Department.WAREHOUSE,),
    Role.SUPERVISOR: (Department.WAREHOUSE,),
    Role.DISPATCHER: (Department.LOGISTICS,),
    Role.MANAGER: (Department.WAREHOUSE, Department.LOGISTICS),
    Role.ADMIN: (Department.WAREHOUSE, Department.LOGISTICS),
}
# Where each role starts its day.
LANDING_OF_ROLE = {
    Role.OPERATOR: "floor",
    Role.SUPERVISOR: "floor",
    Role.DISPATCHER: "dispatch",
    Role.MANAGER: "kpi-board",
}
BELL_SIZE = 8


def bell_alerts(user) -> dict:  # type: ignore[no-untyped-def]
    """The live alerts of the user's departments in the user's warehouses, newest first:
    {"alerts": the first BELL_SIZE, "count": how many in all}."""
    if user.is_superuser:
        scope = Q()
    else:
        scope = Q(pk__in=[])
        for warehouse_id, role in Membership.objects.filter(user=user).values_list(
            "warehouse_id", "role"
        ):
            departments = DEPARTMENTS_OF_ROLE.get(role, ())
            if departments:
                scope |= Q(warehouse_id=warehouse_id, department__in=departments)
    live = Alert.objects.filter(scope, status__in=LIVE_ALERT_STATUSES)
    alerts = list(live.select_related("warehouse").order_by("-opened_at", "-pk")[:BELL_SIZE])
    count = len(alerts) if len(alerts) < BELL_SIZE else live.count()
    return {"alerts": alerts, "count": count}


def shell(request: HttpRequest) -> dict:
    """Context processor: the bell, read only when a page renders it."""
    if not request.user.is_authenticated:
        return {}
    return {"bell": SimpleLazyObject(lambda: bell_alerts(request.user))}


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """After login: the page of the user's role (the floor, the dispatch board, the KPIs),
    or the overview for administrators and people with several roles."""
    roles = set(Membership.objects.filter(user=request.user).values_list("role", flat=True))
    if not request.user.is_superuser and len(roles) == 1:
        landing = LANDING_OF_ROLE.get(roles.pop())
        if landing:
            return redirect(landing)
    return redirect("home")


@login_required
def bell(request: HttpRequest) -> HttpResponse:
    """The bell alone, for the live refresh."""
    return render(request, "dashboards/_bell.html")
