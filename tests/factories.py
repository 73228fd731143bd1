"""Factories for tests: master data only; stock always enters through the services."""

import datetime
import zoneinfo
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.gs1 import gs1_check_digit
from core.models import Membership, Warehouse
from inventory.choices import TemperatureClass, ZoneKind
from inventory.models import Item, Location, Zone


def gtin13(n: int) -> str:
    body = f"690999{n:06d}"
    return body + str(gs1_check_digit(body))


# Test warehouses keep the model's default clock, Beijing's: their days are its days, which
# from 16:00 UTC are a day ahead of the server's.
WAREHOUSE_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


def warehouse_today() -> datetime.date:
    """Today on the test warehouses' calendar (what their order dates are checked against)."""
    return timezone.localdate(timezone=WAREHOUSE_ZONE)


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"W{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")
    address = "1 Dock Road"
    city = "Beijing"
    latitude = Decimal("39.9")
    longitude = Decimal("116.4")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-12345")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    role = "operator"


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    warehouse = factory.SubFactory(WarehouseFactory)
    code = factory.Sequence(lambda n: f"Z{n}")
    name = factory.LazyAttribute(lambda o: f"Zone {o.code}")
    kind = ZoneKind.STORAGE
    temperature_class = TemperatureClass.AMBIENT


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    zone = factory.SubFactory(ZoneFactory)
    warehouse = factory.LazyAttribute(lambda o: o.zone.warehouse)
    barcode = factory.Sequence(lambda n: f"LOC-{n:04d}")
    pick_sequence = factory.Sequence(lambda n: n * 10)
    capacity_volume_l = Decimal("100000")
    capacity_weight_kg = Decimal("100000")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"T-{n:05d}")
    gtin = factory.Sequence(gtin13)
    name = factory.LazyAttribute(lambda o: f"Test item {o.sku}")
    weight_kg = Decimal("1.000")
    volume_l = Decimal("1.000")
