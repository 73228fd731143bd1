"""What a fuzzer of the API (schemathesis) found answered with a 500: a number too large for
the database, a second record where one per warehouse is allowed, a truck of no capacity.
Each is now a 400 naming the field, and nothing of it is written."""

import pytest

from core.models import Event
from dashboards.models import AlertThresholds
from shipping.models import Carrier, Vehicle, Wave
from shipping.services import load_build
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in
from tests.shipping.helpers import order_placed


@pytest.fixture
def carrier(db):
    return Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity_weight_kg": "0"}, "capacity_weight_kg"),
        ({"capacity_volume_l": "-877"}, "capacity_volume_l"),
    ],
)
def test_a_truck_of_no_capacity_is_refused(site, person, api, carrier, changes, field):
    admin = api(person("admin", site.warehouse))
    truck = {
        "carrier": "OWN",
        "plate": "京A-1",
        "capacity_weight_kg": "1000",
        "capacity_volume_l": "8000",
        "temperature_class": "ambient",
    }
    events = Event.objects.count()
    _refused(admin.post("/api/v1/vehicles/", {**truck, **changes}, format="json"), field)
    assert not Vehicle.objects.exists() and Event.objects.count() == events
    made = admin.post("/api/v1/vehicles/", truck, format="json").json()
    _refused(admin.patch(f"/api/v1/vehicles/{made['id']}/", changes, format="json"), field)
    assert Vehicle.objects.get().capacity_weight_kg == 1000


def test_a_warehouse_has_one_set_of_alert_thresholds(site, other_site, person, api):
    manager = api(person("manager", site.warehouse, other_site.warehouse))
    first = manager.post("/api/v1/alert-thresholds/", {"warehouse": "WA"}, format="json")
    assert first.status_code == 201, first.content
    other = manager.post("/api/v1/alert-thresholds/", {"warehouse": "WB"}, format="json").json()
    events = Event.objects.count()

    _refused(
        manager.post("/api/v1/alert-thresholds/", {"warehouse": "WA"}, format="json"), "warehouse"
    )
    moved = manager.patch(
        f"/api/v1/alert-thresholds/{other['id']}/", {"warehouse": "WA"}, format="json"
    )
    _refused(moved, "warehouse")
    assert AlertThresholds.objects.filter(warehouse__code="WA").count() == 1
    # The alert rules divide by the pick rate and add the minutes to times.
    url = f"/api/v1/alert-thresholds/{other['id']}/"
    _refused(manager.patch(url, {"pick_lines_per_hour": 0}, format="json"), "pick_lines_per_hour")
    _refused(
        manager.patch(url, {"cutoff_margin_minutes": 10**15}, format="json"),
        "cutoff_margin_minutes",
    )
    assert Event.objects.count() == events


def test_a_wave_plan_of_impossible_figures_is_refused(network, beijing_shop, person, api, carrier):
    bj, pick, _ = network["BJ"]
    tea = ItemFactory(sku="TEA")
    stock_in(tea, pick, 10)
    van = Vehicle.objects.create(
        carrier=carrier, plate="京A-2", capacity_weight_kg=1000, capacity_volume_l=8000
    )
    load = load_build(
        warehouse=bj, vehicle=van, orders=[order_placed(*beijing_shop, (tea, 1))], actor=None
    )
    dispatcher = api(person("dispatcher", bj))
    url = f"/api/v1/loads/{load.pk}/plan-wave/"
    _refused(dispatcher.post(url, {"pickers": 40279580106984841216}, format="json"), "pickers")
    _refused(dispatcher.post(url, {"margin_minutes": 476866}, format="json"), "margin_minutes")
    assert not Wave.objects.exists()


def test_stock_balances_filtered_by_a_zone_out_of_range_say_so(site, person, api):
    manager = api(person("manager", site.warehouse))
    zone = site.loc["a1"].zone_id
    assert manager.get(f"/api/v1/stock/balances/?zone={zone}").status_code == 200
    _refused(manager.get("/api/v1/stock/balances/?zone=-1.94e%2B42"), "zone")
    _refused(manager.get("/api/v1/stock/balances/?zone=99999999999999999999999"), "zone")


def test_a_dock_stays_in_its_warehouse(site, other_site, person, api):
    manager = api(person("manager", site.warehouse, other_site.warehouse))
    dock = manager.post("/api/v1/docks/", {"warehouse": "WA", "code": "D1"}, format="json").json()
    events = Event.objects.count()
    _refused(
        manager.patch(f"/api/v1/docks/{dock['id']}/", {"warehouse": "WB"}, format="json"),
        "warehouse",
    )
    assert Event.objects.count() == events
    renamed = manager.patch(f"/api/v1/docks/{dock['id']}/", {"code": "D9"}, format="json")
    assert (renamed.status_code, renamed.json()["warehouse"]) == (200, "WA")
