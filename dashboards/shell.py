"""The shell around every page: where a person lands after login, and the alert bell."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject

from core.access import role_anywhere
from core.choices import EDI_LOG_ROLES, Role
from core.models import Membership
from dashboards.selectors import bell_alerts, tickets_waiting

# Where each role starts its day.
LANDING_OF_ROLE = {
    Role.OPERATOR: "floor",
    Role.SUPERVISOR: "floor",
    Role.DISPATCHER: "dispatch",
    Role.MANAGER: "kpi-board",
}


def shell(request: HttpRequest) -> dict:
    """Context processor: the bell, the count of tickets waiting on the person's
    departments, and whether the menu offers the EDI log, each read only when a page
    renders it."""
    if not request.user.is_authenticated:
        return {}
    return {
        "bell": SimpleLazyObject(lambda: bell_alerts(user=request.user)),
        "tickets_waiting": SimpleLazyObject(lambda: tickets_waiting(user=request.user)),
        "may_see_edi": SimpleLazyObject(lambda: role_anywhere(request.user, EDI_LOG_ROLES)),
    }


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
    """The bell alone, for the live refresh, and what an action from it said."""
    return render(request, "dashboards/_bell.html", {"flash": getattr(request, "flash", None)})
