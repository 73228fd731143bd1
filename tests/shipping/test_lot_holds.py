"""A lot put on hold (a recall, a failed test): nothing of it is reserved or leaves on a
truck, the orders that held it take another lot or wait, and its trace says where every
unit of it came from and went."""

import threading
import time

import pytest
from django.db import connection, transaction

from core.exceptions import Conflict, DomainError
from core.models import Event
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from inventory import services as stock
from inventory.exceptions import InsufficientStock
from inventory.models import Lot, Reservation, StockBalance, Task
from inventory.selectors import stock_available
from shipping import services
from shipping.models import HandlingUnit, Order
from shipping.selectors import lot_trace
from tests.factories import ItemFactory, LocationFactory
from tests.inventory.helpers import counts, in_days, stock_in
from tests.shipping import books
from tests.shipping.helpers import floor_order, on_the_truck, released_on_a_truck


def _milk(floor, *, second: bool = True):
    """Milk in two lots on Beijing's pick face: M1 (6, expiring first) and M2 (6)."""
    milk = ItemFactory(sku="MILK", lot_tracked=True)
    pick_face = floor["wh"].zones.get(code="BJ-PF")
    stock_in(milk, pick_face.locations.first(), 6, lot="M1", expires_on=in_days(20))
    if second:
        shelf = LocationFactory(zone=pick_face, barcode="BJ-PF-2")
        stock_in(milk, shelf, 6, lot="M2", expires_on=in_days(40))
    return milk


def pick_all(floor) -> None:
    """Every open pick task picked whole, its lot scanned (if it has one)."""
    for task in Task.objects.filter(kind="pick", status="open").order_by("pk"):
        services.order_pick_confirm(
            task=task,
            location_barcode=task.location.barcode,
            item_code=task.item.sku,
            lot_code=task.lot.code if task.lot_id else None,
            quantity=task.quantity,
            actor=floor["operator"],
        )


def _lot(code: str) -> Lot:
    return Lot.objects.get(code=code)


def test_a_lot_put_on_hold_goes_to_nobody_and_its_orders_take_the_next_lot(floor):
    milk = _milk(floor)
    order, _load = released_on_a_truck(floor, (milk, 4))
    (task,) = Task.objects.filter(kind="pick", status="open")
    assert task.lot.code == "M1"  # earliest expiry first

    services.lot_hold(lot=_lot("M1"), reason="Supplier recall R-17", actor=floor["operator"])

    # The picker's task at M1 is gone; a new one sends them to M2, for the same truck.
    task.refresh_from_db()
    assert task.status == "cancelled"
    (again,) = Task.objects.filter(kind="pick", status="open")
    assert (again.lot.code, again.location.barcode, again.quantity) == ("M2", "BJ-PF-2", 4)
    order.refresh_from_db()
    assert order.status == "released"
    assert StockBalance.objects.get(lot__code="M1").reserved == 0
    # M1 stays where it is, on hand, and is no more available to anyone.
    (row,) = stock_available(warehouse_ids=[floor["wh"].pk], items=[milk])
    assert row["on_hand"] == 12 and row["available"] == 2
    assert {lot["lot"]: (lot["held"], lot["available"]) for lot in row["lots"]} == {
        "M1": (True, 0),
        "M2": (False, 2),
    }
    held = Event.objects.get(type="lot.held")
    assert (held.payload["lot"], held.payload["reason"], held.payload["on_hand"]) == (
        "M1",
        "Supplier recall R-17",
        6,
    )
    assert held.payload["released"] == [{"reference": order.lines.get().reference, "quantity": 4}]
    # Only M2's 2 are left for anyone: an order of 3 gets them and waits for the third.
    later = floor_order(floor, (milk, 3), ref="SO-2")
    assert (later.status, later.allocation_note["backordered"]) == ("backordered", {"MILK": 1})
    assert StockBalance.objects.get(lot__code="M1").reserved == 0
    pick_all(floor)
    books.books_hold()


