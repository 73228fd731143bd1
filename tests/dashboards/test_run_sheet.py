"""The driver's run sheet: the dispatcher sends the driver a link of the shipment; on the
phone, without an account, the driver sees the stops in order and reports at each one, with
a photo of the signed delivery note. The office sees the report at once and the photo on the
order; the link opens that shipment and no other, and takes no report once the run is done."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import Event
from shipping.models import Order, Shipment, Stop, TrackingEvent
from tests.dashboards.test_floor_dock import picked  # noqa: F401  (the fixture)
from tests.dashboards.test_stop_report import on_the_road  # noqa: F401  (the fixture)
from tests.factories import WarehouseFactory

# The smallest PNG there is: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def media(settings, tmp_path):
    """Where photos are kept, for this test only."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def run_link(client, on_the_road, person):  # noqa: F811
    """The link the dispatcher's board gives for the shipment's driver."""
    order, _shipment = on_the_road
    client.force_login(person("dispatcher", order.warehouse))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    (link,) = re.findall(r'href="(/run/[^"]+/)"', board)
    client.logout()
    return link


def test_the_driver_reports_arrival_and_delivery_with_a_photo_from_the_run_sheet(
    client,
    on_the_road,  # noqa: F811
    run_link,
    person,
    media,
):
    order, shipment = on_the_road
    sheet = client.get(run_link)  # no account: the link is the key
    assert sheet.status_code == 200
    page = sheet.content.decode()
    assert f"Run sheet {shipment.reference}" in page and "1. Chaoyang store" in page
    assert "Zhao" in page and "Report this stop" in page
    stop = shipment.stops.get()

    arrived = client.post(f"{run_link}report/", {"stop": stop.pk, "what": "arrived"})
    assert "Stop 1, Chaoyang store: Arrived." in arrived.content.decode()
    said = TrackingEvent.objects.get(status="arrived")
    assert (said.source, said.stop_id) == ("driver", stop.pk)

    delivered = client.post(
        f"{run_link}report/",
        {
            "stop": stop.pk,
            "what": "delivered",
            "receiver_name": "Li Na",
            "photo": SimpleUploadedFile("note.png", PNG, content_type="image/png"),
        },
    )
    page = delivered.content.decode()
    assert delivered.status_code == 200
    assert "Stop 1, Chaoyang store: Delivered." in page
    assert "This run is complete" in page and "Report this stop" not in page
    stop.refresh_from_db()
    assert (stop.status, stop.receiver_name) == ("delivered", "Li Na")
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert Shipment.objects.get(pk=shipment.pk).status == "completed"
    told = Event.objects.get(type="shipment.delivered").payload
    assert (told["receiver_name"], told["outcome"], told["photo"]) == ("Li Na", "delivered", True)

    # The office sees the photo on the order; people of another warehouse do not.
    client.force_login(person("dispatcher", order.warehouse))
    page = client.get(f"/orders/{order.pk}/").content.decode()
    photo_url = f"/api/v1/shipments/{shipment.pk}/stops/1/photo/"
    assert f'href="{photo_url}"' in page
    photo = client.get(photo_url)
    assert b"".join(photo.streaming_content) == PNG
    client.force_login(person("dispatcher", WarehouseFactory(code="GZ")))
    assert client.get(photo_url).status_code == 404

    # Done: the sheet shows how it went and takes no more reports.
    client.logout()
    again = client.post(
        f"{run_link}report/", {"stop": stop.pk, "what": "delivered", "receiver_name": "Li Na"}
    )
    assert again.status_code == 400 and "already Delivered" in again.content.decode()


def test_a_report_the_services_refuse_says_why_and_writes_nothing(
    client,
    on_the_road,  # noqa: F811
    run_link,
    media,
):
    _order, shipment = on_the_road
    stop = shipment.stops.get()
    events = Event.objects.count()
    not_a_photo = client.post(
        f"{run_link}report/",
        {
            "stop": stop.pk,
            "what": "delivered",
            "receiver_name": "Li Na",
            "photo": SimpleUploadedFile("note.txt", b"signed", content_type="text/plain"),
        },
    )
    assert not_a_photo.status_code == 400
    assert "Photo: The proof-of-delivery photo must be an image." in not_a_photo.content.decode()
    forever = client.post(
        f"{run_link}report/", {"stop": stop.pk, "what": "delayed", "delay": "9" * 12}
    )
    assert forever.status_code == 400  # before, a 500: a delay past what a date can hold
    assert "Minutes late: A delay is between -1440 and 10080 minutes." in forever.content.decode()
    nobody = client.post(f"{run_link}report/", {"stop": stop.pk, "what": "delivered"})
    assert "Received by: Who received the goods?" in nobody.content.decode()
    assert Stop.objects.get(pk=stop.pk).status == "pending"
    assert Event.objects.count() == events and not list(media.rglob("*.*"))


