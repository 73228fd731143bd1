"""Cold rooms and refrigerated trucks carry sensors. Their readings come over MQTT (or the
API); goods out of their range for longer than a door left open to load tell the people who
can act: the warehouse for a cold room, the dispatch office for a truck on the road, with
its shipment. A sensor gone quiet says so too. A reading delivered twice is kept once."""

import datetime
import json
import os
import socket
import threading
import time
import uuid
from decimal import Decimal

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Event
from dashboards.alerts import cold_chain
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from integrations.models import Excursion, SensorReading
from integrations.services.sensors import ReadingInput, sensor_readings_record, sensor_register
from shipping import services
from shipping.models import Order
from tests.factories import ZoneFactory
from tests.shipping.helpers import floor_order, on_the_truck, pick_all

T0 = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=2)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def reading(minutes: int, temperature: str, humidity: str | None = None) -> ReadingInput:
    return ReadingInput(
        at=at(minutes),
        temperature=Decimal(temperature),
        humidity=Decimal(humidity) if humidity else None,
    )


@pytest.fixture
def cold_room(network):  # type: ignore[no-untyped-def]
    """Beijing's chilled room, its sensor watching 2 to 8 °C (the chilled class's range)."""
    bj = network["BJ"][0]
    zone = ZoneFactory(
        warehouse=bj,
        code="BJ-CHILL",
        name="Chilled room",
        kind="pick_face",
        temperature_class="chilled",
    )
    return sensor_register(
        device="bj-chill-1", name="Chilled room, door side", zone=zone, actor=None
    )


def _conditions(warehouse, now):  # type: ignore[no-untyped-def]
    return [
        (c.rule, c.department, c.message) for c in cold_chain({warehouse.pk: warehouse}, {}, now)
    ]


def test_a_cold_room_warm_past_its_grace_alerts_the_warehouse_until_it_is_cold_again(cold_room):
    bj = cold_room.warehouse
    assert (cold_room.low_c, cold_room.high_c, cold_room.grace_minutes) == (2, 8, 10)
    kept = sensor_readings_record(
        sensor=cold_room,
        readings=[reading(0, "5.0"), reading(5, "9.1"), reading(10, "10.46"), reading(14, "9.8")],
        actor=None,
    )
    assert (kept["kept"], kept["duplicates"], kept["excursion"]["kind"]) == (4, 0, "warm")
    excursion = Excursion.objects.get()
    assert (excursion.started_at, excursion.ended_at, excursion.worst) == (
        at(5),
        None,
        Decimal("10.46"),
    )
    assert Event.objects.filter(type="sensor.excursion_started").count() == 1

    assert _conditions(bj, at(14)) == []  # 9 minutes: the door may just be open
    since = timezone.localtime(at(5), bj.zone()).strftime("%m-%d %H:%M")
    assert _conditions(bj, at(16)) == [
        (
            "temperature_excursion",
            "warehouse",
            f"Chilled room (BJ-CHILL) is out of range since {since}: 9.8 °C now, 10.5 °C at "
            "worst, against its limit of 8.0 °C.",
        )
    ]

    sensor_readings_record(sensor=cold_room, readings=[reading(20, "6.5")], actor=None)
    excursion.refresh_from_db()
    assert excursion.ended_at == at(20)
    ended = Event.objects.get(type="sensor.excursion_ended")
    assert ended.payload["worst"] == "10.46" and ended.payload["ended_at"] == at(20).isoformat()
    assert _conditions(bj, at(21)) == []


def test_a_reading_sent_twice_is_kept_once_and_an_old_one_changes_nothing(cold_room):
    sensor_readings_record(
        sensor=cold_room, readings=[reading(0, "4.0"), reading(10, "4.5")], actor=None
    )
    again = sensor_readings_record(
        sensor=cold_room, readings=[reading(10, "4.5"), reading(5, "12.0")], actor=None
    )
    assert (again["kept"], again["duplicates"], again["excursion"]) == (1, 1, None)
    assert SensorReading.objects.filter(sensor=cold_room).count() == 3
    assert not Excursion.objects.exists()  # 12 °C at 10:05 came after the 10:10 reading
    cold_room.refresh_from_db()
    assert (cold_room.last_at, cold_room.last_temperature) == (at(10), Decimal("4.50"))