def test_an_order_nobody_else_can_supply_waits_and_takes_the_lot_once_released(floor):
    milk = _milk(floor, second=False)
    order = floor_order(floor, (milk, 4))
    assert order.status == "allocated"
    services.lot_hold(lot=_lot("M1"), reason="Lab: listeria test pending", actor=None)
    order.refresh_from_db()
    assert order.status == "backordered"
    assert order.allocation_note["backordered"] == {"MILK": 4}
    assert services.orders_backordered_reallocate(skus=["MILK"]) == 0  # still held

    stock.lot_hold_lift(lot=_lot("M1"), actor=None)
    assert services.orders_backordered_reallocate(skus=["MILK"]) == 1
    order.refresh_from_db()
    assert order.status == "allocated"
    lifted = Event.objects.get(type="lot.hold_lifted")
    assert lifted.payload["reason"] == "Lab: listeria test pending"
    books.books_hold()


@pytest.mark.parametrize("lost_by", ["hold", "count"])
def test_a_line_that_loses_two_reservations_at_once_makes_up_for_both(floor, lost_by):
    # One line, grown twice on the floor: two reservations of lot M1, a third of M2, picked.
    milk = ItemFactory(sku="MILK", lot_tracked=True)
    face = floor["wh"].zones.get(code="BJ-PF").locations.first()
    stock_in(milk, face, 2, lot="M1", expires_on=in_days(20))
    order, _load = released_on_a_truck(floor, (milk, 1))
    services.order_line_change(order=order, line_no=1, quantity=2, actor=None)
    stock_in(milk, LocationFactory(zone=face.zone, barcode="BJ-PF-2"), 1, lot="M2")
    services.order_line_change(order=order, line_no=1, quantity=3, actor=None)
    (m2,) = Task.objects.filter(kind="pick", status="open", lot__code="M2")
    services.order_pick_confirm(
        task=m2,
        location_barcode="BJ-PF-2",
        item_code="MILK",
        lot_code="M2",
        quantity=1,
        actor=floor["operator"],
    )
    assert Reservation.objects.filter(reference=order.lines.get().reference).count() == 3

    if lost_by == "hold":
        services.lot_hold(lot=_lot("M1"), reason="recall", actor=None)
    else:  # a counter finds the face empty
        (count,) = stock.count_tasks_create(
            warehouse=floor["wh"], item=milk, location=face, actor=None
        )
        stock.count_record(task=count, counted_quantity=0, actor=floor["operator"])

    # Both units of M1 follow as one backorder; the truck takes the one unit picked.
    order.refresh_from_db()
    assert order.status == "picked"
    assert order.lines.get().quantity == 1
    follows = Order.objects.get(external_ref=f"{order.external_ref}/BO")
    assert (follows.status, follows.lines.get().quantity) == ("backordered", 2)
    books.books_hold()


def test_stock_of_a_held_lot_moved_or_received_somewhere_new_stays_held(floor):
    milk = _milk(floor, second=False)
    services.lot_hold(lot=_lot("M1"), reason="recall", actor=None)
    quarantine = LocationFactory(zone=floor["wh"].zones.get(code="BJ-PF"), barcode="BJ-QC")
    stock.stock_move(
        item=milk,
        lot=_lot("M1"),
        from_location=floor["wh"].zones.get(code="BJ-PF").locations.first(),
        to_location=quarantine,
        quantity=2,
        actor=None,
    )
    stock_in(milk, LocationFactory(zone=quarantine.zone, barcode="BJ-QC-2"), 3, lot="M1")
    assert list(StockBalance.objects.filter(lot__code="M1").values_list("held", flat=True)) == [
        True,
        True,
        True,
    ]
    assert floor_order(floor, (milk, 1)).status == "backordered"
    assert not StockBalance.objects.filter(reserved__gt=0).filter(item=milk).exists()


def test_a_truck_does_not_leave_with_a_unit_of_a_held_lot(floor):
    milk = _milk(floor, second=False)
    order, load = released_on_a_truck(floor, (milk, 2))
    pick_all(floor)
    on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    sscc = order.units.get().sscc
    services.lot_hold(lot=_lot("M1"), reason="Supplier recall R-17", actor=None)
    before = counts()
    with pytest.raises(Conflict) as refused:
        services.load_depart(load=load, actor=None)
    assert refused.value.code == "lot_held"
    assert (
        sscc in refused.value.message and "MILK M1 (Supplier recall R-17)" in refused.value.message
    )
    assert counts() == before
    order.refresh_from_db()
    assert order.status == "loaded"

    # The floor hears of it before the truck is due: a critical alert on the order.
    alerts_evaluate()
    (alert,) = Alert.objects.filter(rule="held_lot_packed", status="open")
    assert (alert.subject_id, alert.severity) == ("SO-1", "critical")
    assert "lot M1 (MILK)" in alert.message and "Supplier recall R-17" in alert.message
    assert load.reference in alert.message

    stock.lot_hold_lift(lot=_lot("M1"), actor=None)
    alerts_evaluate()
    assert Alert.objects.get(pk=alert.pk).status == "resolved"
    services.load_depart(load=load, actor=None)
    order.refresh_from_db()
    assert order.status == "shipped"


