"""The order list: what the office works through, by what is due, late or of one status, on
each warehouse's own calendar, a page at a time, in a few queries."""

import datetime
import io
import re

import pandas as pd
from django.utils import timezone

from dashboards import views
from shipping import services
from shipping.models import Order
from tests.factories import ItemFactory, WarehouseFactory
from tests.inventory.helpers import stock_in
from tests.shipping.helpers import order_placed


def _listed(page: str) -> list[str]:
    """The order references in the list, top to bottom."""
    return re.findall(r'<a href="/orders/\d+/">([^<]+)</a>', page)


def _row(page: str, ref: str) -> str:
    return re.search(rf"<tr>\s*<td[^>]*><a[^>]*>{ref}</a>.*?</tr>", page, re.S).group(0)


def _orders(client, query: str = "") -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/orders/{query}").content.decode()


def test_the_office_lists_what_is_due_late_backordered_or_gone(
    client, network, beijing_shop, person, django_assert_max_num_queries
):
    beijing = network["BJ"][0]
    tea, rice = ItemFactory(sku="TEA"), ItemFactory(sku="RICE")
    stock_in(tea, network["BJ"][1], 50)
    due, late, later, gone = (
        order_placed(*beijing_shop, (tea, 2), ref=f"SO-L{n}") for n in range(4)
    )
    waiting = order_placed(*beijing_shop, (rice, 1), ref="SO-LB")  # no rice: backordered
    today = beijing.today()  # Beijing's calendar, not the server's
    for order, days in ((due, 0), (late, -1), (later, 1), (gone, -1)):
        Order.objects.filter(pk=order.pk).update(
            promised_ship_date=today + datetime.timedelta(days=days)
        )
    # Today's leaves by a cut-off still ahead, whatever the hour the test runs at.
    Order.objects.filter(pk=due.pk).update(cutoff_at=timezone.now() + datetime.timedelta(hours=1))
    services.order_cancel(order=gone, reason="customer called", actor=None)
    client.force_login(person("dispatcher", beijing, network["TJ"][0]))

    with django_assert_max_num_queries(9):  # as many for 5 orders as for 50
        page = _orders(client)
    assert 'sort=ship">Ship date</a></th>' in page and "4 orders" in page
    assert sorted(_listed(page)) == ["SO-L0", "SO-L1", "SO-L2", "SO-LB"]  # not the cancelled
    assert '<b class="error">late</b>' in _row(page, "SO-L1")
    assert "late" not in _row(page, "SO-L0")

    assert sorted(_listed(_orders(client, "?show=due"))) == ["SO-L0", "SO-L1"]
    assert _listed(_orders(client, "?show=late&warehouse=BJ")) == ["SO-L1"]
    assert _listed(_orders(client, "?show=backordered")) == [waiting.external_ref]
    assert _listed(_orders(client, "?show=cancelled")) == ["SO-L3"]
    assert len(_listed(_orders(client, "?show=all"))) == 5
    assert _listed(_orders(client, "?show=all&warehouse=TJ")) == []  # none ships from Tianjin

    # Once its cut-off has gone by, today's order is late too.
    Order.objects.filter(pk=due.pk).update(cutoff_at=timezone.now() - datetime.timedelta(minutes=1))
    assert sorted(_listed(_orders(client, "?show=late"))) == ["SO-L0", "SO-L1"]
    assert '<b class="error">late</b>' in _row(_orders(client), "SO-L0")

    # Found by customer: all its orders, whatever their status, and none opens by itself.
    assert len(_listed(_orders(client, "?q=beijing+shop"))) == 5
    assert len(_listed(_orders(client, "?q=c-bj&show=open"))) == 4

    # The home page's counts lead here.
    home = client.get("/").content.decode()
    assert 'href="/orders/?warehouse=BJ&amp;show=late"' in home


def test_the_list_pages_and_keeps_its_filters(client, network, beijing_shop, person, monkeypatch):
    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 50)
    for n in range(5):
        order_placed(*beijing_shop, (tea, 1), ref=f"SO-P{n}")
    monkeypatch.setattr(views, "ORDERS_PER_PAGE", 2)
    client.force_login(person("manager", network["BJ"][0]))

    first = _orders(client, "?show=allocated")
    assert _listed(first) == ["SO-P4", "SO-P3"]  # newest first
    assert "Page 1 of 3" in first and 'href="?show=allocated&amp;page=2" rel="next"' in first
    last = _orders(client, "?show=allocated&page=3")
    assert _listed(last) == ["SO-P0"] and 'rel="prev"' in last and 'rel="next"' not in last


