"""Where is my order? The office finds it by its reference and sees its lines, where their
stock is held, its truck and dock, and its milestones on the shipping warehouse's clock;
people of other warehouses do not find it."""

from shipping.models import Driver, Load
from tests.dashboards.test_floor_dock import picked  # noqa: F401  (the fixture)
from tests.factories import WarehouseFactory
from tests.shipping.helpers import order_placed


def test_the_office_finds_an_order_and_sees_where_it_is(
    client,
    picked,  # noqa: F811
    person,
    django_assert_max_num_queries,
):
    order, load, _ = picked
    driver = Driver.objects.create(carrier=load.vehicle.carrier, name="Zhao", phone="13900001111")
    Load.objects.filter(pk=load.pk).update(driver=driver)  # as if built with him
    client.force_login(person("dispatcher", order.warehouse, username="wang"))

    found = client.get("/orders/?q=so-do")
    assert found.status_code == 302 and found["Location"] == f"/orders/{order.pk}/"
    with django_assert_max_num_queries(14):
        page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Order SO-DOCK" in page and "Picked" in page
    for step in ("Received from the ERP", "Stock reserved at BJ", "Released to the floor"):
        assert step in page
    assert page.index("Received from the ERP") < page.index("Released to the floor")
    story = page[page.index('class="milestones"') :]
    story = story[: story.index("</ol>")]
    assert story.index("Released to the floor") < story.index('class="step-picked"')
    assert '<span class="held">BJ 3</span>' in page  # line 1's stock, held at BJ
    row = page[page.index('<tr data-line="1">') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">3</td>\n    <td class="num">—</td>' in row  # all 3 picked, none gone
    assert load.reference in page and "京A-7" in page and "D1" in page
    assert 'Zhao <a href="tel:13900001111">' in page  # whom to call about it
    assert "Nearest warehouse that can ship it complete: BJ, 4 km." in page  # and why

    # SO-DOCK2 starts like SO-DOCK: the whole reference still opens it.
    order_placed(order.customer, order.ship_to, (order.lines.get().item, 1), ref="SO-DOCK2")
    assert client.get("/orders/?q=SO-DOCK")["Location"] == f"/orders/{order.pk}/"
    both = client.get("/orders/?q=SO-D").content.decode()
    assert "SO-DOCK2" in both and f'href="/orders/{order.pk}/"' in both
    none = client.get("/orders/?q=NOPE").content.decode()
    assert "No order of your warehouses matches NOPE." in none

    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(f"/orders/{order.pk}/").content.decode()
    assert "已从 ERP 接收" in chinese and "在 BJ 预留库存" in chinese
    assert "能整单发货的最近仓库：BJ，4 公里。" in chinese


def test_people_of_other_warehouses_do_not_find_it(
    client,
    picked,  # noqa: F811
    person,
):
    order, _, _ = picked
    client.force_login(person("dispatcher", WarehouseFactory(code="XX"), username="other"))
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert "No order of your warehouses" in client.get("/orders/?q=SO-DOCK").content.decode()


def test_a_split_and_backordered_decision_is_told_with_its_parts():
    from shipping.selectors import allocation_told

    note = {
        "mode": "split",
        "parts": {"BJ": 3, "TJ": 2},
        "backordered": {"TEA": 4},
        "considered": [],
    }
    told = allocation_told(note)
    assert told == (
        "No single warehouse can ship it complete: split by distance (BJ 3, TJ 2)."
        " Waiting for stock: TEA × 4."
    )
    assert allocation_told({"mode": "partial", "parts": {}, "backordered": {"TEA": 1}}) == (
        "No warehouse has stock for it: backordered. Waiting for stock: TEA × 1."
    )
    assert allocation_told({}) == ""  # not allocated yet
    # More units from where it already ships (a short pick or a count made up): not a split.
    assert allocation_told({"mode": "again", "parts": {"BJ": 3}, "backordered": {}}) == (
        "Reserved again where it already ships from (BJ 3)."
    )
    # A part of a split order says whose part it is, not that it waits for stock.
    assert allocation_told(
        {"mode": "split_part", "split_from": "SO-1", "warehouse": "TJ", "reason": "…"}
    ) == ("The part of SO-1 that ships from TJ.")
    # Short on the floor: the order ships what is there, its backorder waits for the rest.
    assert allocation_told(
        {"mode": "partial", "parts": {}, "backorder": "SO-1/BO", "backordered": {}}
    ) == ("Short on the floor: what is here ships, the rest follows as SO-1/BO.")
    assert allocation_told(
        {"mode": "backorder", "split_from": "SO-1", "backordered": {"TEA": 2}}
    ) == ("What SO-1 was short on the floor, with none anywhere else. Waiting for stock: TEA × 2.")


def test_the_office_changes_a_line_and_cancels_the_order_from_its_page(
    client, network, beijing_shop, person
):
    from django.db.models import Sum

    from inventory.models import StockBalance
    from shipping.models import Order
    from tests.factories import ItemFactory
    from tests.inventory.helpers import stock_in

    bj, pick, _ = network["BJ"]
    tea = ItemFactory(sku="TEA")
    stock_in(tea, pick, 20)
    order = order_placed(*beijing_shop, (tea, 5), ref="SO-CALL")

    def reserved() -> int:
        return StockBalance.objects.aggregate(q=Sum("reserved"))["q"]

    client.force_login(person("operator", bj, username="liu"))
    assert f"/orders/{order.pk}/cancel/" not in client.get(f"/orders/{order.pk}/").content.decode()
    client.force_login(person("dispatcher", bj, username="wang"))
    htmx = {"HTTP_HX_REQUEST": "true"}
    zero = client.post(f"/orders/{order.pk}/lines/1/", {"quantity": "0"}, **htmx)
    assert "Quantity: A whole number of at least 1" in zero.content.decode()
    huge = client.post(f"/orders/{order.pk}/lines/1/", {"quantity": "9" * 12}, **htmx)
    assert "Quantity: At most 100,000,000 units." in huge.content.decode()  # before, a 500
    assert reserved() == 5
    less = client.post(f"/orders/{order.pk}/lines/1/", {"quantity": "3"}, **htmx).content.decode()
    assert "Line 1 of SO-CALL is now 3." in less and '<span class="held">BJ 3</span>' in less
    assert reserved() == 3

    no_reason = client.post(f"/orders/{order.pk}/cancel/", {"reason": " "}, **htmx)
    assert "Reason: This field is required." in no_reason.content.decode()
    gone = client.post(f"/orders/{order.pk}/cancel/", {"reason": "客户取消"}, **htmx)
    assert "SO-CALL is cancelled." in gone.content.decode()
    assert Order.objects.get(pk=order.pk).status == "cancelled" and reserved() == 0
    assert f"/orders/{order.pk}/cancel/" not in gone.content.decode()  # nothing left to do


def test_an_alert_about_an_order_opens_it(client, network, person):
    from tests.dashboards.helpers import alert_open

    bj = network["BJ"][0]
    alert_open(bj, key="SO-RISK", subject=("order", "SO-RISK"), message="SO-RISK: late")
    client.force_login(person("supervisor", bj))
    bell = client.get("/alerts/bell/").content.decode()
    assert '<a href="/orders/?q=SO-RISK">' in bell
