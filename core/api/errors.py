"""One JSON shape for every API error: {"code", "message", "fields"}."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.exceptions import DomainError


class IdempotentReplay(Exception):
    """Raised when a POST repeats an Idempotency-Key already answered: send that answer again."""

    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.body = body


def fields_flattened(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as {"lines[0].quantity": ["..."]}: every message with the path to its field."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A list field's errors may come keyed by position: lines[0].item, not lines.0.item.
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                path = f"{prefix}[{key}]"
            elif key == "non_field_errors" and prefix:
                path = prefix  # an error of the nested object as a whole
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.update(fields_flattened(value, path))
    elif isinstance(detail, list) and detail and not all(isinstance(d, str) for d in detail):
        for index, value in enumerate(detail):
            if value:
                out.update(fields_flattened(value, f"{prefix}[{index}]"))
    else:
        messages = detail if isinstance(detail, list) else [detail]
        out[prefix or "non_field_errors"] = [str(m) for m in messages]
    return out


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Turn every error into {"code", "message", "fields"} with the right status."""
    if isinstance(exc, IdempotentReplay):
        response = Response(exc.body, status=exc.status_code)
        response["Idempotent-Replayed"] = "true"
        return response
    if isinstance(exc, DomainError):
        body = error_body(exc.code, exc.message, exc.fields)
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        exc = exceptions.ValidationError(fields or exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = fields_flattened(exc.detail)
        first_field, first_messages = next(iter(fields.items()))
        message = (
            first_messages[0]
            if first_field == "non_field_errors"
            else f"{first_field}: {first_messages[0]}"
        )
        response.data = error_body("invalid", message, fields)
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = error_body(str(code), str(exc.detail))
    else:  # pragma: no cover - DRF only hands us APIExceptions here
        response.data = error_body("error", "Error.")
        response.status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    return response
