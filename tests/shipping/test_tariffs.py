"""What a trip costs, and the cheapest vehicle for it. Each carrier has a tariff (per trip,
per stop, per kg, a minimum charge) and each vehicle a rate per km driven, the way back
too. The dispatcher (or the TMS) is offered the vehicles cheapest first, each with its
cost: a few kg far away go with the LTL carrier at its minimum charge, a heavy load near by
on the own van. The proposals move a load off the big truck the sweep gave it onto a spare
vehicle that costs less, and show each load's cost. Tariffs are master data: a negative
rate is refused naming the field, and nothing of it is written."""

import datetime
from decimal import Decimal

import pytest

from core.models import Event
from shipping import services
from shipping.geo import distance_km
from shipping.models import Carrier, Dock, Order, Vehicle
from shipping.planning import loads_proposed
from shipping.tariffs import trip_cost
from tests.shipping.helpers import (
    carriers,
    cement_and_ice,
    floor_order,
    on_the_truck,
    order_placed,
    pick_all,
    released_on_a_truck,
    truck,
)
from tests.shipping.test_routing import _local, _shop

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def tariffed(network, beijing_shop):  # type: ignore[no-untyped-def]
    """Beijing, with tariffs: an own van (1 t, ¥2 a km), an own truck (5 t, ¥4 a km) and an
    LTL carrier's truck (2 t; ¥60 a trip, ¥25 a stop, ¥0.45 a kg, ¥150 at least). One bag of
    cement (40 kg) for a shop 40 km east, twenty (800 kg) for a shop 10 km west; both shops
    open all day."""
    bj, pick, _ = network["BJ"]
    cement, _ = cement_and_ice(bj, pick)
    own, ltl = carriers()
    Carrier.objects.filter(pk=ltl.pk).update(
        rate_per_trip=60, rate_per_stop=25, rate_per_kg=Decimal("0.45"), minimum_charge=150
    )
    fleet = {
        "van": truck(own, "京A-VAN", bj, 1000),
        "big": truck(own, "京A-BIG", bj, 5000),
        "hired": truck(ltl, "京A-LTL", bj, 2000),
    }
    Vehicle.objects.filter(pk=fleet["van"].pk).update(cost_per_km=2)
    Vehicle.objects.filter(pk=fleet["big"].pk).update(cost_per_km=4)
    customer = beijing_shop[0]
    far = _shop(customer, "FAR", km_east=40, opens=(0, 0), closes=(23, 59))
    near = _shop(customer, "NEAR", km_east=-10, opens=(0, 0), closes=(23, 59))
    order_placed(customer, far, (cement, 1), ref="SO-FAR")
    order_placed(customer, near, (cement, 20), ref="SO-NEAR")
    return bj, fleet


def _costs(answer) -> list[tuple[str, Decimal | None]]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200, answer.content
    return [
        (c["vehicle"], None if c["cost"] is None else Decimal(c["cost"])) for c in answer.json()
    ]


def test_a_trip_costs_its_carrier_s_rates_and_the_vehicle_s_km_never_under_the_minimum(
    tariffed,
):
    _, fleet = tariffed
    hired = Vehicle.objects.select_related("carrier").get(pk=fleet["hired"].pk)
    van = Vehicle.objects.select_related("carrier").get(pk=fleet["van"].pk)
    # 60 + 2 stops × 25 + 480 kg × 0.45 = 326; 60 + 25 + 40 × 0.45 = 103, so the minimum.
    assert trip_cost(hired, km=55.5, stops=2, kg=Decimal(480)) == Decimal("326.00")
    assert trip_cost(hired, km=80, stops=1, kg=Decimal(40)) == Decimal("150.00")
    assert trip_cost(van, km=80.004, stops=1, kg=Decimal(40)) == Decimal("160.01")
    Vehicle.objects.filter(pk=van.pk).update(cost_per_km=0)
    van.refresh_from_db()
    assert trip_cost(van, km=80, stops=1, kg=Decimal(40)) is None  # no tariff known


