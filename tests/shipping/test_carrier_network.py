"""A shop beyond a day's trip goes with a carrier that delivers through its own network (a
parcel carrier): its truck collects at our dock and is free of us once it leaves; each shop
gets its goods on the day the network reaches it, in its window, never "late"; the carrier
pays by the stop and the kg, not by our km there and back; and its reports move only the
ETA of the shop they are about."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import Event
from shipping import services
from shipping.models import Carrier, Dock, Order, Vehicle
from shipping.planning import OrderWaiting, loads_proposed
from shipping.routing import back_at, km_driven, network_calls, route_plan
from shipping.selectors import vehicles_ranked
from tests.shipping.helpers import on_the_truck, pick_all, truck
from tests.shipping.test_load_planning import waiting  # noqa: F401  (a fixture)
from tests.shipping.test_routing import _local, _origin, _shop

PACE = 800  # km a day through the parcel carrier's network


@pytest.fixture
def parcel(db) -> Carrier:  # type: ignore[no-untyped-def]
    """SF: 12 a stop, 2.2 a kg, 20 at least; its network covers 800 km a day. It collects
    whenever the goods are ready."""
    return Carrier.objects.create(
        code="SF",
        name="SF Express",
        service_level="parcel",
        rate_per_stop=Decimal(12),
        rate_per_kg=Decimal("2.2"),
        minimum_charge=Decimal(20),
        network_km_per_day=PACE,
    )


@pytest.fixture
def three_shops(network, beijing_shop):  # type: ignore[no-untyped-def]
    """Shops 10, 400 and 1,000 km east of Beijing, open 09:00 to 17:00."""
    customer = beijing_shop[0]
    return {
        km: _shop(customer, f"E{km}", km_east=km, opens=(9, 0), closes=(17, 0))
        for km in (10, 400, 1000)
    }


def test_each_shop_gets_its_goods_the_day_the_network_reaches_it_in_its_window(
    network, three_shops
):
    bj = network["BJ"][0]
    shops = list(three_shops.values())
    collected = _local(bj, 10)  # today at 10:00
    calls = route_plan(
        origin=_origin(bj), at=collected, ship_tos=shops[::-1], zone=bj.zone(), network=PACE
    )
    # Sorted overnight, so nothing before tomorrow: the near shop and the one 400 km away
    # (half a day) tomorrow when they open; 1,000 km takes until 16:00 tomorrow, in time.
    assert [(c.ship_to.code, c.eta) for c in calls] == [
        ("E10", _local(bj, 9, days=1)),
        ("E400", _local(bj, 9, days=1)),
        ("E1000", _local(bj, 16, days=1)),
    ]
    assert all(c.late == datetime.timedelta() and c.waits == datetime.timedelta() for c in calls)
    assert [round(c.km) for c in calls] == [10, 400, 1000]  # each from the dock
    # The truck is not coming back to us; the km are those carried, no way back.
    assert back_at(origin=_origin(bj), leaves_at=collected, calls=calls, network=PACE) == (
        collected
    )
    assert round(km_driven(origin=_origin(bj), calls=calls, network=PACE)) == 1410
    # Collected at 14:00 instead, the far shop's goods come after it shuts: the day after.
    later = route_plan(
        origin=_origin(bj), at=_local(bj, 14), ship_tos=shops, zone=bj.zone(), network=PACE
    )
    assert later[-1].eta == _local(bj, 9, days=2)


def test_goods_the_carrier_reports_near_a_shop_come_the_same_day_if_it_is_open(
    network, three_shops
):
    bj = network["BJ"][0]
    shop = three_shops[10]  # 10 km from the warehouse: goods at the warehouse's spot

    def eta(hour: int, minute: int = 0) -> datetime.datetime:
        (call,) = network_calls(
            start=_origin(bj),
            at=_local(bj, hour, minute),
            ship_tos=[shop],
            zone=bj.zone(),
            km_per_day=PACE,
            collected=False,
        )
        return call.eta

    assert eta(8) == _local(bj, 9)  # there at 08:18, before it opens
    assert eta(10) == _local(bj, 10, 18)  # 10 km at 800 km a day: 18 minutes
    assert eta(16, 50) == _local(bj, 9, days=1)  # after it shuts: when it opens tomorrow


def test_an_order_too_far_for_a_day_s_trip_is_proposed_on_the_parcel_carrier_s_truck(
    waiting,  # noqa: F811
    beijing_shop,
    parcel,
):
    """The same warehouse as the planning tests, with a parcel carrier's truck based there:
    the trucks of our own routes get the orders around Beijing, as before; the order for a
    shop 400 km away goes on the parcel truck, delivered tomorrow or later in its window,
    priced by the stop and the kg."""
    bj, _, orders = waiting
    far_shop = _shop(beijing_shop[0], "FAR", km_east=400, opens=(9, 0), closes=(17, 0))
    cement = orders["E1"].lines.get().item
    far = services.order_create(
        customer=beijing_shop[0],
        ship_to=far_shop,
        external_ref="SO-FAR",
        lines=[services.LineInput(cement, 2)],
        requested_delivery_date=bj.today() + datetime.timedelta(days=3),
        promised_ship_date=bj.today(),
        actor=None,
    )
    sf = truck(parcel, "京B-SF1", bj, 1000)
    for n in range(3):  # a door for each truck, whenever the test runs
        Dock.objects.create(warehouse=bj, code=f"D{n}")
    Carrier.objects.filter(pk=parcel.pk).update(collects_at=datetime.time(18))
    plan = loads_proposed(warehouse=bj)
    assert plan.waiting == [OrderWaiting(orders["ICE"], "goods")]
    by_vehicle = {p.vehicle.plate: p for p in plan.proposals}
    assert [o.external_ref for o in by_vehicle["京A-OWN"].orders] == ["SO-E1", "SO-E2"]
    assert [o.external_ref for o in by_vehicle["京A-LTL"].orders] == ["SO-W1", "SO-W2"]
    on_sf = by_vehicle[sf.plate]
    assert on_sf.orders == [far]
    assert on_sf.dock is not None  # it collects at a door, at a slot of its own
    # At the carrier's daily collection, 18:00, the first once the goods are ready.
    leaves = on_sf.leaves_at.astimezone(bj.zone())
    assert leaves.time() == datetime.time(18)
    assert datetime.timedelta(0) < leaves - timezone.now() < datetime.timedelta(days=1, hours=3)
    # Every door taken the hour before 18:00 then: it collects later, not before its time.
    for dock in Dock.objects.filter(warehouse=bj):
        services.appointment_book(
            dock=dock,
            vehicle=Vehicle.objects.create(
                carrier=parcel,
                plate=f"京B-X{dock.code}",
                capacity_weight_kg=Decimal(1),
                capacity_volume_l=Decimal(1),
            ),
            starts_at=on_sf.leaves_at - datetime.timedelta(hours=1),
            ends_at=on_sf.leaves_at,
            actor=None,
        )
    (moved,) = [p for p in loads_proposed(warehouse=bj).proposals if p.vehicle == sf]
    assert moved.leaves_at - on_sf.leaves_at == datetime.timedelta(hours=1)
    (call,) = on_sf.route
    local = call.eta.astimezone(bj.zone())
    assert local.date() > on_sf.leaves_at.astimezone(bj.zone()).date()
    assert datetime.time(9) <= local.time() <= datetime.time(17)
    assert call.late == datetime.timedelta()
    assert on_sf.cost == Decimal(12) + Decimal("2.2") * 80  # one stop, two 40 kg bags
    # Too small a parcel truck: the order waits, and the board says why.
    Vehicle.objects.filter(pk=sf.pk).update(capacity_weight_kg=Decimal(50))
    plan = loads_proposed(warehouse=bj)
    (waits,) = [w for w in plan.waiting if w.order == far]
    assert waits.why == (
        "Too far for a day's trip from this warehouse, and no free truck of a carrier that "
        "delivers through its network takes it."
    )


def test_the_vehicle_choice_puts_the_network_first_for_a_far_shop_and_trucks_for_near_ones(
    floor, three_shops, parcel
):
    """For a light order near by, the parcel tariff (12 + 2.2 a kg) is below the van's, which
    has none known; still the van goes first: the shop gets it today, not tomorrow. For the
    shop 1,000 km away the parcel truck goes first."""
    bj = floor["wh"]
    sf = truck(parcel, "京B-SF1", bj, 1000)
    Vehicle.objects.filter(pk=floor["van"].pk).update(home_warehouse=bj)

    def order(ship_to, ref):  # type: ignore[no-untyped-def]
        return services.order_create(
            customer=floor["shop"][0],
            ship_to=ship_to,
            external_ref=ref,
            lines=[services.LineInput(floor["tea"], 1)],
            requested_delivery_date=bj.today() + datetime.timedelta(days=3),
            promised_ship_date=bj.today(),
            actor=None,
        )

    near, far = order(three_shops[10], "SO-NEAR"), order(three_shops[1000], "SO-FAR")
    ranked = vehicles_ranked(warehouse_id=bj.pk, orders=[near])
    assert [c.vehicle.plate for c in ranked] == ["京A-1", sf.plate]
    ranked = vehicles_ranked(warehouse_id=bj.pk, orders=[far])
    assert [c.vehicle.plate for c in ranked] == [sf.plate, "京A-1"]
    assert ranked[0].cost == Decimal(20)  # 12 + 2.2 for a kilo of tea: the minimum charge


@pytest.fixture
def collected_two_days_ago(floor, three_shops, parcel):  # type: ignore[no-untyped-def]
    """Orders of one tea for the shops 400 and 1,000 km away, on the parcel truck, picked,
    packed, scanned on; it left at 07:30 the day before yesterday. (shipment, truck)"""
    bj = floor["wh"]
    sf = truck(parcel, "京B-SF1", bj, 1000)
    orders = [
        services.order_create(
            customer=floor["shop"][0],
            ship_to=three_shops[km],
            external_ref=f"SO-{km}",
            lines=[services.LineInput(floor["tea"], 1)],
            requested_delivery_date=bj.today(),
            promised_ship_date=bj.today(),
            actor=None,
        )
        for km in (1000, 400)
    ]
    load = services.load_build(warehouse=bj, vehicle=sf, orders=orders, actor=None)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    for order in orders:
        on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    shipment = services.load_depart(load=load, actor=None, at=_local(bj, 7, 30, days=-2))
    return shipment, sf


def test_the_parcel_truck_leaves_with_each_shop_s_day_and_is_free_for_the_next_collection(
    floor, three_shops, collected_two_days_ago
):
    bj = floor["wh"]
    shipment, sf = collected_two_days_ago
    stops = list(shipment.stops.order_by("sequence"))
    # 400 km: half a day, then the overnight sort: yesterday at 09:00. 1,000 km: 30 hours,
    # yesterday at 13:30, while it is open.
    assert [(s.ship_to.code, s.eta) for s in stops] == [
        ("E400", _local(bj, 9, days=-1)),
        ("E1000", _local(bj, 13, 30, days=-1)),
    ]
    assert round(shipment.km_planned) == 1400  # carried from the dock, no way back
    kg = 2 * floor["tea"].weight_kg
    assert shipment.freight_cost == max(Decimal(20), Decimal(24) + Decimal("2.2") * kg)
    # The truck is the carrier's again: it collects the next order at once.
    next_order = services.order_create(
        customer=floor["shop"][0],
        ship_to=three_shops[400],
        external_ref="SO-NEXT",
        lines=[services.LineInput(floor["tea"], 1)],
        requested_delivery_date=bj.today() + datetime.timedelta(days=2),
        promised_ship_date=bj.today(),
        actor=None,
    )
    load = services.load_build(warehouse=bj, vehicle=sf, orders=[next_order], actor=None)
    assert load.vehicle == sf


def test_the_carrier_s_reports_move_only_the_shop_they_are_about(
    floor, three_shops, collected_two_days_ago
):
    bj = floor["wh"]
    shipment, _ = collected_two_days_ago
    near, far = shipment.stops.order_by("sequence")
    services.tracking_record(
        shipment=shipment,
        status="arrived",
        at=_local(bj, 8, 40, days=-1),
        stop_sequence=near.sequence,
        actor=None,
    )
    far.refresh_from_db()
    assert far.eta == _local(bj, 13, 30, days=-1)  # a parcel at another shop tells nothing
    # The far shop's goods at the carrier's depot 100 km short of it, at 09:00: three hours
    # more at its pace.
    shop = three_shops[1000]
    depot = (shop.latitude, shop.longitude - Decimal(100) / Decimal("85.26"))
    services.tracking_record(
        shipment=shipment,
        status="position",
        at=_local(bj, 9, days=-1),
        latitude=depot[0],
        longitude=depot[1],
        place="上海转运中心",
        actor=None,
    )
    far.refresh_from_db()
    assert abs(far.eta - _local(bj, 12, days=-1)) < datetime.timedelta(minutes=1)
    told = Event.objects.filter(type="shipment.event").order_by("pk").last().payload
    assert [s["sequence"] for s in told["etas"]] == [near.sequence, far.sequence]
    near.refresh_from_db()
    assert near.eta == _local(bj, 8, 40, days=-1)  # there, and not yet signed for
    # Signed for at the near shop: the far one's goods are not on that truck.
    services.delivery_record(
        stop=near, outcome="delivered", receiver_name="Li", at=_local(bj, 9, 5, days=-1), actor=None
    )
    far.refresh_from_db()
    assert abs(far.eta - _local(bj, 12, days=-1)) < datetime.timedelta(minutes=1)
    services.delivery_record(
        stop=far, outcome="delivered", receiver_name="Wu", at=_local(bj, 12, 5, days=-1), actor=None
    )
    shipment.refresh_from_db()
    assert shipment.status == "completed"


def test_the_board_says_the_carrier_tracks_a_network_shipment_and_offers_no_run_sheet(
    client, person, floor, collected_two_days_ago
):
    client.force_login(person("dispatcher", floor["wh"]))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert "Through SF Express's network: it reports each stop through the tracking API" in board
    assert "run-link" not in board


def test_a_manager_gives_a_carrier_its_network_through_the_api_within_reason(
    api, person, network, parcel
):
    manager = api(person("manager", network["BJ"][0]))
    events = Event.objects.count()
    refused = manager.patch(
        f"/api/v1/carriers/{parcel.pk}/", {"network_km_per_day": 20_000}, format="json"
    )
    assert refused.status_code == 400, refused.content
    assert list(refused.json()["fields"]) == ["network_km_per_day"]
    assert Event.objects.count() == events
    changed = manager.patch(
        f"/api/v1/carriers/{parcel.pk}/", {"network_km_per_day": 600}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["network_km_per_day"] == 600
    parcel.refresh_from_db()
    assert parcel.network_km_per_day == 600
