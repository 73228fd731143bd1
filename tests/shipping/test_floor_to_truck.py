"""Between the floor and the truck: late urgent orders, wrong units, busy vehicles, races."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import Conflict, DomainError
from core.models import Event
from inventory.models import Reservation, Task
from shipping import services
from shipping.models import Carrier, Dock, HandlingUnit, Load, Order, Vehicle
from tests.factories import ItemFactory, LocationFactory, ZoneFactory
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow
from tests.shipping.helpers import at_once, pick_all, released_on_a_truck


@pytest.fixture
def beijing(network, beijing_shop):
    bj, pick, _stage = network["BJ"]
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    vans = [
        Vehicle.objects.create(
            carrier=carrier, plate=f"京A-{n}", capacity_weight_kg=900, capacity_volume_l=9000
        )
        for n in range(2)
    ]
    lane = LocationFactory(
        zone=ZoneFactory(warehouse=bj, code="BJ-DOCK", kind="dock"), barcode="BJ-LANE"
    )
    tea = ItemFactory(sku="TEA")
    stock_in(tea, pick, 100)

    def order(ref, qty=2, priority=3):
        return services.order_create(
            customer=beijing_shop[0],
            ship_to=beijing_shop[1],
            external_ref=ref,
            lines=[services.LineInput(tea, qty)],
            requested_delivery_date=tomorrow(1),
            promised_ship_date=tomorrow(0),
            priority=priority,
            actor=None,
        )

    return {"wh": bj, "pick": pick, "lane": lane, "vans": vans, "tea": tea, "order": order}


def _pick_pack_stage(beijing, order, operator):
    for task in Task.objects.filter(reference__startswith=f"order:{order.pk}:", status="open"):
        services.order_pick_confirm(
            task=task,
            location_barcode=task.location.barcode,
            item_code="TEA",
            quantity=task.quantity,
            actor=operator,
        )
    unit = services.unit_pack(order=order, contents=None, actor=operator)
    return services.unit_stage(unit=unit, lane=beijing["lane"], actor=operator)


def test_an_urgent_order_joins_a_released_wave_with_its_pick_tasks(beijing, person):
    first = beijing["order"]("SO-A")
    load = services.load_build(
        warehouse=beijing["wh"], vehicle=beijing["vans"][0], orders=[first], actor=None
    )
    wave = services.wave_plan(load=load, actor=None)
    services.wave_release(wave=wave, actor=None)
    urgent = beijing["order"]("SO-URGENT", priority=1)
    services.wave_order_add(wave=wave, order=urgent, actor=None)
    urgent.refresh_from_db()
    assert (urgent.status, urgent.wave_id, urgent.load_id) == ("released", wave.pk, load.pk)
    assert (
        Task.objects.filter(reference__startswith=f"order:{urgent.pk}:", kind="pick").count() == 1
    )
    heavy = beijing["order"]("SO-HEAVY", qty=90)
    # 90 teas of 1 kg would fit the 900 kg van; at 10 kg each they do not.
    beijing["tea"].__class__.objects.filter(pk=beijing["tea"].pk).update(weight_kg=10)
    with pytest.raises(DomainError, match="Overweight: 940 kg for 京A-0's 900 kg"):
        services.wave_order_add(wave=wave, order=heavy, actor=None)


def test_loading_a_unit_of_another_load_is_refused_and_nothing_changes(beijing, person):
    operator = person("operator", beijing["wh"])
    mine, theirs = beijing["order"]("SO-M"), beijing["order"]("SO-T")
    load_a = services.load_build(
        warehouse=beijing["wh"], vehicle=beijing["vans"][0], orders=[mine], actor=None
    )
    load_b = services.load_build(
        warehouse=beijing["wh"], vehicle=beijing["vans"][1], orders=[theirs], actor=None
    )
    for load in (load_a, load_b):
        services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    unit_b = _pick_pack_stage(beijing, theirs, operator)
    with pytest.raises(DomainError, match="not on load") as wrong:
        services.load_scan(load=load_a, sscc=unit_b.sscc, actor=operator)
    assert wrong.value.code == "wrong_load"
    unit_b.refresh_from_db()
    assert (unit_b.status, unit_b.load_id) == ("staged", None)
    with pytest.raises(DomainError, match="Unknown SSCC"):
        services.load_scan(load=load_a, sscc="000000000000000000", actor=operator)


def test_a_vehicle_on_the_road_gets_no_new_load_until_its_shipment_completes(beijing, person):
    operator = person("operator", beijing["wh"])
    first = beijing["order"]("SO-R1")
    van = beijing["vans"][0]
    load = services.load_build(warehouse=beijing["wh"], vehicle=van, orders=[first], actor=None)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    unit = _pick_pack_stage(beijing, Order.objects.get(pk=first.pk), operator)
    services.load_scan(load=load, sscc=unit.sscc, actor=operator)
    shipment = services.load_depart(load=load, actor=operator)
    second = beijing["order"]("SO-R2")
    with pytest.raises(Conflict, match="on the road"):
        services.load_build(warehouse=beijing["wh"], vehicle=van, orders=[second], actor=None)
    services.delivery_record(
        stop=shipment.stops.get(),
        outcome="refused",
        receiver_name="",
        note="shop closed",
        at=timezone.now(),
        actor=None,
    )
    first.refresh_from_db()
    assert first.status == "refused"  # not delivered: its goods come back
    assert services.load_build(warehouse=beijing["wh"], vehicle=van, orders=[second], actor=None)


def _released(beijing, ref: str):  # type: ignore[no-untyped-def]
    """An order of 3 TEA on the first van, its wave released: (order, its one pick task)."""
    order = beijing["order"](ref, qty=3)
    load = services.load_build(
        warehouse=beijing["wh"], vehicle=beijing["vans"][0], orders=[order], actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    (task,) = Task.objects.filter(kind="pick", status="open")
    return order, task


def _pick(task, who):  # type: ignore[no-untyped-def]
    return services.order_pick_confirm(
        task=task, location_barcode=task.location.barcode, item_code="TEA", quantity=3, actor=who
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_operators_confirming_one_pick_one_wins(beijing, person):
    order, task = _released(beijing, "SO-RACE")
    people = [person("operator", beijing["wh"]) for _ in range(2)]
    outcomes = at_once(*(lambda who=who: _pick(task, who) for who in people))
    assert sorted(outcomes) == ["done", "task_closed"]
    order.refresh_from_db()
    assert order.status == "picked"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_packers_closing_units_of_the_same_goods_one_wins(beijing, person):
    order, task = _released(beijing, "SO-PACK")
    _pick(task, person("operator", beijing["wh"]))
    line = order.lines.get()

    def close(who):  # type: ignore[no-untyped-def]
        return lambda: services.unit_pack(order=order, contents=[(line, 3)], actor=who)

    outcomes = at_once(*(close(person("operator", beijing["wh"])) for _ in range(2)))
    assert sorted(outcomes) == ["done", "invalid"]  # the other is told only 0 are left
    (unit,) = HandlingUnit.objects.filter(order=order)
    assert unit.lines.get().quantity == 3
    order.refresh_from_db()
    assert order.status == "packed"


def test_a_truck_with_goods_on_leaves_only_by_departing_and_an_empty_one_frees_its_load(
    beijing, person
):
    operator = person("operator", beijing["wh"])
    order = beijing["order"]("SO-GATE")
    van = beijing["vans"][0]
    load = services.load_build(warehouse=beijing["wh"], vehicle=van, orders=[order], actor=None)
    dock = Dock.objects.create(warehouse=beijing["wh"], code="D9")
    soon = timezone.now() + datetime.timedelta(minutes=30)
    slot = {"dock": dock, "vehicle": van, "ends_at": soon + datetime.timedelta(hours=1)}
    first = services.appointment_book(**slot, starts_at=soon, load=load, actor=None)
    services.vehicle_check_in(appointment=first, actor=None)

    # It came, loaded nothing and left: the load may book the dock again.
    gone = services.vehicle_check_out(appointment=first, actor=None)
    assert (gone.status, gone.load_id) == ("checked_out", None)
    said = Event.objects.filter(type="vehicle.checked_out").last().payload
    assert (said["load"], said["load_left_behind"]) == (load.reference, True)
    later = soon + datetime.timedelta(hours=2)
    again = services.appointment_book(
        **{**slot, "ends_at": later + datetime.timedelta(hours=1)},
        starts_at=later,
        load=load,
        actor=None,
    )
    services.vehicle_check_in(appointment=again, actor=None)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    unit = _pick_pack_stage(beijing, Order.objects.get(pk=order.pk), operator)
    services.load_scan(load=load, sscc=unit.sscc, actor=operator)

    with pytest.raises(Conflict, match="are on the truck: it leaves when the load departs") as on:
        services.vehicle_check_out(appointment=again, actor=None)
    assert (on.value.field, on.value.code) == ("load", "load_on_truck")
    again.refresh_from_db()
    assert again.status == "checked_in"
    services.load_depart(load=load, actor=operator)  # departing checks it out
    again.refresh_from_db()
    assert (again.status, again.load_id) == ("checked_out", load.pk)


def test_through_the_api_a_unit_comes_off_the_truck_and_the_load_is_planned_again(
    beijing, person, api
):
    operator = person("operator", beijing["wh"])
    order = beijing["order"]("SO-OFF")
    load = services.load_build(
        warehouse=beijing["wh"], vehicle=beijing["vans"][0], orders=[order], actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    unit = _pick_pack_stage(beijing, Order.objects.get(pk=order.pk), operator)
    services.load_scan(load=load, sscc=unit.sscc, actor=operator)
    assert Load.objects.get(pk=load.pk).status == "loading"

    floor = api(operator)
    off = floor.post(f"/api/v1/loads/{load.pk}/unload/", {"sscc": unit.sscc}, format="json")
    assert off.status_code == 200, off.json()
    assert off.json()["status"] == "staged"
    assert Load.objects.get(pk=load.pk).status == "planned"  # nothing on it any more
    assert Order.objects.get(pk=order.pk).status == "staged"
    events = Event.objects.count()
    twice = floor.post(f"/api/v1/loads/{load.pk}/unload/", {"sscc": unit.sscc}, format="json")
    assert twice.status_code == 400 and twice.json()["code"] == "not_on_load"
    assert "sscc" in twice.json()["fields"] and Event.objects.count() == events


def test_an_order_cancelled_after_packing_puts_its_goods_back_and_its_units_come_off_the_truck(
    beijing, person, client
):
    operator = person("operator", beijing["wh"])
    lane = beijing["lane"]
    staying, staged, loaded = (beijing["order"](f"SO-C{n}", qty=2 + n) for n in range(3))
    load = services.load_build(
        warehouse=beijing["wh"],
        vehicle=beijing["vans"][0],
        orders=[staying, staged, loaded],
        actor=None,
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    units = {
        o.pk: _pick_pack_stage(beijing, Order.objects.get(pk=o.pk), operator)
        for o in (staying, staged, loaded)
    }
    for order in (staying, loaded):
        services.load_scan(load=load, sscc=units[order.pk].sscc, actor=operator)

    # Staged at the lane: cancelled, its unit is broken down and its 3 teas go back to stock.
    services.order_cancel(order=staged, reason="customer called", actor=None)
    unit = HandlingUnit.objects.get(pk=units[staged.pk].pk)
    assert unit.status == "cancelled"
    (back,) = Task.objects.filter(kind="putaway", reference__startswith=f"order:{staged.pk}:")
    assert (back.location_id, back.quantity) == (lane.pk, 3)
    assert not Reservation.objects.filter(
        reference__startswith=f"order:{staged.pk}:", status="open"
    )

    # On the truck: cancelled too, but its goods are on the truck, not on the lane, so no task
    # yet; the truck cannot leave with them, and taking them off puts them back.
    services.order_cancel(order=loaded, reason="customer called", actor=None)
    assert not Task.objects.filter(kind="putaway", reference__startswith=f"order:{loaded.pk}:")
    client.force_login(operator)
    row = client.get("/floor/?warehouse=BJ").content.decode()
    row = row[row.index(f'data-load="{load.reference}"') :]
    assert "1 unit of a cancelled order: take it off" in row[: row.index("</tr>")]
    assert f'formaction="/floor/loads/{load.pk}/unload/"' in row
    with pytest.raises(Conflict, match="Units of cancelled orders are on the truck") as held:
        services.load_depart(load=load, actor=operator)
    assert units[loaded.pk].sscc in str(held.value)
    off = services.unit_unload(load=load, sscc=units[loaded.pk].sscc, actor=operator)
    assert off.status == "cancelled"
    (back,) = Task.objects.filter(kind="putaway", reference__startswith=f"order:{loaded.pk}:")
    assert (back.location_id, back.quantity) == (lane.pk, 4)

    shipment = services.load_depart(load=load, actor=operator)
    assert [o.external_ref for o in Order.objects.filter(stop__shipment=shipment)] == ["SO-C0"]


def test_a_unit_scanned_with_the_scanner_s_gs1_prefix_goes_onto_its_truck(floor):
    """A GS1-128 scanner sends the label's application identifier (00) before the SSCC."""
    order, load = released_on_a_truck(floor, (floor["tea"], 1), ref="SO-AI")
    pick_all(floor)
    unit = services.unit_pack(order=Order.objects.get(pk=order.pk), contents=None, actor=None)
    services.unit_stage(unit=unit, lane=floor["lane"], actor=None)
    scanned = services.load_scan(load=load, sscc=f"]C100{unit.sscc}", actor=floor["operator"])
    assert (scanned.pk, scanned.status) == (unit.pk, "loaded")
