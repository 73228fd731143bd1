"""An operator picks by scanning, in a real browser; a wrong scan is refused out loud."""

import datetime

import pytest
from playwright.sync_api import expect

from inventory import services
from inventory.models import Task
from tests.browser.conftest import screenshot
from tests.factories import ItemFactory
from tests.inventory.helpers import on_hand, stock_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-12345")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)  # each role lands on its own page


def _scan(page, value: str) -> None:
    page.fill("#scan", value)
    page.press("#scan", "Enter")


def _soap_to_pick(site, person, reference: str, name: str = "Hand soap"):  # type: ignore[no-untyped-def]
    """10 hand soap on the pick face, 4 of them to pick for `reference` by li.ming, an
    operator: (soap, the pick task)."""
    soap = ItemFactory(sku="SOAP", name=name)
    stock_in(soap, site.loc["pf"], 10)
    reservation = services.stock_reserve(
        warehouse=site.warehouse, item=soap, quantity=4, reference=reference, actor=None
    )
    (task,) = services.pick_tasks_create(reservations=[reservation], actor=None)
    person("operator", site.warehouse, username="li.ming")
    return soap, task


def test_an_operator_completes_a_pick_by_typing_scans(live_server, page, site, person):
    soap, task = _soap_to_pick(site, person, "SO-77/1")

    _log_in(page, live_server.url, "li.ming")
    page.goto(f"{live_server.url}/floor/?warehouse=WA")
    expect(page.locator("#next-task .big")).to_have_text("WA-PF")
    expect(page.locator("#scan-prompt")).to_have_text("Scan the location")

    _scan(page, "WA-A1")
    expect(page.locator("#feedback")).to_have_text("Wrong location: expected WA-PF, scanned WA-A1.")
    expect(page.locator("#feedback")).to_have_class("feedback bad")
    screenshot(page, "floor-wrong-scan")

    _scan(page, "WA-PF")
    expect(page.locator("#scan-prompt")).to_have_text("Scan the item")
    _scan(page, "NOT-SOAP")
    expect(page.locator("#feedback")).to_contain_text("Wrong item: expected SOAP")
    _scan(page, soap.gtin)
    expect(page.locator("#scan")).to_have_value("4")
    page.press("#scan", "Enter")
    expect(page.locator("#feedback")).to_have_text("Done: 4 × SOAP.")
    expect(page.locator("#no-task")).to_be_visible()

    task.refresh_from_db()
    assert task.status == "done"
    assert on_hand(soap, site.loc["stage"]) == 4
    assert Task.objects.filter(status__in=["open", "assigned"]).count() == 0


def test_fewer_units_than_asked_go_only_when_entered_twice_and_a_refused_quantity_is_asked_again(
    live_server, page, site, person
):
    """A typo must not become a short pick (its units are written off there and the order
    allocated again): fewer units than the task asks for are sent only when entered twice.
    A quantity the server refuses is asked for again, the location and item scans kept."""
    soap, task = _soap_to_pick(site, person, "SO-79/1")
    _log_in(page, live_server.url, "li.ming")
    page.goto(f"{live_server.url}/floor/?warehouse=WA")
    _scan(page, "WA-PF")
    _scan(page, "SOAP")

    _scan(page, "40")  # more than the task: the server refuses it...
    expect(page.locator("#feedback")).to_have_text("The task is for 4; 40 is more.")
    expect(page.locator("#scan-prompt")).to_have_text("Enter the quantity and press Enter")
    expect(page.locator("#scan")).to_have_value("4")  # ...and asks for the quantity alone
    _scan(page, "four")
    expect(page.locator("#feedback")).to_have_text("Must be a whole number of units, zero or more.")

    _scan(page, "1")
    warning = "Only 1 of 4? Press Enter again for a short pick, or type the quantity."
    expect(page.locator("#feedback")).to_have_text(warning)
    expect(page.locator("#feedback")).to_have_class("feedback warn")
    expect(page.locator("#scan")).to_have_value("1")
    _scan(page, "3")  # another number is asked about in turn
    expect(page.locator("#feedback")).to_contain_text("Only 3 of 4?")
    task.refresh_from_db()
    assert task.status != "done" and on_hand(soap, site.loc["stage"]) == 0

    page.press("#scan", "Enter")
    expect(page.locator("#feedback")).to_have_text("Done: 3 × SOAP.")
    task.refresh_from_db()
    assert (task.status, task.counted_quantity) == ("done", 3)
    assert on_hand(soap, site.loc["stage"]) == 3


def test_a_task_someone_else_finished_makes_way_for_the_next(live_server, page, site, person):
    """Two people on one pick: the second to confirm is told, and sees the floor as it is now
    instead of the task that is gone."""
    soap, task = _soap_to_pick(site, person, "SO-80/1")
    other = person("operator", site.warehouse, username="zhao.lei")
    _log_in(page, live_server.url, "li.ming")
    page.goto(f"{live_server.url}/floor/?warehouse=WA")
    _scan(page, "WA-PF")
    _scan(page, "SOAP")
    services.task_confirm(
        task=task, location_barcode="WA-PF", item_code="SOAP", quantity=4, actor=other
    )

    page.press("#scan", "Enter")
    expect(page.locator("#feedback")).to_have_text(f"Task {task.pk} is already Done.")
    expect(page.locator("#no-task")).to_be_visible()
    assert on_hand(soap, site.loc["stage"]) == 4