def test_a_hold_needs_its_reason_and_is_put_on_once(floor):
    _milk(floor, second=False)
    before = counts()
    with pytest.raises(DomainError) as refused:
        services.lot_hold(lot=_lot("M1"), reason="  ", actor=None)
    assert refused.value.field == "reason"
    assert counts() == before and _lot("M1").held_at is None
    services.lot_hold(lot=_lot("M1"), reason="recall", actor=None)
    with pytest.raises(Conflict, match="already on hold: recall"):
        services.lot_hold(lot=_lot("M1"), reason="again", actor=None)
    stock.lot_hold_lift(lot=_lot("M1"), actor=None)
    with pytest.raises(Conflict, match="not on hold"):
        stock.lot_hold_lift(lot=_lot("M1"), actor=None)


# --- through the API ------------------------------------------------------------------------


def test_quality_holds_a_lot_through_the_api_and_reads_its_trace(floor, person, api, network):
    milk = _milk(floor)
    order, load = released_on_a_truck(floor, (milk, 4))
    pick_all(floor)
    on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    services.load_depart(load=load, actor=None)
    kept = floor_order(floor, (milk, 5), ref="SO-2")  # 2 of M1, 3 of M2
    manager = api(person("manager", floor["wh"]))
    m1 = _lot("M1")

    # The operator may not; a hold without a reason is refused, naming the field.
    operator = api(floor["operator"])
    assert operator.post(f"/api/v1/lots/{m1.pk}/hold/", {"reason": "x"}).status_code == 403
    before = counts()
    answer = manager.post(f"/api/v1/lots/{m1.pk}/hold/", {}, format="json")
    assert answer.status_code == 400 and "reason" in answer.json()["fields"]
    assert counts() == before

    answer = manager.post(f"/api/v1/lots/{m1.pk}/hold/", {"reason": "Recall R-17"}, format="json")
    assert answer.status_code == 200
    assert (answer.json()["held"], answer.json()["hold_reason"]) == (True, "Recall R-17")
    again = manager.post(f"/api/v1/lots/{m1.pk}/hold/", {"reason": "Recall R-17"}, format="json")
    assert again.status_code == 409
    assert [row["code"] for row in manager.get("/api/v1/lots/?held=true").json()["results"]] == [
        "M1"
    ]
    # SO-2 gave back its 2 of M1 and took 2 more of M2.
    kept.refresh_from_db()
    assert kept.status == "allocated"
    assert StockBalance.objects.get(lot__code="M2").reserved == 5

    trace = operator.get(f"/api/v1/lots/{m1.pk}/trace/").json()
    assert trace["lot"] | {"held_at": None} == {
        "id": m1.pk,
        "item": "MILK",
        "item_name": milk.name,
        "code": "M1",
        "expires_on": in_days(20).isoformat(),
        "held": True,
        "held_at": None,
        "hold_reason": "Recall R-17",
    }
    assert trace["totals"] == {
        "received": 6,
        "on_hand": 2,
        "reserved": 0,
        "picked_not_packed": 0,
        "packed_not_shipped": 0,
        "shipped": 4,
        "customers": 1,
    }
    (went,) = trace["shipped"]
    assert (went["order"], went["customer"], went["city"], went["quantity"]) == (
        "SO-1",
        "Beijing shop",
        "Beijing",
        4,
    )
    assert went["shipment"] == order.load.shipment.reference
    assert [(r["warehouse"], r["quantity"]) for r in trace["received"]] == [("BJ", 6)]
    assert [(r["location"], r["on_hand"]) for r in trace["on_hand"]] == [("BJ-PF-1", 2)]

    # Someone of Tianjin reads the same lot and sees nothing of Beijing's.
    tianjin = api(person("manager", network["TJ"][0]))
    elsewhere = tianjin.get(f"/api/v1/lots/{m1.pk}/trace/").json()
    assert elsewhere["totals"]["received"] == 0 and elsewhere["shipped"] == []

    lifted = manager.post(f"/api/v1/lots/{m1.pk}/lift-hold/")
    assert lifted.status_code == 200 and lifted.json()["held"] is False
    assert manager.post(f"/api/v1/lots/{m1.pk}/lift-hold/").status_code == 409


