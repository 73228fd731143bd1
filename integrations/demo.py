"""The demo's cold chain: a sensor in each warehouse's chilled and frozen rooms and in each
refrigerated truck, with a day of readings every five minutes; Beijing's chilled room has
had its door left open for the last 35 minutes, which is an alert on its floor."""

import datetime
import math
from decimal import Decimal

from django.utils import timezone

from core.models import Warehouse
from core.services import record_save
from integrations.models import Sensor
from integrations.services.edi import edi_out_issue_due
from integrations.services.sensors import ReadingInput, sensor_readings_record, sensor_register
from inventory.models import Zone
from shipping.models import Customer, Vehicle

EVERY = datetime.timedelta(minutes=5)
DAY = datetime.timedelta(hours=24)
DOOR_OPEN = datetime.timedelta(minutes=35)


def _day_of(sensor: Sensor, now: datetime.datetime, *, door_open: bool) -> list[ReadingInput]:
    """A day of readings in the middle of the sensor's range, a degree up and down with the
    compressor's cycle; warm for the last 35 minutes if its door was left open."""
    middle = (sensor.low_c + sensor.high_c) / 2
    swing = min(Decimal(1), (sensor.high_c - sensor.low_c) / 4)
    out = []
    start = (now - DAY).replace(second=0, microsecond=0)
    steps = int(DAY / EVERY)
    for n in range(steps + 1):
        at = start + n * EVERY
        value = middle + swing * Decimal(str(round(math.sin(n / 5), 2)))
        if door_open and at >= now - DOOR_OPEN:
            minutes = Decimal((at - (now - DOOR_OPEN)).total_seconds() / 60)
            value = min(sensor.high_c + 1 + minutes / 10, sensor.high_c + Decimal("5.5"))
        out.append(
            ReadingInput(
                at=at, temperature=value.quantize(Decimal("0.01")), humidity=Decimal("62.0")
            )
        )
    return out


def ship_notices_demo_load() -> int:
    """The demo's first customer takes ship notices by EDI: its stops on the road get their
    856s (idempotent)."""
    customer = Customer.objects.order_by("code").first()
    if customer is None:
        return 0
    if not customer.edi_id:  # as the customers API sets it (`customer.updated`)
        customer.edi_id = f"{customer.code}MART"
        record_save(instance=customer, actor=None, warehouse_id=None)
    return edi_out_issue_due()


def integrations_demo_load(*, warehouses: dict[str, Warehouse]) -> str:
    """The demo's sensors and their last day (idempotent: none is added twice), and its
    ship notices."""
    ship_notices_demo_load()
    if Sensor.objects.exists():
        return f"{Sensor.objects.count()} sensors"
    now = timezone.now()
    sensors = []
    for code, warehouse in warehouses.items():
        for zone in Zone.objects.filter(
            warehouse=warehouse, temperature_class__in=["chilled", "frozen"]
        ):
            chilled = zone.temperature_class == "chilled"
            sensors.append(
                sensor_register(
                    device=f"{code.lower()}-{zone.code.lower()}-1",
                    name=f"{zone.name} 1",
                    zone=zone,
                    # The demo's chilled rooms say 0-4 °C on their doors.
                    low_c=Decimal("0") if chilled else None,
                    high_c=Decimal("4") if chilled else None,
                    actor=None,
                )
            )
        for vehicle in Vehicle.objects.filter(
            home_warehouse=warehouse, temperature_class__in=["chilled", "frozen"]
        ):
            sensors.append(
                sensor_register(
                    device=f"reefer-{vehicle.pk}",
                    name=f"{vehicle.plate} 冷机 reefer",
                    vehicle=vehicle,
                    actor=None,
                )
            )
    door_left_open = next(
        (s for s in sensors if s.zone_id and s.zone.temperature_class == "chilled"), None
    )
    for sensor in sensors:
        sensor_readings_record(
            sensor=sensor,
            readings=_day_of(sensor, now, door_open=sensor == door_left_open),
            actor=None,
        )
    return f"{len(sensors)} sensors"