def test_the_office_sorts_the_list_by_ship_date_urgency_or_customer(
    client, network, beijing_shop, person, monkeypatch
):
    beijing = network["BJ"][0]
    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 50)
    made = [order_placed(*beijing_shop, (tea, 1), ref=f"SO-S{n}") for n in range(3)]
    today = beijing.today()
    for order, days, priority in zip(made, (2, 0, 1), (1, 3, 3), strict=True):
        Order.objects.filter(pk=order.pk).update(
            promised_ship_date=today + datetime.timedelta(days=days), priority=priority
        )
    client.force_login(person("dispatcher", beijing))

    assert _listed(_orders(client)) == ["SO-S2", "SO-S1", "SO-S0"]  # newest first
    by_date = _orders(client, "?show=open&sort=ship")
    assert _listed(by_date) == ["SO-S1", "SO-S2", "SO-S0"]
    assert '<th aria-sort="ascending">Ship date ↓</th>' in by_date
    assert 'href="?show=open&amp;sort=customer">Customer</a>' in by_date  # filters kept
    assert _listed(_orders(client, "?sort=priority")) == ["SO-S0", "SO-S1", "SO-S2"]
    assert _listed(_orders(client, "?sort=nonsense")) == ["SO-S2", "SO-S1", "SO-S0"]

    day = today + datetime.timedelta(days=1)
    assert _listed(_orders(client, f"?from={day}&until={day}")) == ["SO-S2"]  # by ship date
    assert _listed(_orders(client, f"?from={day}&sort=ship")) == ["SO-S2", "SO-S0"]
    muddled = _orders(client, "?until=someday")
    assert "Ship date until: not a date (YYYY-MM-DD): someday" in muddled
    assert "3 orders" in muddled  # the other filters still hold

    monkeypatch.setattr(views, "ORDERS_PER_PAGE", 2)  # the pages and the sheet keep the sort
    assert 'href="?sort=ship&amp;page=2" rel="next"' in _orders(client, "?sort=ship")
    assert _listed(_orders(client, "?sort=ship&page=2")) == ["SO-S0"]
    sheet = client.get("/orders/?sort=ship&export=csv").content.decode("utf-8-sig")
    assert list(pd.read_csv(io.StringIO(sheet))["Order"]) == ["SO-S1", "SO-S2", "SO-S0"]


def test_people_see_only_their_warehouses_orders(client, network, beijing_shop, person):
    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 50)
    order_placed(*beijing_shop, (tea, 1), ref="SO-MINE")
    client.force_login(person("dispatcher", WarehouseFactory(code="XX")))
    assert _listed(_orders(client, "?show=all")) == []
    assert "0 orders" in _orders(client)
    assert "No order of your warehouses matches SO-MINE." in _orders(client, "?q=SO-MINE")


def test_the_list_reads_in_chinese(client, network, beijing_shop, person):
    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 50)
    order_placed(*beijing_shop, (tea, 1), ref="SO-ZH")
    client.force_login(person("dispatcher", network["BJ"][0]))
    client.cookies["django_language"] = "zh-hans"
    page = _orders(client)
    assert "订单" in page and "发货日期" in page and "已分配" in page and "最新在前" in page


def test_the_office_takes_the_list_away_as_a_sheet(client, network, beijing_shop, person):
    beijing = network["BJ"][0]
    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 50)
    late = order_placed(*beijing_shop, (tea, 2), (ItemFactory(sku="RICE"), 1), ref="SO-X1")
    order_placed(*beijing_shop, (tea, 1), ref="SO-X2")
    Order.objects.filter(pk=late.pk).update(
        promised_ship_date=beijing.today() - datetime.timedelta(days=1)
    )
    client.force_login(person("dispatcher", beijing))
    page = _orders(client, "?show=late")
    assert 'href="?show=late&amp;export=csv"' in page

    sheet = client.get("/orders/?show=late&export=csv")
    assert sheet["Content-Type"].startswith("text/csv")
    assert sheet["Content-Disposition"].endswith('.csv"')
    assert sheet.content.startswith("\ufeff".encode())  # so that Excel reads it as UTF-8
    table = pd.read_csv(io.StringIO(sheet.content.decode("utf-8-sig")))
    assert list(table["Order"]) == ["SO-X1"]  # the late one only, as listed
    (row,) = table.to_dict("records")
    assert (row["Customer code"], row["Ships from"], row["Lines"]) == ("C-BJ", "BJ", 2)
    assert row["Status"] == "Backordered"  # no rice: it waits
    received = timezone.localtime(late.received_at, beijing.zone()).strftime("%Y-%m-%d %H:%M")
    assert row["Received"] == received  # on Beijing's clock

    client.cookies["django_language"] = "zh-hans"
    workbook = client.get("/orders/?show=all&export=xlsx")
    table = pd.read_excel(io.BytesIO(workbook.content))
    assert sorted(table["订单"]) == ["SO-X1", "SO-X2"] and "发货日期" in table.columns


def test_without_a_cut_off_an_order_is_late_once_its_warehouse_closes_on_its_day(
    network, beijing_shop
):
    from shipping.selectors import past_deadline

    beijing = network["BJ"][0]  # closes at 22:00, Beijing time
    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 5)
    order = order_placed(*beijing_shop, (tea, 1), ref="SO-NOCUT")
    day = beijing.today()
    Order.objects.filter(pk=order.pk).update(promised_ship_date=day, cutoff_at=None)

    def late_at(hour: int, minute: int = 0) -> bool:
        now = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=beijing.zone())
        return Order.objects.filter(past_deadline([beijing], now), pk=order.pk).exists()

    assert not late_at(21, 59) and late_at(22, 0)
    assert late_at(0, 30) is False  # just after midnight of its own day: a whole day ahead
