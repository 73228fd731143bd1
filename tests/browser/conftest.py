"""A real browser: Debian's Chromium driven by Playwright (no browser download)."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.realstack import embedded_env, stack_env

SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium():
    """Per test: Playwright's sync API keeps an event loop running in this thread while it
    is open, which other tests' async_to_sync calls must not find."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # test itself are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield browser
        browser.close()
        # While Playwright's loop runs, the test's ORM calls get connections of their own
        # (asgiref's Local follows the loop's context): close them here, where they are seen,
        # or the test database cannot be dropped at the end.
        connections.close_all()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    yield context.new_page()
    context.close()


def screenshot(page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def server_env() -> dict[str, str]:
    """The ASGI server on the test database; the embedded default needs no broker."""
    return stack_env(settings.REDIS_URL) if settings.REDIS_URL else embedded_env()


def log_in(page, base: str, username: str, password: str = "pw-12345") -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)  # each role lands on its own page


from tests.shipping.conftest import beijing_shop, network  # noqa: E402, F401
