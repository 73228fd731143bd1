"""The web server's connection pool (core.pgpool): a request's connection serves the next
request, comes back clean, and a dead one is never handed out after a pause."""

import pytest
from django.db import connection

from core.pgpool import base as pgpool

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wrapper():
    """Opens `DatabaseWrapper`s on the test database as request threads would; every idle
    pooled connection is closed afterwards (the test database is dropped at the end)."""
    settings = {**connection.settings_dict, "ENGINE": "core.pgpool", "POOL_SIZE": 2}
    made = []

    def make():
        w = pgpool.DatabaseWrapper(settings, alias="pooled")
        made.append(w)
        return w

    pgpool.pools_drain()
    yield make
    for w in made:
        if w.connection is not None:
            w.connection.close()
    pgpool.pools_drain()


def _backend(w) -> int:
    with w.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_next_request_gets_the_same_connection_back(wrapper):
    first = wrapper()
    pid = _backend(first)
    first.close()
    assert pgpool.pool_idle_count() == 1
    second = wrapper()
    assert _backend(second) == pid  # no new backend was started
    assert pgpool.pool_idle_count() == 0


def test_a_transaction_left_open_is_rolled_back_before_reuse(wrapper):
    first = wrapper()
    first.ensure_connection()
    first.set_autocommit(False)
    with first.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE scratch (n int)")
        cursor.execute("INSERT INTO scratch VALUES (1)")
    first.close()  # as a request that ended in the middle of a transaction
    second = wrapper()
    with second.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'scratch'")
        assert cursor.fetchone()[0] == 0  # the table went with the rollback
    assert second.get_autocommit() is True


def test_a_dead_connection_is_dropped_after_a_pause(wrapper, monkeypatch):
    first = wrapper()
    pid = _backend(first)
    first.close()
    with connection.cursor() as cursor:  # the database ends that backend (a restart, say)
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    monkeypatch.setattr(pgpool, "PING_AFTER_S", 0.0)
    second = wrapper()
    assert _backend(second) != pid  # checked before use, dropped, a new one opened


def test_at_most_pool_size_connections_wait_idle(wrapper):
    open_now = [wrapper() for _ in range(3)]
    pids = {_backend(w) for w in open_now}
    for w in open_now:
        w.close()
    assert pgpool.pool_idle_count() == 2
    assert pgpool.pools_drain() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
        assert cursor.fetchone()[0] == 0  # the third was closed, the other two drained
