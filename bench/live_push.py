"""Commit-to-screen latency: 100 WebSocket clients on one warehouse, stock changes committed
through the service layer at a steady rate, measured at every client.

Real stack: PostgreSQL, Redis, a Celery worker (the relay), uvicorn with two workers; the
clients run in a separate process (asyncio). Ends with one JSON line.
"""

import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import (  # noqa: E402
    bench_database_url,
    bench_site,
    database_recreate,
    django_setup,
)

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "100"))
RATE = float(os.environ.get("BENCH_RATE", "20"))  # committed changes per second
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))


def _clients(port: int, cookie: str, ready: "mp.Event", stop_at: float, out: "mp.Queue") -> None:
    """CLIENTS sockets in one event loop; report (client, event id, receive time) rows."""
    from websockets.asyncio.client import connect

    async def client(n: int, rows: list) -> None:
        async with connect(
            f"ws://127.0.0.1:{port}/ws/live/",
            additional_headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"},
            open_timeout=30,
            max_queue=None,
        ) as ws:
            ready_count.append(n)
            while time.time() < stop_at:
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, stop_at - time.time()))
                except TimeoutError:
                    break
                rows.append((n, json.loads(raw)["id"], time.time()))

    ready_count: list[int] = []

    async def main() -> list:
        rows: list = []
        tasks = [asyncio.create_task(client(n, rows)) for n in range(CLIENTS)]
        while len(ready_count) < CLIENTS:
            await asyncio.sleep(0.05)
        ready.set()
        await asyncio.gather(*tasks)
        return rows

    out.put(asyncio.run(main()))


def main() -> None:
    url = bench_database_url()
    database_recreate(url)
    django_setup(url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core.models import Membership
    from inventory.models import Item, StockMovement
    from inventory.services import stock_receive
    from tests.realstack import celery_worker, free_port, uvicorn, wait_for, worker_ready

    warehouse, (location,) = bench_site(kind="storage")
    item = Item.objects.create(sku="BEN-1", name="Bench item")
    watcher = get_user_model().objects.create_user("watcher", password="x")
    Membership.objects.create(user=watcher, warehouse=warehouse, role="operator")
    browser = Client()
    browser.force_login(watcher)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_LOG_LEVEL": "WARNING",
        "HANDOFF_ALERTS_EVERY_S": "3600",
        "HANDOFF_RELAY_SWEEP_S": "1",
    }
    port = free_port()
    tmp = Path(tempfile.mkdtemp())
    worker = celery_worker(env, tmp, "bench")
    web = uvicorn({**env}, port, workers=2)
    try:
        worker_ready(settings.REDIS_URL)
        import urllib.request

        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/ping/"))
        ctx = mp.get_context("spawn")
        ready, out = ctx.Event(), ctx.Queue()
        stop_at = time.time() + SECONDS + 20
        clients = ctx.Process(target=_clients, args=(port, cookie, ready, stop_at, out))
        clients.start()
        if not ready.wait(60):
            raise RuntimeError("clients did not connect")
        committed: dict[str, float] = {}
        interval, start = 1.0 / RATE, time.time()
        for n in range(int(RATE * SECONDS)):
            time.sleep(max(0.0, start + n * interval - time.time()))
            movement, _ = stock_receive(item=item, quantity=1, location=location, actor=None)
            at = time.time()  # committed: the clock starts here, before the id is looked up
            committed[str(StockMovement.objects.get(pk=movement.pk).event.uuid)] = at
        rows = out.get(timeout=SECONDS + 60)
        clients.join()
    finally:
        web.kill()
        worker.kill()
    latencies, per_client = [], {}
    for client, event_id, at in rows:
        if event_id in committed:
            latencies.append((at - committed[event_id]) * 1000)
            per_client.setdefault(client, []).append(event_id)
    expected = CLIENTS * len(committed)
    unique = sum(len(set(ids)) for ids in per_client.values())
    duplicated = sum(len(ids) - len(set(ids)) for ids in per_client.values())
    latencies.sort()
    print(
        json.dumps(
            {
                "bench": "live_push",
                "clients": CLIENTS,
                "events": len(committed),
                "rate_per_s": RATE,
                "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
                "p95_ms": round(latencies[int(len(latencies) * 0.95)], 1) if latencies else None,
                "lost": expected - unique,
                "duplicated": duplicated,
            }
        )
    )


if __name__ == "__main__":
    main()
