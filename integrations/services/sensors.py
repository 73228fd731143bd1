"""Cold chain: the sensors of cold rooms and refrigerated trucks, their readings, and the
excursions of their goods out of range."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from integrations.models import Excursion, ExcursionKind, Sensor, SensorReading
from inventory.choices import TEMPERATURE_LIMITS, TemperatureClass
from inventory.models import Zone
from shipping.choices import ShipmentStatus
from shipping.models import Shipment, Vehicle


@dataclass(frozen=True)
class ReadingInput:
    at: datetime.datetime
    temperature: Decimal
    humidity: Decimal | None = None


@service
def sensor_register(
    *,
    device: str,
    name: str,
    zone: Zone | None = None,
    vehicle: Vehicle | None = None,
    low_c: Decimal | None = None,
    high_c: Decimal | None = None,
    humidity_high: Decimal | None = None,
    grace_minutes: int = 10,
    actor: AbstractBaseUser | None,
) -> Sensor:
    """Put a sensor in a cold room (a zone) or a truck (`sensor.registered`), watching the
    range of its goods' temperature class (`TEMPERATURE_LIMITS`) unless given one. A truck's sensor
    belongs to the truck's home warehouse. Refused: a device already known, neither or both
    of a zone and a truck, a truck with no home warehouse, a range upside down."""
    if (zone is None) == (vehicle is None):
        raise DomainError(_("A sensor is in a zone or in a truck, one of the two."), field="zone")
    if Sensor.objects.filter(device=device).exists():
        raise Conflict(
            _("Device %(device)s is known already.") % {"device": device}, field="device"
        )
    if vehicle is not None and vehicle.home_warehouse_id is None:
        raise DomainError(
            _("Truck %(plate)s has no home warehouse to watch it from.") % {"plate": vehicle.plate},
            field="vehicle",
        )
    kind = (zone or vehicle).temperature_class  # type: ignore[union-attr]
    default_low, default_high = TEMPERATURE_LIMITS.get(
        kind, TEMPERATURE_LIMITS[TemperatureClass.AMBIENT]
    )
    low = default_low if low_c is None else low_c
    high = default_high if high_c is None else high_c
    if low >= high:
        raise DomainError(
            _("The lowest temperature (%(low)s °C) must be below the highest (%(high)s °C).")
            % {"low": low, "high": high},
            field="low_c",
        )
    warehouse_id = zone.warehouse_id if zone is not None else vehicle.home_warehouse_id  # type: ignore[union-attr]
    try:
        with transaction.atomic():
            sensor = Sensor.objects.create(
                device=device,
                name=name,
                warehouse_id=warehouse_id,
                zone=zone,
                vehicle=vehicle,
                low_c=low,
                high_c=high,
                humidity_high=humidity_high,
                grace_minutes=grace_minutes,
            )
    except IntegrityError:  # registered at this moment by someone else
        raise Conflict(
            _("Device %(device)s is known already.") % {"device": device}, field="device"
        ) from None
    event_record(
        type="sensor.registered",
        aggregate_type="sensor",
        aggregate_id=device,
        warehouse=warehouse_id,
        payload={
            "device": device,
            "zone": zone.code if zone else None,
            "vehicle": vehicle.plate if vehicle else None,
            "low_c": str(low),
            "high_c": str(high),
        },
        actor=actor,
    )
    return sensor


def _worse(kind: str, worst: Decimal, value: Decimal) -> Decimal:
    return min(worst, value) if kind == ExcursionKind.COLD else max(worst, value)


def _on_the_road(sensor: Sensor) -> Shipment | None:
    if sensor.vehicle_id is None:
        return None
    return (
        Shipment.objects.filter(
            load__vehicle_id=sensor.vehicle_id, status=ShipmentStatus.IN_TRANSIT
        )
        .order_by("-departed_at")
        .first()
    )


def _excursion_event(
    excursion: Excursion, sensor: Sensor, type: str, actor: AbstractBaseUser | None
) -> None:
    event_record(
        type=type,
        aggregate_type="sensor",
        aggregate_id=sensor.device,
        warehouse=sensor.warehouse_id,
        payload={
            "device": sensor.device,
            "excursion": excursion.pk,
            "kind": excursion.kind,
            "started_at": excursion.started_at.isoformat(),
            "ended_at": excursion.ended_at.isoformat() if excursion.ended_at else None,
            "worst": str(excursion.worst),
            "low_c": str(sensor.low_c),
            "high_c": str(sensor.high_c),
            "shipment": excursion.shipment.reference if excursion.shipment_id else None,
        },
        actor=actor,
    )


@service
def sensor_readings_record(
    *, sensor: Sensor, readings: Sequence[ReadingInput], actor: AbstractBaseUser | None
) -> dict:
    """Keep a sensor's readings, once each (a reading of a moment already kept is a
    duplicate, left alone), and follow its goods' range through those newer than its last
    one, in time order: the first reading out of range opens an excursion
    (`sensor.excursion_started`, with the truck's shipment on the road), later ones out keep
    its worst value, the first back in range closes it (`sensor.excursion_ended`). A reading
    older than the last is kept for the record and changes nothing. The sensor's row is
    locked meanwhile. Answers how many were kept, duplicates, and the open excursion."""
    sensor = Sensor.objects.select_for_update().get(pk=sensor.pk)
    moments = {r.at for r in readings}
    known = set(
        SensorReading.objects.filter(sensor=sensor, at__in=moments).values_list("at", flat=True)
    )
    fresh: dict[datetime.datetime, ReadingInput] = {}
    for reading in readings:
        if reading.at not in known:
            fresh.setdefault(reading.at, reading)
    SensorReading.objects.bulk_create(
        SensorReading(sensor=sensor, at=r.at, temperature=r.temperature, humidity=r.humidity)
        for r in fresh.values()
    )
    excursion = Excursion.objects.filter(sensor=sensor, ended_at__isnull=True).first()
    latest = sorted(r for r in fresh if sensor.last_at is None or r > sensor.last_at)
    for at in latest:
        reading = fresh[at]
        out = sensor.out_of_range(reading.temperature, reading.humidity)
        if excursion is not None and (out is None or out[0] != excursion.kind):
            excursion.ended_at = at
            excursion.save(update_fields=["ended_at"])
            _excursion_event(excursion, sensor, "sensor.excursion_ended", actor)
            excursion = None
        if out is not None and excursion is None:
            excursion = Excursion.objects.create(
                sensor=sensor,
                kind=out[0],
                started_at=at,
                worst=out[1],
                shipment=_on_the_road(sensor),
            )
            _excursion_event(excursion, sensor, "sensor.excursion_started", actor)
        elif out is not None and excursion is not None:
            worst = _worse(excursion.kind, excursion.worst, out[1])
            if worst != excursion.worst:
                excursion.worst = worst
                excursion.save(update_fields=["worst"])
    if latest:
        last = fresh[latest[-1]]
        Sensor.objects.filter(pk=sensor.pk).update(
            last_at=last.at, last_temperature=last.temperature, last_humidity=last.humidity
        )
    return {
        "device": sensor.device,
        "kept": len(fresh),
        "duplicates": len(readings) - len(fresh),
        "excursion": (
            {"kind": excursion.kind, "since": excursion.started_at, "worst": excursion.worst}
            if excursion is not None
            else None
        ),
    }
