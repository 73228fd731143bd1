"""How services run: one transaction each, retried when the database picks it as a deadlock victim."""

import functools
import random
import time
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction
from django.db.models import Model

P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL SQLSTATEs that mean "nothing was done, run it again".
_RETRYABLE = {"40P01", "40001"}  # deadlock_detected, serialization_failure
_ATTEMPTS = 5


def _retryable(error: OperationalError) -> bool:
    cause = error.__cause__
    return getattr(cause, "pgcode", None) in _RETRYABLE


def service(func: Callable[P, R]) -> Callable[P, R]:
    """Run a service in one transaction; as the outermost one, retry it on deadlock.

    Inside another transaction it is a savepoint and errors propagate to the caller, whose
    own transaction (if it is a service) is the one retried.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as error:
                if attempt == _ATTEMPTS or not _retryable(error):
                    raise
                time.sleep(random.uniform(0, 0.005 * attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


M = TypeVar("M", bound=Model)


@functools.cache
def select_list(model: type[Model], alias: str) -> tuple[list[str], str]:
    """For a hand-written read of `model` under a table alias: its field names (attnames) and
    the matching column list, in model order, as `from_db_row` expects them."""
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], ", ".join(f'{alias}."{f.column}"' for f in fields)


def from_db_row(model: type[M], row: Sequence[Any]) -> M:
    """A model instance from a row read with `select_list(model, ...)`'s columns, as the ORM
    would have loaded it (not adding, on this connection)."""
    return model.from_db(connection.alias, select_list(model, "")[0], row)
