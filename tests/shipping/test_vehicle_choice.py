"""Choosing the vehicle for a load: the dispatcher (or the TMS) is offered the warehouse's
vehicles best first: free ones that take the goods (weight, volume, cold), own fleet before
hired carriers, the fullest first; the others say why not. A load built without a vehicle
gets the best one; with none that takes the goods, the refusal names `vehicle` and why each
cannot, and nothing is written."""

import pytest

from shipping import services
from shipping.models import Load
from tests.shipping.helpers import carriers, cement_and_ice, order_placed, truck

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def fleet(network, beijing_shop):  # type: ignore[no-untyped-def]
    """Beijing: cement (40 kg a bag, 20 of them) and ice cream (chilled), on the pick face;
    an own van (500 kg), an own truck (5 t), an LTL carrier's truck (2 t), and an own van
    already on a load."""
    bj, pick, _ = network["BJ"]
    cement, ice = cement_and_ice(bj, pick)
    own, ltl = carriers()
    vans = {
        "van": truck(own, "京A-VAN", bj, 500),
        "truck": truck(own, "京A-TRUCK", bj, 5000),
        "hired": truck(ltl, "京A-LTL", bj, 2000),
        "busy": truck(own, "京A-BUSY", bj, 9000),
    }
    customer, ship_to = beijing_shop
    other = order_placed(customer, ship_to, (cement, 1), ref="SO-OTHER")
    services.load_build(warehouse=bj, vehicle=vans["busy"], orders=[other], actor=None)
    heavy = order_placed(customer, ship_to, (cement, 20), ref="SO-HEAVY")  # 800 kg
    cold = order_placed(customer, ship_to, (ice, 2), ref="SO-COLD")
    return bj, vans, heavy, cold


def test_the_vehicles_for_heavy_goods_come_best_first_and_a_load_built_without_one_gets_it(
    api, person, fleet
):
    bj = fleet[0]
    dispatcher = api(person("dispatcher", bj))
    answer = dispatcher.get(
        "/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-HEAVY"]}
    )
    assert answer.status_code == 200, answer.content
    assert [(c["vehicle"], c["usable"], c["weight_pct"], c["refusal"]) for c in answer.json()] == [
        ("京A-TRUCK", True, 16.0, ""),  # own fleet first
        ("京A-LTL", True, 40.0, ""),
        ("京A-VAN", False, 160.0, "too heavy: 160% of its payload"),
        ("京A-BUSY", False, 8.9, "on load " + Load.objects.get().reference),
    ]

    built = dispatcher.post(
        "/api/v1/loads/", {"warehouse": "BJ", "orders": ["SO-HEAVY"]}, format="json"
    )
    assert built.status_code == 201, built.content
    assert built.json()["vehicle"] == "京A-TRUCK"


def test_goods_no_free_vehicle_keeps_cold_are_refused_naming_the_vehicle(api, person, fleet):
    bj, _, _, _ = fleet
    dispatcher = api(person("dispatcher", bj))
    loads = Load.objects.count()
    refused = dispatcher.post(
        "/api/v1/loads/", {"warehouse": "BJ", "orders": ["SO-COLD"]}, format="json"
    )
    assert refused.status_code == 400
    body = refused.json()
    assert list(body["fields"]) == ["vehicle"]
    assert "京A-TRUCK: does not keep the goods cold enough (Chilled)" in body["message"]
    assert Load.objects.count() == loads
    unknown = dispatcher.get(
        "/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-NONE"]}
    )
    assert unknown.status_code == 400 and list(unknown.json()["fields"]) == ["orders"]
    nothing = dispatcher.get("/api/v1/loads/vehicle-choice/", {"warehouse": "BJ"})
    assert nothing.status_code == 400 and "orders" in nothing.content.decode()
    operator = api(person("operator", bj))
    assert (
        operator.get(
            "/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-HEAVY"]}
        ).status_code
        == 403
    )


def test_the_board_suggests_a_vehicle_for_the_orders_ticked(client, person, fleet):
    bj, vans, heavy, _ = fleet
    client.force_login(person("dispatcher", bj))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert 'hx-get="/dispatch/vehicles/"' in board
    listed = client.get(
        "/dispatch/vehicles/", {"warehouse": "BJ", "orders": [heavy.pk]}, **HTMX
    ).content.decode()
    assert f'<option value="{vans["truck"].pk}" selected>京A-TRUCK · OWN · 16% kg / ' in listed
    assert f'<option value="{vans["van"].pk}" disabled>京A-VAN · OWN · too heavy' in listed
    assert listed.index("京A-TRUCK") < listed.index("京A-LTL") < listed.index("京A-VAN")