def test_a_link_opens_its_own_shipment_only(client, on_the_road, run_link):  # noqa: F811
    _order, shipment = on_the_road
    hidden, signature = run_link.split("/")[2].split(":")
    assert str(shipment.pk) not in hidden  # the link does not tell the shipment's number
    other = f"/run/{hidden[::-1]}:{signature}/"  # another shipment's, guessed
    assert client.get(other).status_code == 404  # the signature is the shipment's
    assert client.get("/run/nothing/").status_code == 404
    stop = shipment.stops.get()
    told = TrackingEvent.objects.count()
    assert client.post(f"{other}report/", {"stop": stop.pk, "what": "arrived"}).status_code == 404
    assert TrackingEvent.objects.count() == told


def test_the_run_sheet_speaks_chinese(client, on_the_road, run_link):  # noqa: F811
    client.cookies["django_language"] = "zh-hans"
    page = client.get(run_link).content.decode()
    assert "行车单" in page and "已到达" in page


def test_the_erp_fetches_the_photo_of_the_delivery_through_the_api(
    client,
    on_the_road,  # noqa: F811
    run_link,
    person,
    api,
    media,
):
    order, shipment = on_the_road
    stop = shipment.stops.get()
    erp = api(person("integration", order.warehouse))
    url = f"/api/v1/shipments/{shipment.pk}/"
    assert erp.get(url).json()["stops"][0]["photo"] is None
    assert erp.get(f"{url}stops/1/photo/").status_code == 404
    # The photo's rule is the delivery's own: through the API too, it is an image.
    refused = erp.post(
        f"{url}stops/1/deliver/",
        {
            "outcome": "delivered",
            "receiver_name": "Li Na",
            "at": timezone.now().isoformat(),
            "photo": SimpleUploadedFile("note.txt", b"signed", content_type="text/plain"),
        },
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"photo": ["The proof-of-delivery photo must be an image."]}
    client.post(
        f"{run_link}report/",
        {
            "stop": stop.pk,
            "what": "delivered",
            "receiver_name": "Li Na",
            "photo": SimpleUploadedFile("note.png", PNG, content_type="image/png"),
        },
    )
    told = erp.get(url).json()["stops"][0]
    assert told["photo"] == f"http://testserver{url}stops/1/photo/"
    photo = erp.get(f"{url}stops/1/photo/")
    assert (photo.status_code, b"".join(photo.streaming_content)) == (200, PNG)
    # An ERP of another warehouse does not see it.
    assert (
        api(person("integration", WarehouseFactory(code="GZ")))
        .get(f"{url}stops/1/photo/")
        .status_code
        == 404
    )


def test_a_photo_whose_delivery_was_rolled_back_is_swept_away_and_the_kept_one_stays(
    on_the_road,  # noqa: F811
    media,
):
    import datetime
    import os

    from django.db import transaction

    from shipping import services
    from shipping.tasks import pod_photos_unclaimed_remove

    _order, shipment = on_the_road
    stop = shipment.stops.get()

    def deliver() -> None:
        services.delivery_record(
            stop=stop,
            outcome="delivered",
            receiver_name="Li Na",
            at=timezone.now(),
            actor=None,
            photo=SimpleUploadedFile("note.png", PNG, content_type="image/png"),
        )

    # A delivery rolled back after its photo was written (as a deadlock's retry would):
    # the stop forgets it, the file stays.
    with pytest.raises(RuntimeError), transaction.atomic():
        deliver()
        raise RuntimeError("rolled back")
    assert Stop.objects.get(pk=stop.pk).pod_photo.name in ("", None)
    (forgotten,) = media.rglob("*.png")
    deliver()  # and the delivery that counted
    kept = media / Stop.objects.get(pk=stop.pk).pod_photo.name
    assert sorted(media.rglob("*.png")) == sorted([forgotten, kept])

    # Young files stay: a delivery may still be writing its own.
    assert pod_photos_unclaimed_remove() == 0
    an_hour_ago = (timezone.now() - datetime.timedelta(hours=1, minutes=1)).timestamp()
    for path in (forgotten, kept):
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert pod_photos_unclaimed_remove() == 1
    assert list(media.rglob("*.png")) == [kept]
    assert pod_photos_unclaimed_remove() == 0


def test_the_link_closes_a_day_after_the_run_is_complete(
    client,
    on_the_road,  # noqa: F811
    run_link,
    media,
):
    import datetime

    _order, shipment = on_the_road
    stop = shipment.stops.get()
    client.post(
        f"{run_link}report/", {"stop": stop.pk, "what": "delivered", "receiver_name": "Li Na"}
    )
    done = client.get(run_link)
    assert done.status_code == 200 and "Li Na" in done.content.decode()

    # A day later (as if the run had been complete since then), the link shows nothing of it.
    Shipment.objects.filter(pk=shipment.pk).update(
        completed_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )
    closed = client.get(run_link)
    page = closed.content.decode()
    assert closed.status_code == 410
    assert "This run is over and its link closed at" in page
    assert "Li Na" not in page and "Chaoyang store" not in page
    again = client.post(f"{run_link}report/", {"stop": stop.pk, "what": "arrived"})
    assert again.status_code == 410 and "Li Na" not in again.content.decode()
