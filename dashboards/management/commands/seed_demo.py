"""Load the demo: warehouses, people for every role, and each app's master data and stock.

Deterministic and idempotent: a second run changes nothing but resetting the demo passwords.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from core.demo import PEOPLE, demo_password
from dashboards.consignee_links import consignee_path
from dashboards.tasks import PROGRESS_LISTENERS, demo_load
from shipping.selectors import order_on_the_road


class Command(BaseCommand):
    help = "Load deterministic demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        # The demo_load task, run here (the server is not up yet) and drawn as it reports.
        PROGRESS_LISTENERS.append(self._progress)
        try:
            summary = demo_load.apply().get()  # around the warehouses' own today
        finally:
            PROGRESS_LISTENERS.remove(self._progress)
        took = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {took:.1f} s: {summary['stock']}.")
        )
        self.stdout.write(f"Orders: {summary['orders']}.")
        self.stdout.write(f"Cold chain: {summary['sensors']}.")
        self.stdout.write(f"KPI history: {summary['history']}.")
        self.stdout.write("Demo logins (user / password / role):")
        for username, _, role, codes in PEOPLE:
            where = ", ".join(codes) if codes else "all warehouses"
            self.stdout.write(f"  {username:<12} {demo_password(username):<24} {role} ({where})")
        token = Token.objects.get(user__username="erp")
        self.stdout.write(f"API token of the ERP integration user: {token.key}")
        on_the_road = order_on_the_road()
        if on_the_road is not None:
            self.stdout.write(
                f"Its customer follows order {on_the_road.external_ref}, on its way, on "
                f"{consignee_path(on_the_road.pk)} (no login)."
            )

    def _progress(self, done: int, total: int) -> None:
        """A progress bar on the terminal, fed by the task's progress reports."""
        width = 30
        filled = width * done // total
        end = "\n" if done == total else ""
        self.stdout.write(
            f"\r  demo [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=end
        )
        self.stdout.flush()
