"""Cycle counts: blind tasks by zone or item, variances posted, accuracy computable."""

from core.models import Event
from inventory import services
from inventory.models import StockMovement, Task
from inventory.selectors import ledger_drift
from tests.factories import ItemFactory
from tests.inventory.helpers import on_hand, stock_in


def test_a_blind_zone_count_posts_variances_and_records_every_count(site, person, api):
    supervisor = person("supervisor", site.warehouse)
    soap, rice = ItemFactory(), ItemFactory()
    stock_in(soap, site.loc["a1"], 10)
    stock_in(rice, site.loc["a1"], 4)
    tasks = services.count_tasks_create(
        warehouse=site.warehouse, zone=site.loc["a1"].zone, actor=supervisor
    )
    assert len(tasks) == 2
    # The counter does not see the system quantity of a blind count.
    listed = api(supervisor).get("/api/v1/tasks/?kind=count").json()["results"]
    assert {t["system_quantity"] for t in listed} == {None}
    # Stock arriving between planning and counting is not a variance.
    stock_in(soap, site.loc["a1"], 2)
    by_item = {t.item_id: t for t in tasks}
    services.task_confirm(
        task=by_item[soap.pk],
        location_barcode="WA-A1",
        item_code=soap.sku,
        quantity=12,
        actor=supervisor,
    )
    services.task_confirm(
        task=by_item[rice.pk],
        location_barcode="WA-A1",
        item_code=rice.gtin,
        quantity=3,
        actor=supervisor,
    )
    assert on_hand(rice, site.loc["a1"]) == 3
    done = Task.objects.filter(kind="count", status="done")
    matched = sum(t.system_quantity == t.counted_quantity for t in done)
    assert (matched, done.count()) == (1, 2)  # inventory record accuracy 50 %
    assert StockMovement.objects.filter(kind="count").get().quantity == 1
    counted = Event.objects.filter(type="stock.counted").order_by("sequence")
    assert [e.payload["matched"] for e in counted] == [True, False]
    assert ledger_drift() == []


def test_a_count_below_what_is_reserved_gives_back_the_reserved_units_that_are_not_there(site):
    soap = ItemFactory()
    stock_in(soap, site.loc["a1"], 5)
    older = services.stock_reserve(
        warehouse=site.warehouse, item=soap, quantity=2, reference="SO-8", actor=None
    )
    newer = services.stock_reserve(
        warehouse=site.warehouse, item=soap, quantity=2, reference="SO-9", actor=None
    )
    (task,) = services.count_tasks_create(warehouse=site.warehouse, item=soap, actor=None)
    # The counter finds 3: the count is recorded, and the newest reservation loses the unit
    # that is not there (its owner, told in the same transaction, finds another).
    services.count_record(task=task, counted_quantity=3, actor=None)
    task.refresh_from_db()
    assert (task.status, task.system_quantity, task.counted_quantity) == ("done", 5, 3)
    assert on_hand(soap, site.loc["a1"]) == 3
    held = {r.reference: r.allocations.get().quantity for r in (older, newer)}
    assert held == {"SO-8": 2, "SO-9": 1}
    counted = Event.objects.get(type="stock.counted").payload
    assert counted["released"] == [{"reference": "SO-9", "quantity": 1}]
    assert ledger_drift() == []


def test_positions_with_an_open_count_are_not_counted_twice(site):
    soap = ItemFactory()
    stock_in(soap, site.loc["a1"], 5)
    assert len(services.count_tasks_create(warehouse=site.warehouse, item=soap, actor=None)) == 1
    assert services.count_tasks_create(warehouse=site.warehouse, item=soap, actor=None) == []


def test_pick_faces_below_their_minimum_get_replenished_from_storage(site, person, api):
    soap = ItemFactory(sku="SOAP-R")
    stock_in(soap, site.loc["pf"], 2)
    stock_in(soap, site.loc["a1"], 30)
    supervisor = api(person("supervisor", site.warehouse))
    made = supervisor.post(
        "/api/v1/replenishments/", {"warehouse": "WA", "min_units": 5, "target_units": 20}
    )
    assert made.status_code == 201, made.json()
    (task,) = made.json()
    assert (task["kind"], task["location"], task["to_location"], task["quantity"]) == (
        "replenish",
        "WA-A1",
        "WA-PF",
        18,
    )
    again = supervisor.post(
        "/api/v1/replenishments/", {"warehouse": "WA", "min_units": 5, "target_units": 20}
    )
    assert again.json() == []  # the open task already covers it
    operator = person("operator", site.warehouse)
    services.task_confirm(
        task=Task.objects.get(pk=task["id"]),
        location_barcode="WA-A1",
        item_code="SOAP-R",
        quantity=18,
        to_location_barcode="WA-PF",
        actor=operator,
    )
    assert on_hand(soap, site.loc["pf"]) == 20
    assert ledger_drift() == []
