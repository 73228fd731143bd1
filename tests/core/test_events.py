"""The outbox: events appear with their transaction's commit, never with its rollback."""

import threading

import pytest
from django.db import connection, transaction

from core.events import event_committed, event_record
from core.models import Event
from tests.conftest import ON_POSTGRES


def _record(warehouse, n=0):
    return event_record(
        type="test.happened",
        aggregate_type="test",
        aggregate_id=n,
        warehouse=warehouse,
        payload={"n": n},
    )


@pytest.mark.django_db(transaction=True)
def test_event_record_needs_a_transaction(site):
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        _record(site.warehouse)


@pytest.mark.django_db(transaction=True)
def test_an_event_of_a_rolled_back_transaction_never_reaches_the_feed(site, person, api):
    manager = person("manager", site.warehouse)
    with transaction.atomic():
        _record(site.warehouse, 1)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _record(site.warehouse, 2)
        1 / 0  # noqa: B018
    feed = api(manager).get("/api/v1/events/?after=0").json()
    assert [e["payload"]["n"] for e in feed["results"] if e["type"] == "test.happened"] == [1]
    assert not Event.objects.filter(payload__n=2).exists()


@pytest.mark.django_db(transaction=True)
def test_listeners_hear_of_events_once_per_transaction_and_only_after_commit(site):
    heard = []

    def listener(**kwargs):
        heard.append(connection.in_atomic_block)

    event_committed.connect(listener)
    try:
        with transaction.atomic():
            _record(site.warehouse, 1)
            _record(site.warehouse, 2)
            assert heard == []
        assert heard == [False]
        with pytest.raises(ValueError), transaction.atomic():
            _record(site.warehouse, 3)
            raise ValueError
        assert heard == [False]
    finally:
        event_committed.disconnect(listener)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_sequence_order_is_commit_order(site):
    """A transaction that takes a sequence number first but commits last must not be
    overtaken: the second writer waits, so a feed reader never skips an event."""
    assert ON_POSTGRES
    warehouse = site.warehouse
    first_has_sequence = threading.Event()
    release_first = threading.Event()
    order = []

    def slow_writer():
        try:
            with transaction.atomic():
                event = _record(warehouse, 1)
                first_has_sequence.set()
                release_first.wait(5)
                order.append(("slow", event.sequence))
        finally:
            connection.close()

    def fast_writer():
        try:
            first_has_sequence.wait(5)
            with transaction.atomic():
                event = _record(warehouse, 2)
                order.append(("fast", event.sequence))
        finally:
            connection.close()

    slow = threading.Thread(target=slow_writer)
    fast = threading.Thread(target=fast_writer)
    slow.start()
    fast.start()
    fast.join(0.5)
    assert fast.is_alive(), "the second writer must wait for the first to commit"
    release_first.set()
    slow.join(5)
    fast.join(5)
    assert [name for name, _ in order] == ["slow", "fast"]
    assert order[0][1] < order[1][1]
