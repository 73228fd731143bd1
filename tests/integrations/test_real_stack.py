"""The real stack: PostgreSQL, Redis, a real Celery worker process, uvicorn, WebSocket and
HTTP clients. Events reach the right screens and every webhook receiver, exactly once after
de-duplication, through a worker killed mid-flight and a Redis restart."""

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.test import Client
from websockets.sync.client import connect

from core.models import Event
from integrations import services as integrations
from inventory import services as stock
from tests.factories import ItemFactory
from tests.realstack import (
    Supervised,
    celery_worker,
    free_port,
    redis_server,
    running,
    stack_env,
    uvicorn,
    wait_for,
    worker_ready,
)

pytestmark = [pytest.mark.realstack, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class SlowReceiver:
    """A webhook endpoint that takes its time, counting deliveries per webhook-id."""

    def __init__(self, delay: float = 0.2) -> None:
        self.ids: Counter = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                receiver.ids[self.headers["webhook-id"]] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/in"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _socket(port: int, user):
    return connect(
        f"ws://127.0.0.1:{port}/ws/live/",
        additional_headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={_session_cookie(user)}",
            "Origin": f"http://127.0.0.1:{port}",
        },
        open_timeout=10,
    )


def test_changes_reach_their_warehouse_sockets_and_a_reconnecting_client_catches_up(
    site, other_site, person, api, tmp_path
):
    from dashboards.models import Alert
    from inventory.models import ReorderPolicy

    soap = ItemFactory(sku="SOAP")
    ReorderPolicy.objects.create(item=soap, warehouse=site.warehouse, reorder_point=50)
    env = stack_env(settings.REDIS_URL)
    port = free_port()
    worker, web = celery_worker(env, tmp_path, "live"), uvicorn(env, port)
    with running(worker, web):
        worker_ready(settings.REDIS_URL)
        wait_for(
            lambda: __import__("urllib.request").request.urlopen(f"http://127.0.0.1:{port}/ping/")
        )
        here, elsewhere = (
            person("operator", site.warehouse),
            person("operator", other_site.warehouse),
        )
        supervisor = api(person("supervisor", site.warehouse))
        receive = {"item": "SOAP", "quantity": 1, "location": "WA-A1"}

        with _socket(port, here) as mine, _socket(port, elsewhere) as theirs:
            # The server declines per-message deflate, offered by the client: small events
            # are sent as they are, not compressed again for every socket.
            assert mine.response.headers.get("Sec-WebSocket-Extensions") is None
            time.sleep(6)  # idle past redis-py's default 5 s read timeout: sockets must live on
            assert supervisor.post("/api/v1/stock/receive/", receive).status_code == 201
            # Alerts about that stock may come first (alert.*): the stock event is what we wait for.
            first = wait_for(
                lambda: (m := json.loads(mine.recv(timeout=15)))["type"] == "stock.received" and m
            )
            with pytest.raises(TimeoutError):
                theirs.recv(timeout=1.5)
        last_seen = first["sequence"]

        for _ in range(3):  # missed while disconnected
            supervisor.post("/api/v1/stock/receive/", receive)
        with _socket(port, here) as again:
            supervisor.post("/api/v1/stock/receive/", receive)
            caught_up = supervisor.get(f"/api/v1/events/?after={last_seen}").json()["results"]
            live = []
            with pytest.raises(TimeoutError):
                while True:
                    live.append(json.loads(again.recv(timeout=3)))
        # The worker also ran the alert rules on those events: SOAP is below its reorder point.
        wait_for(lambda: Alert.objects.filter(rule="below_reorder_point", key="WA:SOAP").exists())
        raw_ids = [m["id"] for m in live]
        assert len(raw_ids) == len(set(raw_ids)), "the relay published an event twice"
        # Alerts about the same stock arrive too (alert.*); the stock events are what we count.
        seen = {
            m["id"]: m["sequence"] for m in [*caught_up, *live] if m["type"] == "stock.received"
        }
        expected = list(
            Event.objects.filter(type="stock.received", sequence__gt=last_seen)
            .order_by("sequence")
            .values_list("uuid", "sequence")
        )
        assert len(expected) == 4
        assert sorted(seen.items(), key=lambda kv: kv[1]) == [(str(u), s) for u, s in expected]


