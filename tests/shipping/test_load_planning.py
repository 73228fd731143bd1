"""The dispatcher asks the board to propose loads: the orders waiting for one are swept
around the warehouse, each free truck takes one direction while its goods fit, own fleet
first, and leaves an order whose delivery window its route would miss to the next truck;
goods no free truck keeps cold enough wait, and the board says why each order waits. One
click builds a proposal."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from core.clock import clock_text
from core.models import Event
from inventory.models import Item
from shipping import services
from shipping.models import Dock, Driver, Load, ShipTo, Vehicle
from shipping.planning import OrderWaiting, loads_proposed, slot_suggested
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in
from tests.shipping.helpers import carriers, cement_and_ice, order_placed, truck
from tests.shipping.test_routing import _local, _shop

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
    bj, trucks, orders = waiting
    plan = loads_proposed(warehouse=bj)
    proposals = plan.proposals
    assert plan.waiting == [OrderWaiting(orders["ICE"], "goods")]
    assert [(p.vehicle, [o.external_ref for o in p.orders]) for p in proposals] == [
        (trucks["own"], ["SO-E1", "SO-E2"]),  # east, at a bearing of 90°
        (trucks["hired"], ["SO-W1", "SO-W2"]),  # west, 270°: another direction
    ]
    assert (proposals[0].weight_pct, proposals[1].weight_pct) == (48.0, 24.0)
    assert [c.ship_to.code for c in proposals[0].route] == ["E1", "E2"]
    assert proposals[0].late_minutes == 0
    assert not Load.objects.exists()  # a proposal writes nothing


def test_an_order_too_far_for_a_day_s_trip_waits_for_the_dispatcher(waiting, beijing_shop):
    """A part of an order split to Beijing for a shop 400 km away: 18 hours there and back
    at the trucks' pace. No proposal sends a city truck on it, even with a truck free; the
    board says why it waits."""
    bj, trucks, orders = waiting
    far_shop = _shop(beijing_shop[0], "FAR", km_east=400, opens=(0, 0), closes=(23, 59))
    item = orders["E1"].lines.get().item
    far = order_placed(beijing_shop[0], far_shop, (item, 1), ref="SO-FAR")
    Vehicle.objects.create(
        carrier=trucks["own"].carrier,
        plate="京A-FREE",
        home_warehouse=bj,
        capacity_weight_kg=Decimal(1000),
        capacity_volume_l=Decimal(20000),
    )
    plan = loads_proposed(warehouse=bj)
    assert all(far not in p.orders for p in plan.proposals)
    assert {o.external_ref for p in plan.proposals for o in p.orders} == {
        "SO-E1",
        "SO-E2",
        "SO-W1",
        "SO-W2",
    }
    (waits,) = [w for w in plan.waiting if w.order == far]
    assert waits.reason == "far"
    assert waits.why.startswith("Too far for a day's trip from this warehouse")


def test_a_full_truck_leaves_the_rest_of_its_direction_to_the_next(waiting):
    bj, trucks, _ = waiting
    Vehicle.objects.filter(pk=trucks["own"].pk).update(capacity_weight_kg=Decimal(300))
    plan = loads_proposed(warehouse=bj)
    proposals = plan.proposals
    # The own truck takes one 240 kg order; the hired one the other east; the west waits.
    assert [(p.vehicle.plate, [o.external_ref for o in p.orders]) for p in proposals] == [
        ("京A-OWN", ["SO-E1"]),
        ("京A-LTL", ["SO-E2"]),
    ]
    assert proposals[0].weight_pct == 80.0
    assert [(w.order.external_ref, w.reason) for w in plan.waiting] == [
        ("SO-W1", "room"),
        ("SO-W2", "room"),
        ("SO-ICE", "goods"),
    ]


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


def test_a_tms_reads_the_proposals_from_the_api_with_a_dispatcher_s_token(api, person, waiting):
    bj, _, orders = waiting
    answer = api(person("dispatcher", bj)).get("/api/v1/loads/proposed/", {"warehouse": "BJ"})
    assert answer.status_code == 200, answer.content
    plan = answer.json()
    assert [(p["vehicle"], p["orders"], p["late_minutes"]) for p in plan["proposals"]] == [
        ("京A-OWN", ["SO-E1", "SO-E2"], 0),
        ("京A-LTL", ["SO-W1", "SO-W2"], 0),
    ]
    assert [s["ship_to"] for s in plan["proposals"][0]["stops"]] == ["E1", "E2"]
    assert plan["waiting"] == [
        {
            "order": "SO-ICE",
            "ship_to": orders["ICE"].ship_to.code,
            "reason": "goods",
            "why": "No free vehicle takes its goods: too heavy, too big or not cold enough.",
        }
    ]
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
    (proposal,) = loads_proposed(warehouse=bj).proposals
    # Swept by bearing alone, the east orders (tomorrow's) came first and took the truck.
    assert proposal.vehicle == trucks["own"]
    assert [o.external_ref for o in proposal.orders] == [due.external_ref, "SO-W1", "SO-W2"]
    assert proposal.weight_pct == 72.0


@pytest.fixture
def windows(network, beijing_shop):  # type: ignore[no-untyped-def]
    """Two shops 15 km out, one east (open 08:30-09:00) and one north-east (08:30-08:40),
    11.5 km apart: a truck leaving at 08:00 is on time at either alone, but not at both.
    Two doors, D1 and D2. The plan is asked at 06:00 tomorrow (a time no test has passed)."""
    bj, pick, _ = network["BJ"]
    cement, _ = cement_and_ice(bj, pick)
    own, ltl = carriers()
    trucks = {"own": truck(own, "京A-OWN", bj, 1000), "hired": truck(ltl, "京A-LTL", bj, 2000)}
    customer = beijing_shop[0]
    east = _shop(customer, "EAST", km_east=15, opens=(8, 30), closes=(9, 0))
    north_east = _shop(
        customer, "NE", km_east=10.607, km_north=10.607, opens=(8, 30), closes=(8, 40)
    )
    orders = {
        "EAST": order_placed(customer, east, (cement, 6), ref="SO-EAST"),
        "NE": order_placed(customer, north_east, (cement, 6), ref="SO-NE"),
    }
    for code in ("D1", "D2"):
        Dock.objects.create(warehouse=bj, code=code)
    return bj, trucks, orders, _local(bj, 6, 0, days=1)


def _hm(at, warehouse) -> str:  # type: ignore[no-untyped-def]
    return at.astimezone(warehouse.zone()).strftime("%H:%M")


def _slots(plan, warehouse) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(door, slot start, leaving) of each proposal, on the warehouse's clock."""
    return [
        (
            p.dock.code if p.dock else None,
            _hm(p.slot_starts_at, warehouse),
            _hm(p.leaves_at, warehouse),
        )
        for p in plan.proposals
    ]


