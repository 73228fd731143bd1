"""Backorders take their stock as soon as it is there: received, or freed by a cancelled
order. Nobody runs the re-allocation: the relay publishes the stock events and shipping's
listener retries the orders waiting for those items, in this process as the embedded
default does, or in a real worker on the real stack."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum

from config.celery_app import app
from core.models import Event
from integrations.tasks import RELAY_PENDING_KEY
from inventory.models import StockBalance
from inventory.selectors import ledger_drift
from shipping import services
from shipping.models import Order
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in
from tests.realstack import celery_worker, running, stack_env, wait_for, worker_ready
from tests.shipping.helpers import order_placed

# Commits run their after-commit work (the relay, then the listeners) as they do in
# production; tasks run in this process, as the embedded default runs them.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tasks_in_process():
    """On the real stack too, a queued task runs here (no worker is started). A relay an
    earlier test queued for no worker leaves its pending flag behind: cleared, so the first
    commit here queues (and so runs) the relay."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    cache.delete(RELAY_PENDING_KEY)
    yield
    app.conf.task_always_eager = before or not settings.REDIS_URL


def _reserved(item) -> int:
    return StockBalance.objects.filter(item=item).aggregate(q=Sum("reserved"))["q"] or 0


def test_stock_received_for_a_backorder_is_allocated_to_it_at_once(
    network, beijing_shop, tasks_in_process
):
    tea, rice = ItemFactory(sku="TEA"), ItemFactory(sku="RICE")
    bj = network["BJ"]
    stock_in(tea, bj[1], 2)
    waiting_tea = order_placed(*beijing_shop, (tea, 5), ref="SO-TEA")
    waiting_rice = order_placed(*beijing_shop, (rice, 1), ref="SO-RICE")
    assert (waiting_tea.status, waiting_rice.status) == ("backordered", "backordered")

    stock_in(tea, bj[1], 3)  # the truck from the supplier is received

    waiting_tea.refresh_from_db()
    assert waiting_tea.status == "allocated"
    assert waiting_tea.allocation_note["backordered"] == {}
    assert waiting_tea.allocation_note["parts"] == {"BJ": 3}
    assert _reserved(tea) == 5
    waiting_rice.refresh_from_db()
    assert waiting_rice.status == "backordered"  # nothing came for rice
    assert list(Event.objects.filter(aggregate_id="SO-RICE").values_list("type", flat=True)) == [
        "order.received",
        "order.backordered",
    ]
    assert ledger_drift() == []


def test_stock_freed_by_a_cancelled_order_goes_to_the_order_waiting_for_it(
    network, beijing_shop, tasks_in_process
):
    tea = ItemFactory(sku="TEA")
    stock_in(tea, network["BJ"][1], 4)
    first = order_placed(*beijing_shop, (tea, 4), ref="SO-FIRST")
    second = order_placed(*beijing_shop, (tea, 3), ref="SO-SECOND")
    assert (first.status, second.status) == ("allocated", "backordered")

    services.order_cancel(order=first, reason="customer called", actor=None)

    second.refresh_from_db()
    assert second.status == "allocated"
    assert _reserved(tea) == 3
    assert Order.objects.get(external_ref="SO-FIRST").status == "cancelled"
    assert ledger_drift() == []


@pytest.mark.realstack
@pytest.mark.postgres
def test_on_the_real_stack_the_worker_gives_arriving_stock_to_the_backorder(
    network, beijing_shop, tmp_path
):
    tea = ItemFactory(sku="TEA")
    waiting = order_placed(*beijing_shop, (tea, 2), ref="SO-WAIT")
    assert waiting.status == "backordered"
    # Beat's backorder sweep is an hour away here: only the listener can allocate it.
    worker = celery_worker(stack_env(settings.REDIS_URL), tmp_path, "backorders")
    with running(worker):
        worker_ready(settings.REDIS_URL)
        stock_in(tea, network["BJ"][1], 2)
        wait_for(lambda: Order.objects.get(pk=waiting.pk).status == "allocated", timeout=20)
    assert _reserved(tea) == 2


def test_a_lot_released_from_its_hold_goes_to_the_backorders_waiting_for_it(
    network, beijing_shop, tasks_in_process
):
    from inventory.models import Lot
    from inventory.services import lot_hold_lift

    milk = ItemFactory(sku="MILK", lot_tracked=True)
    stock_in(milk, network["BJ"][1], 4, lot="M1")
    services.lot_hold(lot=Lot.objects.get(code="M1"), reason="lab test pending", actor=None)
    waiting = order_placed(*beijing_shop, (milk, 3), ref="SO-MILK")
    assert waiting.status == "backordered"

    lot_hold_lift(lot=Lot.objects.get(code="M1"), actor=None)  # the lab says it is fine

    waiting.refresh_from_db()
    assert waiting.status == "allocated"
    assert _reserved(milk) == 3
