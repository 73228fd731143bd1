"""The dispatch board: the dock day, loads with fill and readiness, the road; bounded queries."""

import datetime

from django.utils import timezone

from shipping import services
from shipping.models import Carrier, Dock, Vehicle
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow


def test_the_board_shows_appointments_loads_and_readiness(
    client, network, beijing_shop, person, django_assert_max_num_queries
):
    bj, pick, _ = network["BJ"]
    tea = ItemFactory(sku="TEA")
    stock_in(tea, pick, 50)
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    van = Vehicle.objects.create(
        carrier=carrier, plate="京A-7", capacity_weight_kg=1000, capacity_volume_l=8000
    )
    dock = Dock.objects.create(warehouse=bj, code="D1")
    orders = [
        services.order_create(
            customer=beijing_shop[0],
            ship_to=beijing_shop[1],
            external_ref=f"SO-D{n}",
            lines=[services.LineInput(tea, 5)],
            requested_delivery_date=tomorrow(1),
            promised_ship_date=tomorrow(0),
            actor=None,
        )
        for n in range(3)
    ]
    load = services.load_build(warehouse=bj, vehicle=van, orders=orders, actor=None)
    start = timezone.now() + datetime.timedelta(hours=1)
    services.appointment_book(
        dock=dock,
        vehicle=van,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        load=load,
        actor=None,
    )
    services.wave_plan(load=load, actor=None)
    client.force_login(person("dispatcher", bj))
    # A fixed number, whatever the loads: the doors' holds and the receipts a hold may name
    # are one query each.
    with django_assert_max_num_queries(26):
        page = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert "京A-7" in page
    assert load.reference in page
    assert "release by" in page
    assert "1.5% / 0.2%" in page  # 15 x 1 kg of 1,000 kg; 15 x 1 l of 8,000 l
    fragment = client.get("/dispatch/?warehouse=BJ&fragment=board").content.decode()
    assert "<html" not in fragment and load.reference in fragment


def test_the_evening_shift_sees_the_night_s_trucks_on_the_dock_timeline(
    client, network, person, monkeypatch
):
    bj = network["BJ"][0]  # Asia/Shanghai, UTC+8
    evening = datetime.datetime(2026, 11, 25, 13, 0, tzinfo=datetime.UTC)  # 21:00 in Beijing
    monkeypatch.setattr(timezone, "now", lambda: evening)
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    night, morning = (
        Vehicle.objects.create(
            carrier=carrier, plate=plate, capacity_weight_kg=1000, capacity_volume_l=8000
        )
        for plate in ("京A-NIGHT", "京A-MORNING")
    )
    dock = Dock.objects.create(warehouse=bj, code="D1")
    for vehicle, starts_at in (
        (night, evening + datetime.timedelta(hours=4, minutes=30)),  # 01:30 tomorrow
        (morning, evening + datetime.timedelta(hours=13)),  # 10:00 tomorrow: past the window
    ):
        services.appointment_book(
            dock=dock,
            vehicle=vehicle,
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=1),
            actor=None,
        )
    client.force_login(person("dispatcher", bj))

    page = client.get("/dispatch/?warehouse=BJ").content.decode()

    timeline = page[page.index('class="timeline"') : page.index("</section>")]
    assert 'title="京A-NIGHT 01:30–02:30"' in timeline
    assert "京A-MORNING" not in timeline
    marks = timeline[timeline.index('class="hours"') : timeline.index("</div>")]
    assert marks.count("<span>") == 9 and "<span>16:00</span>" in marks  # 2-hourly from 5 h back
    assert "<span>11-26</span>" in marks  # midnight, as the new day
    # Both can be moved from the board, the morning's too, though past the timeline: a day
    # other than today is named.
    assert "D1 · 京A-NIGHT · 11-26 01:30–02:30" in page
    assert "D1 · 京A-MORNING · 11-26 10:00–11:00" in page
