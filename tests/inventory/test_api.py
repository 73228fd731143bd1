"""The inventory API end to end: actions, idempotency, roles, and bad input that writes nothing."""

import pytest

from inventory.choices import TemperatureClass
from inventory.models import Lot, Reservation
from tests.factories import ItemFactory
from tests.inventory.helpers import counts, in_days, on_hand, stock_in

RESERVE = "/api/v1/reservations/"


@pytest.fixture
def erp(site, person, api):
    return api(person("integration", site.warehouse))


@pytest.fixture
def soap(site):
    item = ItemFactory(sku="SOAP")
    stock_in(item, site.loc["pf"], 10)
    return item


def test_a_replayed_post_returns_the_first_answer_and_writes_nothing(erp, soap):
    body = {"warehouse": "WA", "item": "SOAP", "quantity": 3, "reference": "SO-1/1"}
    first = erp.post(RESERVE, body, format="json", HTTP_IDEMPOTENCY_KEY="order-1-line-1")
    before = counts()
    again = erp.post(RESERVE, body, format="json", HTTP_IDEMPOTENCY_KEY="order-1-line-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert counts() == before
    assert Reservation.objects.count() == 1
    other = erp.post(
        RESERVE, {**body, "quantity": 4}, format="json", HTTP_IDEMPOTENCY_KEY="order-1-line-1"
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Reservation.objects.count() == 1


def test_a_refused_post_is_replayed_as_refused(erp, soap):
    body = {"warehouse": "WA", "item": "SOAP", "quantity": 30, "reference": "SO-2/1"}
    first = erp.post(RESERVE, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert first.status_code == 409
    assert first.json()["code"] == "insufficient_stock"
    assert first.json()["available"] == 10
    again = erp.post(RESERVE, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert again.json() == first.json()


def test_reserve_pick_tasks_and_scan_confirmed_pick_through_the_api(site, erp, soap, person, api):
    operator = person("operator", site.warehouse, username="op1")
    reservation = erp.post(
        RESERVE, {"warehouse": "WA", "item": "SOAP", "quantity": 4, "reference": "SO-3/1"}
    ).json()
    tasks = erp.post(f"{RESERVE}{reservation['id']}/pick-tasks/").json()
    assert [(t["kind"], t["location"], t["quantity"]) for t in tasks] == [("pick", "WA-PF", 4)]
    floor = api(operator)
    wrong = floor.post(
        f"/api/v1/tasks/{tasks[0]['id']}/confirm/",
        {"location_barcode": "WA-A1", "item_code": "SOAP", "quantity": 4},
    )
    assert wrong.status_code == 400
    assert wrong.json() == {
        "code": "wrong_scan",
        "message": "Wrong location: expected WA-PF, scanned WA-A1.",
        "fields": {"location_barcode": ["Wrong location: expected WA-PF, scanned WA-A1."]},
    }
    done = floor.post(
        f"/api/v1/tasks/{tasks[0]['id']}/confirm/",
        {"location_barcode": "WA-PF", "item_code": soap.gtin, "quantity": 3},
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "done"
    assert on_hand(soap, site.loc["stage"]) == 3
    twice = floor.post(
        f"/api/v1/tasks/{tasks[0]['id']}/confirm/",
        {"location_barcode": "WA-PF", "item_code": soap.gtin, "quantity": 3},
    )
    assert twice.status_code == 409
    feed = erp.get("/api/v1/events/?type=pick.short").json()["results"]
    assert feed[0]["payload"]["short"] == 1


def test_roles_decide_who_may_do_what(site, soap, person, api):
    operator = api(person("operator", site.warehouse))
    adjust = {"item": "SOAP", "location": "WA-PF", "quantity_delta": -1, "reason": "damaged"}
    refused = operator.post("/api/v1/stock/adjust/", adjust)
    assert refused.status_code == 403
    needed = "this needs one of: Administrator, Integration (system), Manager, Supervisor"
    assert needed in refused.json()["message"]  # the roles by their names
    supervisor = api(person("supervisor", site.warehouse))
    assert supervisor.post("/api/v1/stock/adjust/", adjust).status_code == 201
    stranger = api(person("supervisor"))
    assert stranger.post("/api/v1/stock/adjust/", adjust).json()["fields"] == {
        "location": ["Unknown location WA-PF."]
    }


def test_availability_is_one_cheap_query_per_poll(erp, soap, site, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        body = erp.get("/api/v1/stock/availability/?warehouse=WA&item=SOAP").json()
    assert body["results"] == [
        {
            "warehouse": "WA",
            "item": "SOAP",
            "on_hand": 10,
            "reserved": 0,
            "available": 10,
            "lots": [],
        }
    ]
    assert erp.get("/api/v1/stock/availability/?item=NOPE").json()["fields"] == {
        "item": ["Unknown item NOPE."]
    }


def test_the_ledger_lists_with_bounded_queries_and_filters(
    erp, soap, site, django_assert_max_num_queries
):
    for n in range(30):
        stock_in(soap, site.loc["a1"], n + 1)
    with django_assert_max_num_queries(6):
        page = erp.get("/api/v1/movements/?item=SOAP&page_size=25").json()
    assert len(page["results"]) == 25
    assert page["next"]
    assert page["results"][0]["quantity"] == 30
    assert erp.get("/api/v1/movements/?location=WA-PF").json()["results"][0]["kind"] == "receipt"


def test_receipt_api_flow_and_close(site, erp, person, api):
    ItemFactory(sku="RICE")
    receipt = erp.post(
        "/api/v1/receipts/",
        {
            "warehouse": "WA",
            "reference": "ASN-9",
            "supplier": "COFCO",
            "expected_on": str(in_days(1)),
            "lines": [{"item": "RICE", "quantity": 10}],
        },
        format="json",
    )
    assert receipt.status_code == 201, receipt.json()
    rid = receipt.json()["id"]
    floor = api(person("operator", site.warehouse))
    got = floor.post(
        f"/api/v1/receipts/{rid}/receive/",
        {"item": "RICE", "quantity": 9, "location": "WA-DOCK_IN"},
    )
    assert got.status_code == 201, got.json()
    assert got.json()["putaway_task"]["kind"] == "putaway"
    closed = erp.post(f"/api/v1/receipts/{rid}/close/").json()
    assert closed["lines"][0]["variance"] == -1


# --- bad input: each answers 4xx naming the field and the reason, and writes nothing ----------


@pytest.fixture
def frozen_peas(site):
    return ItemFactory(sku="PEAS", temperature_class=TemperatureClass.FROZEN)


BAD_INPUT = [
    (
        "negative quantity",
        "/api/v1/stock/receive/",
        {"item": "SOAP", "quantity": -5, "location": "WA-A1"},
        "quantity",
    ),
    (
        "zero quantity",
        "/api/v1/stock/move/",
        {"item": "SOAP", "from_location": "WA-PF", "to_location": "WA-A1", "quantity": 0},
        "quantity",
    ),
    (
        "unknown item",
        "/api/v1/stock/receive/",
        {"item": "GHOST", "quantity": 1, "location": "WA-A1"},
        "item",
    ),
    (
        "unknown location",
        "/api/v1/stock/receive/",
        {"item": "SOAP", "quantity": 1, "location": "WA-NOWHERE"},
        "location",
    ),
    (
        "frozen item to an ambient location",
        "/api/v1/stock/receive/",
        {"item": "PEAS", "quantity": 1, "location": "WA-A1"},
        "location",
    ),
    (
        "frozen item moved to ambient",
        "/api/v1/stock/move/",
        {"item": "PEAS", "from_location": "WA-FROZEN", "to_location": "WA-A2", "quantity": 1},
        "to_location",
    ),
    (
        "more than is available",
        "/api/v1/stock/move/",
        {"item": "SOAP", "from_location": "WA-PF", "to_location": "WA-A1", "quantity": 11},
        "quantity",
    ),
    (
        "expired lot",
        "/api/v1/stock/receive/",
        {
            "item": "SOAP",
            "quantity": 1,
            "location": "WA-A1",
            "lot": "X",
            "expires_on": "2020-01-01",
        },
        "expires_on",
    ),
]


@pytest.mark.parametrize(("case", "url", "body", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    case, url, body, field, site, soap, frozen_peas, person, api
):
    stock_in(frozen_peas, site.loc["frozen"], 3)
    client = api(person("supervisor", site.warehouse))
    before = counts()
    response = client.post(url, body, format="json")
    assert 400 <= response.status_code < 500, response.json()
    error = response.json()
    assert field in error["fields"], error
    assert error["message"]
    assert counts() == before


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("frozen item moved to ambient", "PEAS 需要冷冻存放；库位 WA-A2 位于常温库区。"),
        ("more than is available", "库位 WA-PF 仅有 10 件 SOAP 可用；要求 11 件。"),
        ("zero quantity", "须大于零。"),
    ],
)
def test_a_refusal_is_said_in_the_readers_language(
    case, said, site, soap, frozen_peas, person, api
):
    stock_in(frozen_peas, site.loc["frozen"], 3)
    _case, url, body, field = next(c for c in BAD_INPUT if c[0] == case)
    client = api(person("supervisor", site.warehouse))
    response = client.post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["fields"][field] == [said]


def test_pick_more_than_reserved_and_a_blocked_location_are_refused(site, soap, person, api):
    supervisor = api(person("supervisor", site.warehouse))
    reservation = supervisor.post(
        RESERVE, {"warehouse": "WA", "item": "SOAP", "quantity": 2, "reference": "SO-7"}
    ).json()
    before = counts()
    too_many = supervisor.post(
        f"{RESERVE}{reservation['id']}/pick/", {"location": "WA-PF", "quantity": 3}
    )
    assert too_many.status_code == 400
    assert too_many.json()["fields"] == {"quantity": ["Only 2 reserved at WA-PF; cannot pick 3."]}
    location_id = site.loc["a1"].pk
    supervisor.post(f"/api/v1/locations/{location_id}/block/", {"reason": "beam damaged"})
    blocked = supervisor.post(
        "/api/v1/stock/move/",
        {"item": "SOAP", "from_location": "WA-PF", "to_location": "WA-A1", "quantity": 1},
    )
    assert blocked.status_code == 400
    assert blocked.json()["fields"] == {
        "to_location": ["Location WA-A1 is blocked (beam damaged)."]
    }
    assert counts()[0:2] == before[0:2]  # no movement or balance (the block is its own event)


def test_a_malformed_gtin_is_refused_naming_the_check_digit(site, person, api):
    manager = api(person("manager", site.warehouse))
    response = manager.post(
        "/api/v1/items/", {"sku": "NEW-1", "name": "New", "gtin": "6901234567891"}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "gtin": ["Malformed GTIN 6901234567891: Check digit is 1, expected 2."]
    }
    ok = manager.post("/api/v1/items/", {"sku": "NEW-1", "name": "New", "gtin": "6901234567892"})
    assert ok.status_code == 201, ok.json()
    assert (
        api(person("operator", site.warehouse))
        .post("/api/v1/items/", {"sku": "NEW-2", "name": "New"})
        .status_code
        == 403
    )


def test_a_shelf_holding_stock_is_not_moved_into_another_warehouse(site, other_site, person, api):
    stock_in(ItemFactory(sku="SOAP"), site.loc["a1"], 4)
    manager = api(person("manager", site.warehouse, other_site.warehouse))
    shelf = site.loc["a1"]
    before = counts()

    moved = manager.patch(
        f"/api/v1/locations/{shelf.pk}/", {"zone": other_site.loc["a1"].zone_id}, format="json"
    )
    assert moved.status_code == 400
    assert moved.json()["fields"] == {
        "zone": ["It is in WA and stays there; make a new one where it is wanted."]
    }
    shelf.refresh_from_db()
    assert (shelf.warehouse_id, shelf.zone_id) == (site.warehouse.pk, site.loc["a1"].zone_id)
    assert counts() == before
    # A zone, with its shelves, stays too; within its warehouse a shelf changes zone freely.
    zone = manager.patch(
        f"/api/v1/zones/{shelf.zone_id}/", {"warehouse": other_site.warehouse.code}, format="json"
    )
    assert (zone.status_code, list(zone.json()["fields"])) == (400, ["warehouse"])
    rezoned = manager.patch(
        f"/api/v1/locations/{shelf.pk}/", {"zone": site.loc["a2"].zone_id}, format="json"
    )
    assert rezoned.status_code == 200, rezoned.json()


def test_an_item_with_stock_history_keeps_its_sku_and_its_lot_tracking_while_on_hand(
    site, person, api
):
    soap = ItemFactory(sku="SOAP")
    stock_in(soap, site.loc["a1"], 4)
    manager = api(person("manager", site.warehouse))
    renamed = manager.patch(f"/api/v1/items/{soap.pk}/", {"sku": "SOAP-2"}, format="json")
    assert renamed.status_code == 400
    assert renamed.json()["fields"] == {
        "sku": [
            "SOAP has stock history, so its SKU stays; make a new item and deactivate this one."
        ]
    }
    lots = manager.patch(f"/api/v1/items/{soap.pk}/", {"lot_tracked": True}, format="json")
    assert lots.json()["fields"] == {
        "lot_tracked": ["SOAP is on hand; lot tracking changes only when none of it is."]
    }
    soap.refresh_from_db()
    assert (soap.sku, soap.lot_tracked) == ("SOAP", False)
    # Its name and the rest change as before; an item nothing happened to yet may be renamed.
    named = manager.patch(f"/api/v1/items/{soap.pk}/", {"name": "Soap bar"}, format="json")
    assert (named.status_code, named.json()["name"]) == (200, "Soap bar")
    fresh = ItemFactory(sku="TYPO")
    again = manager.patch(f"/api/v1/items/{fresh.pk}/", {"sku": "TAPE"}, format="json")
    assert (again.status_code, again.json()["sku"]) == (200, "TAPE")


def test_lots_are_listed_and_expired_lots_cannot_be_picked(site, person, api):
    milk = ItemFactory(sku="MILK", lot_tracked=True, temperature_class=TemperatureClass.CHILLED)
    stock_in(milk, site.loc["chill"], 5, lot="L1", expires_on=in_days(5))
    client = api(person("supervisor", site.warehouse))
    reservation = client.post(
        RESERVE, {"warehouse": "WA", "item": "MILK", "quantity": 2, "reference": "SO-8"}
    ).json()
    Lot.objects.filter(code="L1").update(expires_on=in_days(-1))
    response = client.post(
        f"{RESERVE}{reservation['id']}/pick/", {"location": "WA-CHILL", "lot": "L1", "quantity": 2}
    )
    assert response.status_code == 400
    assert "expired" in response.json()["fields"]["lot"][0]


def test_a_text_with_a_control_character_is_refused_naming_its_field(site, person, api):
    from inventory.models import Item

    manager = api(person("manager", site.warehouse))
    stray = manager.post("/api/v1/items/", {"sku": "NEW-1\x14", "name": "New"}, format="json")
    assert stray.status_code == 400
    assert stray.json()["fields"] == {
        "sku": ["Holds a control character (U+0014), which is not text."]
    }
    nested = manager.post(
        "/api/v1/items/", {"sku": "NEW-1", "name": "New", "x": [{"y": "\x1b[0m"}]}, format="json"
    )
    assert list(nested.json()["fields"]) == ["x[0].y"]
    as_a_form = manager.post(
        "/api/v1/items/", {"sku": "NEW-1", "name": "N\x7fw"}, format="multipart"
    )
    assert as_a_form.json()["fields"] == {
        "name": ["Holds a control character (U+007F), which is not text."]
    }
    assert not Item.objects.filter(sku__startswith="NEW").exists()
    # Tabs and line breaks are text.
    fine = manager.post("/api/v1/items/", {"sku": "NEW-1", "name": "New\r\n\tone"}, format="json")
    assert fine.status_code == 201, fine.json()
