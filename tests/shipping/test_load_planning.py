"""The dispatcher asks the board to propose loads: the orders waiting for one are swept
around the warehouse, each free truck takes one direction while its goods fit, own fleet
first; goods no free truck keeps cold enough wait. One click builds a proposal."""

from decimal import Decimal

import pytest

from shipping import services
from shipping.models import Load, Vehicle
from shipping.planning import loads_proposed
from tests.shipping.helpers import carriers, cement_and_ice, order_placed, truck
from tests.shipping.test_routing import _shop

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def waiting(network, beijing_shop):  # type: ignore[no-untyped-def]
    """Beijing: two orders to shops east of it and two west (240 kg each), one of ice cream;
    an own truck of 1 t and a hired one of 2 t, both ambient."""
    bj, pick, _ = network["BJ"]
    cement, ice = cement_and_ice(bj, pick)
    own, ltl = carriers()
    trucks = {"own": truck(own, "京A-OWN", bj, 1000), "hired": truck(ltl, "京A-LTL", bj, 2000)}
    customer = beijing_shop[0]
    orders = {}
    for code, km_east in (("E1", 10), ("E2", 15), ("W1", -10), ("W2", -15)):
        shop = _shop(customer, code, km_east=km_east, opens=(0, 0), closes=(23, 59))
        orders[code] = order_placed(customer, shop, (cement, 6), ref=f"SO-{code}")
    orders["ICE"] = order_placed(customer, beijing_shop[1], (ice, 1), ref="SO-ICE")
    return bj, trucks, orders


def test_each_truck_takes_one_direction_own_fleet_first_and_cold_goods_wait(waiting):
    bj, trucks, _ = waiting
    proposals = loads_proposed(warehouse=bj)
    assert [(p.vehicle, [o.external_ref for o in p.orders]) for p in proposals] == [
        (trucks["own"], ["SO-E1", "SO-E2"]),  # east, at a bearing of 90°
        (trucks["hired"], ["SO-W1", "SO-W2"]),  # west, 270°: another direction
    ]
    assert (proposals[0].weight_pct, proposals[1].weight_pct) == (48.0, 24.0)
    assert [c.ship_to.code for c in proposals[0].route] == ["E1", "E2"]
    assert proposals[0].late_minutes == 0
    assert not Load.objects.exists()  # a proposal writes nothing


def test_a_full_truck_leaves_the_rest_of_its_direction_to_the_next(waiting):
    bj, trucks, _ = waiting
    Vehicle.objects.filter(pk=trucks["own"].pk).update(capacity_weight_kg=Decimal(300))
    proposals = loads_proposed(warehouse=bj)
    # The own truck takes one 240 kg order; the hired one the other east; the west waits.
    assert [(p.vehicle.plate, [o.external_ref for o in p.orders]) for p in proposals] == [
        ("京A-OWN", ["SO-E1"]),
        ("京A-LTL", ["SO-E2"]),
    ]
    assert proposals[0].weight_pct == 80.0


def test_the_dispatcher_builds_a_proposed_load_in_one_click(client, person, waiting):
    bj, trucks, orders = waiting
    client.force_login(person("dispatcher", bj))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert 'hx-get="/dispatch/loads/proposed/?warehouse=BJ"' in board
    proposed = client.get("/dispatch/loads/proposed/?warehouse=BJ", **HTMX).content.decode()
    assert proposed.count('<form class="proposal"') == 2
    assert "京A-OWN</b> · OWN · 2 orders · 48% kg / 2% L · on time" in proposed
    form = proposed[: proposed.index("</form>")]
    assert f'name="vehicle" value="{trucks["own"].pk}"' in form
    built = client.post(
        "/dispatch/loads/",
        {
            "warehouse": bj.pk,
            "warehouse_code": "BJ",
            "vehicle": trucks["own"].pk,
            "orders": [orders["E1"].pk, orders["E2"].pk],
        },
        **HTMX,
    ).content.decode()
    load = Load.objects.get()
    assert f"Load {load.reference} planned on 京A-OWN." in built
    assert {o.external_ref for o in load.orders.all()} == {"SO-E1", "SO-E2"}
    # What is left is proposed on the truck still free.
    again = client.get("/dispatch/loads/proposed/?warehouse=BJ", **HTMX).content.decode()
    assert again.count('<form class="proposal"') == 1 and "京A-LTL" in again

    client.force_login(person("operator", bj))
    assert client.get("/dispatch/loads/proposed/?warehouse=BJ").status_code == 404


def test_an_integration_reads_the_proposals_from_the_api(api, person, waiting):
    bj, _, _ = waiting
    answer = api(person("dispatcher", bj)).get("/api/v1/loads/proposed/", {"warehouse": "BJ"})
    assert answer.status_code == 200, answer.content
    assert [(p["vehicle"], p["orders"], p["late_minutes"]) for p in answer.json()] == [
        ("京A-OWN", ["SO-E1", "SO-E2"], 0),
        ("京A-LTL", ["SO-W1", "SO-W2"], 0),
    ]
    assert [s["ship_to"] for s in answer.json()[0]["stops"]] == ["E1", "E2"]
    unknown = api(person("dispatcher", bj)).get("/api/v1/loads/proposed/", {"warehouse": "XX"})
    assert unknown.status_code == 400 and list(unknown.json()["fields"]) == ["warehouse"]
    assert not Load.objects.exists()


def test_an_order_due_today_gets_the_one_truck_and_later_ones_of_its_way_fill_it(waiting):
    bj, trucks, orders = waiting
    trucks["hired"].delete()
    cement = orders["W1"].lines.get().item
    today_shop = orders["W1"].ship_to
    due = services.order_create(
        customer=today_shop.customer,
        ship_to=today_shop,
        external_ref="SO-TODAY",
        lines=[services.LineInput(cement, 6)],
        requested_delivery_date=bj.today(),
        promised_ship_date=bj.today(),
        actor=None,
    )
    (proposal,) = loads_proposed(warehouse=bj)
    # Swept by bearing alone, the east orders (tomorrow's) came first and took the truck.
    assert proposal.vehicle == trucks["own"]
    assert [o.external_ref for o in proposal.orders] == [due.external_ref, "SO-W1", "SO-W2"]
    assert proposal.weight_pct == 72.0