def test_too_cold_then_too_warm_are_two_excursions_and_humidity_has_its_own(cold_room):
    cold_room.humidity_high = Decimal("85")
    cold_room.save()
    sensor_readings_record(
        sensor=cold_room,
        readings=[
            reading(0, "1.0"),
            reading(3, "0.4"),
            reading(6, "9.0"),
            reading(9, "5.0", humidity="91"),
            reading(12, "5.0", humidity="70"),
        ],
        actor=None,
    )
    assert [
        (e.kind, e.worst, e.started_at, e.ended_at)
        for e in Excursion.objects.order_by("started_at")
    ] == [
        ("cold", Decimal("0.40"), at(0), at(6)),
        ("warm", Decimal("9.00"), at(6), at(9)),
        ("humid", Decimal("91.00"), at(9), at(12)),
    ]


def test_a_reefer_truck_out_of_range_on_the_road_tells_dispatch_its_shipment(floor):
    bj, van = floor["wh"], floor["van"]
    van.home_warehouse, van.temperature_class = bj, "chilled"
    van.save()
    sensor = sensor_register(device="van-1-reefer", name="Van 1 reefer", vehicle=van, actor=None)
    order = floor_order(floor, (floor["tea"], 1), ref="SO-COLD")
    load = services.load_build(warehouse=bj, vehicle=van, orders=[order], actor=None)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    shipment = services.load_depart(load=load, actor=None)

    now = timezone.now().replace(microsecond=0)
    sensor_readings_record(
        sensor=sensor,
        readings=[
            ReadingInput(at=now - datetime.timedelta(minutes=25), temperature=Decimal("11.2")),
            ReadingInput(at=now - datetime.timedelta(minutes=1), temperature=Decimal("9.4")),
        ],
        actor=None,
    )
    assert Excursion.objects.get().shipment == shipment
    alerts_evaluate(now=now)
    alert = Alert.objects.get(rule="temperature_excursion")
    since = timezone.localtime(now - datetime.timedelta(minutes=25), bj.zone()).strftime(
        "%m-%d %H:%M"
    )
    assert (alert.department, alert.severity, alert.message) == (
        "logistics",
        "critical",
        f"Truck 京A-1 is out of range since {since} on shipment {shipment.reference}: 9.4 °C "
        "now, 11.2 °C at worst, against its limit of 8.0 °C.",
    )
    # The truck's sensor stops; on the road, that is a warning of its own.
    later = now + datetime.timedelta(minutes=45)
    assert ("sensor_silent", "logistics") in [(r, d) for r, d, _ in _conditions(bj, later)]


def test_a_sensor_gone_quiet_in_a_cold_room_is_a_warning(cold_room):
    sensor_readings_record(sensor=cold_room, readings=[reading(0, "4.0")], actor=None)
    bj = cold_room.warehouse
    assert _conditions(bj, at(29)) == []
    since = timezone.localtime(at(0), bj.zone()).strftime("%m-%d %H:%M")
    assert _conditions(bj, at(31)) == [
        (
            "sensor_silent",
            "warehouse",
            f"Sensor bj-chill-1 in Chilled room (BJ-CHILL) has said nothing since {since}: "
            "nobody is watching its goods' temperature.",
        )
    ]