# --- on PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_a_reservation_waiting_while_the_lot_is_held_takes_none_of_it(floor):
    milk = _milk(floor, second=False)
    holding = threading.Event()
    outcome: list[str] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                services.lot_hold(lot=_lot("M1"), reason="recall", actor=None)
                holding.set()
                time.sleep(0.5)  # the reservation below waits for the balance meanwhile
        finally:
            connection.close()

    def reserve() -> None:
        try:
            holding.wait(5)
            stock.stock_reserve(
                warehouse=floor["wh"], item=milk, quantity=2, reference="ERP-9", actor=None
            )
            outcome.append("reserved")
        except InsufficientStock:
            outcome.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=reserve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome == ["refused"]
    assert StockBalance.objects.get(lot__code="M1").reserved == 0
    assert (
        not Reservation.objects.filter(reference="ERP-9", status="open")
        .exclude(allocations__quantity=0)
        .exists()
    )


# --- on the page ------------------------------------------------------------------------------


def test_quality_holds_a_lot_on_its_page_and_takes_the_recall_list(floor, person, client):
    import io

    import pandas as pd

    milk = _milk(floor)
    order, load = released_on_a_truck(floor, (milk, 4))
    pick_all(floor)
    on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    services.load_depart(load=load, actor=None)
    m1 = _lot("M1")

    # The operator finds the lot by its item and code, and sees its trace; no hold form.
    client.force_login(floor["operator"])
    found = client.get("/lots/?item=milk&lot=m1")
    assert found.status_code == 302 and found["Location"] == f"/lots/{m1.pk}/"
    page = client.get(f"/lots/{m1.pk}/").content.decode()
    assert "Where it went" in page and "Beijing shop" in page and "SO-1" in page
    assert "Hold the lot" not in page
    refused = client.post(f"/lots/{m1.pk}/hold/", {"reason": "x"}, HTTP_HX_REQUEST="true")
    assert "needs an admin, manager or integration role" in refused.content.decode()
    assert _lot("M1").held_at is None

    client.force_login(person("manager", floor["wh"]))
    blank = client.post(f"/lots/{m1.pk}/hold/", {"reason": " "}, HTTP_HX_REQUEST="true")
    assert "Why: Say why the lot is held." in blank.content.decode()
    assert not Event.objects.filter(type="lot.held").exists()
    held = client.post(f"/lots/{m1.pk}/hold/", {"reason": "Recall R-17"}, HTTP_HX_REQUEST="true")
    text = held.content.decode()
    assert "is on hold" in text and "Lift the hold" in text and "Recall R-17" in text
    listed = client.get("/lots/").content.decode()
    assert "Recall R-17" in listed and f"/lots/{m1.pk}/" in listed
    assert "1 lot on hold" in client.get("/stock/").content.decode()

    # The recall's call list: the customers it went to, in the reader's language.
    sheet = client.get(f"/lots/{m1.pk}/?export=csv")
    assert sheet["Content-Disposition"].startswith('attachment; filename="recall-MILK-M1')
    (row,) = pd.read_csv(io.StringIO(sheet.content.decode("utf-8-sig"))).to_dict("records")
    assert (row["Customer"], row["City"], row["Order"], row["Units"]) == (
        "Beijing shop",
        "Beijing",
        "SO-1",
        4,
    )
    departed = Order.objects.get(pk=order.pk).load.shipment.departed_at
    clock = floor["wh"].zone()  # on the warehouse's clock, not the site's
    assert row["Departed"] == f"{departed.astimezone(clock):%Y-%m-%d %H:%M}"

    lifted = client.post(f"/lots/{m1.pk}/lift-hold/", HTTP_HX_REQUEST="true").content.decode()
    assert "is lifted" in lifted and "Hold the lot" in lifted