def _loads(plan) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(vehicle, [order references]) of each proposal, and the minutes late of each."""
    return [(p.vehicle, [o.external_ref for o in p.orders], p.late_minutes) for p in plan.proposals]


def test_a_truck_leaves_an_order_whose_window_it_would_miss_to_the_next_truck(windows):
    bj, trucks, _, now = windows
    plan = loads_proposed(warehouse=bj, now=now)
    # One truck to both would be late at the second (5 min at best); two trucks are on time.
    assert _loads(plan) == [(trucks["own"], ["SO-NE"], 0), (trucks["hired"], ["SO-EAST"], 0)]
    assert [_hm(c.eta, bj) for c in plan.proposals[0].route] == ["08:30"]
    assert plan.waiting == []
    # Picked and loaded by 07:45 at the soonest; each leaves as late as it can without
    # waiting at its shop (20 min away, open at 08:30): at 08:00, each from its own door.
    assert _slots(plan, bj) == [("D1", "07:00", "08:00"), ("D2", "07:00", "08:00")]


def test_a_slot_moves_to_the_nearest_free_hour_and_the_truck_waits_at_the_shop(network, windows):
    bj, trucks, _, now = windows
    trucks["hired"].delete()
    Dock.objects.filter(code="D2").delete()
    elsewhere = truck(trucks["own"].carrier, "津A-ELSE", network["TJ"][0], 1000)
    services.appointment_book(
        dock=Dock.objects.get(code="D1"),
        vehicle=elsewhere,
        starts_at=_local(bj, 7, 0, days=1),
        ends_at=_local(bj, 8, 0, days=1),
        actor=None,
    )
    plan = loads_proposed(warehouse=bj, now=now - datetime.timedelta(hours=1))  # at 05:00
    # 07:00-08:00 is taken; the nearest free hour is 06:00-07:00 (earlier is on time too).
    assert _slots(plan, bj) == [("D1", "06:00", "07:00")]
    (call,) = plan.proposals[0].route
    assert (_hm(call.eta, bj), call.waits_minutes) == ("08:30", 70)  # there at 07:20


def test_a_truck_the_doors_would_hold_until_its_shop_closes_goes_the_morning_after(
    network, windows
):
    bj, trucks, orders, now = windows
    trucks["hired"].delete()
    orders["EAST"].delete()
    Dock.objects.filter(code="D2").delete()
    elsewhere = truck(trucks["own"].carrier, "津A-ELSE", network["TJ"][0], 1000)
    services.appointment_book(  # the one door is taken all morning
        dock=Dock.objects.get(code="D1"),
        vehicle=elsewhere,
        starts_at=_local(bj, 7, 0, days=1),
        ends_at=_local(bj, 10, 0, days=1),
        actor=None,
    )
    plan = loads_proposed(warehouse=bj, now=now)
    # The first hour free at D1 is 10:00-11:00: the shop (08:30-08:40) would be shut by
    # then, so the truck loads the morning after and is there as it opens.
    assert _slots(plan, bj) == [("D1", "07:00", "08:00")]
    (proposal,) = plan.proposals
    assert proposal.leaves_at == _local(bj, 8, 0, days=2)
    assert proposal.late_minutes == 0 and plan.waiting == []

    load = services.load_build(
        warehouse=bj, vehicle=trucks["own"], orders=[orders["NE"]], actor=None
    )
    slot = slot_suggested(load=load, now=now)  # the booking form suggests the same
    assert (slot.dock.code, slot.leaves_at, slot.late_minutes) == (
        "D1",
        _local(bj, 8, 0, days=2),
        0,
    )


def test_a_truck_with_no_door_free_around_its_hour_gets_the_first_free_after(network, windows):
    bj, trucks, orders, now = windows
    trucks["hired"].delete()
    orders["EAST"].delete()
    ShipTo.objects.update(window_closes=datetime.time(22, 0))  # open all day
    Dock.objects.filter(code="D2").delete()
    elsewhere = truck(trucks["own"].carrier, "津A-ELSE", network["TJ"][0], 1000)
    for start, end in ((4, 9), (9, 14)):  # the one door is taken until 14:00
        services.appointment_book(
            dock=Dock.objects.get(code="D1"),
            vehicle=elsewhere,
            starts_at=_local(bj, start, 0, days=1),
            ends_at=_local(bj, end, 0, days=1),
            actor=None,
        )
    plan = loads_proposed(warehouse=bj, now=now)
    # Four hours either side of 08:00 no door is free: it loads once D1 is, still in time.
    assert _slots(plan, bj) == [("D1", "14:00", "15:00")]
    assert plan.proposals[0].late_minutes == 0


def test_a_truck_already_due_at_another_door_gets_a_slot_at_another_hour(windows):
    bj, trucks, _, now = windows
    trucks["hired"].delete()
    ShipTo.objects.update(window_closes=datetime.time(12, 0))  # both open until noon
    services.appointment_book(  # booked at D2 07:00-08:00 for something else
        dock=Dock.objects.get(code="D2"),
        vehicle=trucks["own"],
        starts_at=_local(bj, 7, 0, days=1),
        ends_at=_local(bj, 8, 0, days=1),
        actor=None,
    )
    plan = loads_proposed(warehouse=bj, now=now - datetime.timedelta(hours=1))  # at 05:00
    # D1 is free 07:00-08:00, but the truck is at D2 then; loading 06:00-07:00 it would be
    # on the road then: it loads 08:00-09:00, after, and is at both shops before noon.
    assert _slots(plan, bj) == [("D1", "08:00", "09:00")]
    assert plan.proposals[0].late_minutes == 0


def test_a_shop_closed_by_the_time_the_goods_can_go_gets_them_the_morning_after(windows):
    bj, trucks, _, now = windows
    trucks["hired"].delete()
    plan = loads_proposed(warehouse=bj, now=now + datetime.timedelta(hours=4))  # at 10:00
    (proposal,) = plan.proposals
    assert proposal.leaves_at == _local(bj, 8, 0, days=2)
    assert (proposal.dock.code, proposal.late_minutes) == ("D1", 0)


def test_the_dispatcher_builds_a_proposal_and_books_its_slot_in_one_click(
    client, person, api, network, windows
):
    bj, trucks, _, _ = windows
    wang = Driver.objects.create(
        carrier=trucks["own"].carrier, name="王磊 Wang Lei", phone="13500000000", home_warehouse=bj
    )
    client.force_login(person("dispatcher", bj))
    proposed = client.get("/dispatch/loads/proposed/?warehouse=BJ", **HTMX).content.decode()
    form = proposed[: proposed.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', form))
    assert "Build this load and book its slot" in form and fields["minutes"] == "60"
    assert "王磊 Wang Lei · Dock D" in form and fields["driver"] == str(wang.pk)
    assert "no free driver" in proposed[len(form) :]  # nobody drives for the hired carrier
    built = client.post(
        "/dispatch/loads/",
        {**fields, "orders": re.findall(r'name="orders" value="(\d+)"', form)},
        **HTMX,
    ).content.decode()
    load = Load.objects.get()
    assert load.driver == wang
    booked = load.appointment
    starts_at = booked.starts_at.astimezone(bj.zone())
    assert starts_at.strftime("%Y-%m-%dT%H:%M") == fields["starts_at"]
    assert booked.ends_at - booked.starts_at == datetime.timedelta(hours=1)
    shown = clock_text(booked.starts_at, bj.zone())  # with the day, if not today's
    assert (
        f"Booked at {booked.dock.code}, {shown}–{booked.ends_at.astimezone(bj.zone()):%H:%M}."
        in built
    )
    assert list(
        Event.objects.filter(type__in=("load.planned", "appointment.booked")).values_list(
            "type", flat=True
        )
    ) == ["load.planned", "appointment.booked"]

    # Through the API: the slot comes whole, or the load is refused and nothing written.
    dispatcher = api(person("dispatcher", bj))
    (proposal,) = dispatcher.get("/api/v1/loads/proposed/", {"warehouse": "BJ"}).json()["proposals"]
    if proposal["driver_id"] is None:  # Wang is booked on the first: nobody else drives
        assert proposal["driver"] is None
    else:
        # The board and the API plan at the real time of day: at some hours the other order
        # still makes today's window while Wang's load goes tomorrow, and he drives today's
        # trip, back long before his own slot.
        assert (proposal["driver"], proposal["driver_id"]) == ("王磊 Wang Lei", wang.pk)
        last_eta = max(
            datetime.datetime.fromisoformat(stop["eta"].replace("Z", "+00:00"))
            for stop in proposal["stops"]
        )
        assert last_eta < load.appointment.starts_at
    body = {
        "warehouse": "BJ",
        "vehicle": proposal["vehicle"],
        "orders": proposal["orders"],
        "dock": proposal["dock_id"],
        "starts_at": proposal["slot_starts_at"],
    }
    half = dispatcher.post("/api/v1/loads/", body, format="json")
    assert half.status_code == 400 and list(half.json()["fields"]) == ["ends_at"]
    elsewhere = Dock.objects.create(warehouse=network["TJ"][0], code="T1")
    wrong = dispatcher.post(
        "/api/v1/loads/",
        {**body, "dock": elsewhere.pk, "ends_at": proposal["leaves_at"]},
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["fields"]["dock"] == [
        "Dock T1 is in another warehouse."
    ]
    assert Load.objects.count() == 1
    made = dispatcher.post(
        "/api/v1/loads/", {**body, "ends_at": proposal["leaves_at"]}, format="json"
    )
    assert made.status_code == 201, made.content
    second = Load.objects.get(reference=made.json()["reference"])
    assert (second.appointment.dock.code, second.appointment.ends_at) == (
        proposal["dock"],
        datetime.datetime.fromisoformat(proposal["leaves_at"].replace("Z", "+00:00")),
    )


def test_with_one_truck_the_order_it_would_be_late_for_waits_and_the_board_says_why(
    client, person, windows
):
    bj, trucks, orders, now = windows
    trucks["hired"].delete()
    plan = loads_proposed(warehouse=bj, now=now)
    assert (_loads(plan), plan.waiting) == (
        [(trucks["own"], ["SO-NE"], 0)],
        [OrderWaiting(orders["EAST"], "window")],
    )

    client.force_login(person("dispatcher", bj))
    board = client.get("/dispatch/loads/proposed/?warehouse=BJ", **HTMX).content.decode()
    assert "1 order left waiting" in board
    assert (
        f'<a href="/orders/{orders["EAST"].pk}/">SO-EAST</a> · Shop EAST'
        ' <span class="muted">(08:30–09:00)</span>:'
        " The free trucks going its way would miss its delivery window." in board
    )


def test_a_load_built_by_hand_gets_its_slot_suggested_moving_its_own_appointment(
    client, person, api, network, windows
):
    bj, trucks, orders, now = windows
    load = services.load_build(
        warehouse=bj, vehicle=trucks["own"], orders=[orders["NE"]], actor=None
    )
    # Booked too late for the shop (it closes at 08:40): 07:30-08:30 at D1.
    services.appointment_book(
        dock=Dock.objects.get(code="D1"),
        vehicle=trucks["own"],
        load=load,
        starts_at=_local(bj, 7, 30, days=1),
        ends_at=_local(bj, 8, 30, days=1),
        actor=None,
    )
    slot = slot_suggested(load=load, now=now - datetime.timedelta(hours=1))  # at 05:00
    # Its own hour does not hold D1: the truck loads there 07:00-08:00 and is on time.
    assert (slot.dock.code, _hm(slot.slot_starts_at, bj), _hm(slot.leaves_at, bj)) == (
        "D1",
        "07:00",
        "08:00",
    )
    assert slot.late_minutes == 0 and [_hm(c.eta, bj) for c in slot.route] == ["08:30"]

    # Now, through the API and on the board: a door and an hour on time, whatever the clock.
    dispatcher = person("dispatcher", bj)
    answer = api(dispatcher).get(f"/api/v1/loads/{load.pk}/slot/")
    assert answer.status_code == 200, answer.content
    told = answer.json()
    starts_at = datetime.datetime.fromisoformat(told["starts_at"].replace("Z", "+00:00"))
    ends_at = datetime.datetime.fromisoformat(told["ends_at"].replace("Z", "+00:00"))
    assert told["dock"] in ("D1", "D2") and told["late_minutes"] == 0
    assert ends_at - starts_at == datetime.timedelta(hours=1)
    assert [s["ship_to"] for s in told["stops"]] == ["NE"]
    client.force_login(dispatcher)
    fields = client.get(
        "/dispatch/loads/slot/", {"warehouse": "BJ", "load": load.pk}, **HTMX
    ).content.decode()
    dock = Dock.objects.get(code=told["dock"])
    assert f'<option value="{dock.pk}" selected>{dock.code}</option>' in fields
    local = starts_at.astimezone(bj.zone())
    assert f'name="starts_at" value="{local:%Y-%m-%dT%H:%M}"' in fields
    assert f"{load.reference}: {dock.code} from " in fields and "on time" in fields
    board = client.get("/dispatch/?warehouse=BJ").content.decode()
    assert 'hx-get="/dispatch/loads/slot/"' in board

    client.force_login(person("dispatcher", network["SH"][0], username="shanghai"))
    assert (
        api(person("dispatcher", network["SH"][0]))
        .get(f"/api/v1/loads/{load.pk}/slot/")
        .status_code
        == 404
    )
    assert (
        client.get("/dispatch/loads/slot/", {"warehouse": "BJ", "load": load.pk}).status_code == 404
    )


def test_no_slot_is_suggested_for_a_truck_already_at_its_door(client, person, api, windows):
    bj, trucks, orders, _ = windows
    load = services.load_build(
        warehouse=bj, vehicle=trucks["own"], orders=[orders["NE"]], actor=None
    )
    soon = timezone.now() + datetime.timedelta(minutes=10)
    appointment = services.appointment_book(
        dock=Dock.objects.get(code="D2"),
        vehicle=trucks["own"],
        load=load,
        starts_at=soon,
        ends_at=soon + datetime.timedelta(hours=1),
        actor=None,
    )
    services.vehicle_check_in(appointment=appointment, actor=None)
    dispatcher = person("dispatcher", bj)
    refused = api(dispatcher).get(f"/api/v1/loads/{load.pk}/slot/")
    said = f"{load.reference}: its truck is at dock D2 already."
    assert refused.status_code == 409 and refused.json()["fields"] == {"load": [said]}
    client.force_login(dispatcher)
    fields = client.get("/dispatch/loads/slot/", {"warehouse": "BJ", "load": load.pk}, **HTMX)
    assert f'<p class="error">{said}</p>' in fields.content.decode()


@pytest.fixture
def slow_picking(network, beijing_shop, monkeypatch):  # type: ignore[no-untyped-def]
    """Pickers doing 4 lines an hour. A shop 15 km east open all morning orders four items
    (an hour to pick); a shop 20 km east (27 min away), open only 08:15-08:45, one bag of
    cement (15 min). Two trucks, two doors; the plan is asked at 06:00 tomorrow."""
    monkeypatch.setattr("shipping.planning.PICK_LINES_PER_HOUR", 4)
    bj, pick, _ = network["BJ"]
    cement, _ = cement_and_ice(bj, pick)
    items = [ItemFactory(sku=f"TEA-{n}") for n in range(4)]
    for item in items:
        stock_in(item, pick, 10)
    own, ltl = carriers()
    trucks = {"own": truck(own, "京A-OWN", bj, 1000), "hired": truck(ltl, "京A-LTL", bj, 2000)}
    customer = beijing_shop[0]
    wide = _shop(customer, "WIDE", km_east=15, km_north=1, opens=(8, 0), closes=(12, 0))
    tight = _shop(customer, "TIGHT", km_east=20, opens=(8, 15), closes=(8, 45))
    orders = {
        "WIDE": order_placed(customer, wide, *((item, 1) for item in items), ref="SO-WIDE"),
        "TIGHT": order_placed(customer, tight, (cement, 1), ref="SO-TIGHT"),
    }
    for code in ("D1", "D2"):
        Dock.objects.create(warehouse=bj, code=code)
    return bj, trucks, orders, _local(bj, 6, 0, days=1)


def test_a_truck_held_by_another_order_s_picking_leaves_the_tight_shop_to_the_next(
    slow_picking,
):
    bj, trucks, _, now = slow_picking
    plan = loads_proposed(warehouse=bj, now=now)
    # Both on one truck, it would leave once five lines are picked (07:15), ready and
    # loaded at 08:45: too late for the tight shop. Its own truck leaves at 07:45.
    assert _loads(plan) == [(trucks["own"], ["SO-WIDE"], 0), (trucks["hired"], ["SO-TIGHT"], 0)]
    assert [_hm(p.leaves_at, bj) for p in plan.proposals] == ["08:30", "07:45"]
    assert plan.waiting == []


def test_with_one_truck_the_order_whose_picking_would_make_it_late_waits_saying_so(
    slow_picking,
):
    bj, trucks, orders, now = slow_picking
    trucks["hired"].delete()
    plan = loads_proposed(warehouse=bj, now=now)
    assert (_loads(plan), plan.waiting) == (
        [(trucks["own"], ["SO-WIDE"], 0)],
        [OrderWaiting(orders["TIGHT"], "picking")],
    )
    assert plan.waiting[0].why == (
        "With its lines to pick too, the truck going its way would leave too late for the "
        "delivery windows."
    )


def test_an_order_too_slow_to_pick_for_its_shop_today_is_proposed_for_the_next_morning(
    slow_picking,
):
    """Four items for the tight shop: an hour to pick, so a truck could leave at 08:30 and
    be there at 08:57, 12 min after it closes, however it went. No truck does better today:
    it is proposed for the morning after, on time, rather than left waiting."""
    bj, trucks, orders, now = slow_picking
    for order in orders.values():
        services.order_cancel(order=order, reason="replaced", actor=None)
    four = [(item, 1) for item in Item.objects.filter(sku__startswith="TEA-")]
    order_placed(orders["TIGHT"].customer, orders["TIGHT"].ship_to, *four, ref="SO-FOUR")
    plan = loads_proposed(warehouse=bj, now=now)
    assert (_loads(plan), plan.waiting) == ([(trucks["own"], ["SO-FOUR"], 0)], [])
    assert plan.proposals[0].leaves_at == _local(bj, 7, 45, days=2)
