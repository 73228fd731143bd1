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


def test_the_board_counts_days_on_the_warehouse_clock(network, beijing_shop):
    """Beijing is UTC+8. An order promised for the 10th and shipped at 01:30 on the 11th
    (Beijing) is late, though UTC still reads the 10th; it was received on the 10th at 07:00
    Beijing, the 9th in UTC, and counts on the 10th."""
    import datetime
    import zoneinfo

    from dashboards.board import kpi_board
    from shipping.models import Order

    bj = network["BJ"][0]
    beijing = zoneinfo.ZoneInfo("Asia/Shanghai")
    Order.objects.create(
        external_ref="SO-LATE",
        customer=beijing_shop[0],
        ship_to=beijing_shop[1],
        warehouse=bj,
        status="shipped",
        requested_delivery_date=datetime.date(2030, 3, 12),
        promised_ship_date=datetime.date(2030, 3, 10),
        received_at=datetime.datetime(2030, 3, 10, 7, 0, tzinfo=beijing),
        shipped_at=datetime.datetime(2030, 3, 11, 1, 30, tzinfo=beijing),
    )
    board = kpi_board(
        warehouse_id=bj.pk,
        start=datetime.datetime(2030, 3, 10, tzinfo=beijing),
        end=datetime.datetime(2030, 3, 12, tzinfo=beijing),
    )
    assert board["on_time_shipping"]["value"] == 0.0
    assert [p["period"] for p in board["on_time_shipping"]["trend"]] == ["2030-03-10"]
