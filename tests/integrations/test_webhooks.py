"""Webhooks out: signed per Standard Webhooks (checked by an independent implementation),
retried with backoff on a controlled clock, dead-lettered, replayed; each event once."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from core.events import event_record
from core.models import Event
from integrations import services
from integrations.models import WebhookDelivery
from integrations.relay import events_publish


class Receiver:
    """A real HTTP endpoint on loopback that verifies signatures and de-duplicates."""

    def __init__(self) -> None:
        self.answers: list[int] = []  # status codes to give, in order; then 204
        self.seen: dict[str, dict] = {}
        self.calls = 0
        self.secret = ""
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.calls += 1
                    code = receiver.answers.pop(0) if receiver.answers else 204
                if code == 204:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                    receiver.seen[self.headers["webhook-id"]] = payload
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(autouse=True)
def manual_relay():
    """These tests play the worker themselves, on their own clock."""
    from core.events import event_committed
    from integrations.apps import RELAY_DISPATCH_UID
    from integrations.tasks import relay_on_commit

    event_committed.disconnect(dispatch_uid=RELAY_DISPATCH_UID)
    yield
    event_committed.connect(relay_on_commit, dispatch_uid=RELAY_DISPATCH_UID)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _change(warehouse, n: int, type: str = "stock.moved") -> None:
    with transaction.atomic():
        event_record(
            type=type, aggregate_type="item", aggregate_id=n, warehouse=warehouse, payload={"n": n}
        )


def _run_until_quiet(now=None) -> None:
    events_publish()
    for delivery_id in services.webhooks_due(now=now):
        services.webhook_deliver(delivery_id=delivery_id, now=now)


@pytest.mark.django_db(transaction=True)
def test_subscribed_events_arrive_signed_once_each(site, other_site, receiver):
    subscription = services.webhook_subscribe(
        warehouse=site.warehouse, url=receiver.url, event_types=["stock.*"], actor=None
    )
    receiver.secret = subscription.secret
    for n in range(3):
        _change(site.warehouse, n)
    _change(site.warehouse, 9, type="order.shipped")  # not subscribed
    _change(other_site.warehouse, 10)  # another warehouse
    _run_until_quiet()
    _run_until_quiet()  # a second relay pass sends nothing again
    assert sorted(p["data"]["payload"]["n"] for p in receiver.seen.values()) == [0, 1, 2]
    assert receiver.calls == 3
    ids = set(
        Event.objects.filter(type="stock.moved", warehouse=site.warehouse).values_list(
            "uuid", flat=True
        )
    )
    assert set(receiver.seen) == {str(i) for i in ids}


@pytest.mark.django_db(transaction=True)
def test_failures_back_off_then_dead_letter_and_replay_delivers(site, receiver):
    subscription = services.webhook_subscribe(
        warehouse=site.warehouse,
        url=receiver.url,
        event_types=["stock.*"],
        actor=None,
        max_attempts=3,
    )
    receiver.secret = subscription.secret
    receiver.answers = [500, 503, 502]
    _change(site.warehouse, 1)
    # Embedded, the first attempt runs at publish time (on its own clock, between `before`
    # and `now`); on the real stack it runs in _run_until_quiet(now). Either way the backoff
    # counts from a moment between the two.
    before = timezone.now()
    events_publish()
    now = timezone.now()
    _run_until_quiet(now)
    delivery = WebhookDelivery.objects.get(event__type="stock.moved")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    wait = delivery.next_attempt_at - before
    assert datetime.timedelta(seconds=2.5) <= wait <= datetime.timedelta(seconds=6)
    assert services.webhooks_due(now=now) == []  # not due before its backoff
    later = now + datetime.timedelta(seconds=6)
    _run_until_quiet(later)
    even_later = later + datetime.timedelta(seconds=11)
    _run_until_quiet(even_later)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    assert Event.objects.filter(type="webhook.dead_lettered").count() == 1
    services.webhook_replay(delivery=delivery, actor=None)
    _run_until_quiet()
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len(receiver.seen) == 1


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_or_slow_endpoint_only_delays_its_own_deliveries(site, receiver):
    dead_end = services.webhook_subscribe(
        warehouse=site.warehouse,
        url="http://127.0.0.1:9/nothing",
        event_types=["stock.*"],
        actor=None,
    )
    good = services.webhook_subscribe(
        warehouse=site.warehouse, url=receiver.url, event_types=["stock.*"], actor=None
    )
    receiver.secret = good.secret
    _change(site.warehouse, 1)
    _run_until_quiet()
    assert len(receiver.seen) == 1
    failing = WebhookDelivery.objects.get(subscription=dead_end, event__type="stock.moved")
    assert failing.status == "pending" and failing.last_error


@pytest.mark.django_db(transaction=True)
def test_a_rotated_secret_still_verifies_with_the_old_one_during_the_switch(site, receiver):
    subscription = services.webhook_subscribe(
        warehouse=site.warehouse, url=receiver.url, event_types=["stock.*"], actor=None
    )
    old = subscription.secret
    services.webhook_secret_rotate(subscription=subscription, actor=None)
    receiver.secret = old  # the receiver has not switched yet
    _change(site.warehouse, 1)
    _run_until_quiet()
    assert len(receiver.seen) == 1


def test_the_webhook_api_shows_the_secret_once_and_names_bad_fields(site, person, api):
    erp = api(person("integration", site.warehouse))
    bad = erp.post(
        "/api/v1/webhooks/", {"warehouse": "WA", "url": "ftp://x", "event_types": []}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"url", "event_types"}
    made = erp.post(
        "/api/v1/webhooks/",
        {"warehouse": "WA", "url": "https://erp.example.com/hooks", "event_types": ["order.*"]},
        format="json",
    )
    assert made.status_code == 201
    assert made.json()["secret"].startswith("whsec_")
    listed = erp.get("/api/v1/webhooks/").json()["results"][0]
    assert "secret" not in listed
    operator = api(person("operator", site.warehouse))
    refused = operator.post(
        "/api/v1/webhooks/",
        {"warehouse": "WA", "url": "https://x.example.com", "event_types": ["*"]},
        format="json",
    )
    assert refused.status_code == 403
    assert json.loads(refused.content)["code"] == "forbidden"
