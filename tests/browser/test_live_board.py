"""Two people, two browsers: an operator scans a pick on the floor and the dispatcher's board
shows the load's progress change without a reload, through the real ASGI server's socket."""

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from shipping import services
from shipping.models import Carrier, Dock, Vehicle
from tests.browser.conftest import log_in, server_env
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in
from tests.realstack import (
    celery_worker,
    free_port,
    running,
    uvicorn,
    wait_for,
    worker_ready,
)
from tests.shipping.conftest import tomorrow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def released_load(network, beijing_shop, person):
    """A load of one order, its wave on the floor; made before the browser starts, since
    Playwright's loop would stop the in-process relay from publishing."""
    bj, pick, _ = network["BJ"]
    tea = ItemFactory(sku="TEA")
    stock_in(tea, pick, 20)
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    van = Vehicle.objects.create(
        carrier=carrier, plate="京A-88", capacity_weight_kg=900, capacity_volume_l=9000
    )
    dock = Dock.objects.create(warehouse=bj, code="D1")
    order = services.order_create(
        customer=beijing_shop[0],
        ship_to=beijing_shop[1],
        external_ref="SO-LIVE",
        lines=[services.LineInput(tea, 3)],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
        actor=None,
    )
    load = services.load_build(warehouse=bj, vehicle=van, orders=[order], actor=None)
    start = timezone.now() + datetime.timedelta(hours=2)
    services.appointment_book(
        dock=dock,
        vehicle=van,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        load=load,
        actor=None,
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    person("dispatcher", bj, username="wang.wei")
    person("operator", bj, username="liu.yang")

    return load, pick


def test_the_dispatch_board_follows_the_floor_without_a_reload(released_load, chromium, tmp_path):
    load, pick = released_load
    env, port = server_env(), free_port()
    processes = [uvicorn(env, port)]
    if settings.REDIS_URL:  # on the real stack the relay runs in a worker
        processes.append(celery_worker(env, tmp_path, "board"))
    with running(*processes):
        if settings.REDIS_URL:
            worker_ready(settings.REDIS_URL)
        base = f"http://127.0.0.1:{port}"
        import urllib.request

        wait_for(lambda: urllib.request.urlopen(f"{base}/ping/"))
        dispatcher = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        operator = chromium.new_context(viewport={"width": 900, "height": 800}).new_page()
        log_in(dispatcher, base, "wang.wei")
        dispatcher.goto(f"{base}/dispatch/?warehouse=BJ")
        expect(dispatcher.locator("#live")).to_have_class("live on", timeout=15000)
        progress = dispatcher.locator(f'tr[data-load="{load.reference}"] .progress')
        expect(progress).to_have_text("0/1 picked")

        log_in(operator, base, "liu.yang")
        operator.goto(f"{base}/floor/?warehouse=BJ")
        for value in (pick.barcode, "TEA", "3"):
            operator.fill("#scan", value)
            operator.press("#scan", "Enter")
        expect(operator.locator("#feedback")).to_have_text("Done: 3 × TEA.")

        expect(progress).to_have_text("1/1 picked", timeout=15000)  # no reload on this page
        dispatcher.screenshot(path=str(tmp_path / "board.png"))


@pytest.fixture
def spare_van(released_load):
    """A second truck at the load's warehouse, made before the browser starts (as the load)."""
    return Vehicle.objects.create(
        carrier=Carrier.objects.get(),
        plate="京A-99",
        home_warehouse=released_load[0].warehouse,
        capacity_weight_kg=900,
        capacity_volume_l=9000,
    )


@pytest.fixture
def board(released_load, chromium):  # type: ignore[no-untyped-def]
    """The dispatcher's board of the load's warehouse, in a browser, on a server of its own."""
    env, port = server_env(), free_port()
    with running(uvicorn(env, port)):
        base = f"http://127.0.0.1:{port}"
        import urllib.request

        wait_for(lambda: urllib.request.urlopen(f"{base}/ping/"))
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        log_in(page, base, "wang.wei")
        page.goto(f"{base}/dispatch/?warehouse={released_load[0].warehouse.code}")
        yield page


def test_a_refused_booking_keeps_what_the_dispatcher_typed(released_load, spare_van, board):
    """The slot is taken: the board says so by the field's label, and the form still holds
    the truck, the time and the minutes, with the cursor in the time."""
    bj = released_load[0].warehouse
    taken = timezone.localtime(
        released_load[0].appointment.starts_at, zoneinfo.ZoneInfo(bj.time_zone)
    )
    slot = taken.replace(minute=0).strftime("%Y-%m-%dT%H:%M")  # 90 min from here overlaps it
    form = board.locator("#book-form")
    form.locator("select[name=vehicle]").select_option(label="京A-99 · OWN · 900 kg")
    form.locator("input[name=starts_at]").fill(slot)
    form.locator("input[name=minutes]").fill("90")
    form.locator("button[type=submit]").click()

    expect(board.locator("[data-flash]")).to_contain_text("Arrives: Dock D1 is booked")
    form = board.locator("#book-form")  # the board came back fresh from the server
    expect(form.locator("input[name=starts_at]")).to_have_value(slot)
    expect(form.locator("input[name=starts_at]")).to_be_focused()
    expect(form.locator("input[name=starts_at]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("input[name=minutes]")).to_have_value("90")
    expect(form.locator("select[name=vehicle] option:checked")).to_have_text(
        "京A-99 · OWN · 900 kg"
    )


def test_an_answer_asked_for_while_the_board_re_renders_lands(board):
    """The dispatcher asks for proposals just as an event re-renders the board: the answer
    is shown, not lost in the part of the page the re-render replaced."""
    page = board
    expect(page.locator("#live")).to_have_class("live on", timeout=15000)
    page.wait_for_timeout(500)  # the render the link's coming up asks for is done
    held = []  # the proposals' request, held until the board has had time to re-render
    page.route("**/dispatch/loads/proposed/**", lambda route: held.append(route))
    page.get_by_text("Propose loads for the orders waiting").click()
    page.evaluate("() => document.dispatchEvent(new CustomEvent('handoff:online'))")
    page.wait_for_timeout(1500)  # a re-render is asked for in 150 ms
    assert len(held) == 1
    held[0].continue_()
    proposals = page.locator("#load-proposals")
    expect(proposals).to_contain_text("No load to propose")
    page.wait_for_timeout(1500)  # the re-render held meanwhile keeps the answer
    expect(proposals).to_contain_text("No load to propose")