def test_the_cheapest_vehicle_comes_first_and_a_load_built_without_one_gets_it(
    api, person, tariffed
):
    bj, _ = tariffed
    dispatcher = api(person("dispatcher", bj))
    far = _costs(
        dispatcher.get("/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-FAR"]})
    )
    # 80 km there and back: the van ¥160, the truck ¥320; the LTL carrier its ¥150 minimum.
    assert [plate for plate, _ in far] == ["京A-LTL", "京A-VAN", "京A-BIG"]
    assert far[0][1] == Decimal("150.00")
    assert abs(far[1][1] - 160) < 1 and abs(far[2][1] - 320) < 2
    answer = dispatcher.get(
        "/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-FAR"]}
    ).json()
    assert {c["currency"] for c in answer} == {"CNY"}

    near = _costs(
        dispatcher.get("/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-NEAR"]})
    )
    # 20 km: the van ¥40, the truck ¥80; by the kg, 60 + 25 + 800 × 0.45 = ¥445.
    assert [plate for plate, _ in near] == ["京A-VAN", "京A-BIG", "京A-LTL"]
    assert abs(near[0][1] - 40) < 1 and near[2][1] == Decimal("445.00")

    built = dispatcher.post(
        "/api/v1/loads/", {"warehouse": "BJ", "orders": ["SO-FAR"]}, format="json"
    )
    assert built.status_code == 201, built.content
    assert built.json()["vehicle"] == "京A-LTL"


def test_the_board_offers_the_vehicles_with_their_cost(client, person, tariffed):
    bj, fleet = tariffed
    client.force_login(person("dispatcher", bj))
    far = Order.objects.get(external_ref="SO-FAR")
    select = client.get(
        f"/dispatch/vehicles/?warehouse=BJ&orders={far.pk}", **HTMX
    ).content.decode()
    first = select[select.index("<option") : select.index("</option>")]
    assert f'value="{fleet["hired"].pk}" selected' in first
    assert "京A-LTL · DEPPON · 2% kg / 0% L · about ¥150" in first
    assert "京A-VAN · OWN · 4% kg / 0% L · about ¥160" in select


def test_the_proposals_put_a_load_on_a_spare_vehicle_that_costs_less(client, person, tariffed):
    bj, fleet = tariffed
    plan = loads_proposed(warehouse=bj)
    # The sweep fills the own fleet first, the biggest first: the 5 t truck east, the van
    # west. One bag 40 km away costs ¥320 on the truck and ¥150 with the carrier, so it
    # goes with the carrier; the van's load costs least on the van.
    assert [(p.vehicle, [o.external_ref for o in p.orders]) for p in plan.proposals] == [
        (fleet["hired"], ["SO-FAR"]),
        (fleet["van"], ["SO-NEAR"]),
    ]
    assert plan.proposals[0].cost == Decimal("150.00")
    assert abs(plan.proposals[1].cost - 40) < 1
    assert plan.proposals[0].weight_pct == 2.0  # of the carrier's truck, 40 of 2,000 kg
    assert not plan.waiting

    client.force_login(person("dispatcher", bj))
    proposed = client.get("/dispatch/loads/proposed/?warehouse=BJ", **HTMX).content.decode()
    assert "京A-LTL</b> · DEPPON · 1 order · 2% kg / 0% L · about ¥150 · on time" in proposed
    api_plan = client.get("/api/v1/loads/proposed/", {"warehouse": "BJ"}).json()
    first = api_plan["proposals"][0]
    assert (first["vehicle"], first["cost"], first["currency"]) == ("京A-LTL", "150.00", "CNY")


def test_with_no_tariff_known_the_proposals_keep_the_sweep_s_vehicles(tariffed):
    bj, fleet = tariffed
    Carrier.objects.update(rate_per_trip=0, rate_per_stop=0, rate_per_kg=0, minimum_charge=0)
    Vehicle.objects.update(cost_per_km=0)
    plan = loads_proposed(warehouse=bj)
    assert [(p.vehicle, p.cost) for p in plan.proposals] == [
        (fleet["big"], None),
        (fleet["van"], None),
    ]


