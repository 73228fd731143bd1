"""The plain inserts and updates used on the order intake path store what the ORM would."""

from decimal import Decimal

import pytest

from core.db import row_update, rows_insert
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
