"""A driver phones the office: the dispatcher records, from the board, that the truck runs
late, has arrived, or has delivered (to whom), partly or not at all. Each report moves the
ETAs or closes the stop as the carrier's own tracking would; a report missing what it needs
says which field and writes nothing."""

import datetime

import pytest
from django.utils import timezone

from core.models import Event
from inventory import services as services_inventory
from inventory.models import Location, Receipt
from shipping import services
from shipping.models import Driver, Load, Order, Shipment, TrackingEvent
from tests.dashboards.test_floor_dock import picked  # noqa: F401  (the fixture)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def on_the_road(picked):  # noqa: F811
    """The picked order packed, staged, scanned onto its truck, and gone: (order, shipment)."""
    order, load, lane = picked
    driver = Driver.objects.create(carrier=load.vehicle.carrier, name="Zhao", phone="13900001111")
    Load.objects.filter(pk=load.pk).update(driver=driver)  # as if built with him
    unit = services.unit_pack(order=order, contents=None, actor=None)
    services.unit_stage(unit=unit, lane=lane, actor=None)
    services.vehicle_check_in(appointment=load.appointment, actor=None)
    services.load_scan(load=load, sscc=unit.sscc, actor=None)
    return order, services.load_depart(load=load, actor=None)


def _report(client, shipment, **form):  # type: ignore[no-untyped-def]
    stop = shipment.stops.get()
    data = {"warehouse_code": "BJ", "stop": stop.pk, **form}
    return client.post(f"/dispatch/shipments/{shipment.pk}/report/", data, **HTMX).content.decode()


def test_the_driver_phones_in_a_delay_then_the_delivery(client, on_the_road, person):
    order, shipment = on_the_road
    client.force_login(person("dispatcher", order.warehouse, username="wang"))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert f'action="/dispatch/shipments/{shipment.pk}/report/"' in board
    assert 'Zhao · <a href="tel:13900001111">13900001111</a>' in board  # the one to call
    stop = shipment.stops.get()
    eta = stop.eta

    events = Event.objects.count()
    vague = _report(client, shipment, what="delayed")
    assert "Minutes late: This field is required." in vague
    assert 'data-field="delay"' in vague  # the cursor goes back there
    wrong = _report(client, shipment, what="delayed", delay="soon")
    assert "Minutes late: A whole number of minutes, at least 1." in wrong
    assert Event.objects.count() == events and not TrackingEvent.objects.filter(status="delayed")

    late = _report(client, shipment, what="delayed", delay="45", note="jam on the 5th ring")
    assert "Stop 1, Chaoyang store: Running late." in late
    stop.refresh_from_db()
    assert stop.eta - eta >= datetime.timedelta(minutes=45)  # from the report's time, plus 45
    said = TrackingEvent.objects.get(status="delayed")
    assert (said.source, said.note) == ("driver", "jam on the 5th ring")
    assert "+4" in late  # the board shows the delay at the next stop

    nobody = _report(client, shipment, what="delivered")
    assert "Received by: Who received the goods?" in nobody
    assert Order.objects.get(pk=order.pk).status == "shipped"

    done = _report(client, shipment, what="delivered", receiver_name="Li Na")
    assert "Stop 1, Chaoyang store: Delivered." in done and "No truck on the road." in done
    stop.refresh_from_db()
    assert (stop.status, stop.receiver_name) == ("delivered", "Li Na")
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert Shipment.objects.get(pk=shipment.pk).status == "completed"
    page = client.get(f"/orders/{order.pk}/").content.decode()
    row = page[page.index('<tr data-line="1">') :]
    assert '<td class="num">3</td>\n    <td class="num">3</td>' in row[: row.index("</tr>")]


def test_a_refusal_needs_its_reason_and_the_floor_cannot_report(client, on_the_road, person):
    order, shipment = on_the_road
    client.force_login(person("dispatcher", order.warehouse, username="wang"))
    why = _report(client, shipment, what="refused")
    assert "Note: Say what was not delivered, and why." in why
    refused = _report(client, shipment, what="refused", note="shop closed")
    back = f"RET-{shipment.reference}-1"
    assert (
        f"Stop 1, Chaoyang store: Refused. The goods are expected back on receipt {back}."
        in refused
    )
    assert Order.objects.get(pk=order.pk).status == "refused"  # not delivered, and done
    # The 3 units that left are expected back where they left from, to be received by scan.
    receipt = Receipt.objects.get(reference=back)
    assert (receipt.warehouse, receipt.status, receipt.supplier) == (
        order.warehouse,
        "expected",
        "Beijing shop",
    )
    assert [(ln.item.sku, ln.expected_quantity) for ln in receipt.lines.all()] == [
        (order.lines.get().item.sku, 3)
    ]
    assert Event.objects.get(type="shipment.refused").payload["return_receipt"] == back
    assert Event.objects.filter(type="receipt.expected", aggregate_id=str(receipt.pk)).exists()
    story = client.get(f"/orders/{order.pk}/").content.decode()
    assert f"Refused: expected back on receipt {back}" in story
    assert "Delivered" not in story[story.index('class="milestones"') :]
    assert "Back in the warehouse" not in story  # nothing received yet

    # The goods come back and are received by scan against the return receipt: the order's
    # page says what is back, so the office can credit the customer.
    sku = order.lines.get().item
    services_inventory.stock_receive(
        item=sku,
        quantity=2,
        location=Location.objects.get(barcode="BJ-PF-1"),
        receipt=receipt,
        actor=None,
    )
    story = client.get(f"/orders/{order.pk}/").content.decode()
    assert f"Back in the warehouse on {back}: {sku.sku} × 2 of 3" in story

    client.force_login(person("operator", order.warehouse, username="liu2"))
    assert (
        'action="/dispatch/shipments/' not in client.get("/dispatch/?warehouse=BJ").content.decode()
    )
    events = Event.objects.count()
    refused = _report(client, shipment, what="arrived")
    assert "Your role here is Operator" in refused and Event.objects.count() == events


