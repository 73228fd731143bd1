"""Idempotency-Key for every POST from another system.

A replay with the same key and body returns the first answer (status and body; a NUL
character in it, which PostgreSQL cannot keep, comes back as U+FFFD) and writes nothing;
the same key with another body is a 409. The key is claimed in the same
transaction as the work, so two concurrent requests with one key run the work once.
"""

import hashlib
import re
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import IdempotentReplay
from core.exceptions import Conflict
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"


def _request_hash(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request._request.body)
    return digest.hexdigest()


_CLAIM = f"""
INSERT INTO {IdempotencyKey._meta.db_table}
    (user_id, "key", request_hash, method, path, response_status, response_body, created_at)
VALUES (%s, %s, %s, %s, %s, NULL, NULL, %s)
ON CONFLICT (user_id, "key") DO NOTHING
RETURNING id
"""

_ANSWER = f"""
UPDATE {IdempotencyKey._meta.db_table} SET response_status = %s, response_body = %s WHERE id = %s
"""


# A JSON text's escaped NUL (after an even number of backslashes: not a backslash written out).
_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _storable(body: str) -> str:
    """The answer's JSON as PostgreSQL keeps it: its NUL characters (an echo of a query
    string, say) as U+FFFD."""
    return _NUL.sub(r"\1\\ufffd", body)


def _claim(user_id: int, key: str, request_hash: str, method: str, path: str) -> int | None:
    """Claim the key in one statement (no savepoint): its row id, or None if it was claimed
    before. A claim by a transaction still running is waited for, as a unique index does."""
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_CLAIM, [user_id, key, request_hash, method, path, now])
        row = cursor.fetchone()
    return row[0] if row else None


class IdempotentMixin:
    """For DRF views: honour an Idempotency-Key header on POST."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST" and request.headers.get(HEADER):
            # One transaction for the claim, the work and the stored answer.
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key:
            return
        if len(key) > 255:
            raise Conflict("Idempotency-Key is longer than 255 characters.", field=HEADER)
        request_hash = _request_hash(request)
        claim = _claim(request.user.pk, key, request_hash, request.method, request.path[:255])
        if claim is None:
            first = IdempotencyKey.objects.get(user=request.user, key=key)
            if first.request_hash != request_hash:
                raise Conflict(
                    "This Idempotency-Key was used with another request body or path.",
                    field=HEADER,
                    code="idempotency_key_reused",
                ) from None
            raise IdempotentReplay(first.response_status or 200, first.response_body) from None
        request._idempotency_claim = claim  # type: ignore[attr-defined]  # the key's row id

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        claim = getattr(request, "_idempotency_claim", None)
        if claim is not None and response.status_code < 500:
            body = (
                _storable(JSONRenderer().render(response.data).decode()) if response.data else None
            )
            with connection.cursor() as cursor:  # the answer as rendered, stored as it can be
                cursor.execute(_ANSWER, [response.status_code, body, claim])
        return response
