"""A truck's stops go in the order that meets the customers' delivery windows: a dispatcher
sees each stop's ETA when the shop is open to take the goods, a truck that comes early
waits, one that comes after closing is late by that much, and the ETAs move with the
carrier's reports in the same windows."""

import datetime
import re
from decimal import Decimal

import pytest

from core.models import Event
from shipping import services
from shipping.models import Order, ShipTo
from shipping.routing import calls_timed, route_plan, route_with
from tests.shipping.helpers import on_the_truck, pick_all

KM_PER_DEGREE_EAST = Decimal("85.26")  # of longitude, at Beijing's latitude


def _shop(customer, code, *, km_east, opens, closes, km_north=0.0):  # type: ignore[no-untyped-def]
    """A shop of the customer this far east (and north) of the Beijing warehouse."""
    bj_lat, bj_lon = Decimal("39.904200"), Decimal("116.407400")
    return ShipTo.objects.create(
        customer=customer,
        code=code,
        name=f"Shop {code}",
        address="-",
        city="Beijing",
        latitude=bj_lat + Decimal(str(km_north)) / Decimal("111.2"),
        longitude=bj_lon + Decimal(str(km_east)) / KM_PER_DEGREE_EAST,
        window_opens=datetime.time(*opens),
        window_closes=datetime.time(*closes),
    )


@pytest.fixture
def shops(network, beijing_shop):  # type: ignore[no-untyped-def]
    """Near (5 km), open 10:00-12:00; far (20 km), open 08:00-09:00."""
    customer = beijing_shop[0]
    near = _shop(customer, "NEAR", km_east=5, opens=(10, 0), closes=(12, 0))
    far = _shop(customer, "FAR", km_east=20, opens=(8, 0), closes=(9, 0))
    return network["BJ"][0], near, far


def _local(warehouse, hour: int, minute: int = 0, days: int = 0) -> datetime.datetime:  # type: ignore[no-untyped-def]
    day = warehouse.today() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), warehouse.zone())


def _hm(at: datetime.datetime, warehouse) -> str:  # type: ignore[no-untyped-def]
    """A time as the board shows it: to the nearest minute, on the warehouse's clock."""
    return (at + datetime.timedelta(seconds=30)).astimezone(warehouse.zone()).strftime("%H:%M")


def _origin(warehouse):  # type: ignore[no-untyped-def]
    return (warehouse.latitude, warehouse.longitude)


def test_the_far_shop_that_closes_first_is_served_first_and_the_truck_waits_for_windows(shops):
    bj, near, far = shops
    route = route_plan(
        origin=_origin(bj), at=_local(bj, 7, 30), ship_tos=[near, far], zone=bj.zone()
    )
    assert [c.ship_to for c in route] == [far, near]  # nearest first would be 100 min late
    first, second = route
    assert first.eta == _local(bj, 8, 0)  # there at about 07:57, unloads when it opens
    assert datetime.timedelta(minutes=3) <= first.waits < datetime.timedelta(minutes=4)
    assert _hm(second.arrives_at, bj) == "08:40"  # 20 min unloading, 15 km at 45 km/h
    assert second.eta == _local(bj, 10, 0) and round(second.waits.total_seconds() / 60) == 80
    assert first.late == second.late == datetime.timedelta()
    assert round(first.km) == 20 and round(second.km) == 15


def test_the_roads_detour_and_speed_set_stretch_the_km_and_the_times(shops, settings):
    """In town the roads run 1.3 times the straight line, at 30 km/h: the far shop's 20 km
    are 26 by road, 52 minutes from 07:30; it unloads for 20 minutes and is home 52 minutes
    later. A route planned before is not served again under the new rules."""
    from shipping.routing import back_at, km_driven

    bj, _, far = shops
    before = route_plan(origin=_origin(bj), at=_local(bj, 7, 30), ship_tos=[far], zone=bj.zone())
    settings.HANDOFF_ROAD_FACTOR, settings.HANDOFF_ROAD_SPEED_KMH = 1.3, 30.0
    (call,) = route_plan(origin=_origin(bj), at=_local(bj, 7, 30), ship_tos=[far], zone=bj.zone())
    assert round(call.km) == 26 and round(before[0].km) == 20
    assert _hm(call.arrives_at, bj) == "08:22"
    assert round(km_driven(origin=_origin(bj), calls=[call])) == 52
    back = back_at(origin=_origin(bj), leaves_at=_local(bj, 7, 30), calls=[call])
    assert _hm(back, bj) == "09:34"  # unloading 20 minutes from 08:22, then 52 minutes home


