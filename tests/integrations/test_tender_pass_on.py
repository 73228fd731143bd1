"""A load its carrier declines, or does not answer in time, goes on to the next truck free
for it, as the dispatch board would suggest it, of a carrier that has not turned it down:
the dispatcher sees who passed it on and why, the new carrier is tendered it, the one that
let it lapse is told it is withdrawn, and a late answer from it changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from core.exceptions import Conflict
from core.models import Event
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from integrations.models import LoadTender
from integrations.services import (
    load_tender_pass_on,
    load_tenders_issue_due,
    load_tenders_pass_on_due,
)
from shipping import services
from shipping.models import Carrier, Driver, Load, Vehicle
from tests.integrations.test_edi_204_990 import _post, x12
from tests.shipping.helpers import floor_order

SF_TMS = "SFEXPRESSTMS"


def _truck(carrier: Carrier, plate: str, warehouse, kg: int = 2000) -> Vehicle:  # type: ignore[no-untyped-def]
    return Vehicle.objects.create(
        carrier=carrier,
        plate=plate,
        home_warehouse=warehouse,
        capacity_weight_kg=Decimal(kg),
        capacity_volume_l=Decimal(20000),
    )


@pytest.fixture
def guide(floor, tendered):  # type: ignore[no-untyped-def]
    """Beside Deppon's truck (tendered the load): a second Deppon truck, SF Express (EDI ID
    SFEXPRESSTMS) with a truck, and the own fleet's truck with its driver Wang; no tariffs,
    so the own fleet ranks first, then LTL carriers."""
    wh = floor["wh"]
    sf = Carrier.objects.create(code="SFEX", name="SF Express", service_level="ltl", edi_id=SF_TMS)
    own = Carrier.objects.get(code="OWN")
    return {
        "deppon_2": _truck(tendered["carrier"], "京C-DP2", wh),
        "sf": sf,
        "sf_truck": _truck(sf, "京C-SF1", wh),
        "own": own,
        "own_truck": _truck(own, "京A-9", wh),
        "wang": Driver.objects.create(carrier=own, name="Wang", home_warehouse=wh),
    }


def _decline(api, person, floor, load: Load, carrier: str = "DEPPON", tms: str = "DEPPONTMS"):  # type: ignore[no-untyped-def]
    client = api(person("integration", floor["wh"]))
    answer = _post(
        client,
        x12([f"B1*{carrier}*{load.reference}*20261207*D", "V9*REJ*NO DRIVER FREE"], sender=tms),
    )
    assert answer.status_code == 200, answer.json()
    return answer


def test_a_declined_load_goes_to_the_best_truck_free_of_another_carrier(
    api, person, client, floor, tendered, guide
):
    load = tendered["load"]
    load_tenders_issue_due()
    _decline(api, person, floor, load)
    alerts_evaluate()
    assert Alert.objects.filter(rule="tender_declined", resolved_at__isnull=True).exists()

    moved = load_tender_pass_on(load_id=load.pk)

    # Not Deppon's other truck: Deppon declined. The own fleet's, with its driver.
    assert moved is not None
    load.refresh_from_db()
    assert (load.vehicle, load.driver) == (guide["own_truck"], guide["wang"])
    tendered["slot"].refresh_from_db()
    assert tendered["slot"].vehicle == guide["own_truck"]  # the same door and hours
    passed = Event.objects.get(type="load.tender_passed_on")
    assert passed.payload == {
        "load": load.reference,
        "from": "DEPPON",
        "to": "OWN",
        "vehicle": "京A-9",
        "driver": "Wang",
        "why": "declined",
        "reason": "NO DRIVER FREE",
        "tender": "000000001",
        "cost": None,
    }
    assert Event.objects.filter(type="load.vehicle_changed").count() == 1
    # Deppon declined: nothing to withdraw; the own fleet takes no tenders.
    assert load_tenders_issue_due() == 0
    alerts_evaluate()
    assert not Alert.objects.filter(rule="tender_declined", resolved_at__isnull=True).exists()
    # The dispatcher sees who passed it on, and why.
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get("/dispatch/", {"warehouse": floor["wh"].code, "fragment": "board"})
    assert "Passed on: DEPPON declined (NO DRIVER FREE)" in page.content.decode()
    # Done once: the tender open is gone.
    assert load_tender_pass_on(load_id=load.pk) is None


def test_a_carrier_that_lets_its_answer_lapse_is_passed_over_withdrawn_and_answers_too_late(
    api, person, floor, tendered, guide
):
    """The own fleet's truck is busy on another load; SF Express gets the load, then does
    not answer in time either; with no truck left, the load stays on SF for the office."""
    load = tendered["load"]
    busy = services.load_build(
        warehouse=floor["wh"],
        vehicle=guide["own_truck"],
        orders=[floor_order(floor, (floor["rice"], 1), ref="SO-BUSY")],
        actor=None,
    )
    assert busy.status == "planned"
    load_tenders_issue_due()
    _decline(api, person, floor, load)
    assert load_tenders_pass_on_due() == 1
    load.refresh_from_db()
    assert load.vehicle == guide["sf_truck"] and load.driver is None  # SF names its own
    assert load_tenders_issue_due() == 1
    to_sf = LoadTender.objects.latest("pk")
    assert (to_sf.carrier, to_sf.purpose, to_sf.answer) == (guide["sf"], "00", "pending")

    # SF's answer is due, and none came: it lapses only if the load can go elsewhere.
    LoadTender.objects.filter(pk=to_sf.pk).update(
        respond_by=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert load_tenders_pass_on_due() == 0  # Deppon declined, the own truck is busy
    to_sf.refresh_from_db()
    assert to_sf.answer == "pending"
    alerts_evaluate()
    assert Alert.objects.filter(rule="tender_unanswered", resolved_at__isnull=True).exists()

    # The own truck comes free: the load goes on it, SF's tender lapses and is withdrawn.
    services.load_cancel(load=busy, actor=None)
    assert load_tenders_pass_on_due() == 1
    load.refresh_from_db()
    assert load.vehicle == guide["own_truck"]
    to_sf.refresh_from_db()
    assert to_sf.answer == "lapsed"
    assert Event.objects.filter(type="load.tender_passed_on").last().payload["why"] == "lapsed"
    assert load_tenders_issue_due() == 1
    withdrawal = LoadTender.objects.latest("pk")
    assert (withdrawal.carrier, withdrawal.purpose) == (guide["sf"], "01")
    alerts_evaluate()
    assert not Alert.objects.filter(rule="tender_unanswered", resolved_at__isnull=True).exists()

    # SF accepts too late: its tender was withdrawn, and the load stays on the own truck.
    sf = api(person("integration", floor["wh"]))
    late = _post(
        sf,
        x12([f"B1*SFEX*{load.reference}*20261207*A"], sender=SF_TMS, control="000000995"),
    )
    assert late.status_code == 200, late.json()
    assert late.json()["answers"][0]["applied"] is False
    load.refresh_from_db()
    assert load.vehicle == guide["own_truck"]


def test_a_late_answer_to_a_lapsed_tender_is_skipped_saying_why(
    api, person, floor, tendered, guide
):
    """Between passing the load on and the relay sending the withdrawal, the carrier's late
    acceptance is told the tender lapsed."""
    load = tendered["load"]
    services.load_vehicle_change(load=load, vehicle=guide["sf_truck"], driver=None, actor=None)
    load_tenders_issue_due()
    LoadTender.objects.update(respond_by=timezone.now() - datetime.timedelta(minutes=1))
    assert load_tender_pass_on(load_id=load.pk) is not None
    late = _post(
        api(person("integration", floor["wh"])),
        x12([f"B1*SFEX*{load.reference}*20261207*A"], sender=SF_TMS),
    )
    assert late.status_code == 200, late.json()
    (said,) = late.json()["answers"]
    assert said["applied"] is False
    assert said["skipped"].startswith("Tender 000000001 was not answered by ")
    assert said["skipped"].endswith(f"load {load.reference} went to another carrier.")
    assert LoadTender.objects.get(carrier=guide["sf"]).answer == "lapsed"


def test_no_truck_that_takes_the_goods_leaves_the_load_for_the_office(
    api, person, floor, tendered, guide, settings
):
    load = tendered["load"]
    for vehicle in (guide["own_truck"], guide["sf_truck"]):
        vehicle.capacity_weight_kg = Decimal("0.1")  # too small for two teas
        vehicle.save()
    load_tenders_issue_due()
    _decline(api, person, floor, load)
    assert load_tender_pass_on(load_id=load.pk) is None
    load.refresh_from_db()
    assert load.vehicle == tendered["truck"]
    assert not Event.objects.filter(type__in=["load.tender_passed_on", "load.vehicle_changed"])
    alerts_evaluate()
    assert Alert.objects.filter(rule="tender_declined", resolved_at__isnull=True).exists()


def test_switched_off_the_office_chooses(api, person, floor, tendered, guide, settings):
    settings.HANDOFF_TENDER_PASS_ON = False
    load_tenders_issue_due()
    _decline(api, person, floor, tendered["load"])
    assert load_tenders_pass_on_due() == 0
    assert load_tender_pass_on(load_id=tendered["load"].pk) is None
    tendered["load"].refresh_from_db()
    assert tendered["load"].vehicle == tendered["truck"]


def test_a_load_moved_by_someone_meanwhile_is_left_where_they_put_it(floor, tendered, guide):
    load = tendered["load"]
    services.load_vehicle_change(load=load, vehicle=guide["sf_truck"], driver=None, actor=None)
    with pytest.raises(Conflict) as refused:
        services.load_vehicle_change(
            load=load,
            vehicle=guide["own_truck"],
            driver=None,
            actor=None,
            was=tendered["truck"],
        )
    assert refused.value.code == "moved"
    assert refused.value.message == f"Load {load.reference} went on 京C-SF1 meanwhile."
    load.refresh_from_db()
    assert load.vehicle == guide["sf_truck"]


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="on the real stack a worker runs the task")
def test_the_relay_publishing_a_decline_passes_the_load_on(
    api, person, floor, tendered, guide, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from integrations.relay import events_publish

    load_tenders_issue_due()
    _decline(api, person, floor, tendered["load"])
    with django_capture_on_commit_callbacks(execute=True):
        events_publish()
    tendered["load"].refresh_from_db()
    assert tendered["load"].vehicle == guide["own_truck"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_a_late_acceptance_and_the_pass_on_at_once_agree(floor, tendered, guide):
    """The carrier's 990 accepting and beat's sweep passing the lapsed tender on, at once:
    either the acceptance came first and the load stays, or the load went on and the
    tender lapsed; never a load moved away from an acceptance."""
    from integrations.edi.tender_response import tender_responses
    from integrations.edi.x12 import interchange_read
    from integrations.services import AnswerFor, tender_responses_record
    from tests.shipping.helpers import at_once

    load = tendered["load"]
    load_tenders_issue_due()
    LoadTender.objects.update(respond_by=timezone.now() - datetime.timedelta(minutes=1))
    tender = LoadTender.objects.get()
    text = x12([f"B1*DEPPON*{load.reference}*20261207*A"])
    interchange = interchange_read(text)

    def accept() -> None:
        (said,) = tender_responses(interchange.groups[0])
        tender_responses_record(
            interchange=interchange,
            digest="late-accept",
            answers=[AnswerFor(response=said, tender=tender)],
            actor=None,
        )

    def pass_on() -> None:
        load_tender_pass_on(load_id=load.pk)

    assert sorted(at_once(accept, pass_on)) == ["done", "done"]
    tender.refresh_from_db()
    load.refresh_from_db()
    if tender.answer == "accepted":
        assert load.vehicle == tendered["truck"]
        assert not Event.objects.filter(type="load.tender_passed_on").exists()
    else:
        assert tender.answer == "lapsed"
        assert load.vehicle == guide["own_truck"]
        assert not Event.objects.filter(type="load.tender_accepted").exists()


def test_the_kpi_board_scores_each_carrier_on_its_loads_and_its_answers(
    api, person, client, floor, tendered, guide
):
    """Deppon declined its tender; the own fleet took the load. The manager sees it per
    carrier, on the board and through the API."""
    load_tenders_issue_due()
    _decline(api, person, floor, tendered["load"])
    load_tender_pass_on(load_id=tendered["load"].pk)
    manager = person("manager", floor["wh"])
    got = api(manager).get("/api/v1/kpis/", {"warehouse": floor["wh"].code})
    assert got.status_code == 200, got.json()
    (deppon,) = [c for c in got.json()["carriers"] if c["carrier"] == "DEPPON"]
    assert (deppon["name"], deppon["loads"], deppon["tenders"]) == ("Deppon", 0, 1)
    assert (deppon["accepted"], deppon["declined"], deppon["lapsed"]) == (0.0, 1.0, 0.0)
    assert deppon["answer_min"] is not None
    client.force_login(manager)
    page = client.get("/kpis/", {"warehouse": floor["wh"].code}).content.decode()
    assert 'data-carrier="DEPPON"' in page and "Accepted · declined · lapsed" in page
