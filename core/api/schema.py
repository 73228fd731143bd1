"""What the OpenAPI schema tells another system beyond the serializers: the Idempotency-Key
every POST honours, and the errors each operation may answer, in their one JSON shape
(`core.api.errors`)."""

import copy
from typing import Any

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from core.api.idempotency import HEADER, IdempotentMixin

ERROR = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "fields"],
    "properties": {
        "code": {
            "type": "string",
            "description": (
                "What kind of error, stable for code to test: invalid, not_authenticated, "
                "authentication_failed, forbidden, permission_denied, not_found, conflict, "
                "invalid_transition, insufficient_stock, dock_booked, overweight, "
                "idempotency_key_reused, …"
            ),
        },
        "message": {
            "type": "string",
            "description": (
                "What went wrong, in the request's language (Accept-Language: en or "
                "zh-hans); for a field, it starts with the field's path."
            ),
        },
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": (
                "Each refused field by its path (`lines[0].quantity`) and why; empty when "
                "the error is the request's as a whole."
            ),
        },
        "status": {
            "type": "string",
            "description": "An order's status, when it refused a transition (409).",
        },
        "open_transitions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The statuses an order may go to from `status` (409).",
        },
        "available": {
            "type": "integer",
            "description": "Units there are, when a request asked for more (400).",
        },
    },
}
# Each status an operation may answer with an error, and what it means here.
ERRORS = {
    "400": "Refused: `fields` names each field and why. Nothing of the request was written.",
    "401": "No token, or not a valid one (`Authorization: Token …`).",
    "403": "The user's roles at the warehouse do not allow this.",
    "404": "Not found, or not in a warehouse the user works at (or no such page).",
    "409": (
        "In conflict with the present state (an illegal status transition, say which are "
        "open; a slot taken; another user's change first; an Idempotency-Key reused with "
        "another body). Nothing of the request was written."
    ),
}
WRITES = frozenset({"post", "put", "patch", "delete"})


class HandoffAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the Idempotency-Key header on the POSTs that honour it."""

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and isinstance(self.view, IdempotentMixin):
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=(
                        f"Yours for this request, at most 255 characters, kept for "
                        f"{settings.IDEMPOTENCY_KEY_TTL_HOURS} hours. Sent again with the "
                        "same body, the first answer comes back (with "
                        "`Idempotent-Replayed: true`) and nothing is written again; with "
                        "another body it is a 409."
                    ),
                )
            )
        return parameters


def errors_documented(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Postprocessing hook: the `Error` component, and on every operation the error statuses
    it may answer: 401 and 403 always (every route needs a user with a role), 400 when it
    takes a body or query parameters, 404 when it names an object or pages a list (by page
    or cursor), 409 when it writes. An error status the view documents itself keeps its
    description and gets the shape."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR] = copy.deepcopy(
        ERROR_SCHEMA
    )
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = operation.get("parameters", [])
            wanted = ["401", "403"]
            if operation.get("requestBody") or any(p.get("in") == "query" for p in parameters):
                wanted.append("400")
            if "{" in path or any(p.get("name") in ("page", "cursor") for p in parameters):
                wanted.append("404")
            if method in WRITES:
                wanted.append("409")
            responses = operation.setdefault("responses", {})
            for code in sorted(set(wanted) | (set(responses) & set(ERRORS))):
                answer = responses.setdefault(code, {"description": ERRORS[code]})
                answer.setdefault(
                    "content",
                    {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR}"}}},
                )
    return result


TIME_OF_DAY = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"


def times_of_day_described(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Postprocessing hook: a time field (a window, opening hours, a daily collection) is a
    time of day on the warehouse's wall clock, "07:00:00", with no UTC offset; JSON Schema's
    `format: time` demands one, so a client validating answers against the schema would
    refuse every such value. Each becomes a string of that pattern, said so."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("format") == "time" and node.get("type") == "string":
                del node["format"]
                node["pattern"] = TIME_OF_DAY
                said = "A time of day on the warehouse's clock (HH:MM[:SS]), no UTC offset."
                node["description"] = (
                    f"{node['description']} {said}" if node.get("description") else said
                )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
