"""Load the demo: warehouses, people for every role, and each app's master data and stock.

Deterministic and idempotent: a second run changes nothing but resetting the demo passwords.
"""

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from core.demo import PEOPLE, core_demo_load, demo_password
from dashboards.demo import kpi_history_load
from inventory.demo import inventory_demo_load
from shipping.demo import shipping_demo_load


class Command(BaseCommand):
    help = "Load deterministic demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        with transaction.atomic():
            warehouses = core_demo_load()
        stock = inventory_demo_load(warehouses=warehouses, today=datetime.date.today())
        orders = shipping_demo_load(warehouses=warehouses, today=datetime.date.today())
        history = kpi_history_load(
            warehouses=warehouses, today=datetime.date.today(), progress=self._progress
        )
        took = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {took:.1f} s: {stock}."))
        self.stdout.write(f"Orders: {orders}.")
        self.stdout.write(f"KPI history: {history}.")
        self.stdout.write("Demo logins (user / password / role):")
        for username, _, role, codes in PEOPLE:
            where = ", ".join(codes) if codes else "all warehouses"
            self.stdout.write(f"  {username:<12} {demo_password(username):<24} {role} ({where})")
        token = Token.objects.get(user__username="erp")
        self.stdout.write(f"API token of the ERP integration user: {token.key}")

    def _progress(self, done: int, total: int) -> None:
        """A progress bar on the terminal while the history is written."""
        width = 30
        filled = width * done // total
        end = "\n" if done == total else ""
        self.stdout.write(
            f"\r  history [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=end
        )
        self.stdout.flush()
