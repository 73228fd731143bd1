"""The KPI board's frames give what the database holds, on either backend."""

import pytest
from django.db.models import CharField, IntegerField, Value

from core.models import Warehouse
from dashboards.selectors import _frame
from tests.factories import WarehouseFactory


@pytest.mark.django_db
def test_a_frame_keeps_empty_text_apart_from_null():
    WarehouseFactory(code="W1", name="")
    WarehouseFactory(code="W2", name="North")
    rows = (
        Warehouse.objects.order_by("code")
        .annotate(nothing=Value(None, output_field=CharField()), n=Value(7, IntegerField()))
        .values_list("code", "name", "nothing", "is_active", "n")
    )

    frame = _frame(rows, ["code", "name", "nothing", "is_active", "n"])

    assert frame["name"].tolist() == ["", "North"]
    assert frame["nothing"].tolist() == [None, None]
    assert frame["is_active"].tolist() == [True, True]
    assert frame["n"].tolist() == [7, 7]