def test_sensors_are_registered_and_read_through_the_api(api, person, network, cold_room):
    bj = network["BJ"][0]
    ZoneFactory(
        warehouse=bj, code="BJ-FRZ", name="Freezer", kind="pick_face", temperature_class="frozen"
    )
    manager = api(person("manager", bj))
    made = manager.post(
        "/api/v1/sensors/",
        {"device": "bj-frz-1", "name": "Freezer", "warehouse": "BJ", "zone": "BJ-FRZ"},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert (made.json()["low_c"], made.json()["high_c"]) == ("-30.0", "-18.0")
    twice = manager.post(
        "/api/v1/sensors/",
        {"device": "bj-frz-1", "name": "Freezer", "warehouse": "BJ", "zone": "BJ-FRZ"},
        format="json",
    )
    assert twice.status_code == 409, twice.content
    bad = manager.post(
        "/api/v1/sensors/", {"device": "a/b", "name": "x", "vehicle": "NONE"}, format="json"
    )
    assert set(bad.json()["fields"]) == {"device"}

    gateway = api(person("integration", bj))
    refused = gateway.post(
        "/api/v1/sensors/bj-chill-1/readings/",
        {"readings": [{"temperature": 4.2}, {"temperature": 120, "humidity": -1}]},
        format="json",
    )
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"readings[1].temperature", "readings[1].humidity"}
    assert not SensorReading.objects.exists()
    future = gateway.post(
        "/api/v1/sensors/bj-chill-1/readings/",
        {"at": (timezone.now() + datetime.timedelta(hours=1)).isoformat(), "temperature": 4},
        format="json",
    )
    assert future.status_code == 400 and "In the future" in future.json()["message"]
    taken = gateway.post(
        "/api/v1/sensors/bj-chill-1/readings/",
        {"at": at(0).isoformat(), "temperature": 9.25, "humidity": 60},
        format="json",
    )
    assert taken.status_code == 200, taken.content
    assert taken.json()["kept"] == 1 and taken.json()["excursion"]["kind"] == "warm"
    listed = {row["device"]: row for row in gateway.get("/api/v1/sensors/").json()}
    assert listed["bj-chill-1"]["last_temperature"] == "9.25"
    assert listed["bj-chill-1"]["excursion"]["worst"] == "9.25"
    assert listed["bj-frz-1"]["excursion"] is None
    history = gateway.get(
        f"/api/v1/sensors/bj-chill-1/readings/?since={at(-1).isoformat()}".replace("+", "%2B")
    )
    assert [(r["temperature"], r["humidity"]) for r in history.json()] == [("9.25", "60.00")]
    operator = api(person("operator", bj))
    assert (
        operator.post(
            "/api/v1/sensors/bj-chill-1/readings/", {"temperature": 4}, format="json"
        ).status_code
        == 403
    )
    elsewhere = api(person("integration", network["SH"][0]))
    assert elsewhere.get("/api/v1/sensors/bj-chill-1/readings/").status_code == 404


def _broker() -> tuple[str, int]:
    """The Mosquitto the tests use: MQTT_URL's, or this machine's on 1883."""
    url = settings.MQTT_URL or "mqtt://127.0.0.1:1883"
    host, _, port = url.split("://", 1)[1].partition(":")
    address = (host, int(port or 1883))
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail(f"No MQTT broker at {address}: CI runs one.")
        pytest.skip(f"No MQTT broker at {address}.")
    return address


@pytest.mark.django_db(transaction=True)
def test_readings_published_over_mqtt_are_kept_once_and_bad_ones_answered(network):
    host, port = _broker()
    zone = ZoneFactory(
        warehouse=network["BJ"][0], code="BJ-CHILL", kind="pick_face", temperature_class="chilled"
    )
    device = f"chill-{uuid.uuid4().hex[:8]}"  # topics of this run only
    sensor = sensor_register(device=device, name="Chilled room", zone=zone, actor=None)
    from integrations.mqtt import bridge_run

    stop = threading.Event()
    bridge = threading.Thread(
        target=bridge_run,
        args=(f"mqtt://{host}:{port}",),
        kwargs={"stop": stop, "client_id": f"handoff-test-{device}"},
    )
    bridge.start()
    refusals: list[dict] = []
    gateway = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"gw-{device}")
    gateway.on_message = lambda c, u, m: refusals.append(json.loads(m.payload))
    gateway.connect(host, port)
    gateway.subscribe(f"handoff/sensors/{device}/refused", qos=1)
    gateway.loop_start()
    try:
        message = json.dumps({"at": at(0).isoformat(), "temperature": 9.5})
        deadline = time.monotonic() + 20
        # Sent until taken (the bridge subscribes when it has connected), so more than once,
        # as QoS 1 may deliver it: it is kept once.
        while time.monotonic() < deadline and not (
            refusals and SensorReading.objects.filter(sensor=sensor).exists()
        ):
            gateway.publish(f"handoff/sensors/{device}/reading", message, qos=1).wait_for_publish(5)
            gateway.publish(f"handoff/sensors/{device}/reading", b'{"temperature": "hot"}', qos=1)
            time.sleep(0.3)
    finally:
        gateway.loop_stop()
        gateway.disconnect()
        stop.set()
        bridge.join(10)
    assert [(r.at, r.temperature) for r in SensorReading.objects.filter(sensor=sensor)] == [
        (at(0), Decimal("9.50"))
    ]
    assert Excursion.objects.get(sensor=sensor).kind == "warm"
    assert refusals and refusals[0]["fields"] == {
        "readings[0].temperature": ["A valid number is required."]
    }


