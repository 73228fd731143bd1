"""Stock stays exact under real concurrent writers: threads, each with its own PostgreSQL connection."""

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from core.exceptions import DomainError
from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import Allocation, Reservation, StockBalance
from inventory.selectors import ledger_drift
from tests.factories import ItemFactory
from tests.inventory.helpers import on_hand, reserved, stock_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_own_connection(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def test_sixteen_workers_never_reserve_more_than_there_is(site):
    soap = ItemFactory()
    stock_in(soap, site.loc["pf"], 300)
    stock_in(soap, site.loc["a1"], 200)
    warehouse = site.warehouse
    start = threading.Barrier(16)

    @_in_own_connection
    def worker(n: int) -> Counter:
        outcome: Counter = Counter()
        start.wait()
        for attempt in range(n * 1000 // 16, (n + 1) * 1000 // 16):
            try:
                services.stock_reserve(
                    warehouse=warehouse,
                    item=soap,
                    quantity=1,
                    reference=f"SO-{attempt}",
                    actor=None,
                )
                outcome["reserved"] += 1
            except InsufficientStock as refused:
                assert "Insufficient stock" in refused.message
                outcome["refused"] += 1
        return outcome

    with ThreadPoolExecutor(16) as pool:
        total = sum(pool.map(worker, range(16)), Counter())
    assert total == Counter(reserved=500, refused=500)
    assert reserved(soap) == 500
    assert Reservation.objects.count() == 500
    assert sum(Allocation.objects.values_list("quantity", flat=True)) == 500
    assert not StockBalance.objects.filter(reserved__gt=models_on_hand()).exists()
    assert ledger_drift() == []


def models_on_hand():
    from django.db.models import F

    return F("on_hand")


def test_mixed_receive_move_reserve_pick_adjust_keeps_balances_equal_to_the_ledger(site):
    items = [ItemFactory() for _ in range(3)]
    spots = [site.loc["pf"], site.loc["a1"], site.loc["a2"]]
    for item in items:
        for spot in spots:
            stock_in(item, spot, 40)
    warehouse = site.warehouse
    start = threading.Barrier(8)

    @_in_own_connection
    def worker(seed: int) -> Counter:
        rng = random.Random(seed)
        outcome: Counter = Counter()
        start.wait()
        for step in range(60):
            item = rng.choice(items)
            a, b = rng.sample(spots, 2)
            op = rng.choice(["receive", "move", "reserve", "pick", "adjust", "release"])
            try:
                if op == "receive":
                    services.stock_receive(
                        item=item, quantity=rng.randint(1, 5), location=a, actor=None
                    )
                elif op == "move":
                    services.stock_move(
                        item=item,
                        lot=None,
                        from_location=a,
                        to_location=b,
                        quantity=rng.randint(1, 6),
                        actor=None,
                    )
                elif op == "adjust":
                    services.stock_adjust(
                        item=item,
                        lot=None,
                        location=a,
                        quantity_delta=rng.choice([-3, -1, 2]),
                        reason="race test",
                        actor=None,
                    )
                elif op in ("reserve", "pick", "release"):
                    reservation = services.stock_reserve(
                        warehouse=warehouse,
                        item=item,
                        quantity=rng.randint(1, 4),
                        reference=f"W{seed}-{step}",
                        allow_partial=True,
                        actor=None,
                    )
                    allocation = reservation.allocations.select_related("balance__location").first()
                    if op == "pick":
                        services.stock_pick(
                            reservation=reservation,
                            location=allocation.balance.location,
                            lot=None,
                            quantity=allocation.quantity,
                            to_location=site.loc["stage"],
                            actor=None,
                        )
                    elif op == "release":
                        services.stock_release(reservation=reservation, actor=None)
                outcome[op] += 1
            except DomainError:
                outcome["refused"] += 1
        return outcome

    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(worker, range(8)), Counter())
    assert sum(total.values()) == 8 * 60  # every operation ended done or cleanly refused
    assert total["refused"] < 8 * 60 // 2
    assert ledger_drift() == []
    assert not StockBalance.objects.filter(on_hand__lt=0).exists()
    assert all(on_hand(item) >= 0 for item in items)
