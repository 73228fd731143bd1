"""Operational endpoints of the platform itself."""

from django.db import connection
from django.http import HttpRequest, JsonResponse


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": connection.vendor})


def ping(request: HttpRequest) -> JsonResponse:
    """Liveness without the database: the cheapest JSON answer the server gives."""
    return JsonResponse({"pong": True})