def test_a_shop_reached_after_closing_is_late_by_that_much(shops):
    bj, _, far = shops
    (call,) = calls_timed(start=_origin(bj), at=_local(bj, 8, 50), ship_tos=[far], zone=bj.zone())
    assert call.eta == call.arrives_at  # unloaded at once
    assert datetime.timedelta(minutes=16) < call.late < datetime.timedelta(minutes=17)


def test_nine_stops_around_the_warehouse_follow_their_windows_one_after_another(
    network, beijing_shop
):
    bj = network["BJ"][0]
    # Around a circle of 10 km, each open 20 minutes, half an hour after the one before.
    import math

    ring = []
    for k in range(9):
        opens = datetime.datetime.combine(datetime.date(2026, 1, 1), datetime.time(8, 0))
        opens += datetime.timedelta(minutes=30 * k)
        ring.append(
            _shop(
                beijing_shop[0],
                f"R{k}",
                km_east=round(10 * math.cos(math.radians(40 * k)), 3),
                km_north=round(10 * math.sin(math.radians(40 * k)), 3),
                opens=(opens.hour, opens.minute),
                closes=(opens.hour, opens.minute + 20),
            )
        )
    shuffled = [ring[k] for k in (4, 1, 7, 0, 8, 3, 6, 2, 5)]
    route = route_plan(origin=_origin(bj), at=_local(bj, 7, 30), ship_tos=shuffled, zone=bj.zone())
    assert [c.ship_to.code for c in route] == [s.code for s in ring]
    assert all(c.late == datetime.timedelta() for c in route)
    again = route_plan(origin=_origin(bj), at=_local(bj, 7, 30), ship_tos=ring, zone=bj.zone())
    assert again == route
    # A ninth stop put on a route of eight goes between the two it fits in time.
    eight = [*ring[:4], *ring[5:]]
    inserted = route_with(
        origin=_origin(bj), at=_local(bj, 7, 30), route=eight, ship_to=ring[4], zone=bj.zone()
    )
    assert inserted == route
    same = route_with(
        origin=_origin(bj), at=_local(bj, 7, 30), route=ring, ship_to=ring[2], zone=bj.zone()
    )
    assert same == route


@pytest.fixture
def two_shops_on_the_truck(floor, shops):  # type: ignore[no-untyped-def]
    """One order to each shop, picked, packed and scanned onto the van: the load."""
    _, near, far = shops
    orders = [
        services.order_create(
            customer=floor["shop"][0],
            ship_to=ship_to,
            external_ref=f"SO-{ship_to.code}",
            lines=[services.LineInput(floor["tea"], 1)],
            requested_delivery_date=floor["wh"].today(),
            promised_ship_date=floor["wh"].today(),
            actor=None,
        )
        for ship_to in (near, far)
    ]
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=orders, actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    for order in orders:
        on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    return load


@pytest.fixture
def gone_yesterday(shops, two_shops_on_the_truck):  # type: ignore[no-untyped-def]
    """The truck of the two shops left at 07:30 yesterday (so reports after it are past)."""
    return services.load_depart(
        load=two_shops_on_the_truck, actor=None, at=_local(shops[0], 7, 30, days=-1)
    )


def _yesterday(warehouse, hour: int, minute: int = 0) -> datetime.datetime:  # type: ignore[no-untyped-def]
    return _local(warehouse, hour, minute, days=-1)


def _delivered(stop, at: datetime.datetime) -> None:  # type: ignore[no-untyped-def]
    services.delivery_record(stop=stop, outcome="delivered", receiver_name="Li", at=at, actor=None)


def _late(shipment, at: datetime.datetime, minutes: int) -> None:  # type: ignore[no-untyped-def]
    services.tracking_record(
        shipment=shipment, status="delayed", at=at, delay_minutes=minutes, actor=None
    )


def test_departure_plans_the_stops_in_their_windows_and_tells_the_feed(shops, gone_yesterday):
    bj, near, far = shops
    shipment = gone_yesterday
    stops = list(shipment.stops.order_by("sequence"))
    assert [(s.ship_to, s.planned_eta, s.eta) for s in stops] == [
        (far, _local(bj, 8, 0, days=-1), _local(bj, 8, 0, days=-1)),
        (near, _local(bj, 10, 0, days=-1), _local(bj, 10, 0, days=-1)),
    ]
    told = Event.objects.get(type="load.departed").payload["stops"]
    assert [(s["ship_to"], s["waits_minutes"], s["late_minutes"]) for s in told] == [
        ("FAR", 3, 0),
        ("NEAR", 80, 0),
    ]
    assert told[0]["km"] == 20.0

    # The truck reports itself 2 km from the far shop at 07:50: still unloaded at 08:00.
    services.tracking_record(
        shipment=shipment,
        status="position",
        at=_local(bj, 7, 50, days=-1),
        latitude=far.latitude,
        longitude=far.longitude - 2 / KM_PER_DEGREE_EAST,
        actor=None,
    )
    assert [s.eta for s in shipment.stops.order_by("sequence")] == [
        _local(bj, 8, 0, days=-1),
        _local(bj, 10, 0, days=-1),
    ]
    # Then it is stuck for two and a half hours: the far shop is late, and the near one
    # follows from it, 20 minutes' unloading and 20 minutes' road later, in its window.
    _late(shipment, _yesterday(bj, 7, 55), 150)
    assert [_hm(s.eta, bj) for s in shipment.stops.order_by("sequence")] == ["10:30", "11:10"]


