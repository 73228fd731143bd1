"""Shared fixtures: a small warehouse with every kind of zone, people with roles, API clients."""

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import Warehouse
from inventory.choices import TemperatureClass, ZoneKind
from inventory.models import Location
from tests.factories import LocationFactory, MembershipFactory, UserFactory, ZoneFactory

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI's real-stack run, PostgreSQL and Redis must be there: never skip silently."""
    if os.environ.get("HANDOFF_REQUIRE_REAL_STACK") != "1":
        return
    if not ON_POSTGRES:
        raise pytest.UsageError("HANDOFF_REQUIRE_REAL_STACK=1 but DATABASE_URL is not PostgreSQL")
    url = settings.REDIS_URL
    if not url:
        raise pytest.UsageError("HANDOFF_REQUIRE_REAL_STACK=1 but REDIS_URL is not set")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=3):
        pass


@pytest.fixture(autouse=True)
def _language_back_to_default() -> Any:
    """A page asked for in Chinese leaves Chinese active in the thread after the request;
    each test starts in the default language, whatever ran before it."""
    yield
    translation.deactivate()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the real-stack pass (DATABASE_URL)")
    skip_stack = pytest.mark.skip(reason="needs PostgreSQL and Redis: runs in the real-stack pass")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip)
        elif "realstack" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_stack)


@dataclass
class Site:
    """One warehouse laid out for tests: a location of each kind, keyed by name."""

    warehouse: Warehouse
    loc: dict[str, Location]


def _site(code: str) -> Site:
    from tests.factories import WarehouseFactory

    warehouse = WarehouseFactory(code=code)
    spec = {
        "dock_in": (ZoneKind.RECEIVING, TemperatureClass.AMBIENT, False),
        "a1": (ZoneKind.STORAGE, TemperatureClass.AMBIENT, False),
        "a2": (ZoneKind.STORAGE, TemperatureClass.AMBIENT, False),
        "pf": (ZoneKind.PICK_FACE, TemperatureClass.AMBIENT, False),
        "chill": (ZoneKind.STORAGE, TemperatureClass.CHILLED, False),
        "frozen": (ZoneKind.STORAGE, TemperatureClass.FROZEN, False),
        "haz": (ZoneKind.STORAGE, TemperatureClass.AMBIENT, True),
        "stage": (ZoneKind.STAGING, TemperatureClass.AMBIENT, False),
    }
    locations = {}
    for name, (kind, temp, hazmat) in spec.items():
        zone = ZoneFactory(
            warehouse=warehouse,
            code=f"{code}-{name}",
            kind=kind,
            temperature_class=temp,
            hazmat_allowed=hazmat,
        )
        locations[name] = LocationFactory(zone=zone, barcode=f"{code}-{name.upper()}")
    return Site(warehouse=warehouse, loc=locations)


@pytest.fixture
def site(db: Any) -> Site:
    return _site("WA")


@pytest.fixture
def other_site(db: Any) -> Site:
    return _site("WB")


@pytest.fixture
def person(db: Any) -> Callable[..., Any]:
    """person(role, *warehouses) -> a user with that role in those warehouses."""

    def make(role: str, *warehouses: Warehouse, username: str | None = None) -> Any:
        user = UserFactory(username=username) if username else UserFactory()
        for warehouse in warehouses:
            MembershipFactory(user=user, warehouse=warehouse, role=role)
        return user

    return make


@pytest.fixture
def api() -> Callable[[Any], APIClient]:
    """api(user) -> a client authenticated with the user's API token (as a system would be)."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