def test_a_cold_room_out_of_range_has_its_lots_held_in_one_go(floor, person, client):
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from integrations.models import Excursion, Sensor
    from tests.factories import ZoneFactory

    room = ZoneFactory(warehouse=floor["wh"], code="BJ-CHILL", name="Chilled room", kind="storage")
    shelf = LocationFactory(zone=room, barcode="BJ-CHILL-1")
    milk = ItemFactory(sku="MILK", lot_tracked=True)
    yogurt = ItemFactory(sku="YOG", lot_tracked=True)
    stock_in(milk, shelf, 5, lot="M1")
    stock_in(yogurt, shelf, 7, lot="Y1")
    stock_in(floor["tea"], shelf, 2)  # goods of no lot: no hold reaches them
    sensor = Sensor.objects.create(
        device="bj-chill-1",
        name="Chilled room",
        warehouse=floor["wh"],
        zone=room,
        low_c=Decimal("0"),
        high_c=Decimal("4"),
    )
    Excursion.objects.create(
        sensor=sensor,
        kind="warm",
        started_at=timezone.now() - datetime.timedelta(minutes=40),
        worst=Decimal("9.5"),
    )
    client.force_login(person("manager", floor["wh"]))
    page = client.get(f"/lots/?zone={room.pk}").content.decode()
    assert "Lots in Chilled room" in page and "M1" in page and "Y1" in page
    assert "1 position here holds goods of no lot" in page
    assert "Hold these 2 lots" in page
    assert "too warm in Chilled room since" in page and "at worst 9.5 °C" in page

    held = client.post(
        f"/lots/rooms/{room.pk}/hold/",
        {"reason": "Too warm in the chilled room, 9.5 °C"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "2 lots of Chilled room are on hold." in held
    assert set(Lot.objects.filter(held_at__isnull=False).values_list("code", flat=True)) == {
        "M1",
        "Y1",
    }
    assert Event.objects.filter(type="lot.held").count() == 2
    # Nothing is left to hold there: the form is gone, the lots say they are held.
    assert "Hold these" not in held and held.count("on hold") >= 2
    # Someone of another warehouse does not see this room.
    other = person("manager", floor["wh"].__class__.objects.exclude(pk=floor["wh"].pk).first())
    client.force_login(other)
    assert client.post(f"/lots/rooms/{room.pk}/hold/", {"reason": "x"}).status_code == 404


def _quarantine(floor):
    return LocationFactory(zone=floor["wh"].zones.get(code="BJ-PF"), barcode="BJ-QC")


def _packed_then_held(floor):
    """Four milk of M1 picked and packed for SO-1 on the van; then M1 is held, and there is
    a quarantine place, BJ-QC: (order, unit, lot)."""
    milk = _milk(floor)
    order, _load = released_on_a_truck(floor, (milk, 4))
    pick_all(floor)
    order.refresh_from_db()
    unit = services.unit_pack(order=order, contents=None, actor=floor["operator"])
    m1 = _lot("M1")
    services.lot_hold(lot=m1, reason="recall", actor=None)
    _quarantine(floor)
    return order, unit, m1


def test_goods_of_a_held_lot_on_a_truck_come_off_and_the_order_picks_the_next_lot(floor):
    milk = _milk(floor)
    order, load = released_on_a_truck(floor, (milk, 4))
    pick_all(floor)  # 4 of M1, the earliest expiry
    on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    sscc = order.units.get().sscc
    services.lot_hold(lot=_lot("M1"), reason="Supplier recall R-17", actor=None)
    quarantine = _quarantine(floor)

    # On the truck: it comes off first, and nothing is written until it does.
    before = counts()
    with pytest.raises(Conflict) as refused:
        services.order_lot_pull(
            order=order, lot=_lot("M1"), to_location=quarantine, actor=floor["operator"]
        )
    assert refused.value.code == "unit_loaded" and sscc in refused.value.message
    assert counts() == before
    services.unit_unload(load=load, sscc=sscc, actor=floor["operator"])

    order = services.order_lot_pull(
        order=order, lot=_lot("M1"), to_location=quarantine, actor=floor["operator"]
    )

    # The unit is broken down, M1's four units lie in quarantine, still held; the order
    # picks four of M2 for the same truck.
    assert order.status == "released" and order.load_id == load.pk
    assert order.units.get().status == "cancelled"
    assert StockBalance.objects.get(lot__code="M1", location=quarantine).on_hand == 4
    assert StockBalance.objects.get(lot__code="M1", location=quarantine).held
    (again,) = Task.objects.filter(kind="pick", status="open")
    assert (again.lot.code, again.quantity) == ("M2", 4)
    assert order.wave.status == "released" and order.wave.picked_at is None
    assert Event.objects.get(type="wave.reopened").payload["order"] == "SO-1"
    pulled = Event.objects.get(type="order.lot_pulled")
    assert pulled.payload["lines"] == [{"line": 1, "quantity": 4}]
    assert (pulled.payload["lot"], pulled.payload["opened"]) == ("M1", [sscc])
    assert pulled.payload["reason"] == "Supplier recall R-17"
    books.books_hold()

    # Picked, packed and loaded again, the truck leaves with M2 only.
    pick_all(floor)
    order.refresh_from_db()
    assert order.status == "picked"
    on_the_truck(floor, order, load)
    services.load_depart(load=load, actor=None)
    order.refresh_from_db()
    assert order.status == "shipped"
    (unit,) = order.units.filter(status="shipped")
    assert [(c.lot.code, c.quantity) for c in unit.lines.all()] == [("M2", 4)]
    books.books_hold()


def test_goods_of_a_held_lot_nobody_can_replace_follow_as_a_backorder(floor):
    milk = _milk(floor, second=False)
    order, load = released_on_a_truck(floor, (milk, 4), (floor["tea"], 2))
    pick_all(floor)
    order.refresh_from_db()
    unit = services.unit_pack(order=order, contents=None, actor=floor["operator"])
    services.unit_stage(unit=unit, lane=floor["lane"], actor=floor["operator"])
    services.lot_hold(lot=_lot("M1"), reason="recall", actor=None)

    order = services.order_lot_pull(
        order=order, lot=_lot("M1"), to_location=_quarantine(floor), actor=floor["operator"]
    )

    # The tea goes on with the truck, packed again; the milk follows when there is some.
    assert (order.status, order.load_id) == ("picked", load.pk)
    assert [(line.item.sku, line.quantity) for line in order.lines.all()] == [("TEA", 2)]
    follows = Order.objects.get(external_ref="SO-1/BO")
    assert follows.status == "backordered"
    assert [(line.item.sku, line.quantity) for line in follows.lines.all()] == [("MILK", 4)]
    again = services.unit_pack(order=order, contents=None, actor=floor["operator"])
    assert [(c.line.item.sku, c.quantity) for c in again.lines.all()] == [("TEA", 2)]
    books.books_hold()


def test_taking_back_goods_is_refused_when_there_is_nothing_to_take(floor, network):
    milk = _milk(floor)
    order, _load = released_on_a_truck(floor, (milk, 4))
    quarantine = _quarantine(floor)
    elsewhere = network["TJ"][1]

    def pull(lot, to=quarantine):  # type: ignore[no-untyped-def]
        return services.order_lot_pull(order=order, lot=lot, to_location=to, actor=None)

    with pytest.raises(DomainError) as refused:
        pull(_lot("M1"))  # not on hold
    assert refused.value.field == "lot" and "not on hold" in refused.value.message
    services.lot_hold(lot=_lot("M2"), reason="recall", actor=None)
    before = counts()
    with pytest.raises(DomainError) as refused:
        pull(_lot("M2"))  # nothing of M2 picked for it
    assert refused.value.field == "lot" and "Nothing of lot M2" in refused.value.message
    pick_all(floor)
    services.lot_hold(lot=_lot("M1"), reason="recall", actor=None)
    before = counts()
    with pytest.raises(DomainError) as refused:
        pull(_lot("M1"), to=elsewhere)
    assert refused.value.field == "to_location"
    assert counts() == before
    assert Order.objects.get(pk=order.pk).status == "picked"
    services.order_cancel(order=order, reason="customer", actor=None)
    before = counts()
    with pytest.raises(Conflict) as refused:
        pull(_lot("M1"))  # cancelled: its goods go back by the cancellation's putaway
    assert "Cancelled" in refused.value.message
    assert counts() == before
    books.books_hold()


def test_the_floor_takes_a_held_lot_back_out_of_an_order_through_the_api(floor, person, api):
    order, unit, m1 = _packed_then_held(floor)
    url = f"/api/v1/orders/{order.pk}/pull-lot/"

    # A dispatcher may not; an unknown place or lot is named; nothing is written.
    dispatcher = api(person("dispatcher", floor["wh"]))
    assert dispatcher.post(url, {"lot": m1.pk, "to_location": "BJ-QC"}).status_code == 403
    operator = api(floor["operator"])
    before = counts()
    answer = operator.post(url, {"lot": m1.pk, "to_location": "NOWHERE"}, format="json")
    assert answer.status_code == 400 and "to_location" in answer.json()["fields"]
    answer = operator.post(url, {"lot": 999999, "to_location": "BJ-QC"}, format="json")
    assert answer.status_code == 400 and "lot" in answer.json()["fields"]
    answer = operator.post(url, {"lot": _lot("M2").pk, "to_location": "BJ-QC"}, format="json")
    assert answer.status_code == 400 and "not on hold" in answer.json()["fields"]["lot"][0]
    assert counts() == before

    answer = operator.post(url, {"lot": m1.pk, "to_location": "BJ-QC"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "released"
    assert HandlingUnit.objects.get(pk=unit.pk).status == "cancelled"
    feed = operator.get("/api/v1/events/?type=order.lot_pulled").json()["results"]
    assert [event["payload"]["lines"] for event in feed] == [[{"line": 1, "quantity": 4}]]
    books.books_hold()


def test_the_floor_takes_a_held_lot_back_out_of_an_order_on_its_page(floor, person, client):
    order, unit, m1 = _packed_then_held(floor)

    # A dispatcher sees the packed unit, and no way to take it back.
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get(f"/lots/{m1.pk}/").content.decode()
    assert unit.sscc in page and "Take back" not in page

    client.force_login(floor["operator"])
    page = client.get(f"/lots/{m1.pk}/").content.decode()
    assert f'name="order" value="{order.pk}"' in page and "Take back" in page
    wrong = client.post(
        f"/lots/{m1.pk}/pull/",
        {"order": order.pk, "to_location": "NOWHERE"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Put at: No location NOWHERE in this warehouse." in wrong
    assert HandlingUnit.objects.get(pk=unit.pk).status == "packed"

    done = client.post(
        f"/lots/{m1.pk}/pull/", {"order": order.pk, "to_location": "BJ-QC"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Lot M1 is out of SO-1, at BJ-QC; the order is Released to a wave." in done
    assert unit.sscc not in done  # broken down: nothing of M1 is packed any more
    assert HandlingUnit.objects.get(pk=unit.pk).status == "cancelled"
    books.books_hold()


def test_goods_of_a_held_lot_picked_are_not_packed_until_taken_back(floor, client):
    milk = _milk(floor)
    order, _load = released_on_a_truck(floor, (milk, 4), (floor["tea"], 1))
    pick_all(floor)
    order.refresh_from_db()
    assert order.status == "picked"
    services.lot_hold(lot=_lot("M1"), reason="Lab: listeria", actor=None)

    # The lot's trace lists them, picked for SO-1 at the drop place, not packed.
    trace = lot_trace(lot=_lot("M1"), warehouse_ids=[floor["wh"].pk])
    assert [(p["order"], p["quantity"]) for p in trace["picked_not_packed"]] == [("SO-1", 4)]
    assert trace["totals"]["picked_not_packed"] == 4
    client.force_login(floor["operator"])
    page = client.get(f"/lots/{_lot('M1').pk}/").content.decode()
    assert "Picked, not packed yet" in page and f'name="order" value="{order.pk}"' in page
    before = counts()
    with pytest.raises(Conflict) as refused:
        services.unit_pack(order=order, contents=None, actor=floor["operator"])
    assert refused.value.code == "lot_held"
    assert "M1 MILK (Lab: listeria)" in refused.value.message and "SO-1" in refused.value.message
    assert counts() == before and not order.units.exists()

    # Taken back, the order picks M2, and packs tea and milk in one unit.
    services.order_lot_pull(
        order=order, lot=_lot("M1"), to_location=_quarantine(floor), actor=floor["operator"]
    )
    assert lot_trace(lot=_lot("M1"), warehouse_ids=[floor["wh"].pk])["picked_not_packed"] == []
    pick_all(floor)
    unit = services.unit_pack(order=order, contents=None, actor=floor["operator"])
    assert sorted((c.line.item.sku, c.lot.code if c.lot else None) for c in unit.lines.all()) == [
        ("MILK", "M2"),
        ("TEA", None),
    ]
    books.books_hold()
