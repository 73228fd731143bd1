"""A parcel or LTL carrier knows each consignment by its own number, the waybill on its
label: the dispatcher (or the ERP) records each stop's, the carrier then reports events
and proof of delivery by it, and the office finds the shipment and the order by it, typed
the way the label prints it."""

import pytest

from core.exceptions import DomainError
from core.models import Event
from shipping import services
from shipping.models import Order, Stop
from shipping.waybills import waybill_clean
from tests.shipping.helpers import at_once, on_the_truck, pick_all, released_on_a_truck
from tests.shipping.test_carrier_network import (  # noqa: F401  (fixtures)
    collected_two_days_ago,
    parcel,
    three_shops,
)
from tests.shipping.test_routing import _local


@pytest.fixture
def on_the_road(floor, collected_two_days_ago):  # type: ignore[no-untyped-def]  # noqa: F811
    """The parcel truck's shipment (stop 1: 400 km, stop 2: 1,000 km) and its two stops."""
    shipment, _truck = collected_two_days_ago
    near, far = shipment.stops.order_by("sequence")
    return shipment, near, far


def test_a_waybill_is_kept_as_the_label_prints_it_whatever_way_it_was_typed():
    assert waybill_clean("sf 1402 3456 7890") == "SF140234567890"
    assert waybill_clean("ＳＦ１４０２３４５６７８９０") == "SF140234567890"  # full-width
    assert waybill_clean(" 1z-999aa1 ") == "1Z-999AA1"
    assert waybill_clean("  ") == ""


@pytest.mark.parametrize("typed", ["SF1", "-SF1402", "SF_1402", "顺丰1402", "SF" + "1" * 40])
def test_a_waybill_of_no_carrier_s_form_is_refused_naming_the_field(typed):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError, match="4 to 40 letters, digits and hyphens") as refused:
        waybill_clean(typed)
    assert refused.value.field == "waybill"


def test_the_dispatcher_records_each_stop_s_waybill_and_the_carrier_reports_by_it(
    api, person, floor, on_the_road
):
    shipment, near, far = on_the_road
    bj = floor["wh"]
    dispatcher = api(person("dispatcher", bj))
    recorded = dispatcher.post(
        f"/api/v1/shipments/{shipment.pk}/stops/1/waybill/",
        {"waybill": "sf 1402 0000 0001"},
        format="json",
    )
    assert recorded.status_code == 200, recorded.content
    body = recorded.json()
    assert body["carrier"] == "SF"
    assert [(s["sequence"], s["waybill"]) for s in body["stops"]] == [
        (1, "SF140200000001"),
        (2, ""),
    ]
    told = Event.objects.filter(type="shipment.waybill_recorded").get().payload
    assert told == {
        "shipment": shipment.reference,
        "stop": 1,
        "ship_to": "E400",
        "carrier": "SF",
        "waybill": "SF140200000001",
        "before": "",
    }
    dispatcher.post(
        f"/api/v1/shipments/{shipment.pk}/stops/2/waybill/",
        {"waybill": "SF140200000002"},
        format="json",
    )
    # The carrier's system knows only its numbers: it arrived at the near shop, then the
    # shop signed for it.
    carrier = api(person("integration", bj))
    arrived = carrier.post(
        "/api/v1/shipments/waybills/SF/SF140200000001/events/",
        {"status": "arrived", "at": _local(bj, 8, 40, days=-1).isoformat(), "source": "api"},
        format="json",
    )
    assert arrived.status_code == 200, arrived.content
    near.refresh_from_db()
    assert near.status == "arrived"
    assert near.arrived_at == _local(bj, 8, 40, days=-1)
    signed = carrier.post(
        "/api/v1/shipments/waybills/SF/sf140200000001/deliver/",
        {"outcome": "delivered", "receiver_name": "Li", "at": _local(bj, 9, days=-1).isoformat()},
        format="json",
    )
    assert signed.status_code == 200, signed.content
    near.refresh_from_db()
    far.refresh_from_db()
    assert (near.status, near.receiver_name, far.status) == ("delivered", "Li", "pending")
    # The office finds the shipment by either number, typed as printed.
    found = dispatcher.get("/api/v1/shipments/", {"waybill": "SF 1402 0000 0002"}).json()
    assert [s["reference"] for s in found["results"]] == [shipment.reference]
    assert (
        dispatcher.get("/api/v1/shipments/", {"waybill": "SF140200000009"}).json()["results"] == []
    )
    assert [
        s["reference"]
        for s in dispatcher.get("/api/v1/shipments/", {"carrier": "SF"}).json()["results"]
    ] == [shipment.reference]


