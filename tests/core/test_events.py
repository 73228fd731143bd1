"""The outbox: events appear with their transaction's commit, never with its rollback."""

import threading

import pytest
from django.db import connection, transaction

from core.events import event_committed, event_record, events_sequence
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
def test_on_postgres_a_reader_never_skips_an_event_that_commits_late(site, person, api):
    """A transaction that writes its event first but commits last: the reader paging by
    sequence has already passed the later event, and still gets the late one next."""
    assert ON_POSTGRES
    reader = api(person("manager", site.warehouse))
    slow_has_written = threading.Event()
    release_slow = threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                _record(site.warehouse, 1)
                slow_has_written.set()
                release_slow.wait(5)
        finally:
            connection.close()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    slow_has_written.wait(5)
    with transaction.atomic():
        fast = _record(site.warehouse, 2)
    first = reader.get("/api/v1/events/?after=0").json()
    assert [e["payload"]["n"] for e in first["results"]] == [2]
    release_slow.set()
    slow.join(5)
    second = reader.get(f"/api/v1/events/?after={first['next_after']}").json()
    assert [e["payload"]["n"] for e in second["results"]] == [1]
    assert second["results"][0]["sequence"] > first["next_after"]
    assert Event.objects.get(pk=fast.pk).sequence == first["next_after"]


def test_the_sequencer_stamps_in_id_order_and_only_once(site):
    with transaction.atomic():
        made = [_record(site.warehouse, n) for n in range(3)]
    assert events_sequence() == 3
    assert events_sequence() == 0
    stamped = list(Event.objects.filter(pk__in=[e.pk for e in made]).order_by("pk"))
    assert [e.sequence for e in stamped] == sorted(e.sequence for e in stamped)
