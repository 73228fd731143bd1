"""Shared set-up for benchmarks: a fresh PostgreSQL database, Django configured on it."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/handoff_bench"


def bench_database_url() -> str:
    """The benchmark database: DATABASE_URL's server with a `_bench` database of its own."""
    url = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    if not url.scheme.startswith("postgres"):
        sys.exit("benchmarks run on PostgreSQL: set DATABASE_URL=postgres://...")
    name = url.path.lstrip("/") or "handoff"
    if not name.endswith("_bench"):
        name = f"{name}_bench"
    return urlunsplit(url._replace(path=f"/{name}"))


def database_recreate(url: str) -> None:
    """Drop and create the benchmark database, so every run starts from nothing."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def django_setup(url: str) -> None:
    """Configure Django on the benchmark database (call once per process)."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def bench_site(*, code: str = "BEN", locations: int = 1, kind: str = "pick_face"):  # type: ignore[no-untyped-def]
    """Migrate, then a warehouse with one zone of `locations` roomy locations (call after
    django_setup). Returns (warehouse, [locations])."""
    from decimal import Decimal

    from django.core.management import call_command

    from core.models import Warehouse
    from inventory.models import Location, Zone

    call_command("migrate", verbosity=0)
    warehouse = Warehouse.objects.create(
        code=code, name="Bench", address="-", city="Beijing", latitude=39.9, longitude=116.4
    )
    zone = Zone.objects.create(warehouse=warehouse, code="Z", name="Z", kind=kind)
    room = Decimal("99999999")
    made = [
        Location.objects.create(
            warehouse=warehouse,
            zone=zone,
            barcode=f"{code}-{n:03d}",
            pick_sequence=n,
            capacity_volume_l=room,
            capacity_weight_kg=room,
        )
        for n in range(locations)
    ]
    return warehouse, made