def _events_for_webhooks(site, n: int) -> list[str]:
    item = ItemFactory()
    for _ in range(n):
        stock.stock_receive(item=item, quantity=1, location=site.loc["a1"], actor=None)
    return [
        str(u)
        for u in Event.objects.filter(type="stock.received", aggregate_id=item.sku).values_list(
            "uuid", flat=True
        )
    ]


def test_a_worker_killed_mid_delivery_loses_no_webhook(site, tmp_path):
    receiver = SlowReceiver(delay=0.2)
    env = stack_env(settings.REDIS_URL)
    integrations.webhook_subscribe(
        warehouse=site.warehouse, url=receiver.url, event_types=["stock.*"], actor=None
    )
    first = celery_worker(env, tmp_path, "first")
    with running(first):
        worker_ready(settings.REDIS_URL)
        expected = set(_events_for_webhooks(site, 20))
        wait_for(lambda: len(receiver.ids) >= 3, timeout=30)
        first.kill()  # SIGKILL: deliveries in flight die with it
    assert len(receiver.ids) < 20, "the test wants deliveries still in flight at the kill"
    second = celery_worker(env, tmp_path, "second")
    with running(second):
        wait_for(lambda: set(receiver.ids) >= expected, timeout=60)
    assert set(receiver.ids) == expected  # every event, and after de-duplication once each


def test_no_event_is_lost_when_redis_restarts(site, tmp_path):
    redis_port = free_port()
    broker = f"redis://127.0.0.1:{redis_port}/0"
    receiver = SlowReceiver(delay=0)
    integrations.webhook_subscribe(
        warehouse=site.warehouse, url=receiver.url, event_types=["stock.*"], actor=None
    )
    redis = redis_server(redis_port)
    # A worker that loses its broker in the middle of acknowledging a task can exit (kombu
    # then fails to restore its unacknowledged messages: celery/kombu#582, #970); deployed,
    # the restart policy starts it again, as here.
    worker = Supervised(lambda: celery_worker(stack_env(broker), tmp_path, "redis"))
    with running(worker, redis):
        worker_ready(broker)
        before = set(_events_for_webhooks(site, 5))
        wait_for(lambda: set(receiver.ids) >= before, timeout=30)
        redis.kill()
        during = set(_events_for_webhooks(site, 5))  # committed while Redis is down
        time.sleep(2)
        redis = redis_server(redis_port)

        def all_delivered() -> bool:
            worker.check()
            return set(receiver.ids) >= before | during

        with running(redis):
            wait_for(all_delivered, timeout=60)
    assert set(receiver.ids) == before | during


def test_the_worker_keeps_its_database_connections_between_tasks(site, tmp_path):
    """A relay run per change, each in a task of its own: the worker answers them on the
    connections it opened for the first (DATABASE_CONN_MAX_AGE), not on a new one each."""
    from django.db import connection

    item = ItemFactory()
    worker = celery_worker(stack_env(settings.REDIS_URL), tmp_path, "kept")
    with running(worker):
        worker_ready(settings.REDIS_URL)
        for _ in range(6):
            stock.stock_receive(item=item, quantity=1, location=site.loc["a1"], actor=None)
            time.sleep(0.3)  # each change relayed by a task of its own
        relayed = Event.objects.filter(type="stock.received", aggregate_id=item.sku)
        wait_for(lambda: not relayed.filter(published_at__isnull=True).exists(), timeout=30)
        first = relayed.order_by("published_at").first().published_at
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT backend_start FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND backend_type = 'client backend'
                """
            )
            opened = [row[0] for row in cursor.fetchall()]
    assert opened, "the worker holds no connection between its tasks"
    assert min(opened) <= first  # the connection that relayed the first change is still open
