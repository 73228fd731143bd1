"""A working day on the demo, in a real browser: the manager's KPI board with its charts and
a CSV that matches the page, the dispatcher releasing a wave from the board, the operator
looking up stock by scan, a driver reporting from the run sheet, a customer following its
order on the road; each page in English and Chinese. The README's pictures of the pages are taken here (var/screenshots; `make screenshots` copies them to docs/)."""

import csv
import io
import re
import urllib.request

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from core.demo import demo_password
from dashboards.views import KPI_LABELS
from tests.browser.conftest import log_in, screenshot, server_env
from tests.realstack import free_port, running, uvicorn, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    """The demo data, loaded before the browser starts."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def server(demo):
    port = free_port()
    with running(uvicorn(server_env(), port)):
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: urllib.request.urlopen(f"{base}/ping/"))
        yield base


def _person(chromium, base: str, username: str, *, width: int = 1280, height: int = 900):
    page = chromium.new_context(viewport={"width": width, "height": height}).new_page()
    log_in(page, base, username, demo_password(username))
    return page


def test_a_working_day_on_the_three_pages(server, chromium):
    base = server
    manager = _person(chromium, base, "manager", height=1100)
    assert manager.url.startswith(f"{base}/kpis/")  # a manager starts on the KPI board
    tiles = manager.locator(".card.kpi")
    expect(tiles).to_have_count(len(KPI_LABELS))
    expect(manager.locator(".card.kpi .chart svg")).to_have_count(len(KPI_LABELS))
    shown = {
        tile.get_attribute("data-kpi"): tile.get_attribute("data-value") for tile in tiles.all()
    }
    with manager.expect_download() as download:
        manager.click("#export-csv")
    rows = csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8")))
    exported = {r["kpi"]: r["value"] for r in rows if r["period"] == "range"}
    assert set(exported) == set(shown)
    for name, value in shown.items():
        assert (float(exported[name]) if value else "") == (
            pytest.approx(float(value)) if value else exported[name]
        ), name
    screenshot(manager, "kpis")

    dispatcher = _person(chromium, base, "dispatcher")
    assert dispatcher.url.startswith(f"{base}/dispatch/")
    expect(dispatcher.locator("#live")).to_have_class("live on", timeout=15000)
    screenshot(dispatcher, "dispatch", full_page=True)
    # The driver of the truck on the road opens the link sent, on a phone, with no account,
    # and reports arriving at the next stop; the dispatcher's board shows it (live on the
    # embedded default; on the real stack this test runs no worker to relay it, so reloaded:
    # tests/browser/test_live_board.py proves the live push there).
    run = dispatcher.locator("a.run-link").first.get_attribute("href")
    driver = chromium.new_context(viewport={"width": 400, "height": 860}).new_page()
    driver.goto(f"{base}{run}")
    expect(driver.locator("h1")).to_contain_text("Run sheet")
    screenshot(driver, "run-sheet", full_page=True)
    driver.locator("details[open] button", has_text="Arrived").click()
    expect(driver.locator("[data-flash]")).to_contain_text(": Arrived.")
    if settings.REDIS_URL:
        dispatcher.reload()
    last_event = dispatcher.locator("#live-root td").filter(
        has_text=re.compile(r"^\s*Arrived at stop \d")
    )
    expect(last_event).to_have_count(1, timeout=15000)
    release = dispatcher.locator("text=Release wave").first
    release.click()
    # The answer's message stays though the board re-renders on the events the release sent.
    expect(dispatcher.locator("[data-flash]")).to_contain_text("released to the floor")
    dispatcher.wait_for_timeout(1500)
    expect(dispatcher.locator("[data-flash]")).to_contain_text("released to the floor")
    # Tianjin has a truck free: the dispatcher asks for proposals and builds one, slot and all.
    dispatcher.goto(f"{base}/dispatch/?warehouse=TJ1")
    dispatcher.locator("text=Propose loads for the orders waiting").click()
    build = dispatcher.locator("#load-proposals button[type=submit]").first
    expect(build).to_have_text("Build this load and book its slot")
    # The board re-renders live on every event of its warehouse: the proposals asked for stay.
    dispatcher.evaluate(
        """() => new Promise((done) => {
            document.addEventListener("handoff:rendered", () => done(), { once: true });
            document.dispatchEvent(new CustomEvent("handoff:online"));
        })"""
    )
    expect(build).to_have_text("Build this load and book its slot")
    build.click()
    expect(dispatcher.locator("[data-flash]")).to_contain_text("planned on 津A-")
    expect(dispatcher.locator("[data-flash]")).to_contain_text("Booked at D")
    # The office sends a customer the link of its order on the road; on a phone, with no
    # account, the customer sees where it is, in English or in Chinese as the phone asks.
    dispatcher.goto(f"{base}/orders/?show=shipped")
    dispatcher.locator("td.code a").first.click()
    link = dispatcher.locator(".consignee-link input").input_value()
    assert link.startswith(f"{base}/track/")
    customer = chromium.new_context(viewport={"width": 400, "height": 760}).new_page()
    customer.goto(link)
    expect(customer.locator("ol.steps li.now")).to_have_text("On its way")
    expect(customer.locator(".consignee-now")).to_contain_text("Expected at")
    screenshot(customer, "consignee", full_page=True)
    chinese = chromium.new_context(locale="zh-CN").new_page()
    chinese.goto(link)
    expect(chinese.locator("h1")).to_contain_text("您的订单")
    dispatcher.goto(f"{base}/dispatch/?warehouse=TJ1")

    operator = _person(chromium, base, "operator", width=1000, height=1000)
    assert operator.url.startswith(f"{base}/floor/")
    expect(operator.locator("#next-task")).to_contain_text("My next task")
    operator.fill("#lookup-code", "BJ1-A-01-01")
    operator.press("#lookup-code", "Enter")
    expect(operator.locator("#lookup-result h3")).to_have_text("BJ1-A-01-01")
    screenshot(operator, "floor", full_page=True)

    operator.select_option("select[name=language]", "zh-hans")
    expect(operator.locator("h1")).to_contain_text("现场")
    expect(operator.locator("#lookup h2")).to_have_text("查询库存")
    dispatcher.select_option("select[name=language]", "zh-hans")
    # The window starts on an even hour, 4 to 6 hours back, and spans 16 hours.
    expect(dispatcher.locator("h2").first).to_have_text(
        re.compile(r"月台 前 [456] 小时至后 1[0-2] 小时")
    )
    assert settings.LANGUAGE_CODE == "en"
