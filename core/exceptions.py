"""Domain errors: each names the field at fault (if any) and the reason, and maps to an HTTP status."""

from typing import Any

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A request the domain refuses; nothing of it is written (the service's transaction rolls back)."""

    status_code = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra or {}

    @property
    def fields(self) -> dict[str, list[str]]:
        return {self.field: [self.message]} if self.field else {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class DocumentRefused(DomainError):
    """A document (a sheet, an EDI interchange) refused, nothing of it written: every
    problem found, each by where it was said (`row 4 数量`, `segment 9 (W01) W0105`)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        first, messages = next(iter(problems.items()))
        more = len(problems) - 1
        message = f"{first}: {messages[0]}"
        if more:
            message += " " + _("(and %(n)s more)") % {"n": more}
        super().__init__(message, field=first)
        self.problems = problems

    @property
    def fields(self) -> dict[str, list[str]]:
        return self.problems
