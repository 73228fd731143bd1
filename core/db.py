"""How services run: one transaction each, retried when the database picks it as a deadlock victim."""

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

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