@pytest.mark.parametrize(
    ("path", "changes", "field"),
    [
        ("carriers", {"rate_per_kg": "-0.10"}, "rate_per_kg"),
        ("carriers", {"minimum_charge": "-1"}, "minimum_charge"),
        ("vehicles", {"cost_per_km": "-2.5"}, "cost_per_km"),
    ],
)
def test_a_negative_rate_is_refused_naming_it_and_nothing_is_written(
    api, person, tariffed, path, changes, field
):
    bj, fleet = tariffed
    manager = api(person("manager", bj))
    record = Carrier.objects.get(code="DEPPON") if path == "carriers" else fleet["van"]
    events = Event.objects.count()
    refused = manager.patch(f"/api/v1/{path}/{record.pk}/", changes, format="json")
    assert refused.status_code == 400, refused.content
    assert list(refused.json()["fields"]) == [field]
    assert Event.objects.count() == events
    record.refresh_from_db()
    assert getattr(record, field) >= 0


def test_a_changed_tariff_is_recorded_and_changes_the_choice(api, person, tariffed):
    bj, _ = tariffed
    manager = api(person("manager", bj))
    deppon = Carrier.objects.get(code="DEPPON")
    changed = manager.patch(
        f"/api/v1/carriers/{deppon.pk}/", {"minimum_charge": "200.00"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["minimum_charge"] == "200.00"
    assert Event.objects.filter(aggregate_id=str(deppon.pk)).exists()
    choice = _costs(
        api(person("dispatcher", bj)).get(
            "/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-FAR"]}
        )
    )
    # ¥200 now: the van's ¥160 is cheaper.
    assert [plate for plate, _ in choice] == ["京A-VAN", "京A-LTL", "京A-BIG"]


def test_at_the_same_cost_a_reefer_stays_free_for_cold_goods(api, person, tariffed):
    bj, fleet = tariffed
    cold = Vehicle.objects.create(
        carrier=fleet["hired"].carrier,
        plate="京A-COLD",
        home_warehouse=bj,
        capacity_weight_kg=2000,
        capacity_volume_l=20_000,
        temperature_class="frozen",
    )
    choice = _costs(
        api(person("dispatcher", bj)).get(
            "/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "orders": ["SO-FAR"]}
        )
    )
    # Both of the carrier's trucks charge its ¥150 minimum: the ambient one first.
    assert [plate for plate, _ in choice][:2] == ["京A-LTL", "京A-COLD"]
    assert choice[1][1] == Decimal("150.00")
    far = loads_proposed(warehouse=bj).proposals[0]
    assert [o.external_ref for o in far.orders] == ["SO-FAR"] and far.vehicle != cold
    assert far.vehicle == fleet["hired"]


def _on_the_van(api, dispatcher, ref: str) -> dict:  # type: ignore[no-untyped-def]
    """The load the dispatcher builds through the API for that order on the van."""
    built = api(dispatcher).post(
        "/api/v1/loads/",
        {"warehouse": "BJ", "orders": [ref], "vehicle": "京A-VAN"},
        format="json",
    )
    assert built.status_code == 201, built.content
    return built.json()


def _board_row(client, load: dict) -> str:  # type: ignore[no-untyped-def]
    """The dispatch board from the load's row in its Loads table on."""
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    return board[board.index(f'data-load="{load["reference"]}"') :]


def test_a_load_s_route_says_its_km_and_what_it_costs(api, client, person, tariffed):
    bj, _ = tariffed
    dispatcher = person("dispatcher", bj)
    load = _on_the_van(api, dispatcher, "SO-NEAR")
    load_id = load["id"]
    route = api(dispatcher).get(f"/api/v1/loads/{load_id}/route/")
    assert route.status_code == 200, route.content
    body = route.json()
    # 10 km west and back, at ¥2 a km.
    assert abs(body["km"] - 20) < 0.5 and abs(Decimal(body["cost"]) - 40) < 1
    assert body["currency"] == "CNY"

    client.force_login(dispatcher)
    fold = client.get(f"/dispatch/loads/{load_id}/route/", **HTMX).content.decode()
    assert "20 km there and back, about ¥40:" in fold
    # The board's Loads table says the same of each load, without opening its route.
    row = _board_row(client, load)
    assert '<span class="trip-cost"' in row and "20 km · about ¥40</span>" in row


