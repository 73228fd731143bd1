"""An RFID portal at a dock door reads the pallets going through it and its middleware sends
the reads as GS1 EPCIS 2.0 events: Handoff scans each pallet onto its truck, skips one read
again, and refuses (and says so to the dock) a pallet going onto the wrong truck at that door.
A document that cannot be read is refused whole, naming the field."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Event
from integrations.epcis import EpcisError, sscc_of
from shipping import services
from shipping.models import Dock, HandlingUnit, Order, Vehicle
from tests.shipping.helpers import floor_order, pick_all

NOW = timezone.now().replace(microsecond=0)


def urn(sscc: str) -> str:
    """The SSCC as an EPC URN: company prefix, then the extension digit and serial."""
    n = len(settings.GS1_COMPANY_PREFIX)
    return f"urn:epc:id:sscc:{sscc[1 : 1 + n]}.{sscc[0]}{sscc[1 + n : 17]}"


def document(*events: dict) -> dict:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": NOW.isoformat(),
        "epcisBody": {"eventList": list(events)},
    }


def loading(*epcs: str, dock: str = "D1", step: str = "loading", action: str = "OBSERVE") -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": (NOW - datetime.timedelta(minutes=1)).isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "epcList": list(epcs),
        "action": action,
        "bizStep": step,
        "readPoint": {"id": f"urn:epc:id:sgln:6901234.00001.{dock}"},
    }


def _staged(floor, ref: str, vehicle: Vehicle):  # type: ignore[no-untyped-def]
    """An order of one tea on its own load of `vehicle`, picked, packed and staged."""
    order = floor_order(floor, (floor["tea"], 1), ref=ref)
    load = services.load_build(warehouse=floor["wh"], vehicle=vehicle, orders=[order], actor=None)
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    unit = services.unit_pack(order=Order.objects.get(pk=order.pk), contents=None, actor=None)
    services.unit_stage(unit=unit, lane=floor["lane"], actor=None)
    return load, unit


@pytest.fixture
def at_the_door(floor):  # type: ignore[no-untyped-def]
    """The van at door D1, loading SO-A's pallet; SO-B's pallet is for another truck."""
    van = floor["van"]
    other = Vehicle.objects.create(
        carrier=van.carrier, plate="京A-2", capacity_weight_kg=900, capacity_volume_l=9000
    )
    load_a, unit_a = _staged(floor, "SO-A", van)
    load_b, unit_b = _staged(floor, "SO-B", other)
    dock = Dock.objects.create(warehouse=floor["wh"], code="D1")
    slot = services.appointment_book(
        dock=dock,
        vehicle=van,
        starts_at=NOW,
        ends_at=NOW + datetime.timedelta(hours=1),
        load=load_a,
        actor=None,
    )
    services.vehicle_check_in(appointment=slot, actor=None)
    return {"a": (load_a, unit_a), "b": (load_b, unit_b)}


def test_the_portal_loads_the_truck_at_its_door_and_refuses_the_wrong_pallet(
    api, person, floor, at_the_door
):
    (load_a, unit_a), (load_b, unit_b) = at_the_door["a"], at_the_door["b"]
    middleware = api(person("integration", floor["wh"]))
    sent = document(
        loading(
            urn(unit_a.sscc),
            f"https://id.gs1.org/00/{unit_b.sscc}",
            "urn:epc:id:sgtin:6901234.012345.1001",  # a case's tag: counted, not acted on
        ),
        loading(urn(unit_a.sscc)),  # read again as it passed
        loading(urn(unit_a.sscc), step="urn:epcglobal:cbv:bizstep:shipping"),
    )
    answer = middleware.post("/api/v1/epcis/capture/", sent, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (
        body["events"],
        body["loaded"],
        body["skipped"],
        body["refused"],
        body["other_epcs"],
    ) == (
        3,
        1,
        2,
        1,
        1,
    )
    assert [(u["sscc"], u["outcome"], u["load"]) for u in body["units"]] == [
        (unit_a.sscc, "loaded", load_a.reference),
        (unit_b.sscc, "refused", None),
        (unit_a.sscc, "skipped", load_a.reference),
        (unit_a.sscc, "skipped", None),
    ]
    assert body["units"][1]["why"] == (
        f"The wrong truck: unit {unit_b.sscc} is for load {load_b.reference}, and the truck at "
        f"D1 is loading {load_a.reference}."
    )
    assert (
        body["units"][3]["why"]
        == "Handoff acts on loading and receiving (ADD or OBSERVE), not shipping OBSERVE."
    )
    unit_a.refresh_from_db()
    unit_b.refresh_from_db()
    assert (unit_a.status, unit_b.status) == ("loaded", "staged")
    refused = Event.objects.get(type="unit.read_refused")
    assert refused.payload["sscc"] == unit_b.sscc and refused.payload["code"] == "wrong_truck"
    assert Event.objects.filter(type="unit.loaded").count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: d.update(type="Nope"), "type", "An EPCIS document has type EPCISDocument."),
        (
            lambda d: d["epcisBody"]["eventList"][0].update(eventTime="yesterday"),
            "epcisBody.eventList[0].eventTime",
            "Not a time (ISO 8601): yesterday",
        ),
        (
            lambda d: d["epcisBody"]["eventList"][0].update(eventTime="2026-12-06T09:30:00"),
            "epcisBody.eventList[0].eventTime",
            "A time with its zone (2026-12-07T09:30:00+08:00), not 2026-12-06T09:30:00.",
        ),
        (
            lambda d: d["epcisBody"]["eventList"][0].update(action="MOVE"),
            "epcisBody.eventList[0].action",
            "The action is ADD, OBSERVE or DELETE, not MOVE.",
        ),
        (
            lambda d: d["epcisBody"]["eventList"][0].update(
                epcList=["https://id.gs1.org/00/106901234000000001"]
            ),
            "epcisBody.eventList[0].epcList[0]",
            "https://id.gs1.org/00/106901234000000001: the SSCC's check digit is 1, not 8.",
        ),
    ],
)
def test_a_document_that_cannot_be_read_is_refused_whole(
    api, person, floor, at_the_door, change, field, message
):  # type: ignore[no-untyped-def]
    unit_a = at_the_door["a"][1]
    sent = document(loading(urn(unit_a.sscc)))
    change(sent)
    answer = api(person("integration", floor["wh"])).post(
        "/api/v1/epcis/capture/", sent, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["fields"] == {field: [f"{field}: {message}"]}
    unit_a.refresh_from_db()
    assert unit_a.status == "staged"


def test_an_sscc_reads_the_same_as_a_urn_and_a_digital_link():
    sscc = "169012340000000013"  # extension 1, prefix 6901234, serial 000000001, check 3
    assert sscc_of("urn:epc:id:sscc:6901234.1000000001", "x") == sscc
    assert sscc_of(f"https://id.gs1.org/00/{sscc}", "x") == sscc
    assert sscc_of("urn:epc:id:sgtin:6901234.012345.1", "x") is None
    with pytest.raises(EpcisError):
        sscc_of("urn:epc:id:sscc:6901234.10000001", "x")


def test_only_the_floor_and_its_middleware_send_reads(api, person, floor, at_the_door):
    dispatcher = api(person("dispatcher", floor["wh"]))
    answer = dispatcher.post("/api/v1/epcis/capture/", document(), format="json")
    assert answer.status_code == 403
    assert HandlingUnit.objects.filter(status="loaded").count() == 0


def test_the_dock_sees_the_pallet_stopped_at_its_door(api, client, person, floor, at_the_door):
    unit_b = at_the_door["b"][1]
    api(person("integration", floor["wh"])).post(
        "/api/v1/epcis/capture/", document(loading(urn(unit_b.sscc))), format="json"
    )
    client.force_login(person("operator", floor["wh"]))
    dock = client.get("/floor/?warehouse=BJ&fragment=dock").content.decode()
    card = dock[dock.index('class="card reads-refused"') :]
    assert (
        "Pallets stopped at the door" in card and unit_b.sscc in card and "The wrong truck" in card
    )
