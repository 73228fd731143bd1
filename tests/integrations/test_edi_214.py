"""A parcel carrier's system sends its statuses as X12 214s: by the waybill of each
consignment it reports where the goods are, their arrival, who signed for them, and its
own estimate of a late one. Handoff acts on all of an interchange or on none of it, says
why it refused, answers with a 997, and never acts twice on one sent again."""

import datetime
from decimal import Decimal

import pytest

from core.models import Event
from integrations.edi.x12 import X12Error, interchange_read
from integrations.models import EdiInterchange
from shipping import services
from shipping.models import TrackingEvent
from tests.shipping.test_routing import _local

NEAR, FAR = "SF140200000001", "SF140200000002"


def x12(*sets: list[str], control: str = "000000905", usage: str = "P", group: str = "QM") -> str:
    """An interchange from SF (ISA06 SFEX) of these 214s, each a list of its segments between
    ST and SE, with its envelopes' counts and control numbers right; one segment a line."""
    isa = (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*02*{'SFEX':<15}*ZZ*{'HANDOFF':<15}*261206*0930*U*00401*"
        f"{control}*0*{usage}*>~"
    )
    assert len(isa) == 106
    lines = [isa, f"GS*{group}*SFEX*HANDOFF*20261206*0930*77*X*004010~"]
    for n, segments in enumerate(sets, start=1):
        st = f"{n:04d}"
        lines += [f"ST*214*{st}~", *(f"{s}~" for s in segments), f"SE*{len(segments) + 2}*{st}~"]
    lines += [f"GE*{len(sets)}*77~", f"IEA*1*{control}~"]
    return "\n".join(lines) + "\n"


def _day(warehouse, days: int) -> str:  # type: ignore[no-untyped-def]
    return (warehouse.today() + datetime.timedelta(days=days)).strftime("%Y%m%d")


@pytest.fixture
def waybilled(floor, collected_two_days_ago):  # type: ignore[no-untyped-def]
    """The parcel truck's shipment of two days ago, its stops under SF's waybills."""
    shipment, _truck = collected_two_days_ago
    near, far = shipment.stops.order_by("sequence")
    services.stop_waybill_record(stop=near, waybill=NEAR, actor=None)
    services.stop_waybill_record(stop=far, waybill=FAR, actor=None)
    return shipment, near, far


def _day_of(floor, waybilled):  # type: ignore[no-untyped-def]
    """SF's day, yesterday: the near shop's goods through Tianjin, there at 08:40, signed
    for at 09:05 by Li Ming; the far shop shut at 13:40, tried again tomorrow at 10:00. Two
    statuses Handoff does not act on: an appointment, and a code it does not read."""
    bj = floor["wh"]
    yesterday = _day(bj, -1)
    return x12(
        [
            f"B10*{NEAR}*SH-1*SF",
            "LX*1",
            f"AT7*X6*NS***{yesterday}*0600*LT",
            "MS1*TIANJIN*TJ*CN",
            "LX*2",
            f"AT7*X1*NS***{yesterday}*0840*LT",
            "LX*3",
            f"AT7*D1*NS***{yesterday}*0905*LT",
            "K1*LI MING",
        ],
        [
            "B10*sf 1402 0000 0002*SH-1*SF",
            "LX*1",
            f"AT7*AP*AD***{yesterday}*1340*LT",
            "K1*SHOP CLOSED ON ARRIVAL",
            f"AT7***AB*NS*{yesterday}*1400*LT",
            f"AT7*XB*NS***{yesterday}*1400*LT",
            "LX*2",
            f"AT7*AG*NS***{_day(bj, 1)}*1000*LT",
        ],
    )


