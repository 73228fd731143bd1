"""The event feed: in order, after a sequence, only the caller's warehouses, with filters."""

from django.db import transaction

from core.events import event_record
from core.models import Event


def _events(warehouse, *types):
    with transaction.atomic():
        return [
            event_record(
                type=t, aggregate_type="item", aggregate_id=f"SKU-{i}", warehouse=warehouse
            )
            for i, t in enumerate(types)
        ]


def test_a_user_of_warehouse_a_gets_nothing_of_warehouse_b(site, other_site, person, api):
    _events(site.warehouse, "stock.received", "stock.moved")
    _events(other_site.warehouse, "stock.received", "stock.adjusted")
    client = api(person("dispatcher", site.warehouse))
    body = client.get("/api/v1/events/?after=0").json()
    assert {e["warehouse"] for e in body["results"]} == {"WA"}
    assert [e["type"] for e in body["results"]] == ["stock.received", "stock.moved"]


def test_paging_with_after_gives_every_event_once_in_order(site, person, api):
    made = _events(site.warehouse, *["stock.moved"] * 7)
    client = api(person("manager", site.warehouse))
    seen, after = [], 0
    while True:
        page = client.get(f"/api/v1/events/?after={after}&limit=3").json()
        if not page["results"]:
            break
        seen += [e["sequence"] for e in page["results"]]
        after = page["next_after"]
    made = list(Event.objects.filter(pk__in=[e.pk for e in made]).order_by("pk"))
    assert seen == [e.sequence for e in made]
    assert page["next_after"] == made[-1].sequence


def test_filters_by_type_and_aggregate(site, person, api):
    _events(site.warehouse, "stock.received", "stock.moved", "stock.adjusted")
    client = api(person("manager", site.warehouse))
    by_type = client.get("/api/v1/events/?type=stock.moved,stock.adjusted").json()["results"]
    assert [e["type"] for e in by_type] == ["stock.moved", "stock.adjusted"]
    by_aggregate = client.get("/api/v1/events/?aggregate_type=item&aggregate_id=SKU-0").json()
    assert [e["type"] for e in by_aggregate["results"]] == ["stock.received"]


def test_bad_feed_parameters_name_the_field(site, person, api):
    client = api(person("manager", site.warehouse))
    response = client.get("/api/v1/events/?after=-1&limit=5000")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"after", "limit"}
