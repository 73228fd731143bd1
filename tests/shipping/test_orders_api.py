"""The orders API as an ERP uses it: post, replay, bad input, transitions, scoping."""

import pytest

from core.models import Event
from shipping.models import Order
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow

ORDERS = "/api/v1/orders/"


@pytest.fixture
def erp(network, person, api):
    return api(person("integration", *(w for w, _, _ in network.values())))


@pytest.fixture
def tea(network):
    item = ItemFactory(sku="TEA")
    stock_in(item, network["BJ"][1], 10)
    return item


def _body(**changes):
    body = {
        "external_ref": "SO-100",
        "customer": "C-BJ",
        "ship_to": "MAIN",
        "requested_delivery_date": str(tomorrow(2)),
        "promised_ship_date": str(tomorrow()),
        "lines": [{"item": "TEA", "quantity": 2}],
    }
    body.update(changes)
    return body


def test_an_erp_posts_an_order_and_a_replay_changes_nothing(erp, tea, beijing_shop):
    first = erp.post(ORDERS, _body(), format="json", HTTP_IDEMPOTENCY_KEY="SO-100")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["status"], body["warehouse"]) == ("allocated", "BJ")
    assert body["lines"] == [
        {
            "line_no": 1,
            "item": "TEA",
            "quantity": 2,
            "reserved": 2,
            "reservations": [
                {
                    "warehouse": "BJ",
                    "reservation": body["lines"][0]["reservations"][0]["reservation"],
                    "quantity": 2,
                }
            ],
        }
    ]
    assert body["open_transitions"] == ["allocated", "backordered", "cancelled", "released"]
    assert erp.get(f"{ORDERS}{body['id']}/").json() == body  # the answer is what was stored
    events = Event.objects.count()
    again = erp.post(ORDERS, _body(), format="json", HTTP_IDEMPOTENCY_KEY="SO-100")
    assert again.json() == body
    assert Event.objects.count() == events
    without_key = erp.post(ORDERS, _body(), format="json")
    assert without_key.status_code == 409
    assert without_key.json()["code"] == "order_exists"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": [{"item": "NOPE", "quantity": 1}]}, "lines[0].item"),
        ({"lines": [{"item": "TEA", "quantity": 0}]}, "lines[0].quantity"),
        ({"lines": []}, "lines"),
        ({"lines": "TEA"}, "lines"),
        ({"lines": ["TEA"]}, "lines[0]"),
        ({"lines": [{"item": "TEA", "quantity": 1}, {"item": "TEA"}]}, "lines[1].quantity"),
        ({"lines": [{"item": "TEA", "quantity": "many"}]}, "lines[0].quantity"),
        ({"lines": [{"item": "TEA", "quantity": 10**20}]}, "lines[0].quantity"),  # no overflow
        ({"lines": [{"item": "T" * 65, "quantity": 1}]}, "lines[0].item"),
        ({"promised_ship_date": "2020-01-01"}, "promised_ship_date"),
        ({"ship_to": "ELSEWHERE"}, "ship_to"),
        ({"customer": "C-NOBODY"}, "customer"),
    ],
)
def test_bad_orders_are_refused_naming_the_field_and_nothing_is_written(
    erp, tea, beijing_shop, changes, field
):
    events = Event.objects.count()
    response = erp.post(ORDERS, _body(**changes), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    assert Order.objects.count() == 0
    assert Event.objects.count() == events


def test_an_illegal_transition_is_a_409_listing_the_open_ones(erp, tea, beijing_shop):
    order = erp.post(ORDERS, _body(), format="json").json()
    assert erp.post(f"{ORDERS}{order['id']}/cancel/", {"reason": "dup"}).status_code == 200
    again = erp.post(f"{ORDERS}{order['id']}/cancel/", {"reason": "dup"})
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert again.json()["open_transitions"] == []
    change = erp.post(f"{ORDERS}{order['id']}/change-line/", {"line_no": 1, "quantity": 3})
    assert change.status_code == 409


def test_people_see_only_orders_of_their_warehouses(erp, tea, beijing_shop, network, person, api):
    erp.post(ORDERS, _body(), format="json")
    shanghai = api(person("dispatcher", network["SH"][0]))
    beijing = api(person("dispatcher", network["BJ"][0]))
    assert shanghai.get(ORDERS).json()["results"] == []
    assert [o["external_ref"] for o in beijing.get(ORDERS).json()["results"]] == ["SO-100"]
    operator = api(person("operator", network["BJ"][0]))
    assert operator.post(ORDERS, _body(external_ref="SO-101"), format="json").status_code == 403


def test_the_order_list_has_bounded_queries(erp, tea, beijing_shop, django_assert_max_num_queries):
    for n in range(8):
        erp.post(
            ORDERS,
            _body(external_ref=f"SO-{n}", lines=[{"item": "TEA", "quantity": 1}]),
            format="json",
        )
    with django_assert_max_num_queries(10):
        assert len(erp.get(ORDERS).json()["results"]) == 8


def test_every_problem_of_a_bad_order_is_named_at_once(erp, tea, beijing_shop):
    """An ERP fixing an order sees all that is wrong with it in one answer, not one a try."""
    body = _body(
        customer="C-NOBODY",
        lines=[{"item": "NOPE", "quantity": 1}, {"item": "TEA", "quantity": 0}],
    )
    response = erp.post(ORDERS, body, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["customer"] == ["Unknown customer C-NOBODY."]
    assert fields["lines[0].item"] == ["Unknown SKU NOPE."]
    assert fields["lines[1].quantity"] == ["Must be greater than zero."]
    assert Order.objects.count() == 0

    wrong_place = erp.post(ORDERS, _body(ship_to="ELSEWHERE", lines=[]), format="json").json()
    assert set(wrong_place["fields"]) == {"ship_to", "lines"}


def test_the_schema_tells_an_erp_the_idempotency_key_and_the_errors_as_it_gets_them(
    erp, tea, beijing_shop
):
    import jsonschema

    schema = erp.get("/api/schema/?format=json").json()
    post = schema["paths"][ORDERS]["post"]
    (key,) = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and not key.get("required")
    assert "first answer comes back" in key["description"]
    assert {"400", "401", "403", "409"} <= set(post["responses"])
    error = post["responses"]["409"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert "404" in schema["paths"][f"{ORDERS}{{id}}/"]["get"]["responses"]
    # Every key of a real error answer is one the schema names, of the type it says.
    shape = {**schema["components"]["schemas"]["Error"], "additionalProperties": False}
    unknown = erp.post(ORDERS, _body(lines=[{"item": "NOPE", "quantity": 1}]), format="json")
    order = erp.post(ORDERS, _body(), format="json").json()
    erp.post(f"{ORDERS}{order['id']}/cancel/", {"reason": "dup"})
    refused = erp.post(f"{ORDERS}{order['id']}/cancel/", {"reason": "dup"})
    missing = erp.get(f"{ORDERS}999999/")
    assert [r.status_code for r in (unknown, refused, missing)] == [400, 409, 404]
    for answer in (unknown, refused, missing):
        jsonschema.validate(answer.json(), shape)
    # Answers that are lists are documented as lists, not as pages.
    for path, method, status in [
        ("/api/v1/loads/trucks/", "get", "200"),
        ("/api/v1/loads/vehicle-choice/", "get", "200"),
        ("/api/v1/reservations/{id}/pick-tasks/", "post", "201"),
    ]:
        body = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
        assert body["schema"]["type"] == "array", path


def test_a_key_with_a_nul_in_it_is_named_readably_and_its_answer_replayed(erp, tea, beijing_shop):
    """An ERP's body with a NUL in a key: a 400 naming the field with the NUL written out,
    and the same answer to the same body sent again, on PostgreSQL too (whose JSON holds no
    NUL)."""
    body = {**_body(), "\u0000note": "x"}
    first = erp.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="SO-NUL")
    assert first.status_code == 400
    assert first.json()["fields"] == {
        "\\u0000note": ["Holds a control character (U+0000), which is not text."]
    }
    again = erp.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="SO-NUL")
    assert (again.status_code, again.json()) == (400, first.json())
    assert not Order.objects.exists()


def test_an_answer_s_nul_is_kept_as_a_replacement_character_and_nothing_else_changes():
    from core.api.idempotency import _storable

    assert _storable('{"m": "a\\u0000b"}') == '{"m": "a\\ufffdb"}'
    assert _storable('{"m": "a\\\\\\u0000"}') == '{"m": "a\\\\\\ufffd"}'  # \\ then the NUL
    assert _storable('{"m": "a\\\\u0000"}') == '{"m": "a\\\\u0000"}'  # a backslash written out
