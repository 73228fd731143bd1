"""Operational endpoints of the platform itself."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views import defaults

from core.api.errors import error_body

API_PREFIX = "/api/"


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": connection.vendor})


def ping(request: HttpRequest) -> JsonResponse:
    """Liveness without the database: the cheapest JSON answer the server gives."""
    return JsonResponse({"pong": True})


def server_error(request: HttpRequest) -> HttpResponse:
    """An error the code did not expect (with DEBUG off): under /api/ the API's error shape,
    in JSON; elsewhere Django's page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("error", _("Server error.")), status=500)
    return defaults.server_error(request)


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any URL under /api/ that nothing else answers, with DEBUG on or off: a 404 in the
    API's error shape, never an HTML page. A URL that lacks only its closing slash says so,
    rather than being redirected: a redirect would drop a POST's body."""
    with_slash = request.path + "/"
    try:
        hint = not request.path.endswith("/") and resolve(with_slash).func is not api_not_found
    except Resolver404:
        hint = False
    message = (
        _("Not found. The API's URLs end in a slash: %(path)s") % {"path": with_slash}
        if hint
        else _("Not found.")
    )
    return JsonResponse(error_body("not_found", message), status=404)
