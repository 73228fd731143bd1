"""A carrier that speaks X12 is tendered the loads planned on its trucks as 204s: the
pickup at its dock slot, the stops in the order the truck will drive them, with their
orders, weights and windows. A change to the load is sent as a change, a load taken away
as a withdrawal. The carrier answers with 990s: accepted, or declined with why, which the
dispatch office sees as an alert."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Event
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from integrations.edi.x12 import interchange_read
from integrations.models import LoadTender
from integrations.services import edi_out_issue_due, load_tenders_issue_due
from shipping import services
from shipping.models import Dock, Vehicle
from tests.shipping.helpers import floor_order

TMS = "DEPPONTMS"


def x12(*sets: list[str], control: str = "000000990", usage: str = "P", sender=TMS) -> str:  # type: ignore[no-untyped-def]
    """An interchange from the carrier's TMS of these 990s, each a list of its segments
    between ST and SE, with its envelopes' counts and control numbers right."""
    isa = (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{sender:<15}*ZZ*{'HANDOFF':<15}*261207*0900*U*"
        f"00401*{control}*0*{usage}*>~"
    )
    assert len(isa) == 106
    lines = [isa, f"GS*GF*{sender}*HANDOFF*20261207*0900*5*X*004010~"]
    for n, segments in enumerate(sets, start=1):
        st = f"{n:04d}"
        lines += [f"ST*990*{st}~", *(f"{s}~" for s in segments), f"SE*{len(segments) + 2}*{st}~"]
    lines += [f"GE*{len(sets)}*5~", f"IEA*1*{control}~"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def tendered(floor):  # type: ignore[no-untyped-def]
    """Deppon (EDI ID DEPPONTMS) and its truck, with a load of two teas for the Beijing shop
    booked at door D1 tomorrow 10:00-10:30 (Beijing time)."""
    from shipping.models import Carrier

    deppon = Carrier.objects.create(code="DEPPON", name="Deppon", service_level="ltl", edi_id=TMS)
    truck = Vehicle.objects.create(
        carrier=deppon,
        plate="京C-DP1",
        home_warehouse=floor["wh"],
        capacity_weight_kg=Decimal(2000),
        capacity_volume_l=Decimal(20000),
    )
    order = floor_order(floor, (floor["tea"], 2), ref="SO-204")
    load = services.load_build(warehouse=floor["wh"], vehicle=truck, orders=[order], actor=None)
    zone = floor["wh"].zone()
    day = floor["wh"].today() + datetime.timedelta(days=1)
    starts = datetime.datetime.combine(day, datetime.time(10), zone)
    appointment = services.appointment_book(
        dock=Dock.objects.create(warehouse=floor["wh"], code="D1"),
        vehicle=truck,
        load=load,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(minutes=30),
        actor=None,
    )
    return {"carrier": deppon, "truck": truck, "order": order, "load": load, "slot": appointment}


def _segments(document: str) -> list[tuple[str, ...]]:
    interchange = interchange_read(document)
    return [(s.tag, *s.elements) for s in interchange.groups[0].sets[0].segments]


def test_a_load_on_a_carrier_s_truck_is_tendered_once_with_its_slot_and_stops(
    api, person, floor, tendered
):
    assert load_tenders_issue_due() == 1
    assert load_tenders_issue_due() == 0  # nothing changed: nothing sent again
    tender = LoadTender.objects.get()
    interchange = interchange_read(tender.document)
    assert (interchange.sender, interchange.receiver, interchange.control) == (
        "HANDOFF",
        TMS,
        "000000001",
    )
    assert interchange.groups[0].code == "SM"
    load, shop = tendered["load"], floor["shop"][1]
    day = floor["wh"].today() + datetime.timedelta(days=1)
    segments = _segments(tender.document)
    ymd = f"{day:%Y%m%d}"
    assert segments[:3] == [
        ("B2", "", "DEPPON", "", load.reference, "", "PP"),
        ("B2A", "00", "LT"),
        ("L11", load.reference, "SI"),
    ]
    # The answer is due within the hour (the slot starts later).
    respond_by = tender.respond_by.astimezone(floor["wh"].zone())
    assert segments[3] == ("G62", "64", f"{respond_by:%Y%m%d}", "1", f"{respond_by:%H%M}")
    assert tender.respond_by - tender.issued_at == datetime.timedelta(minutes=60)
    assert segments[4] == ("N7", "", "京C-DP1", *[""] * 8, "TV")
    # The pickup at the slot, then the shop with its order on the day the truck gets there.
    stops = segments[5:]
    assert stops[0][:3] == ("S5", "1", "LD")
    assert stops[1:3] == [("G62", "37", ymd, "G", "1000"), ("G62", "38", ymd, "K", "1030")]
    assert stops[3] == ("N1", "SF", floor["wh"].name, "93", floor["wh"].code)
    (deliver,) = [s for s in stops if s[0] == "S5" and s[2] == "UL"]
    weight = 2 * floor["tea"].weight_kg
    assert deliver[:5] == ("S5", "2", "UL", f"{weight.quantize(Decimal('1'))}", "K")
    assert ("L11", "SO-204", "CO") in stops
    opens, closes = shop.window_opens, shop.window_closes
    assert ("G62", "53", ymd, "X", f"{opens:%H%M}") in stops
    assert ("G62", "54", ymd, "Z", f"{closes:%H%M}") in stops
    assert ("N1", "ST", shop.name, "93", shop.code) in stops
    assert stops[-1][:3] == ("L3", f"{weight.quantize(Decimal('1'))}", "G")
    sent = Event.objects.get(type="edi.sent")
    assert sent.payload["kind"] == "204"
    assert (sent.payload["load"], sent.payload["purpose"]) == (load.reference, "tender")
    assert sent.payload["document"] == tender.document
    office = api(person("dispatcher", floor["wh"]))
    got = office.get(f"/api/v1/loads/{load.pk}/edi/204/")
    assert got.status_code == 200
    assert got.content.decode() == tender.document


def test_nothing_is_tendered_to_a_carrier_without_edi_or_a_load_without_a_slot(floor, tendered):
    tendered["carrier"].edi_id = ""
    tendered["carrier"].save()
    assert edi_out_issue_due() == 0
    tendered["carrier"].edi_id = TMS
    tendered["carrier"].save()
    services.appointment_cancel(appointment=tendered["slot"], actor=None)
    assert edi_out_issue_due() == 0
    assert not LoadTender.objects.exists()


def test_a_change_is_sent_as_a_change_and_a_load_taken_away_as_a_withdrawal(floor, tendered):
    load_tenders_issue_due()
    slot = tendered["slot"]
    services.appointment_move(
        appointment=slot,
        starts_at=slot.starts_at + datetime.timedelta(hours=2),
        ends_at=slot.ends_at + datetime.timedelta(hours=2),
        actor=None,
    )
    assert load_tenders_issue_due() == 1
    change = LoadTender.objects.latest("pk")
    assert change.purpose == "04"
    segments = _segments(change.document)
    assert segments[1] == ("B2A", "04", "LT")
    assert [s[4] for s in segments if s[:2] == ("G62", "37")] == ["1200"]
    assert change.answer == "pending"
    # Another order on the load: a change again.
    more = floor_order(floor, (floor["rice"], 1), ref="SO-204-B")
    services.load_order_add(load=tendered["load"], order=more, actor=None)
    assert load_tenders_issue_due() == 1
    assert ("L11", "SO-204-B", "CO") in _segments(LoadTender.objects.latest("pk").document)
    # The load goes to the own fleet's van: Deppon is told it is withdrawn, as last tendered.
    last = LoadTender.objects.latest("pk")
    services.load_vehicle_change(
        load=tendered["load"], vehicle=floor["van"], driver=None, actor=None
    )
    assert load_tenders_issue_due() == 1
    withdrawal = LoadTender.objects.latest("pk")
    assert (withdrawal.purpose, withdrawal.answer) == ("01", "withdrawn")
    assert withdrawal.segments == last.segments
    assert _segments(withdrawal.document)[1] == ("B2A", "01", "LT")
    assert not [s for s in _segments(withdrawal.document) if s[:2] == ("G62", "64")]
    assert load_tenders_issue_due() == 0
    numbers = list(LoadTender.objects.order_by("pk").values_list("control_number", flat=True))
    assert numbers == ["000000001", "000000002", "000000003", "000000004"]


def test_a_cancelled_load_is_withdrawn_from_its_carrier(floor, tendered):
    load_tenders_issue_due()
    services.load_cancel(load=tendered["load"], actor=None)
    assert load_tenders_issue_due() == 1
    assert LoadTender.objects.latest("pk").purpose == "01"
    assert load_tenders_issue_due() == 0


def _post(client, text: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/edi/990/", text, content_type="application/edi-x12")


def test_the_carrier_accepts_and_the_office_sees_it(api, person, floor, tendered):
    load_tenders_issue_due()
    load = tendered["load"]
    tms = api(person("integration", floor["wh"]))
    answer = _post(tms, x12([f"B1*DEPPON*{load.reference}*20261207*A", "N9*CN*DP-778812"]))
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["answers"] == [
        {
            "where": "ST 0001",
            "carrier": "DEPPON",
            "load": load.reference,
            "answer": "accepted",
            "tender": "000000001",
            "applied": True,
            "skipped": "",
        }
    ]
    assert body["acknowledgment"].startswith("ISA*00*")
    tender = LoadTender.objects.get()
    assert tender.answer == "accepted"
    accepted = Event.objects.get(type="load.tender_accepted")
    assert accepted.payload["reference"] == "DP-778812"
    # The same interchange again: the same answer, nothing done again.
    again = _post(tms, x12([f"B1*DEPPON*{load.reference}*20261207*A"]))
    assert again.status_code == 409  # same control number, other contents
    replay = _post(tms, x12([f"B1*DEPPON*{load.reference}*20261207*A", "N9*CN*DP-778812"]))
    assert replay.json()["replayed"] is True
    assert Event.objects.filter(type="load.tender_accepted").count() == 1
    # Accepted, it is not declined by EDI: the carrier calls the office.
    declined = _post(tms, x12([f"B1*DEPPON*{load.reference}*20261207*D"], control="000000991"))
    assert declined.status_code == 409
    assert list(declined.json()["fields"]) == ["ST 0001, segment 4 (B1) B104"]
    assert LoadTender.objects.get().answer == "accepted"


def test_a_decline_is_an_alert_for_dispatch_until_the_load_is_tendered_again(
    api, person, floor, tendered
):
    load_tenders_issue_due()
    load = tendered["load"]
    tms = api(person("integration", floor["wh"]))
    answer = _post(
        tms,
        x12([f"B1*DEPPON*{load.reference}*20261207*D", "V9*REJ*NO EQUIPMENT******A1"]),
    )
    assert answer.status_code == 200, answer.json()
    tender = LoadTender.objects.get()
    assert (tender.answer, tender.reason) == ("declined", "NO EQUIPMENT (A1)")
    alerts_evaluate()
    alert = Alert.objects.get(rule="tender_declined", resolved_at__isnull=True)
    assert alert.warehouse == floor["wh"]
    assert load.reference in alert.message and "NO EQUIPMENT" in alert.message
    assert load_tenders_issue_due() == 0  # not offered to it again as it was
    # The dispatcher moves the slot: Deppon is offered the load anew, and the alert clears.
    slot = tendered["slot"]
    services.appointment_move(
        appointment=slot,
        starts_at=slot.starts_at + datetime.timedelta(hours=3),
        ends_at=slot.ends_at + datetime.timedelta(hours=3),
        actor=None,
    )
    assert load_tenders_issue_due() == 1
    assert LoadTender.objects.latest("pk").purpose == "00"
    alerts_evaluate()
    assert not Alert.objects.filter(rule="tender_declined", resolved_at__isnull=True).exists()


def test_an_unanswered_tender_is_an_alert_once_its_answer_is_due(floor, tendered):
    load_tenders_issue_due()
    alerts_evaluate()
    assert not Alert.objects.filter(rule="tender_unanswered").exists()
    LoadTender.objects.update(respond_by=timezone.now() - datetime.timedelta(minutes=1))
    alerts_evaluate()
    alert = Alert.objects.get(rule="tender_unanswered", resolved_at__isnull=True)
    assert tendered["load"].reference in alert.message


def test_a_990_is_refused_whole_naming_what_is_wrong(api, person, floor, tendered):
    load_tenders_issue_due()
    load = tendered["load"]
    tms = api(person("integration", floor["wh"]))
    cases = [
        (x12([f"B1*DEPPON*{load.reference}*20261207*X"]), "segment 4 (B1) B104"),
        (x12(["B1*DEPPON*L-NONE*20261207*A"]), "ST 0001, segment 4 (B1) B102"),
        (x12([f"B1*SFEX*{load.reference}*20261207*A"]), "ST 0001, segment 4 (B1) B102"),
        (x12([f"B1*DEPPON*{load.reference}*20261207*A"], sender="OTHERTMS"), "ISA06"),
        (x12(["N9*CN*1"]), "segment 3 (ST)"),
    ]
    for n, (text, field) in enumerate(cases):
        refused = _post(tms, text.replace("000000990", f"00000099{n}"))
        assert refused.status_code == 400, (field, refused.json())
        assert list(refused.json()["fields"]) == [field], refused.json()
    assert LoadTender.objects.get().answer == "pending"
    assert not Event.objects.filter(type__startswith="load.tender_").exists()


def test_a_load_never_tendered_has_no_204(api, person, floor):
    order = floor_order(floor, (floor["tea"], 1), ref="SO-NO-204")
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=[order], actor=None
    )
    got = api(person("dispatcher", floor["wh"])).get(f"/api/v1/loads/{load.pk}/edi/204/")
    assert got.status_code == 404
    assert got.json()["message"] == f"No load tender (EDI 204) was sent for load {load.reference}."


def test_the_dispatch_board_says_what_the_carrier_answered(client, person, floor, tendered):
    load_tenders_issue_due()
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get("/dispatch/", {"warehouse": floor["wh"].code, "fragment": "board"})
    assert "Tendered to DEPPON, answer by" in page.content.decode()
    tender = LoadTender.objects.get()
    tender.answer, tender.reason = "declined", "NO DRIVER FREE"
    tender.save()
    page = client.get("/dispatch/", {"warehouse": floor["wh"].code, "fragment": "board"})
    assert "DEPPON declined: NO DRIVER FREE" in page.content.decode()


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="on the real stack a worker runs the task")
def test_the_relay_publishing_a_booked_slot_tenders_the_load(
    floor, tendered, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from integrations.relay import events_publish

    with django_capture_on_commit_callbacks(execute=True):
        events_publish()
    assert LoadTender.objects.filter(load=tendered["load"], purpose="00").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_a_load_tendered_twice_at_once_is_tendered_once(floor, tendered):
    """The relay's listener and beat's sweep at once: one 204, under one control number."""
    from integrations.services import load_tender_issue
    from tests.shipping.helpers import at_once

    issue = lambda: load_tender_issue(load_id=tendered["load"].pk)  # noqa: E731
    assert at_once(issue, issue) == ["done", "done"]
    assert LoadTender.objects.count() == 1
    assert Event.objects.filter(type="edi.sent").count() == 1


def test_a_declined_load_given_to_the_own_fleet_clears_the_alert_and_tells_the_carrier_nothing(
    api, person, floor, tendered
):
    load_tenders_issue_due()
    tms = api(person("integration", floor["wh"]))
    _post(tms, x12([f"B1*DEPPON*{tendered['load'].reference}*20261207*D"]))
    alerts_evaluate()
    assert Alert.objects.filter(rule="tender_declined", resolved_at__isnull=True).exists()
    services.load_vehicle_change(
        load=tendered["load"], vehicle=floor["van"], driver=None, actor=None
    )
    assert load_tenders_issue_due() == 0  # it declined: nothing to withdraw
    alerts_evaluate()
    assert not Alert.objects.filter(rule="tender_declined", resolved_at__isnull=True).exists()


def test_once_the_truck_has_checked_in_its_tender_stands_as_it_was(floor, tendered):
    load_tenders_issue_due()
    services.vehicle_check_in(appointment=tendered["slot"], actor=None)
    more = floor_order(floor, (floor["rice"], 1), ref="SO-204-LATE")
    services.load_order_add(load=tendered["load"], order=more, actor=None)
    assert load_tenders_issue_due() == 0
    assert LoadTender.objects.get().purpose == "00"