def test_the_report_speaks_chinese(client, on_the_road, person):
    order, shipment = on_the_road
    client.force_login(person("dispatcher", order.warehouse, username="wang"))
    client.cookies["django_language"] = "zh-hans"
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert "签收人" in board and "晚到" in board and "部分签收：退回的货物" in board
    arrived = _report(client, shipment, what="arrived")
    assert "第 1 站" in arrived and "已到达" in arrived
    nobody = _report(client, shipment, what="delivered")
    assert "签收人：谁签收了货物？" in nobody  # the service's own reason, in Chinese


def test_a_partial_delivery_says_what_came_back_and_it_is_expected_home(
    on_the_road, person, api, client
):
    order, shipment = on_the_road
    sku = order.lines.get().item.sku
    dispatcher = api(person("dispatcher", order.warehouse, username="wang"))
    url = f"/api/v1/shipments/{shipment.pk}/stops/1/deliver/"
    pod = {"receiver_name": "Li Na", "at": timezone.now().isoformat(), "note": "one was dented"}

    wrong_outcome = dispatcher.post(
        url, {**pod, "outcome": "delivered", "returned": [{"item": sku, "quantity": 1}]}, "json"
    )
    too_many = dispatcher.post(
        url, {**pod, "outcome": "partial", "returned": [{"item": sku, "quantity": 5}]}, "json"
    )
    unknown = dispatcher.post(
        url, {**pod, "outcome": "partial", "returned": [{"item": "NOPE", "quantity": 1}]}, "json"
    )

    assert wrong_outcome.status_code == 400 and "returned" in wrong_outcome.json()["fields"]
    assert too_many.json()["fields"] == {
        "returned[0].quantity": [f"3 of {sku} went to this stop; 5 cannot come back."]
    }
    twice = dispatcher.post(
        url,
        {**pod, "outcome": "partial", "returned": [{"item": sku, "quantity": 2}] * 2},
        "json",
    )
    assert unknown.json()["fields"] == {"returned[0].item": ["Unknown SKU NOPE."]}
    assert twice.json()["fields"] == {"returned[1].item": [f"{sku} is named twice."]}
    assert not Receipt.objects.exists() and shipment.stops.get().status == "pending"

    done = dispatcher.post(
        url, {**pod, "outcome": "partial", "returned": [{"item": sku, "quantity": 1}]}, "json"
    )
    assert done.status_code == 200, done.content
    (receipt,) = Receipt.objects.all()
    assert receipt.reference == f"RET-{shipment.reference}-1"
    assert [(ln.item.sku, ln.expected_quantity) for ln in receipt.lines.all()] == [(sku, 1)]
    assert shipment.stops.get().status == "partial"
    assert Order.objects.get(pk=order.pk).status == "delivered"
    client.force_login(person("dispatcher", order.warehouse, username="li"))
    assert "Partly delivered · Li Na" in client.get(f"/orders/{order.pk}/").content.decode()


def test_the_dispatcher_records_what_came_back_from_a_partial_delivery(client, on_the_road, person):
    order, shipment = on_the_road
    sku = order.lines.get().item.sku
    client.force_login(person("dispatcher", order.warehouse, username="wang"))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert f'name="returned_{sku}"' in board and 'placeholder="≤3"' in board
    partial = {"what": "partial", "receiver_name": "Li Na", "note": "one dented"}

    typo = _report(client, shipment, **partial, **{f"returned_{sku}": "two"})
    too_many = _report(client, shipment, **partial, **{f"returned_{sku}": "4"})

    assert f"Came back: {sku}: A whole number of units, at least 1." in typo
    assert f"Came back: {sku}: 3 of {sku} went to this stop; 4 cannot come back." in too_many
    assert f'data-field="returned_{sku}"' in too_many  # the cursor goes back there
    assert not Receipt.objects.exists() and shipment.stops.get().status == "pending"

    done = _report(client, shipment, **partial, **{f"returned_{sku}": "1"})
    back = f"RET-{shipment.reference}-1"
    assert f"Partly delivered. The goods are expected back on receipt {back}." in done
    receipt = Receipt.objects.get(reference=back)
    assert [(ln.item.sku, ln.expected_quantity) for ln in receipt.lines.all()] == [(sku, 1)]
