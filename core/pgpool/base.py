"""PostgreSQL (psycopg2) with a pool of open connections per process, for the web server.

Under ASGI, Django runs each request's sync code in a thread of its own, and connections are
per thread: with `CONN_MAX_AGE = 0` every request opens a connection (a PostgreSQL backend
is forked, authenticated and set up: milliseconds of both machines' time) and closes it at
the end; a persistent connection would outlive its thread and leak. This backend keeps the
request's connection for the next request instead: `close()` hands it back to the process's
pool and the next `connect()` takes it, whatever thread asks. Django's own pool needs
psycopg 3, which this stack does not use.

Guarantees:
- A connection goes back only in a clean state: a transaction left open is rolled back, and
  a connection that is closed, broken or in an unknown state is closed instead.
- A connection that sat idle longer than `PING_AFTER_S` is checked with `SELECT 1` before
  it is handed out (so a database restart costs nobody a failed request); a dead one is
  dropped and the next is tried, or a new one opened.
- At most `DATABASE_POOL_SIZE` idle connections are kept per process; connections in use
  are not limited (one per concurrent request, as without a pool).
- The pool belongs to one process: a forked child starts with an empty pool.
- Connections to different databases (the test database, say) are in different pools, and
  `pools_drain()` closes every idle one (before a database is dropped).

Settings: ENGINE "core.pgpool" and POOL_SIZE beside it (config.settings sets both when the
environment's DATABASE_POOL_SIZE is above 0, as the web entrypoint does).
"""

import contextlib
import os
import threading
import time
from typing import Any

from django.db.backends.postgresql import base
from psycopg2 import extensions

PING_AFTER_S = 5.0
_lock = threading.Lock()
_pools: dict[tuple, list[tuple[Any, float]]] = {}  # key -> idle (connection, since) LIFO
_owner_pid = os.getpid()


def _idle_for(key: tuple) -> list[tuple[Any, float]]:
    global _owner_pid
    if os.getpid() != _owner_pid:  # forked: the parent's connections are not ours
        _pools.clear()
        _owner_pid = os.getpid()
    return _pools.setdefault(key, [])


def _alive(connection: Any) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _clean(connection: Any) -> bool:
    """Bring a connection back to idle with no transaction; False if it cannot be reused."""
    if connection.closed:
        return False
    status = connection.info.transaction_status
    if status == extensions.TRANSACTION_STATUS_IDLE:
        return True
    if status in (extensions.TRANSACTION_STATUS_INTRANS, extensions.TRANSACTION_STATUS_INERROR):
        try:
            connection.rollback()
        except Exception:
            return False
        return connection.info.transaction_status == extensions.TRANSACTION_STATUS_IDLE
    return False  # active (a query running) or unknown


def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(Exception):
        connection.close()


def pools_drain() -> int:
    """Close every idle pooled connection of this process; return how many were closed."""
    with _lock:
        idle = [conn for pool in _pools.values() for conn, _ in pool]
        _pools.clear()
    for connection in idle:
        _close_quietly(connection)
    return len(idle)


def pool_idle_count() -> int:
    """How many connections this process keeps idle, over all pools."""
    with _lock:
        return sum(len(pool) for pool in _pools.values())


class DatabaseWrapper(base.DatabaseWrapper):
    def _pool_key(self, conn_params: dict) -> tuple:
        return (self.alias, tuple(sorted((k, repr(v)) for k, v in conn_params.items())))

    def get_new_connection(self, conn_params: dict) -> Any:
        key = self._pool_key(conn_params)
        while True:
            with _lock:
                idle = _idle_for(key)
                if not idle:
                    break
                connection, since = idle.pop()
            if connection.closed or (
                time.monotonic() - since > PING_AFTER_S and not _alive(connection)
            ):
                _close_quietly(connection)
                continue
            self._pool_key_of_connection = key
            return connection
        connection = super().get_new_connection(conn_params)
        self._pool_key_of_connection = key
        return connection

    def _close(self) -> None:
        connection = self.connection
        if connection is None:
            return
        key = getattr(self, "_pool_key_of_connection", None)
        size = int(self.settings_dict.get("POOL_SIZE", 20))
        if key is not None and size > 0 and _clean(connection):
            with _lock:
                idle = _idle_for(key)
                if len(idle) < size:
                    idle.append((connection, time.monotonic()))
                    return
        with self.wrap_database_errors:
            connection.close()