def test_a_load_with_no_tariff_shows_its_km_and_no_cost(api, client, person, tariffed):
    bj, fleet = tariffed
    Vehicle.objects.filter(pk=fleet["van"].pk).update(cost_per_km=0)
    dispatcher = person("dispatcher", bj)
    load = _on_the_van(api, dispatcher, "SO-FAR")
    client.force_login(dispatcher)
    row = _board_row(client, load)
    cell = row[row.index('<span class="trip-cost"') : row.index("</span>", row.index("trip-cost"))]
    assert cell.endswith(">80 km"), cell  # 40 km east and back; no "about ¥…"


def test_a_shipment_keeps_its_km_and_cost_as_planned_when_it_left(floor):
    """The tariff may change later: the departure keeps the trip's km and cost as they are
    then, on the shipment and in its event, for the freight bill to be checked against."""
    van = floor["van"]
    Vehicle.objects.filter(pk=van.pk).update(cost_per_km=3)
    Carrier.objects.filter(pk=van.carrier_id).update(rate_per_kg=Decimal("0.5"))
    order, load = released_on_a_truck(floor, (floor["tea"], 2))  # 2 kg
    pick_all(floor)
    on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    shipment = services.load_depart(load=load, actor=floor["operator"])
    shop, bj = floor["shop"][1], floor["wh"]
    km = 2 * distance_km(shop.latitude, shop.longitude, bj.latitude, bj.longitude)
    shipment.refresh_from_db()
    assert abs(shipment.km_planned - Decimal(str(km))) <= Decimal("0.05")
    assert abs(shipment.freight_cost - Decimal(str(3 * km + 1))) <= Decimal("0.01")
    departed = Event.objects.get(type="load.departed").payload
    assert departed["freight_cost"] == str(shipment.freight_cost)
    assert (departed["km_planned"], departed["currency"]) == (str(shipment.km_planned), "CNY")


def test_the_kpi_board_gives_the_freight_cost_per_order_shipped(floor, api, person):
    """Two orders leave on one truck, a third is cancelled off it first: what the trip cost,
    per order it shipped."""
    van = floor["van"]
    Vehicle.objects.filter(pk=van.pk).update(cost_per_km=3)
    one = floor_order(floor, (floor["tea"], 1), ref="SO-A")
    two = floor_order(floor, (floor["tea"], 1), ref="SO-B")
    gone = floor_order(floor, (floor["rice"], 1), ref="SO-C")
    load = services.load_build(
        warehouse=floor["wh"], vehicle=van, orders=[one, two, gone], actor=None
    )
    services.order_cancel(order=gone, reason="customer", actor=None)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    for order in (one, two):
        on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    shipment = services.load_depart(load=load, actor=floor["operator"])
    shipment.refresh_from_db()
    board = api(person("manager", floor["wh"])).get("/api/v1/kpis/?warehouse=BJ")
    assert board.status_code == 200, board.content
    kpi = board.json()["kpis"]["freight_cost_per_order"]
    assert kpi["value"] == round(float(shipment.freight_cost) / 2, 2)


