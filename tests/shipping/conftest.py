"""Three warehouses at their real places (Beijing, Tianjin, Shanghai) and a customer in Beijing."""

import datetime
from decimal import Decimal

import pytest

from inventory.choices import ZoneKind
from shipping.models import Carrier, Customer, ShipTo, Vehicle
from tests.factories import (
    ItemFactory,
    LocationFactory,
    WarehouseFactory,
    ZoneFactory,
    warehouse_today,
)
from tests.inventory.helpers import stock_in

PLACES = {
    "BJ": (Decimal("39.904200"), Decimal("116.407400")),
    "TJ": (Decimal("39.343400"), Decimal("117.361600")),
    "SH": (Decimal("31.230400"), Decimal("121.473700")),
}


@pytest.fixture
def network(db):
    """{code: (warehouse, pick-face location, staging location)} for BJ, TJ and SH."""
    out = {}
    for code, (lat, lon) in PLACES.items():
        warehouse = WarehouseFactory(code=code, latitude=lat, longitude=lon)
        pick = ZoneFactory(warehouse=warehouse, code=f"{code}-PF", kind=ZoneKind.PICK_FACE)
        stage = ZoneFactory(warehouse=warehouse, code=f"{code}-STG", kind=ZoneKind.STAGING)
        out[code] = (
            warehouse,
            LocationFactory(zone=pick, barcode=f"{code}-PF-1"),
            LocationFactory(zone=stage, barcode=f"{code}-STG-1"),
        )
    return out


@pytest.fixture
def beijing_shop(db):
    customer = Customer.objects.create(code="C-BJ", name="Beijing shop")
    ship_to = ShipTo.objects.create(
        customer=customer,
        code="MAIN",
        name="Chaoyang store",
        address="1 Jianguo Road",
        city="Beijing",
        latitude=Decimal("39.908000"),
        longitude=Decimal("116.460000"),
        # Round the clock, so that no ETA of a test waits for a window to open at whatever
        # hour the test runs (tests/shipping/test_routing.py is about windows).
        window_opens=datetime.time(0, 0),
        window_closes=datetime.time(23, 59, 59),
    )
    return customer, ship_to


def tomorrow(days: int = 1) -> datetime.date:
    """`days` from today on the test warehouses' calendar (0: their today)."""
    return warehouse_today() + datetime.timedelta(days=days)


@pytest.fixture
def floor(network, beijing_shop, person):
    """Beijing with a van, a dock lane, 6 teas and 3 rice on its pick face, an operator."""
    bj, pick, _stage = network["BJ"]
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    van = Vehicle.objects.create(
        carrier=carrier, plate="京A-1", capacity_weight_kg=900, capacity_volume_l=9000
    )
    lane = LocationFactory(
        zone=ZoneFactory(warehouse=bj, code="BJ-DOCK", kind="dock"), barcode="BJ-LANE"
    )
    tea, rice = ItemFactory(sku="TEA"), ItemFactory(sku="RICE")
    stock_in(tea, pick, 6)
    stock_in(rice, pick, 3)
    return {
        "wh": bj,
        "van": van,
        "lane": lane,
        "tea": tea,
        "rice": rice,
        "shop": beijing_shop,
        "operator": person("operator", bj),
    }
