"""Reservations per second on one hot SKU through the service layer, next to the raw SQL rate.

8 worker processes (each its own PostgreSQL connection, no shared interpreter lock):
  hot     all 8 reserve 1 unit at a time of one SKU via `stock_reserve` (lock, allocation,
          balance update, outbox event, commit);
  raw     all 8 run `UPDATE counter SET qty = qty - 1 WHERE id = 1 AND qty > 0` in autocommit;
  spread  8 workers on 8 different SKUs via `stock_reserve`;
  sellout 8 workers race for 2,000 units with 3,200 attempts: exactly 2,000 must succeed.
Then the ledger is checked against the balances. Ends with one JSON line.
"""

import json
import multiprocessing as mp
import multiprocessing.pool
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_database_url, bench_site, database_recreate, django_setup

WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
SELLOUT_STOCK, SELLOUT_TRIES = 2000, 400


def _worker(args: tuple) -> tuple[int, int]:
    mode, url, item_id, start_at, seconds, tries = args
    django_setup(url)
    from django.db import connection

    from core.models import Warehouse
    from inventory.exceptions import InsufficientStock
    from inventory.models import Item
    from inventory.services import stock_reserve

    done = refused = 0
    if mode == "raw":
        connection.ensure_connection()
        raw = connection.connection
        raw.autocommit = True
        cursor = raw.cursor()
    else:
        warehouse = Warehouse.objects.get(code="BEN")
        item = Item.objects.get(pk=item_id)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.time() + seconds
    n = 0
    while (tries and n < tries) or (not tries and time.time() < deadline):
        n += 1
        if mode == "raw":
            cursor.execute("UPDATE bench_counter SET qty = qty - 1 WHERE id = 1 AND qty > 0")
            done += cursor.rowcount
            continue
        try:
            stock_reserve(
                warehouse=warehouse,
                item=item,
                quantity=1,
                reference=f"{mode}-{os.getpid()}-{n}",
                actor=None,
            )
            done += 1
        except InsufficientStock:
            refused += 1
    connection.close()
    return done, refused


def _phase(pool: mp.pool.Pool, mode: str, url: str, items: list[int], tries: int = 0) -> dict:
    start_at = time.time() + 1.0  # all workers set up, then start together
    args = [(mode, url, items[i % len(items)], start_at, SECONDS, tries) for i in range(WORKERS)]
    results = pool.map(_worker, args)
    took = time.time() - start_at
    done = sum(r[0] for r in results)
    return {
        "done": done,
        "refused": sum(r[1] for r in results),
        "per_s": done / (SECONDS if not tries else took),
    }


def main() -> None:
    url = bench_database_url()
    database_recreate(url)
    django_setup(url)

    from django.db import connection

    from inventory.models import Item
    from inventory.selectors import ledger_drift
    from inventory.services import stock_receive

    _, (location,) = bench_site()
    items = [Item.objects.create(sku=f"BEN-{n}", name=f"Bench {n}") for n in range(10)]
    for item in items[:9]:
        stock_receive(item=item, quantity=1_000_000, location=location, actor=None)
    stock_receive(item=items[9], quantity=SELLOUT_STOCK, location=location, actor=None)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_counter (id int PRIMARY KEY, qty int NOT NULL)")
        cursor.execute("INSERT INTO bench_counter VALUES (1, 1000000000)")
    connection.close()

    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        hot = _phase(pool, "hot", url, [items[0].pk])
        raw = _phase(pool, "raw", url, [0])
        spread = _phase(pool, "spread", url, [i.pk for i in items[1:9]])
        sellout = _phase(pool, "sellout", url, [items[9].pk], tries=SELLOUT_TRIES)

    from django.db.models import F

    from inventory.models import StockBalance

    oversold = max(0, sellout["done"] - SELLOUT_STOCK)
    oversold += StockBalance.objects.filter(reserved__gt=F("on_hand")).count()
    drift = len(ledger_drift())
    figures = {
        "bench": "stock_reserve",
        "workers": WORKERS,
        "seconds": SECONDS,
        "hot_per_s": round(hot["per_s"], 1),
        "raw_hot_per_s": round(raw["per_s"], 1),
        "hot_ratio": round(hot["per_s"] / raw["per_s"], 3),
        "spread_per_s": round(spread["per_s"], 1),
        "sellout_reserved": sellout["done"],
        "sellout_refused": sellout["refused"],
        "oversold": oversold,
        "ledger_drift": drift,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
