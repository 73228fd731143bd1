"""`manage.py sensor_bridge`: the sensors' MQTT readings into Handoff (integrations.mqtt)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.mqtt import TOPIC_FILTER, bridge_run


class Command(BaseCommand):
    help = "Take the cold rooms' and trucks' sensor readings from the MQTT broker (MQTT_URL)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default=settings.MQTT_URL, help="Default: MQTT_URL.")

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        if not url:
            raise CommandError("Set MQTT_URL (mqtt://host:1883) or give --url.")
        self.stdout.write(f"Sensor bridge: {url}, {TOPIC_FILTER}")
        bridge_run(url)