def test_the_carrier_s_day_comes_in_as_a_214_and_is_acted_on_in_the_order_sent(
    api, person, floor, waybilled
):
    shipment, near, far = waybilled
    bj = floor["wh"]
    carrier = api(person("integration", bj))
    answer = carrier.post("/api/v1/edi/214/", _day_of(floor, waybilled), content_type="text/plain")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["interchange"], body["sender"], body["test"], body["replayed"]) == (
        "000000905",
        "SFEX",
        False,
        False,
    )
    assert [(s["code"], s["stop"], s["applied"]) for s in body["statuses"]] == [
        ("X6", 1, True),
        ("X1", 1, True),
        ("D1", 1, True),
        ("AP", 2, True),
        ("", None, False),
        ("XB", None, False),
        ("AG", 2, True),
    ]
    assert body["statuses"][5]["skipped"] == "Status XB is not one Handoff acts on."
    near.refresh_from_db()
    assert (near.status, near.arrived_at, near.delivered_at, near.receiver_name) == (
        "delivered",
        _local(bj, 8, 40, days=-1),
        _local(bj, 9, 5, days=-1),
        "LI MING",
    )
    far.refresh_from_db()
    assert far.status == "pending"
    assert far.eta == _local(bj, 10, days=1)  # the carrier's estimate
    tracked = list(
        TrackingEvent.objects.filter(shipment=shipment, source="edi214")
        .order_by("pk")
        .values_list("status", "place", "note")
    )
    assert tracked[0] == ("position", "TIANJIN, TJ, CN", "EDI 214 X6/NS")
    assert ("exception", "", "EDI 214 AP/AD · SHOP CLOSED ON ARRIVAL") in tracked
    assert tracked[-1][0] == "delayed"
    # The 997 acknowledges both 214s of the group, accepted.
    ack = body["acknowledgment"]
    assert ack.startswith("ISA*00*")
    assert "GS*FA*HANDOFF*SFEX*" in ack
    assert "AK1*QM*77~" in ack
    assert "AK2*214*0001~\nAK5*A~\nAK2*214*0002~\nAK5*A~\nAK9*A*2*2*2~" in ack
    interchange_read(ack)  # a well-formed interchange itself
    received = Event.objects.get(type="edi.received")
    assert received.payload == {
        "sender": "02:SFEX",
        "interchange": "000000905",
        "kind": "214",
        "applied": 5,
        "skipped": 2,
        "test": False,
    }
    assert received.warehouse_id == bj.pk


def test_an_interchange_sent_again_gets_the_same_answer_and_nothing_is_done_twice(
    api, person, floor, waybilled
):
    carrier = api(person("integration", floor["wh"]))
    sent = _day_of(floor, waybilled)
    first = carrier.post("/api/v1/edi/214/", sent, content_type="application/edi-x12")
    assert first.status_code == 200, first.content
    others = Event.objects.exclude(type="edi.refused")  # the refusal below is kept
    tracked, events = TrackingEvent.objects.count(), others.count()
    again = carrier.post("/api/v1/edi/214/", sent, content_type="application/edi-x12")
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    # Another interchange under the same control number: refused, nothing done.
    other = sent.replace("1340", "1341")
    refused = carrier.post("/api/v1/edi/214/", other, content_type="application/edi-x12")
    assert refused.status_code == 409
    assert refused.json()["code"] == "interchange_received"
    assert list(refused.json()["fields"]) == ["ISA13"]
    assert (TrackingEvent.objects.count(), others.count()) == (tracked, events)
    assert EdiInterchange.objects.count() == 1