def test_a_carrier_s_report_by_a_waybill_nobody_here_knows_is_a_404_and_writes_nothing(
    api, person, network, floor, on_the_road
):
    shipment, near, _far = on_the_road
    services.stop_waybill_record(stop=near, waybill="SF140200000001", actor=None)
    events = Event.objects.count()
    report = {"status": "position", "at": _local(floor["wh"], 9, days=-1).isoformat()}
    carrier = api(person("integration", floor["wh"]))
    unknown = carrier.post("/api/v1/shipments/waybills/SF/SF999/events/", report, format="json")
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "No shipment of carrier SF has waybill SF999."
    other_carrier = carrier.post(
        "/api/v1/shipments/waybills/JD/SF140200000001/events/", report, format="json"
    )
    assert other_carrier.status_code == 404
    # Tianjin's integration sees no Beijing shipment, by its waybill or otherwise.
    tianjin = api(person("integration", network["TJ"][0]))
    hidden = tianjin.post(
        "/api/v1/shipments/waybills/SF/SF140200000001/events/", report, format="json"
    )
    assert hidden.status_code == 404
    # A stop named in the body must be the waybill's.
    wrong_stop = carrier.post(
        "/api/v1/shipments/waybills/SF/SF140200000001/events/",
        {**report, "stop": 2},
        format="json",
    )
    assert wrong_stop.status_code == 400
    assert list(wrong_stop.json()["fields"]) == ["stop"]
    assert "Waybill SF140200000001 is stop 1 of shipment" in wrong_stop.json()["message"]
    assert Event.objects.count() == events
    assert shipment.tracking.count() == 1  # only its departure


def test_a_waybill_is_refused_when_mistyped_or_already_another_stop_s_of_the_carrier(
    api, person, floor, on_the_road
):
    shipment, near, far = on_the_road
    dispatcher = api(person("dispatcher", floor["wh"]))
    url = f"/api/v1/shipments/{shipment.pk}/stops/{{n}}/waybill/"
    assert (
        dispatcher.post(url.format(n=1), {"waybill": "SF140200000001"}, format="json").status_code
        == 200
    )
    events = Event.objects.count()
    mistyped = dispatcher.post(url.format(n=2), {"waybill": "SF_1402"}, format="json")
    assert mistyped.status_code == 400
    assert list(mistyped.json()["fields"]) == ["waybill"]
    assert "letters, digits and hyphens" in mistyped.json()["message"]
    taken = dispatcher.post(url.format(n=2), {"waybill": "sf140200000001"}, format="json")
    assert taken.status_code == 409
    assert taken.json()["code"] == "waybill_taken"
    assert taken.json()["message"] == (
        f"SF Express's waybill SF140200000001 is already on shipment {shipment.reference}, "
        "stop 1 (Shop E400)."
    )
    no_stop = dispatcher.post(url.format(n=3), {"waybill": "SF140200000003"}, format="json")
    assert no_stop.status_code == 400
    assert list(no_stop.json()["fields"]) == ["stop"]
    far.refresh_from_db()
    assert far.waybill == ""
    assert Event.objects.count() == events
    # The floor does not keep the carrier's paperwork.
    operator = api(floor["operator"])
    assert (
        operator.post(url.format(n=2), {"waybill": "SF140200000002"}, format="json").status_code
        == 403
    )
    # A wrong one comes off, and the number is free for the stop it belongs to.
    assert dispatcher.post(url.format(n=1), {"waybill": ""}, format="json").status_code == 200
    again = dispatcher.post(url.format(n=2), {"waybill": "SF140200000001"}, format="json")
    assert again.status_code == 200, again.content
    near.refresh_from_db()
    far.refresh_from_db()
    assert (near.waybill, far.waybill) == ("", "SF140200000001")
    told = list(
        Event.objects.filter(type="shipment.waybill_recorded")
        .order_by("pk")
        .values_list("payload__stop", "payload__waybill", "payload__before")
    )
    assert told[-2:] == [(1, "", "SF140200000001"), (2, "SF140200000001", "")]


