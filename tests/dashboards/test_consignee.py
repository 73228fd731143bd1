"""Where is my order? The customer follows it by the link the office or the ERP sends it,
with no login: each part of the order from received to delivered, when it leaves, when it is
expected, the carrier's waybill and last report, and who signed for it; nothing of the
warehouse's inside. The link closes a while after the order is done."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dashboards.consignee_links import consignee_path
from dashboards.run_links import run_token
from shipping import services
from shipping.models import Order, Shipment, Stop
from tests.dashboards.test_run_sheet import PNG
from tests.integrations.test_edi_940_945 import _shipped
from tests.shipping.conftest import tomorrow
from tests.shipping.helpers import floor_order
from tests.shipping.test_split_orders import rice_in_two_places  # noqa: F401


def _page(path: str, **headers: str) -> tuple[int, str]:
    answer = Client().get(path, **headers)
    return answer.status_code, answer.content.decode()


def test_the_customer_follows_its_order_from_received_to_signed_for(
    api, person, floor, django_assert_max_num_queries
):
    order = floor_order(floor, (floor["tea"], 2), (floor["rice"], 1), ref="SO-CUST")
    office = api(person("dispatcher", floor["wh"]))
    link = office.get(f"/api/v1/orders/{order.pk}/consignee-link/").json()["url"]
    assert link.startswith("http://testserver/track/")
    path = link.removeprefix("http://testserver")

    with django_assert_max_num_queries(8):
        status, page = _page(path)
    assert status == 200
    assert "Your order SO-CUST" in page and "Beijing shop" in page and "Chaoyang store" in page
    by = tomorrow(0).isoformat()
    assert f"We have your order. It is due to leave our warehouse by {by}." in page
    assert '<li class="reached now">Received</li>' in page
    assert 'http-equiv="refresh"' in page  # it keeps itself up to date
    assert "BJ-PF" not in page and "Nearest warehouse" not in page  # nothing of the inside

    _shipped(floor, order)
    shipment = Shipment.objects.get(load__orders=order)
    services.tracking_record(
        shipment=shipment,
        status="position",
        at=timezone.now(),
        place="Dongsi",
        actor=None,
    )
    status, page = _page(path)
    assert '<li class="reached now">On its way</li>' in page
    assert "It left our warehouse at" in page and "Expected at" in page
    assert "Carrier: Own" in page and "Last report: Position, " in page and "· Dongsi" in page
    assert '<td class="num">2</td><td class="num">2</td>' in page  # ordered, shipped

    stop = Stop.objects.get(shipment=shipment)
    services.delivery_record(
        stop=stop,
        outcome="delivered",
        receiver_name="Ms Li",
        at=timezone.now(),
        actor=None,
        photo=SimpleUploadedFile("note.png", PNG, content_type="image/png"),
    )
    status, page = _page(path)
    assert '<li class="reached now">Delivered</li>' in page
    assert "Signed for by Ms Li." in page and 'http-equiv="refresh"' not in page
    photo = f"{path}photo/{order.pk}/"
    assert f'href="{photo}"' in page  # the signed delivery note, as the driver took it
    assert b"".join(Client().get(photo).streaming_content) == PNG
    assert Client().get(f"{path}photo/{order.pk + 1000}/").status_code == 404  # not its part

    # In Chinese, for a customer whose browser asks for it.
    status, page = _page(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "您的订单 SO-CUST" in page and "签收人 Ms Li" in page

    # A month after it was done, the link is closed.
    month_ago = timezone.now() - datetime.timedelta(days=31)
    Stop.objects.filter(pk=stop.pk).update(delivered_at=month_ago)
    Order.objects.filter(pk=order.pk).update(delivered_at=month_ago)
    status, page = _page(path)
    assert status == 410 and "its link closed" in page and "Ms Li" not in page
    assert Client().get(photo).status_code == 404


def test_a_link_that_is_not_one_opens_nothing(floor):
    order = floor_order(floor, (floor["tea"], 1), ref="SO-X")
    assert _page(f"/track/{order.pk}/")[0] == 404
    assert _page(f"/track/{run_token(order.pk)}/")[0] == 404  # a run sheet's, not this
    assert _page(consignee_path(order.pk).replace(":", ":x"))[0] == 404


def test_a_link_does_not_tell_its_order_number_and_an_earlier_link_still_opens(floor):
    from django.core import signing

    from dashboards.consignee_links import SALT

    first = floor_order(floor, (floor["tea"], 1), ref="SO-A")
    second = floor_order(floor, (floor["tea"], 1), ref="SO-B")
    token, next_token = (consignee_path(o.pk).split("/")[2] for o in (first, second))
    hidden, next_hidden = token.split(":")[0], next_token.split(":")[0]
    # Thirteen letters and digits each, nothing alike for orders one after the other.
    assert len(hidden) == len(next_hidden) == 13
    assert str(first.pk) not in hidden and str(second.pk) not in next_hidden
    assert sum(a == b for a, b in zip(hidden, next_hidden, strict=True)) < 6
    assert "SO-A" in _page(f"/track/{token}/")[1]
    # A customer keeps the link sent before links were disguised: it still opens its order.
    earlier = signing.Signer(salt=SALT).sign(str(second.pk))
    assert "SO-B" in _page(f"/track/{earlier}/")[1]


def test_a_split_order_is_followed_part_by_part_from_either_link(
    api,
    person,
    rice_in_two_places,  # noqa: F811
):
    order, rice, _tea = rice_in_two_places
    (part,) = order.split_parts.all()
    for opened in (order, part):
        status, page = _page(consignee_path(opened.pk))
        assert status == 200 and "Your order SO-9" in page
        assert "It comes in 2 parts." in page and f">{part.external_ref}</h2>" in page
        assert page.count(f"<td>{rice.name}</td>") == 2
    # The office of the part's warehouse gets the link of its part, not of the other's.
    office = api(person("dispatcher", part.warehouse))
    assert office.get(f"/api/v1/orders/{part.pk}/consignee-link/").status_code == 200
    assert office.get(f"/api/v1/orders/{order.pk}/consignee-link/").status_code == 404


def test_the_customer_sees_nothing_of_the_other_stops_of_its_truck(floor):
    from shipping.models import Customer, ShipTo
    from tests.shipping.helpers import on_the_truck, order_placed, pick_all

    mine = floor_order(floor, (floor["tea"], 1), ref="SO-MINE")
    neighbour = Customer.objects.create(code="C-NB", name="Neighbour shop")
    next_door = ShipTo.objects.create(
        customer=neighbour,
        code="NB",
        name="Next door",
        address="2 Jianguo Road",
        city="Beijing",
        latitude=floor["shop"][1].latitude,
        longitude=floor["shop"][1].longitude + Decimal("0.01"),
        window_opens=datetime.time(0, 0),
        window_closes=datetime.time(23, 59, 59),
    )
    theirs = order_placed(neighbour, next_door, (floor["rice"], 1), ref="SO-THEIRS")
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=[mine, theirs], actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    for order in (mine, theirs):
        on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    services.load_depart(load=load, actor=None)
    their_stop = Stop.objects.get(orders=theirs)
    services.delivery_record(
        stop=their_stop, outcome="delivered", receiver_name="Mr Zhao", at=timezone.now(), actor=None
    )
    status, page = _page(consignee_path(mine.pk))
    assert status == 200 and '<li class="reached now">On its way</li>' in page
    assert "Next door" not in page and "Mr Zhao" not in page and "Neighbour" not in page
    assert "Last report: Delivered" not in page  # their stop's report is not about mine
