"""Live sharing: a committed change reaches the sockets of its warehouse, and only those."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from dashboards.consumers import LiveConsumer
from integrations.relay import events_publish
from tests.factories import ItemFactory


def _socket(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    communicator.scope["user"] = user
    return communicator


@pytest.mark.django_db(transaction=True)
def test_a_stock_change_reaches_its_warehouse_socket_and_no_other(site, other_site, person, api):
    ItemFactory(sku="SOAP")
    here = person("operator", site.warehouse)
    elsewhere = person("operator", other_site.warehouse)
    supervisor = api(person("supervisor", site.warehouse))

    def receive_through_the_api() -> None:
        response = supervisor.post(
            "/api/v1/stock/receive/", {"item": "SOAP", "quantity": 5, "location": "WA-A1"}
        )
        assert response.status_code == 201, response.json()
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            events_publish()  # on the real stack a worker does this; here we are the worker

    async def scenario() -> None:
        mine, theirs = _socket(here), _socket(elsewhere)
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]
        await database_sync_to_async(receive_through_the_api)()
        message = await mine.receive_json_from(timeout=5)
        assert message["type"] == "stock.received"
        assert message["payload"]["quantity"] == 5
        assert message["sequence"] >= 1 and message["id"]
        assert await theirs.receive_nothing(timeout=0.3)
        await mine.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_socket_is_closed(site):
    from django.contrib.auth.models import AnonymousUser

    async def scenario() -> None:
        connected, code = await _socket(AnonymousUser()).connect()
        assert not connected
        assert code == 4401

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_the_relay_publishes_each_event_once(site):
    from django.db import transaction

    from core.events import event_record
    from core.models import Event

    with transaction.atomic():
        for n in range(3):
            event_record(
                type="stock.moved", aggregate_type="item", aggregate_id=n, warehouse=site.warehouse
            )
    events_publish()
    assert Event.objects.filter(published_at__isnull=True).count() == 0
    assert events_publish() == 0


@pytest.mark.django_db(transaction=True)
def test_old_published_events_are_pruned_but_ledger_events_stay(site):
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from core.events import event_record
    from core.models import Event
    from integrations.relay import events_prune
    from tests.inventory.helpers import stock_in

    with transaction.atomic():
        event_record(
            type="task.assigned", aggregate_type="task", aggregate_id=1, warehouse=site.warehouse
        )
    stock_in(ItemFactory(), site.loc["a1"], 1)
    events_publish()
    later = timezone.now() + datetime.timedelta(days=8)
    assert events_prune(keep_days=7, now=later) >= 1
    assert list(Event.objects.values_list("type", flat=True)) == ["stock.received"]