def test_another_carrier_may_use_the_same_number(floor, on_the_road):
    """Numbers are the carrier's own: our fleet's delivery note 'SF140200000001' is no
    clash with SF's."""
    _shipment, near, _far = on_the_road
    services.stop_waybill_record(stop=near, waybill="SF140200000001", actor=None)
    order, load = released_on_a_truck(floor, (floor["tea"], 1), ref="SO-VAN")
    pick_all(floor)
    on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    own = services.load_depart(load=load, actor=None)
    assert own.carrier.code == "OWN"
    stop = services.stop_waybill_record(stop=own.stops.get(), waybill="SF140200000001", actor=None)
    assert stop.waybill == "SF140200000001"
    assert Stop.objects.filter(waybill="SF140200000001").count() == 2


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_dispatcher_types_the_waybills_on_the_board_and_finds_the_order_by_one(
    client, person, floor, on_the_road
):
    shipment, near, far = on_the_road
    client.force_login(person("dispatcher", floor["wh"]))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert "SF Express's waybills: 2 stops without one" in board
    assert board.count(f'action="/dispatch/shipments/{shipment.pk}/waybill/"') == 2

    def typed(stop: Stop, waybill: str) -> str:
        return client.post(
            f"/dispatch/shipments/{shipment.pk}/waybill/",
            {"warehouse_code": "BJ", "stop": stop.pk, "waybill": waybill},
            **HTMX,
        ).content.decode()

    events = Event.objects.count()
    wrong = typed(far, "SF#1402")
    assert "Waybill: A waybill is 4 to 40 letters, digits and hyphens" in wrong
    assert 'data-field="waybill"' in wrong
    assert Event.objects.count() == events
    said = typed(near, "sf 1402 0000 0001")
    assert "Stop 1, Shop E400: waybill SF140200000001." in said
    assert "SF Express's waybills: 1 stop without one" in said
    assert 'value="SF140200000001"' in said
    # A customer calls with the number on the label: the office opens the order.
    order = Order.objects.get(stop=near)
    found = client.get("/orders/", {"q": "SF1402 0000 0001"})
    assert found.status_code == 302 and found.url == f"/orders/{order.pk}/"
    page = client.get(found.url).content.decode()
    assert "SF Express's waybill" in page and "SF140200000001" in page
    # And in Chinese.
    client.cookies["django_language"] = "zh-hans"
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert "SF Express 运单号：1 个停靠点未填" in board


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_dispatchers_typing_one_number_on_two_stops_one_wins(on_the_road):
    _shipment, near, far = on_the_road

    def typed(stop: Stop):  # type: ignore[no-untyped-def]
        return lambda: services.stop_waybill_record(stop=stop, waybill="SF140200000001", actor=None)

    assert sorted(at_once(typed(near), typed(far))) == ["done", "waybill_taken"]
    assert Stop.objects.filter(waybill="SF140200000001").count() == 1
    assert Event.objects.filter(type="shipment.waybill_recorded").count() == 1
