"""Orders per second through the API (5 lines each, allocated in the request), next to a
trivial JSON endpoint of the same server (`/ping/`: the ratio the goal is set on), at 16
concurrent clients. For comparison it also measures the lightest authenticated API call,
`GET /api/v1/me/` (token, DRF, one query): `api_trivial_per_s` and `api_ratio`.

Real stack: PostgreSQL and Redis from the environment, uvicorn (ASGI) on loopback as the
image runs it (three workers of two request threads, shedding keep-alive connections from a
crowded one), and the load from a separate process
(16 threads, keep-alive connections). Ends with one JSON line.

Then, with the server stopped, where the CPU goes (`_cost`): one order's and one /ping/'s
CPU in the web process and in PostgreSQL, run in-process; from them and the /ping/ rate,
`ratio_ceiling`, the most this machine allows an order whose work costs that CPU, and
`order_cpu_budget_ms`, the CPU an order may cost in-process for the goal's ratio.
"""

import http.client
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import (  # noqa: E402
    bench_database_url,
    bench_site,
    database_recreate,
    django_setup,
)

PORT = int(os.environ.get("BENCH_PORT", "8077"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = 2.0
SKUS = 50
ORDERS_COSTED = 1000
GOAL_RATIO = 0.25


def _prepare(url: str) -> str:
    """A fresh database with a warehouse, stocked items, a customer and an ERP token."""
    database_recreate(url)
    django_setup(url)
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from core.models import Membership
    from inventory.models import Item
    from inventory.services import stock_receive
    from shipping.models import Customer, ShipTo

    warehouse, locations = bench_site(code="BJ1", locations=SKUS)
    for n, location in enumerate(locations):
        item = Item.objects.create(sku=f"SKU-{n:03d}", name=f"Item {n}")
        stock_receive(item=item, quantity=10_000_000, location=location, actor=None)
    customer = Customer.objects.create(code="C1", name="Customer")
    ShipTo.objects.create(
        customer=customer,
        code="MAIN",
        name="Shop",
        address="-",
        city="Beijing",
        latitude=Decimal("39.95"),
        longitude=Decimal("116.45"),
    )
    erp = get_user_model().objects.create_user("erp", password="x")
    Membership.objects.create(user=erp, warehouse=warehouse, role="integration")
    token = Token.objects.create(user=erp).key
    from django.db import connections

    connections.close_all()
    return token


def _client(args: tuple) -> list[float]:
    """One client thread's loop; returns the latencies (s) of the measured requests."""
    kind, token, start_at, stop_at, seed = args
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    latencies = []
    n = 0
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    while time.time() < start_at:
        time.sleep(0.001)
    while True:
        now = time.time()
        if now >= stop_at:
            break
        n += 1
        if kind == "orders":
            ref = f"B-{seed}-{n}"
            body = json.dumps(
                {
                    "external_ref": ref,
                    "customer": "C1",
                    "ship_to": "MAIN",
                    "requested_delivery_date": tomorrow,
                    "promised_ship_date": tomorrow,
                    "lines": [
                        {"item": f"SKU-{(seed * 7 + n * 5 + k * 11) % SKUS:03d}", "quantity": 1 + k}
                        for k in range(5)
                    ],
                }
            )
            conn.request("POST", "/api/v1/orders/", body, {**headers, "Idempotency-Key": ref})
        elif kind == "api":
            conn.request("GET", "/api/v1/me/", headers=headers)
        else:
            conn.request("GET", "/ping/")
        response = conn.getresponse()
        response.read()
        if response.status != (201 if kind == "orders" else 200):
            raise RuntimeError(f"{kind}: answered {response.status}")
        if now >= start_at + WARMUP:
            latencies.append(time.time() - now)
    conn.close()
    return latencies


def _load(kind: str, token: str) -> dict:
    """Run CLIENTS threads in this (separate) process and summarise."""
    start_at = time.time() + 0.5
    stop_at = start_at + WARMUP + SECONDS
    results: list[list[float]] = [[] for _ in range(CLIENTS)]

    def run(i: int) -> None:
        results[i] = _client((kind, token, start_at, stop_at, i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = sorted(x for r in results for x in r)
    return {
        "per_s": len(latencies) / SECONDS,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
    }


def _in_process(kind: str, token: str, out: "mp.Queue[dict]") -> None:
    out.put(_load(kind, token))


def _cost(url: str, token: str, out: "mp.Queue[dict]") -> None:
    """Where a request's CPU goes, in a process of its own with no server: the view run
    in-process (Django's test client, the connection kept) for ORDERS_COSTED orders and as
    many /ping/s, timing this process's CPU (Python: Django, DRF, the services) and that of
    its PostgreSQL backend (read from /proc; None if the database is on another machine)."""
    os.environ.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789abcdef0123456789abcdef",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL="WARNING",
    )
    django_setup(url)
    from django.db import connection
    from django.test import Client

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))

    def order(n: int) -> None:
        body = {
            "external_ref": f"COST-{n}",
            "customer": "C1",
            "ship_to": "MAIN",
            "requested_delivery_date": tomorrow,
            "promised_ship_date": tomorrow,
            "lines": [
                {"item": f"SKU-{(n * 5 + k * 11) % SKUS:03d}", "quantity": 1 + k} for k in range(5)
            ],
        }
        answer = client.post(
            "/api/v1/orders/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"COST-{n}",
            **headers,
        )
        if answer.status_code != 201:
            raise RuntimeError(f"order: answered {answer.status_code}")

    def ping(n: int) -> None:
        if client.get("/ping/").status_code != 200:
            raise RuntimeError("ping failed")

    def backend_cpu_s() -> float | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    figures = {}
    for name, call in (("order", order), ("ping", ping)):
        for n in range(ORDERS_COSTED // 5):  # warm: imports, prepared statements, caches
            call(n)
        postgres, python = backend_cpu_s(), time.process_time()
        for n in range(ORDERS_COSTED // 5, ORDERS_COSTED + ORDERS_COSTED // 5):
            call(n)
        python = time.process_time() - python
        after = backend_cpu_s()
        figures[f"{name}_python_ms"] = python * 1000 / ORDERS_COSTED
        figures[f"{name}_postgres_ms"] = (
            None if postgres is None or after is None else (after - postgres) * 1000 / ORDERS_COSTED
        )
    out.put(figures)


def main() -> None:
    url = bench_database_url()
    token = _prepare(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789abcdef0123456789abcdef",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        # As platform/entrypoint.sh runs the web server:
        "DATABASE_POOL_SIZE": "20",
        "WEB_THREADS": os.environ.get("WEB_THREADS", "2"),
        "WEB_KEEPALIVE_QUEUE": os.environ.get("WEB_KEEPALIVE_QUEUE", "5"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--workers",
            os.environ.get("WEB_CONCURRENCY", "3"),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/ping/")
                break
            except OSError:
                time.sleep(0.2)
        ctx = mp.get_context("spawn")
        figures = {}
        for kind in ("trivial", "orders", "api"):  # the goal's two first, as before
            queue: mp.Queue = ctx.Queue()
            loader = ctx.Process(target=_in_process, args=(kind, token, queue))
            loader.start()
            figures[kind] = queue.get(timeout=SECONDS + 120)
            loader.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    queue = ctx.Queue()
    coster = ctx.Process(target=_cost, args=(url, token, queue))
    coster.start()
    cost = queue.get(timeout=600)
    coster.join()
    orders, trivial, api = figures["orders"], figures["trivial"], figures["api"]
    # Both phases keep every core busy, so a request's rate is the cores over its CPU. A
    # /ping/ costs the machine `ping_machine_ms`: in-process, `ping_python_ms`; the rest is
    # the HTTP server's and the load's share, the same for an order. So an order whose
    # in-process CPU (Python and PostgreSQL) is C can reach at most the ratio
    # ping_machine / (ping_machine - ping_python + C), and the goal's ratio needs C within
    # `order_cpu_budget_ms`.
    cores = len(os.sched_getaffinity(0))
    ping_machine = cores * 1000 / trivial["per_s"]
    beside = ping_machine - cost["ping_python_ms"]
    order_cpu = cost["order_python_ms"] + (cost["order_postgres_ms"] or 0.0)
    print(
        json.dumps(
            {
                "bench": "order_intake",
                "clients": CLIENTS,
                "lines_per_order": 5,
                "orders_per_s": round(orders["per_s"], 1),
                "trivial_per_s": round(trivial["per_s"], 1),
                "ratio": round(orders["per_s"] / trivial["per_s"], 3),
                "p50_ms": round(orders["p50_ms"], 1),
                "p95_ms": round(orders["p95_ms"], 1),
                "trivial_p95_ms": round(trivial["p95_ms"], 1),
                # For comparison: the lightest authenticated API call (token, DRF, one query).
                "api_trivial_per_s": round(api["per_s"], 1),
                "api_ratio": round(orders["per_s"] / api["per_s"], 3),
                # Where the CPU goes (see `_cost`), and the ratio this machine allows.
                "cores": cores,
                "ping_machine_ms": round(ping_machine, 2),
                "ping_python_ms": round(cost["ping_python_ms"], 2),
                "order_python_ms": round(cost["order_python_ms"], 2),
                "order_postgres_ms": (
                    None
                    if cost["order_postgres_ms"] is None
                    else round(cost["order_postgres_ms"], 2)
                ),
                "order_cpu_budget_ms": round(ping_machine / GOAL_RATIO - beside, 2),
                "ratio_ceiling": round(ping_machine / (beside + order_cpu), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
