"""The home page: each of my warehouses at a glance, on its own calendar, in a few queries."""

import datetime
import re
import zoneinfo

from django.utils import timezone

from inventory import services as stock
from inventory.models import Lot
from shipping import services
from shipping.models import Carrier, Dock, Order, Vehicle
from tests.dashboards.helpers import alert_open
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow


def _order(shop, ref, item):
    return services.order_create(
        customer=shop[0],
        ship_to=shop[1],
        external_ref=ref,
        lines=[services.LineInput(item, 2)],
        requested_delivery_date=tomorrow(5),
        promised_ship_date=tomorrow(4),
        actor=None,
    )


def _glance(page: str, code: str) -> dict[str, str]:
    row = re.search(rf'<tr data-warehouse="{code}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    return {
        name: re.sub(r"<[^>]+>", "", value).strip()  # what it reads, without its links
        for name, value in re.findall(r'data-glance="(\w+)">(.*?)</td>', row)
    }


def test_home_shows_each_of_my_warehouses_at_a_glance(
    client, network, beijing_shop, person, django_assert_max_num_queries
):
    bj, tj = network["BJ"][0], network["TJ"][0]
    tea, rice = ItemFactory(sku="TEA"), ItemFactory(sku="RICE")
    stock_in(tea, network["BJ"][1], 30)
    due_today, late, later = (_order(beijing_shop, f"SO-H{n}", tea) for n in range(3))
    backordered = _order(beijing_shop, "SO-HB", rice)  # no rice anywhere: waits at Beijing
    assert (backordered.status, backordered.warehouse) == ("backordered", bj)
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(bj.time_zone)).date()
    for order, days in ((due_today, 0), (late, -1), (later, 1)):  # Beijing's calendar
        Order.objects.filter(pk=order.pk).update(
            promised_ship_date=today + datetime.timedelta(days=days)
        )
    # Today's leaves by a cut-off still ahead, whatever the hour the test runs at.
    Order.objects.filter(pk=due_today.pk).update(
        cutoff_at=timezone.now() + datetime.timedelta(hours=1)
    )
    reservation = due_today.lines.get().reservations.get().reservation
    stock.pick_tasks_create(reservations=[reservation], actor=None)
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    van = Vehicle.objects.create(
        carrier=carrier, plate="津A-1", capacity_weight_kg=1000, capacity_volume_l=8000
    )
    now = timezone.now()
    appointment = services.appointment_book(
        dock=Dock.objects.create(warehouse=tj, code="D1"),
        vehicle=van,
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
        actor=None,
    )
    services.vehicle_check_in(appointment=appointment, actor=None)
    alert_open(tj, key="T", department="logistics")
    # Quality holds a lot of milk Beijing has on hand, and one nobody has any of.
    milk = ItemFactory(sku="MILK", lot_tracked=True)
    stock_in(milk, network["BJ"][1], 4, lot="M1")
    stock.lot_hold(lot=Lot.objects.get(code="M1"), reason="recall", actor=None)
    stock.lot_hold(lot=Lot.objects.create(item=milk, code="M0"), reason="recall", actor=None)
    client.force_login(person("manager", bj, tj))

    with django_assert_max_num_queries(12):
        page = client.get("/").content.decode()

    beijing, tianjin = _glance(page, "BJ"), _glance(page, "TJ")
    assert beijing["due"].startswith("2") and "1 late" in beijing["due"]  # today's and late
    assert (beijing["backordered"], beijing["tasks"], beijing["at_dock"]) == ("1", "1", "0")
    assert (tianjin["due"], tianjin["at_dock"], tianjin["on_road"]) == ("0", "1", "0")
    assert "1" in tianjin["alerts"] and beijing["alerts"] == "0"
    assert (beijing["held_lots"], tianjin["held_lots"]) == ("1", "0")
    assert '<a href="/lots/"><b class="error">1</b>' in page
    assert 'data-warehouse="SH"' not in page  # not one of mine
    assert '/dispatch/?warehouse=TJ"' in page


def test_a_warehouse_s_row_refreshes_alone_and_only_for_its_members(
    client, site, other_site, person
):
    alert_open(site.warehouse, key="T", department="logistics")
    client.force_login(person("supervisor", site.warehouse))

    row = client.get("/?fragment=glance&warehouse=WA")

    assert row.status_code == 200
    cells = row.content.decode()
    assert "<tr" not in cells and 'data-glance="alerts"><b class="error">1</b>' in cells
    assert client.get("/?fragment=glance&warehouse=WB").status_code == 404  # not mine