def test_the_floor_shows_its_cold_rooms_and_the_one_out_of_range(client, person, cold_room):
    sensor_readings_record(
        sensor=cold_room, readings=[reading(0, "4.0"), reading(5, "9.3")], actor=None
    )
    client.force_login(person("operator", cold_room.warehouse))
    page = client.get("/floor/?warehouse=BJ").content.decode()
    card = page[page.index('class="card cold-rooms"') :]
    row = card[card.index('data-device="bj-chill-1"') :].split("</tr>")[0]
    assert "9.3 °C" in row and "2.0 … 8.0 °C" in row and "too warm" in row
    # From the room out of range, its lots, to hold them.
    assert f'href="/lots/?zone={cold_room.zone_id}"' in row
    fragment = client.get("/floor/?warehouse=BJ&fragment=cold").content.decode()
    assert 'data-device="bj-chill-1"' in fragment and "<html" not in fragment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_the_bridge_and_the_api_at_once_keep_each_reading_once(network):
    """The MQTT bridge and a gateway posting over HTTP send overlapping readings of one
    sensor at the same moment: each reading is kept once, one excursion is opened."""
    from tests.shipping.helpers import at_once

    zone = ZoneFactory(
        warehouse=network["BJ"][0], code="BJ-CHILL", kind="pick_face", temperature_class="chilled"
    )
    sensor = sensor_register(device="bj-chill-1", name="Chilled room", zone=zone, actor=None)
    batch = [reading(n, "9.0" if n >= 10 else "5.0") for n in range(0, 30, 5)]

    def send(readings):  # type: ignore[no-untyped-def]
        return lambda: sensor_readings_record(sensor=sensor, readings=readings, actor=None)

    assert at_once(send(batch), send(batch[2:]), send(batch[::-1])) == ["done"] * 3
    assert SensorReading.objects.filter(sensor=sensor).count() == 6
    assert list(Excursion.objects.values_list("kind", "started_at", "ended_at")) == [
        ("warm", at(10), None)
    ]


def test_the_temperature_log_downloads_for_the_inspector(client, person, cold_room):
    sensor_readings_record(
        sensor=cold_room, readings=[reading(0, "4.0", "61"), reading(5, "9.3")], actor=None
    )
    client.force_login(person("supervisor", cold_room.warehouse))
    sheet = client.get("/sensors/bj-chill-1/log/?format=csv&days=1")
    assert sheet.status_code == 200
    assert sheet["Content-Disposition"].startswith('attachment; filename="bj-chill-1-')
    zone = cold_room.warehouse.zone()
    lines = sheet.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "Time,°C,% RH,In range",
        f"{timezone.localtime(at(0), zone):%Y-%m-%d %H:%M:%S},4.0,61.0,yes",
        f"{timezone.localtime(at(5), zone):%Y-%m-%d %H:%M:%S},9.3,,no",
    ]
    assert client.get("/sensors/bj-chill-1/log/")["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert client.get("/sensors/no-such/log/").status_code == 404
