"""The sensor bridge: what the cold rooms' and trucks' sensors publish over MQTT becomes
readings (`integrations.services.sensors`), at least once.

A gateway publishes to `handoff/sensors/<device>/reading`, QoS 1, a JSON reading
(`{"at": "2026-12-06T09:30:00Z", "temperature": 4.2, "humidity": 61}`) or several
(`{"readings": [...]}`), as the API takes them. The bridge keeps a persistent session
(clean session off, one client ID), so messages sent while it is down wait at the broker;
it acknowledges a message only once its readings are committed, and a reading delivered
twice is kept once. A message refused (an unknown device, not JSON, a field out of range) is
logged and answered on `handoff/sensors/<device>/refused` with the API's error shape, for
the gateway's people to see; it is not sent again.
"""

import json
import logging
import threading
import urllib.parse
from typing import Any

import paho.mqtt.client as mqtt
from django.db import close_old_connections
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.api.errors import error_body, fields_flattened
from core.exceptions import DomainError
from integrations.api.serializers import readings_parsed
from integrations.selectors import sensor_of_device
from integrations.services.sensors import sensor_readings_record

log = logging.getLogger("handoff.sensors")

PREFIX = "handoff/sensors/"
TOPIC_FILTER = PREFIX + "+/reading"
CLIENT_ID = "handoff-sensor-bridge"


def device_of(topic: str) -> str | None:
    """The device a reading's topic names; None for another topic."""
    if not topic.startswith(PREFIX) or not topic.endswith("/reading"):
        return None
    device = topic[len(PREFIX) : -len("/reading")]
    return device if device and "/" not in device else None


def message_taken(topic: str, payload: bytes) -> dict:
    """One message: its readings kept, and the service's answer; or the API's error body
    (`code`, `message`, `fields`) saying why nothing of it was kept."""
    device = device_of(topic) or ""
    sensor = sensor_of_device(device)
    if sensor is None:
        return error_body("not_found", _("No sensor %(device)s.") % {"device": device or topic})
    try:
        data: Any = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return error_body("invalid", _("Not JSON: %(error)s") % {"error": str(error)[:120]})
    try:
        readings = readings_parsed(data)
        return sensor_readings_record(sensor=sensor, readings=readings, actor=None)
    except ValidationError as error:
        fields = fields_flattened(error.detail)
        first, messages = next(iter(fields.items()))
        return error_body("invalid", f"{first}: {messages[0]}", fields)
    except DomainError as refused:
        return error_body(refused.code, refused.message, refused.fields)


def _on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
    if reason.is_failure:
        log.error("MQTT connection refused: %s", reason)
        return
    client.subscribe(TOPIC_FILTER, qos=1)
    log.info("sensor bridge subscribed to %s", TOPIC_FILTER)


def _on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
    close_old_connections()  # a long-lived process: drop a connection the database closed
    answer = message_taken(message.topic, message.payload)
    if "code" in answer:  # refused: tell the gateway; the message is not worth sending again
        log.warning("sensor reading refused on %s: %s", message.topic, answer["message"])
        device = device_of(message.topic)
        if device:
            client.publish(f"{PREFIX}{device}/refused", json.dumps(answer), qos=0)


def bridge_client(url: str, *, client_id: str = CLIENT_ID) -> mqtt.Client:
    """An MQTT client for the broker at `url` (mqtt://[user:password@]host[:port]), with a
    persistent session, that takes readings as they come once connected."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise ValueError(f"MQTT_URL must be mqtt://host[:port], not {url!r}")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    if parts.username:
        client.username_pw_set(
            urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
        )
    client.on_connect = _on_connect
    client.on_message = _on_message
    client.connect_async(parts.hostname, parts.port or 1883, keepalive=30)
    return client


def bridge_run(
    url: str, *, stop: threading.Event | None = None, client_id: str = CLIENT_ID
) -> None:
    """Take the sensors' readings from the broker until `stop` is set (for ever without
    one), reconnecting whenever the connection drops."""
    client = bridge_client(url, client_id=client_id)
    if stop is None:
        client.loop_forever(retry_first_connection=True)
        return
    client.loop_start()
    try:
        stop.wait()
    finally:
        client.disconnect()
        client.loop_stop()
