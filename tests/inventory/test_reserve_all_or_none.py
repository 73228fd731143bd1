"""An order's lines reserved at once (PostgreSQL): the same rows and events as one by one,
nothing written when the shortcut does not apply, and no deadlock between orders that list
the same items in opposite orders."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from core.models import Event
from inventory import services
from inventory.models import Allocation, Reservation
from inventory.selectors import ledger_drift
from tests.factories import ItemFactory
from tests.inventory.helpers import reserved, stock_in

pytestmark = [pytest.mark.postgres]


def _payloads(reference_prefix: str) -> list[dict]:
    rows = Event.objects.filter(type="stock.reserved").order_by("pk")
    return [e.payload for e in rows if e.payload["reference"].startswith(reference_prefix)]


@pytest.mark.django_db
def test_at_once_writes_what_line_by_line_would(site):
    tea, soap = ItemFactory(sku="TEA"), ItemFactory(sku="SOAP")
    stock_in(tea, site.loc["pf"], 10)
    stock_in(soap, site.loc["a1"], 10)
    with transaction.atomic():
        made = services.stock_reserve_all_or_none(
            warehouse=site.warehouse,
            wanted=[(soap, 4, "A:1"), (tea, 3, "A:2")],
            actor=None,
        )
    assert [(r.reference, r.reserved_now) for r in made] == [("A:1", 4), ("A:2", 3)]
    with transaction.atomic():
        services.stock_reserve(
            warehouse=site.warehouse, item=soap, quantity=4, reference="B:1", actor=None
        )
        services.stock_reserve(
            warehouse=site.warehouse, item=tea, quantity=3, reference="B:2", actor=None
        )

    def without_ids(payloads: list[dict]) -> list[dict]:
        return [
            {k: v for k, v in p.items() if k not in ("reservation", "reference")} for p in payloads
        ]

    assert without_ids(_payloads("A:")) == without_ids(_payloads("B:"))
    assert [p["reservation"] for p in _payloads("A:")] == [r.pk for r in made]
    assert _payloads("A:")[0]["allocations"] == [{"location": "WA-A1", "lot": None, "quantity": 4}]
    assert Allocation.objects.filter(reservation__reference__startswith="A:").count() == 2
    assert (reserved(tea), reserved(soap)) == (6, 8)
    assert ledger_drift() == []


@pytest.mark.django_db
def test_nothing_is_written_when_one_balance_does_not_cover_a_line(site):
    tea, soap = ItemFactory(sku="TEA"), ItemFactory(sku="SOAP")
    stock_in(tea, site.loc["pf"], 10)
    stock_in(soap, site.loc["pf"], 3)
    stock_in(soap, site.loc["a1"], 3)  # 6 in all, but no single balance holds 5
    events = Event.objects.count()
    with transaction.atomic():
        refused = services.stock_reserve_all_or_none(
            warehouse=site.warehouse, wanted=[(tea, 2, "A:1"), (soap, 5, "A:2")], actor=None
        )
        twice = services.stock_reserve_all_or_none(
            warehouse=site.warehouse, wanted=[(tea, 1, "B:1"), (tea, 1, "B:2")], actor=None
        )
    assert (refused, twice) == (None, None)
    assert Reservation.objects.count() == 0
    assert Event.objects.count() == events
    assert (reserved(tea), reserved(soap)) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_orders_listing_the_same_items_in_opposite_orders_never_deadlock(site):
    items = [ItemFactory(sku=f"SKU-{n}") for n in range(4)]
    for item in items:
        stock_in(item, site.loc["pf"], 1000)
    start = threading.Barrier(8)

    def worker(n: int) -> int:
        try:
            start.wait()
            order = items if n % 2 else list(reversed(items))
            for k in range(25):
                with transaction.atomic():
                    made = services.stock_reserve_all_or_none(
                        warehouse=site.warehouse,
                        wanted=[(item, 1, f"W{n}-{k}:{i}") for i, item in enumerate(order)],
                        actor=None,
                    )
                    assert made is not None
            return 25
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(worker, range(8))) == 200  # a deadlock would raise here
    assert [reserved(item) for item in items] == [200] * 4
    assert ledger_drift() == []