def test_a_live_refresh_in_the_middle_of_a_scan_keeps_the_scan_box(live_server, page, site, person):
    """A keyboard-wedge scanner types into whatever has the focus: a refresh of the task list
    (another task changed on the floor) must leave the scan box where it is, focused."""
    _soap_to_pick(site, person, "SO-78/1")

    _log_in(page, live_server.url, "li.ming")
    page.goto(f"{live_server.url}/floor/?warehouse=WA")
    expect(page.locator("#scan-prompt")).to_have_text("Scan the location")
    page.keyboard.type("WA-")  # the scanner is half-way through the barcode...
    with page.expect_response(lambda r: "fragment=tasks" in r.url) as refreshed:
        page.evaluate("document.dispatchEvent(new CustomEvent('handoff:online'))")
    assert refreshed.value.ok
    page.wait_for_timeout(50)  # ...when the refreshed list lands
    page.keyboard.type("PF")
    page.keyboard.press("Enter")
    expect(page.locator("#feedback")).to_have_text("OK")
    expect(page.locator("#scan-prompt")).to_have_text("Scan the item")


def test_the_floor_speaks_chinese(live_server, page, site, person):
    person("operator", site.warehouse, username="wang.fang")
    _log_in(page, live_server.url, "wang.fang")
    page.goto(f"{live_server.url}/floor/?warehouse=WA")
    page.select_option("select[name=language]", "zh-hans")
    expect(page.locator("#next-task h2")).to_have_text("我的下一个任务")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot(page, "floor-zh")


def test_a_live_refresh_of_receiving_keeps_the_focused_field(live_server, page, site, person):
    """The receiving part re-renders on stock events; the field the operator is about to scan
    into (in the second receipt, folded away by default) still has the focus afterwards."""
    soap, tea = ItemFactory(sku="SOAP"), ItemFactory(sku="TEA")
    for reference, item in (("ASN-1", soap), ("ASN-2", tea)):
        services.receipt_create(
            warehouse=site.warehouse,
            reference=reference,
            supplier="Acme",
            expected_on=datetime.date.today(),
            lines=[(item, 10)],
            actor=None,
        )
    person("operator", site.warehouse, username="li.ming")

    _log_in(page, live_server.url, "li.ming")
    page.goto(f"{live_server.url}/floor/?warehouse=WA")
    page.click('details[data-receipt="ASN-2"] summary')
    page.click('details[data-receipt="ASN-2"] input[name=item_code]')
    with page.expect_response(lambda r: "fragment=receiving" in r.url):
        page.evaluate("document.dispatchEvent(new CustomEvent('handoff:online'))")
    page.wait_for_timeout(50)
    page.keyboard.type("TEA")
    expect(page.locator('details[data-receipt="ASN-2"] input[name=item_code]')).to_have_value("TEA")


def test_on_a_handheld_scanner_the_next_task_and_the_scan_box_fit_the_first_screen(
    live_server, chromium, site, person
):
    """A 360×640 handheld in Chinese: the page opens with the top bar, the warehouse, the next
    task and the scan box on one screen, with no scrolling."""
    site.warehouse.name = "北京顺义仓 Beijing Shunyi DC"
    site.warehouse.save()
    _soap_to_pick(site, person, "SO-79/1", name="洗手液 Hand soap 500ml")
    context = chromium.new_context(
        viewport={"width": 360, "height": 640}, locale="zh-CN", has_touch=True
    )
    page = context.new_page()

    _log_in(page, live_server.url, "li.ming")
    page.goto(f"{live_server.url}/floor/?warehouse=WA")
    expect(page.locator("#scan-prompt")).to_have_text("请扫描库位")
    location, scan = page.locator("#next-task .big"), page.locator("#scan")
    expect(location).to_have_text("WA-PF")
    for element in (location, scan):  # from the top of the page: the bar and title show too
        bottom = element.evaluate("e => e.getBoundingClientRect().bottom + window.scrollY")
        assert bottom <= 640
    screenshot(page, "floor-handheld-zh")
    context.close()


def test_receiving_keeps_the_dock_location_for_the_next_item(live_server, page, site, person):
    """Goods come off one truck at one dock: after each receipt the dock location stays, and
    the cursor waits in the item field for the next scan."""
    soap, tea = ItemFactory(sku="SOAP"), ItemFactory(sku="TEA")
    services.receipt_create(
        warehouse=site.warehouse,
        reference="ASN-1",
        supplier="Acme",
        expected_on=datetime.date.today(),
        lines=[(soap, 10), (tea, 5)],
        actor=None,
    )
    person("operator", site.warehouse, username="li.ming")
    _log_in(page, live_server.url, "li.ming")
    page.goto(f"{live_server.url}/floor/?warehouse=WA")
    form = page.locator('details[data-receipt="ASN-1"] form')
    form.locator("input[name=location_barcode]").fill("WA-DOCK_IN")
    form.locator("input[name=item_code]").fill("SOAP")
    form.locator("input[name=quantity]").fill("10")
    form.locator("button[type=submit]").click()
    expect(page.locator("#receiving [data-flash]")).to_contain_text("Received 10 × SOAP")

    form = page.locator('details[data-receipt="ASN-1"] form')  # the part came back fresh
    expect(form.locator("input[name=location_barcode]")).to_have_value("WA-DOCK_IN")
    expect(form.locator("input[name=item_code]")).to_have_value("")
    expect(form.locator("input[name=item_code]")).to_be_focused()
