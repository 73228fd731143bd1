"""People's entry pages: login (Django's view with our template), home, health."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: the user's warehouses and roles, and where to go next."""
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("warehouse")
        .order_by("warehouse__code")
    )
    return render(request, "core/home.html", {"memberships": memberships})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": connection.vendor})