def test_the_dispatcher_sees_a_load_s_route_before_it_leaves(
    client, api, person, network, floor, shops, two_shops_on_the_truck
):
    bj = shops[0]
    load = two_shops_on_the_truck
    dispatcher = person("dispatcher", bj)
    leaving = _local(bj, 7, 30, days=1)
    answer = api(dispatcher).get(
        f"/api/v1/loads/{load.pk}/route/", {"leaves_at": leaving.isoformat()}
    )
    assert answer.status_code == 200, answer.content
    route = answer.json()
    assert [(s["ship_to"], s["waits_minutes"], s["late_minutes"]) for s in route["stops"]] == [
        ("FAR", 3, 0),
        ("NEAR", 80, 0),
    ]
    assert route["stops"][0]["window_opens"] == "08:00:00" and route["late_minutes"] == 0
    # Leaving at 08:50 the far shop is reached after it closes: still first, 16 minutes late,
    # against 100 if the near one went first.
    late = (
        api(dispatcher)
        .get(
            f"/api/v1/loads/{load.pk}/route/",
            {"leaves_at": _local(bj, 8, 50, days=1).isoformat()},
        )
        .json()
    )
    assert [(s["ship_to"], s["late_minutes"]) for s in late["stops"]] == [("FAR", 17), ("NEAR", 0)]
    assert late["late_minutes"] == 17
    wrong = api(dispatcher).get(f"/api/v1/loads/{load.pk}/route/", {"leaves_at": "soon"})
    assert wrong.status_code == 400 and "leaves_at" in wrong.content.decode()

    # The board's fold: by default the truck leaves now (no dock slot), times on BJ's clock.
    client.force_login(dispatcher)
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert f'hx-get="/dispatch/loads/{load.pk}/route/"' in board
    fold = client.get(f"/dispatch/loads/{load.pk}/route/").content.decode()
    # Which shop comes first depends on the time of day the test runs: the far one from the
    # warehouse (20 km), or the near one, then the far one 15 km on.
    assert re.search(
        r"Shop FAR · <b>[^<]+</b> <span class=\"muted\">\(08:00–09:00, (20|15) km", fold
    )
    client.force_login(person("dispatcher", network["SH"][0], username="shanghai"))
    assert client.get(f"/dispatch/loads/{load.pk}/route/").status_code == 404  # not theirs


def test_a_delivery_moves_the_next_stops_from_where_and_when_it_was_done(shops, gone_yesterday):
    bj, shipment = shops[0], gone_yesterday
    first, second = shipment.stops.order_by("sequence")
    # Unloading at the far shop took until 09:50: the near one is reached at 10:10.
    _delivered(first, _yesterday(bj, 9, 50))
    second.refresh_from_db()
    assert _hm(second.eta, bj) == "10:10" and second.planned_eta == _yesterday(bj, 10, 0)
    told = Event.objects.get(type="shipment.delivered").payload["etas"]
    assert [(e["sequence"], _hm(datetime.datetime.fromisoformat(e["eta"]), bj)) for e in told] == [
        (2, "10:10")
    ]
    _delivered(second, _yesterday(bj, 10, 30))
    shipment.refresh_from_db()
    assert shipment.status == "completed"


def test_the_board_shows_every_stop_ahead_of_a_truck_and_which_will_be_late(
    client, person, shops, gone_yesterday
):
    bj = shops[0]
    _late(gone_yesterday, _yesterday(bj, 7, 55), 150)
    client.force_login(person("dispatcher", bj))
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert "2 stops ahead" in board
    day = f"{_yesterday(bj, 0):%m-%d}"  # not today's: the board names the day
    assert (
        f'Shop FAR · <b>{day} 10:30</b> <span class="muted">(08:00–09:00)</span> '
        '<b class="error">90 min late</b>' in board
    )
    assert f'Shop NEAR · <b>{day} 11:10</b> <span class="muted">(10:00–12:00)</span></li>' in board