def test_a_planned_load_is_offered_the_cheaper_trucks_and_goes_on_one(client, person, tariffed):
    """The load went on the big truck; its Change fold suggests the trucks for its orders,
    cheapest first, its own among them (its own trip does not hold it), and moves it."""
    bj, fleet = tariffed
    far = Order.objects.get(external_ref="SO-FAR")
    load = services.load_build(warehouse=bj, vehicle=fleet["big"], orders=[far], actor=None)
    client.force_login(person("dispatcher", bj))
    url = f"/dispatch/vehicles/?warehouse=BJ&load={load.pk}"
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert url.replace("&", "&amp;") in board
    select = client.get(url, **HTMX).content.decode()
    assert select.startswith(f'<div id="load-vehicle-{load.pk}">')
    options = select.split("<option")[1:]
    assert f'value="{fleet["hired"].pk}" selected' in options[0] and "about ¥150" in options[0]
    assert "京A-BIG · OWN" in options[2] and "about ¥320" in options[2]
    assert "disabled" not in options[2]  # its own trip does not hold it
    done = client.post(
        f"/dispatch/loads/{load.pk}/vehicle/",
        {"warehouse_code": "BJ", "vehicle": fleet["hired"].pk},
        **HTMX,
    ).content.decode()
    assert f"Load {load.reference} goes on 京A-LTL, with no driver yet." in done
    unknown = f"/dispatch/vehicles/?warehouse=BJ&load={load.pk + 1000}"
    assert client.get(unknown).status_code == 404


def test_the_api_suggests_another_truck_for_a_planned_load(api, person, tariffed):
    bj, fleet = tariffed
    far = Order.objects.get(external_ref="SO-FAR")
    load = services.load_build(warehouse=bj, vehicle=fleet["big"], orders=[far], actor=None)
    dispatcher = api(person("dispatcher", bj))
    choice = _costs(
        dispatcher.get("/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "load": load.reference})
    )
    # Its own truck is among them, not held by the load's own trip; the carrier is cheaper.
    assert [plate for plate, _ in choice] == ["京A-LTL", "京A-VAN", "京A-BIG"]
    both = dispatcher.get(
        "/api/v1/loads/vehicle-choice/",
        {"warehouse": "BJ", "load": load.reference, "orders": ["SO-FAR"]},
    )
    assert both.status_code == 400 and list(both.json()["fields"]) == ["orders"]
    unknown = dispatcher.get("/api/v1/loads/vehicle-choice/", {"warehouse": "BJ", "load": "L-X"})
    assert unknown.status_code == 400 and list(unknown.json()["fields"]) == ["load"]


def test_a_truck_with_a_trip_booked_goes_on_a_cheaper_spare_vehicle_at_its_times(tariffed):
    """The 5 t truck has a morning trip booked (D1 07:00-08:00 tomorrow) to a shop 5 km
    east. The sweep gives it the far order too, after that trip; the carrier's truck, free
    all day, takes that order for less at the same time, and the 5 t truck keeps its trip."""
    bj, fleet = tariffed
    for code in ("D1", "D2"):
        Dock.objects.create(warehouse=bj, code=code)
    far = Order.objects.get(external_ref="SO-FAR")
    morning_shop = _shop(far.customer, "MORNING", km_east=5, opens=(0, 0), closes=(23, 59))
    cement = far.lines.get().item
    morning = order_placed(far.customer, morning_shop, (cement, 1), ref="SO-MORNING")
    starts_at = _local(bj, 7, 0, days=1)
    services.load_build(
        warehouse=bj,
        vehicle=fleet["big"],
        orders=[morning],
        slot=services.DockSlot(
            Dock.objects.get(code="D1"), starts_at, starts_at + datetime.timedelta(hours=1)
        ),
        actor=None,
    )
    plan = loads_proposed(warehouse=bj, now=_local(bj, 6, 0, days=1))
    by_order = {o.external_ref: p for p in plan.proposals for o in p.orders}
    proposal = by_order["SO-FAR"]
    assert proposal.vehicle == fleet["hired"]
    assert proposal.cost == Decimal("150.00")
    # At the times the sweep gave it on the 5 t truck, after that one's trip (back 08:27).
    assert (proposal.slot_starts_at, proposal.leaves_at) == (
        _local(bj, 8, 45, days=1),
        _local(bj, 9, 45, days=1),
    )
    assert fleet["big"] not in [p.vehicle for p in plan.proposals]
    assert not plan.waiting
