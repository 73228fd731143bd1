"""The plain inserts and updates used on the order intake path store what the ORM would."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from core.db import Prepared, row_insert_unless_taken, row_update, rows_insert
from core.models import Event, Warehouse


def _warehouse(code: str) -> Warehouse:
    return Warehouse(
        code=code,
        name=f"DC {code}",
        address="1 Road",
        city="Beijing",
        latitude=Decimal("39.9"),
        longitude=Decimal("116.4"),
    )


@pytest.mark.django_db
def test_rows_insert_writes_every_row_with_defaults_and_sets_the_keys() -> None:
    made = rows_insert([_warehouse("AA"), _warehouse("BB")])
    assert [w.pk for w in made] == sorted(Warehouse.objects.values_list("pk", flat=True))
    stored = Warehouse.objects.get(pk=made[1].pk)
    assert (stored.code, stored.country, stored.is_active) == ("BB", "CN", True)
    assert not made[0]._state.adding
    made[0].name = "Renamed"
    made[0].save()  # an update now, not a second insert
    assert Warehouse.objects.count() == 2


@pytest.mark.django_db
def test_rows_insert_of_nothing_writes_nothing() -> None:
    assert rows_insert([]) == []
    assert Warehouse.objects.count() == 0


@pytest.mark.django_db
def test_row_update_sets_fields_in_memory_and_in_the_row() -> None:
    beijing, shanghai = rows_insert([_warehouse("BJ"), _warehouse("SH")])
    (event,) = rows_insert(
        [Event(type="t", aggregate_type="a", aggregate_id="1", payload={"n": 1})]
    )
    row_update(event, warehouse=shanghai, payload={"n": 2, "list": [1, "x"]})
    assert event.warehouse == shanghai and event.warehouse_id == shanghai.pk
    stored = Event.objects.get(pk=event.pk)
    assert stored.warehouse_id == shanghai.pk
    assert stored.payload == {"n": 2, "list": [1, "x"]}
    row_update(event, warehouse=None)
    assert Event.objects.get(pk=event.pk).warehouse_id is None
    row_update(event, warehouse=beijing.pk)
    assert event.warehouse_id == beijing.pk
    assert Event.objects.get(pk=event.pk).warehouse_id == beijing.pk


@pytest.mark.django_db
def test_row_insert_unless_taken_inserts_once_and_then_writes_nothing() -> None:
    first = _warehouse("BJ")
    assert row_insert_unless_taken(first, unique=("code",))
    assert first.pk == Warehouse.objects.get(code="BJ").pk and not first._state.adding
    again = _warehouse("BJ")
    again.name = "Second"
    assert not row_insert_unless_taken(again, unique=("code",))
    assert again.pk is None
    assert list(Warehouse.objects.values_list("name", flat=True)) == ["DC BJ"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_a_row_being_inserted_is_waited_for_and_then_taken() -> None:
    """Two writers with the same unique values at once: the second waits for the first's
    transaction and, once it commits, writes nothing."""
    first_has_written = threading.Event()
    release_first = threading.Event()

    def first_writer() -> None:
        try:
            with transaction.atomic():
                assert row_insert_unless_taken(_warehouse("BJ"), unique=("code",))
                first_has_written.set()
                release_first.wait(5)
        finally:
            connection.close()

    first = threading.Thread(target=first_writer)
    first.start()
    assert first_has_written.wait(5)
    threading.Timer(0.3, release_first.set).start()
    second = _warehouse("BJ")
    with transaction.atomic():
        assert not row_insert_unless_taken(second, unique=("code",))
    first.join(5)
    assert release_first.is_set()  # the second writer answered only after the first committed
    assert Warehouse.objects.filter(code="BJ").count() == 1


_CODES = Prepared(
    "handoff_test_codes",
    'SELECT "code" FROM "core_warehouse" WHERE "code" = %(one)s OR "code" = %(other)s '
    'OR "name" = %(one)s ORDER BY "code"',
)


def _codes(one: str, other: str) -> list[str]:
    with connection.cursor() as cursor:
        _CODES.run(cursor, {"one": one, "other": other})
        return [code for (code,) in cursor.fetchall()]


@pytest.mark.django_db
def test_a_prepared_statement_answers_with_each_call_s_values_and_outlives_a_rollback() -> None:
    rows_insert([_warehouse("BJ"), _warehouse("SH"), _warehouse("GZ")])
    assert _codes("BJ", "SH") == ["BJ", "SH"]
    assert _codes("GZ", "nope") == ["GZ"]
    try:
        with transaction.atomic():
            assert _codes("SH", "SH") == ["SH"]
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert _codes("DC BJ", "GZ") == ["BJ", "GZ"]  # a name matches too: the parameter repeats


_CODES_IN = Prepared(
    "handoff_test_codes_in",
    'SELECT "code" FROM "core_warehouse" WHERE "code" = ANY(%(codes)s) ORDER BY "code"',
)


@pytest.mark.django_db
def test_a_prepared_statement_takes_a_list_where_it_asks_for_any_of_it() -> None:
    rows_insert([_warehouse("BJ"), _warehouse("SH"), _warehouse("GZ")])

    def codes(wanted: list[str]) -> list[str]:
        with connection.cursor() as cursor:
            _CODES_IN.run(cursor, {"codes": wanted})
            return [code for (code,) in cursor.fetchall()]

    assert codes(["SH", "BJ", "nope"]) == ["BJ", "SH"]
    assert codes(["GZ"]) == ["GZ"]  # another length, the same statement
