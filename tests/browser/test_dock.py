"""At the dock, in a real browser: pack, stage on a scanned lane, check the truck in and
scan the unit on; the scan box keeps the cursor for the next unit."""

import pytest
from playwright.sync_api import expect

from shipping.models import HandlingUnit
from tests.browser.conftest import log_in
from tests.dashboards.test_floor_dock import picked  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_loader_scans_a_unit_onto_the_truck_and_is_ready_for_the_next(
    live_server,
    page,
    picked,  # noqa: F811
    person,
):
    order, load, lane = picked
    person("operator", order.warehouse, username="zhao")
    log_in(page, live_server.url, "zhao")
    page.goto(f"{live_server.url}/floor/?warehouse=BJ")
    dock = page.locator("#dock")

    dock.locator(f'tr[data-order="{order.external_ref}"] button').click()
    expect(dock.locator("[data-flash]")).to_contain_text("Packed SO-DOCK into unit")
    sscc = HandlingUnit.objects.get().sscc
    stage_box = dock.locator(f'tr[data-unit="{sscc}"] input[name=lane]')
    stage_box.fill(lane.barcode)
    stage_box.press("Enter")
    expect(dock.locator("[data-flash]")).to_contain_text(f"staged at {lane.barcode}")

    truck = dock.locator(f'tr[data-load="{load.reference}"]')
    truck.get_by_role("button", name="Check in").click()
    expect(dock.locator("[data-flash]")).to_contain_text("checked in at D1")
    scan_box = truck.locator("input[name=sscc]")
    scan_box.fill(sscc)
    scan_box.press("Enter")
    expect(dock.locator("[data-flash]")).to_contain_text(f"Unit {sscc} is on {load.reference}.")
    expect(truck.locator(".progress")).to_have_text("1/1")
    expect(truck.locator("input[name=sscc]")).to_be_focused()  # ready for the next unit
