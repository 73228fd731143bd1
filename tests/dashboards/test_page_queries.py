"""Every page costs the same number of queries whatever it shows: no N+1 anywhere."""

import datetime

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services as stock
from tests.dashboards.helpers import alert_open
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in

PAGES = [
    "/",
    "/floor/?warehouse=WA",
    "/floor/?warehouse=WA&fragment=supervise",
    "/floor/lookup/?warehouse=WA&code=WA-A1",
    "/dispatch/?warehouse=WA",
    "/stock/?warehouse=WA",
    "/kpis/?warehouse=WA",
    "/alerts/bell/",
]


def _more_work(site, n: int, start: int) -> None:
    """n more items, each received (a putaway task), stocked, expected and alerted."""
    for k in range(start, start + n):
        item = ItemFactory(sku=f"Q-{k}")
        stock_in(item, site.loc["dock_in"], 3)
        stock_in(item, site.loc["a1"], 5)
        stock.receipt_create(
            warehouse=site.warehouse,
            reference=f"ASN-{k}",
            supplier="Acme",
            expected_on=datetime.date.today(),
            lines=[(item, 4)],
            actor=None,
        )
        alert_open(site.warehouse, key=f"K-{k}", message=f"low {k}", subject=("item", str(item.pk)))


def _counts(client) -> dict[str, int]:
    cache.clear()  # the KPI board computed afresh each time, not served from its cache
    out = {}
    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200, page
        out[page] = len(queries)
    return out


def test_every_page_costs_the_same_queries_for_a_little_or_a_lot(client, site, person):
    client.force_login(person("supervisor", site.warehouse))
    _more_work(site, 9, 0)  # more alerts than the bell lists: it counts them too
    _counts(client)  # warm: sessions, content types
    few = _counts(client)
    _more_work(site, 12, 9)
    assert _counts(client) == few
    assert max(few.values()) <= 28  # the KPI page's, with the carriers' and suppliers' cards