def test_a_test_interchange_is_checked_all_the_way_and_undone(api, person, floor, waybilled):
    _shipment, near, _far = waybilled
    carrier = api(person("integration", floor["wh"]))
    tracked, events = TrackingEvent.objects.count(), Event.objects.count()
    answer = carrier.post(
        "/api/v1/edi/214/",
        _day_of(floor, waybilled).replace("*0*P*>~", "*0*T*>~"),
        content_type="text/plain",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["test"] is True
    assert "*0*T*>~" in answer.json()["acknowledgment"]
    near.refresh_from_db()
    assert near.status == "pending"
    assert (TrackingEvent.objects.count(), Event.objects.count()) == (tracked, events)
    assert not EdiInterchange.objects.exists()


def _refused(client, sent: str) -> dict:  # type: ignore[no-untyped-def]
    """The answer to a refused interchange, of which nothing was written but its refusal."""
    others = Event.objects.exclude(type="edi.refused")
    tracked, events = TrackingEvent.objects.count(), others.count()
    answer = client.post("/api/v1/edi/214/", sent, content_type="text/plain")
    assert answer.status_code == 400, answer.content
    assert (TrackingEvent.objects.count(), others.count()) == (tracked, events)
    assert not EdiInterchange.objects.exists()
    return answer.json()


def test_a_fault_anywhere_refuses_the_whole_interchange_naming_the_segment(
    api, person, network, floor, waybilled
):
    bj = floor["wh"]
    carrier = api(person("integration", bj))
    yesterday = _day(bj, -1)
    good = [f"B10*{NEAR}*SH-1*SF", "LX*1", f"AT7*X1*NS***{yesterday}*0840*LT"]

    miscounted = x12(good).replace("SE*5*0001", "SE*4*0001")
    said = _refused(carrier, miscounted)
    assert said["message"] == "segment 7 (SE) SE01: Says 4; there are 5."
    assert list(said["fields"]) == ["segment 7 (SE) SE01"]
    in_chinese = carrier.post(
        "/api/v1/edi/214/", miscounted, content_type="text/plain", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()
    assert in_chinese["message"] == "segment 7 (SE) SE01: 写的是 4，实际有 5。"
    assert list(in_chinese["fields"]) == ["segment 7 (SE) SE01"]  # the same key for code

    unknown = _refused(carrier, x12(["B10*SF999999*SH-1*SF", *good[1:]]))
    assert unknown["message"] == (
        "ST 0001, LX 1 B10-01: no stop of carrier SF has waybill SF999999."
    )
    # The good status before a bad one is not kept either.
    unsigned = _refused(
        carrier, x12(good, [f"B10*{FAR}*SH-1*SF", "LX*1", f"AT7*D1*NS***{yesterday}*1330*LT"])
    )
    assert unsigned["message"] == (
        "ST 0002, LX 1, segment 11 (AT7): A delivery (D1) names who signed for it in a K1 "
        "of its LX loop."
    )
    baddate = _refused(
        carrier, x12([f"B10*{NEAR}*SH-1*SF", "LX*1", "AT7*X1*NS***20261332*0840*LT"])
    )
    assert baddate["message"] == "segment 6 (AT7) AT705: Not a date (CCYYMMDD): 20261332"
    future = _refused(
        carrier, x12([f"B10*{NEAR}*SH-1*SF", "LX*1", f"AT7*X1*NS***{_day(bj, 2)}*0840*LT"])
    )
    assert future["message"].endswith("A tracking event cannot be in the future.")
    assert _refused(carrier, x12(good, group="SH"))["message"] == (
        "GS GS01: Handoff reads carrier shipment statuses (GS01 QM), not SH."
    )
    assert _refused(carrier, "ISA*00*short~")["message"] == (
        "ISA: The ISA is 13 characters long, not 106."
    )
    # Tianjin's people know no Beijing waybill.
    tianjin = api(person("integration", network["TJ"][0]))
    assert "no stop of carrier SF has waybill" in _refused(tianjin, x12(good))["message"]
    # The floor does not speak for the carrier.
    operator = api(floor["operator"])
    assert operator.post("/api/v1/edi/214/", x12(good), content_type="text/plain").status_code == (
        403
    )


def test_an_interchange_s_envelopes_are_read_as_the_isa_says():
    """Delimiters are whatever the ISA uses; counts and control numbers must agree."""
    sent = x12(["B10*X1*SH*SF", "LX*1"]).replace("*", "|").replace("~", "\x85")
    interchange = interchange_read(sent.replace("|>\x85", "|^\x85", 1))
    assert interchange.separators == ("|", "^", "\x85")
    assert [(g.code, g.control, [t.control for t in g.sets]) for g in interchange.groups] == [
        ("QM", "77", ["0001"])
    ]
    with pytest.raises(X12Error) as refused:
        interchange_read(x12([]).replace("IEA*1*000000905", "IEA*1*000000906"))
    assert refused.value.field == "segment 6 (IEA) IEA02"
    with pytest.raises(X12Error, match="Nothing may follow the IEA"):
        interchange_read(x12([]) + "GS*QM~")


def test_places_coordinates_and_zones_are_read_as_x12_writes_them():
    """MS1's longitude (DDDMMSS) and latitude (DDMMSS) with their directions; AT7-07's zone,
    the warehouse's clock without one."""
    from integrations.edi.carrier_status import carrier_statuses

    (group,) = interchange_read(
        x12(
            [
                "B10*SF1*SH*SF",
                "LX*1",
                "AT7*X6*NS***20261205*2330*UT",
                "MS1****1212800*311400*E*N",
                "AT7*X4*NS***20261206*0815",
                "MS1*SAO PAULO*SP*BR*0463800*233300*W*S",
            ]
        )
    ).groups
    hub, terminal = carrier_statuses(group)
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    assert (hub.longitude, hub.latitude, hub.place) == (
        Decimal("121.466667"),
        Decimal("31.233333"),
        "",
    )
    assert hub.moment(shanghai) == datetime.datetime(2026, 12, 5, 23, 30, tzinfo=datetime.UTC)
    assert (terminal.longitude, terminal.latitude, terminal.place) == (
        Decimal("-46.633333"),
        Decimal("-23.550000"),
        "SAO PAULO, SP, BR",
    )
    assert terminal.moment(shanghai) == datetime.datetime(2026, 12, 6, 8, 15, tzinfo=shanghai)
    with pytest.raises(X12Error) as refused:
        carrier_statuses(
            interchange_read(
                x12(
                    [
                        "B10*SF1*SH*SF",
                        "LX*1",
                        "AT7*X6*NS***20261205*2330",
                        "MS1****1216000*311400*E*N",
                    ]
                )
            ).groups[0]
        )
    assert (refused.value.field, refused.value.message) == (
        "segment 7 (MS1) MS104",
        "Not degrees, minutes and seconds: 1216000",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_one_interchange_sent_twice_at_once_is_acted_on_once(floor, waybilled):
    from integrations.edi.carrier_status import carrier_statuses
    from integrations.services import StatusFor, carrier_statuses_record
    from shipping.selectors import stop_by_waybill
    from tests.shipping.helpers import at_once

    bj = floor["wh"]
    sent = x12([f"B10*{NEAR}*SH-1*SF", "LX*1", f"AT7*X1*NS***{_day(bj, -1)}*0840*LT"])
    interchange = interchange_read(sent)
    (status,) = carrier_statuses(interchange.groups[0])
    stop = stop_by_waybill(carrier="SF", waybill=NEAR, warehouse_ids=[bj.pk])

    def send():  # type: ignore[no-untyped-def]
        return lambda: carrier_statuses_record(
            interchange=interchange,
            digest="d" * 64,
            statuses=[StatusFor(status, stop)],
            actor=None,
        )

    outcomes = at_once(send(), send())
    assert sorted(outcomes) in (["done", "done"], ["done", "interchange_received"])
    assert TrackingEvent.objects.filter(source="edi214").count() == 1
    assert EdiInterchange.objects.count() == 1


def test_the_office_is_told_while_a_carrier_s_214s_are_refused(api, person, floor, waybilled):
    """A carrier's feed that fails says so on the dispatch board, not only to the carrier's
    system; the next interchange taken from it clears the alert."""
    from dashboards.models import Alert
    from dashboards.services import alerts_evaluate
    from integrations.models import EdiRefusal

    bj = floor["wh"]
    carrier = api(person("integration", bj))
    status = f"AT7*X6*NS***{_day(bj, -1)}*0600*LT"
    unknown = x12(["B10*SF999999*SH-1*SF", "LX*1", status], control="000000001")
    assert _refused(carrier, unknown)["message"].endswith("waybill SF999999.")
    # A test interchange's refusal alerts nobody.
    _refused(carrier, x12(["B10*SF999999*SH-1*SF", "LX*1", status], usage="T"))
    (refusal,) = EdiRefusal.objects.all()
    assert (refusal.sender, refusal.control_number, [w.pk for w in refusal.warehouses.all()]) == (
        "02:SFEX",
        "000000001",
        [bj.pk],
    )
    assert Event.objects.get(type="edi.refused").payload["sender"] == "02:SFEX"
    alerts_evaluate()
    alert = Alert.objects.get(rule="integration_failure", status="open")
    assert (alert.warehouse_id, alert.department) == (bj.pk, "logistics")
    assert alert.message.startswith("EDI from SFEX is refused since ")
    assert alert.message.endswith(
        "so its tracking is not coming in: ST 0001, LX 1 B10-01: no stop of carrier SF has "
        "waybill SF999999."
    )
    taken = carrier.post(
        "/api/v1/edi/214/",
        x12([f"B10*{NEAR}*SH-1*SF", "LX*1", status], control="000000002"),
        content_type="text/plain",
    )
    assert taken.status_code == 200, taken.content
    alerts_evaluate()
    alert.refresh_from_db()
    assert alert.status == "resolved"
