"""The embedded default has no beat process: its ASGI server runs beat's sweeps itself. What
time alone moves on the real stack moves there too, with no one making a request, and it
reaches the screens live."""

import json
import time
import urllib.request

import pytest

from inventory import services as stock
from tests.factories import ItemFactory
from tests.integrations.test_real_stack import _socket
from tests.integrations.test_webhooks import Receiver, manual_relay  # noqa: F401
from tests.realstack import embedded_env, free_port, running, uvicorn, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _embedded_server(port: int, **env: str):
    return uvicorn(embedded_env(HANDOFF_CLOCK="1", **env), port)


def test_a_change_no_one_relayed_reaches_screens_and_a_failed_webhook_is_tried_again(site, person):
    from integrations import services as integrations

    receiver = Receiver()
    receiver.answers = [503]  # the first attempt fails; beat's sweep tries again
    subscription = integrations.webhook_subscribe(
        warehouse=site.warehouse, url=receiver.url, event_types=["stock.*"], actor=None
    )
    receiver.secret = subscription.secret
    port = free_port()
    web = _embedded_server(port, HANDOFF_RELAY_SWEEP_S="1", HANDOFF_WEBHOOK_SWEEP_S="1")
    with running(web):
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/ping/"))
        with _socket(port, person("operator", site.warehouse)) as screen:
            # Recorded here with the relay off (manual_relay): only the server's sweep
            # publishes it.
            stock.stock_receive(
                item=ItemFactory(sku="SOAP"), quantity=3, location=site.loc["a1"], actor=None
            )
            seen = wait_for(
                lambda: (m := json.loads(screen.recv(timeout=15)))["type"] == "stock.received" and m
            )
        assert seen["payload"]["item"] == "SOAP"
        wait_for(lambda: seen["id"] in receiver.seen, timeout=30)
        assert receiver.calls == 2  # refused once, delivered on the retry
    receiver.close()


def test_without_the_clock_the_server_leaves_time_to_beat(site):
    """HANDOFF_CLOCK=0 (and always on the real stack): nothing runs but requests."""
    from core.models import Event

    port = free_port()
    web = uvicorn(embedded_env(HANDOFF_CLOCK="0", HANDOFF_RELAY_SWEEP_S="1"), port)
    with running(web):
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/ping/"))
        stock.stock_receive(
            item=ItemFactory(sku="SOAP"), quantity=3, location=site.loc["a1"], actor=None
        )

        time.sleep(3)
        assert Event.objects.filter(type="stock.received", published_at__isnull=True).exists()
