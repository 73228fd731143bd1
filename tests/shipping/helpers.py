"""Small helpers for shipping tests."""

import threading
from decimal import Decimal

from django.db import connection

from core.exceptions import DomainError
from inventory.models import Task
from shipping import services
from shipping.models import Carrier, Order, Vehicle
from tests.factories import ItemFactory, LocationFactory, ZoneFactory
from tests.inventory.helpers import stock_in
from tests.shipping.conftest import tomorrow


def order_placed(customer, ship_to, *lines, ref: str = "SO-1") -> Order:  # type: ignore[no-untyped-def]
    """An order an ERP posted and the service allocated: (item, quantity) lines, to ship
    tomorrow and arrive the day after."""
    return services.order_create(
        customer=customer,
        ship_to=ship_to,
        external_ref=ref,
        lines=[services.LineInput(item, qty) for item, qty in lines],
        requested_delivery_date=tomorrow(2),
        promised_ship_date=tomorrow(),
        actor=None,
    )


def floor_order(floor, *lines, ref="SO-1"):  # type: ignore[no-untyped-def]
    """An order of the floor's shop, allocated: (item, quantity) lines, to ship today on the
    warehouse's calendar and arrive tomorrow."""
    return services.order_create(
        customer=floor["shop"][0],
        ship_to=floor["shop"][1],
        external_ref=ref,
        lines=[services.LineInput(item, qty) for item, qty in lines],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
        actor=None,
    )


def released_on_a_truck(floor, *lines, ref="SO-1"):  # type: ignore[no-untyped-def]
    """An order of these (item, quantity) lines, on a load of the van, its wave released."""
    order = floor_order(floor, *lines, ref=ref)
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=[order], actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    return Order.objects.get(pk=order.pk), load


def pick(floor, task, quantity):  # type: ignore[no-untyped-def]
    """The floor operator scans the task's place and item and confirms `quantity`."""
    return services.order_pick_confirm(
        task=task,
        location_barcode=task.location.barcode,
        item_code=task.item.sku,
        quantity=quantity,
        actor=floor["operator"],
    )


def pick_all(floor):  # type: ignore[no-untyped-def]
    """Every open pick task picked whole, in the order they were made."""
    for task in Task.objects.filter(kind="pick", status="open").order_by("pk"):
        pick(floor, task, task.quantity)


def on_the_truck(floor, order, load):  # type: ignore[no-untyped-def]
    """Pack the order's picked goods, stage them and scan them onto its load."""
    unit = services.unit_pack(order=order, contents=None, actor=floor["operator"])
    services.unit_stage(unit=unit, lane=floor["lane"], actor=floor["operator"])
    services.load_scan(load=load, sscc=unit.sscc, actor=floor["operator"])


def late_order(floor):  # type: ignore[no-untyped-def]
    """An order for one tea, allocated and on no truck yet."""
    return floor_order(floor, (floor["tea"], 1), ref="SO-LATE")


def cement_and_ice(warehouse, pick):  # type: ignore[no-untyped-def]
    """Cement (40 kg and 30 l a bag, 100 on the pick face) and ice cream (chilled, 10 in a
    cold room of the warehouse): (cement, ice)."""
    cement = ItemFactory(sku="CEMENT", weight_kg=Decimal("40"), volume_l=Decimal("30"))
    ice = ItemFactory(sku="ICE", temperature_class="chilled")
    stock_in(cement, pick, 100)
    cold_room = ZoneFactory(
        warehouse=warehouse, code="BJ-COLD", kind="pick_face", temperature_class="chilled"
    )
    stock_in(ice, LocationFactory(zone=cold_room, barcode="BJ-COLD-1"), 10)
    return cement, ice


def carriers() -> tuple[Carrier, Carrier]:
    """The own fleet and an LTL carrier: (own, ltl)."""
    return (
        Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet"),
        Carrier.objects.create(code="DEPPON", name="Deppon", service_level="ltl"),
    )


def truck(carrier, plate, warehouse, kg):  # type: ignore[no-untyped-def]
    """An ambient vehicle of the carrier based at the warehouse: `kg` payload, 20 m³."""
    return Vehicle.objects.create(
        carrier=carrier,
        plate=plate,
        home_warehouse=warehouse,
        capacity_weight_kg=Decimal(kg),
        capacity_volume_l=Decimal(20_000),
    )


def at_once(*steps) -> list[str]:  # type: ignore[no-untyped-def]
    """Run the steps at once (PostgreSQL), each in its own thread and connection: what each
    came to, "done" or the code of its refusal (a Conflict's, say), in the order they ended."""
    start = threading.Barrier(len(steps))
    outcomes: list[str] = []

    def run(step) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            step()
            outcomes.append("done")
        except DomainError as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return outcomes
