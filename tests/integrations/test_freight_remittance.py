"""The carriers' bills decided (approved as they came, or settled by the office) wait for
their warehouse's daily payment run, which tells each carrier in one X12 820 what of each
bill is paid, and why any less, with the office's note; the office may send them sooner. An
820 the carrier's 997 rejects is sent again under a new number, telling the same."""

import datetime

import pytest

from core.models import Event
from integrations.edi.x12 import interchange_read
from integrations.models import FreightInvoice, FreightRemittance
from integrations.services import payment_run_last, remittances_send, remittances_send_due
from shipping.models import Shipment
from tests.integrations.test_edi_210 import TMS
from tests.integrations.test_edi_997 import _post as post_997
from tests.integrations.test_edi_997 import ack_997
from tests.integrations.test_freight_bills import _billed
from tests.shipping.helpers import at_once

RESEND = "/api/v1/edi/resend/"
RUN = "/api/v1/freight-invoices/payment-run/"


def _segments(document: str) -> list[list[str]]:
    """The 820's segments between ST and SE, each its tag and elements."""
    (group,) = interchange_read(document).groups
    assert group.code == "RA"
    (advice,) = group.sets
    assert advice.code == "820"
    return [[s.tag, *s.elements] for s in advice.segments]


def _820(client, bill) -> str:  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/v1/freight-invoices/{bill.pk}/edi/820/")
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/plain")
    return answer.content.decode()


def _run_after(bill: FreightInvoice) -> datetime.datetime:
    """The first payment run of the bill's warehouse once it was decided."""
    decided = bill.settled_at or bill.received_at
    return payment_run_last(bill.shipment.load.warehouse, decided + datetime.timedelta(days=1))


def _paid(office, floor):  # type: ignore[no-untyped-def]
    """The office sends its warehouse's decided bills now: the 820s that went."""
    answer = office.post(RUN, {"warehouse": floor["wh"].code}, format="json")
    assert answer.status_code == 200, answer.json()
    return answer.json()


def test_a_bill_within_its_tariff_waits_for_the_payment_run_and_goes_paid_as_billed(
    api, person, floor, carried
):
    approved = _billed(api, person, floor, carried, 15200)
    office = api(person("dispatcher", floor["wh"]))
    waiting = office.get(f"/api/v1/freight-invoices/{approved.pk}/edi/820/")
    assert waiting.status_code == 409 and waiting.json()["code"] == "payment_run_next"
    assert "16:00" in waiting.json()["message"]
    run = _run_after(approved)
    assert remittances_send_due(now=run - datetime.timedelta(minutes=1)) == 0
    assert not FreightRemittance.objects.exists()

    assert remittances_send_due(now=run) == 1
    assert remittances_send_due(now=run) == 0  # told once
    document = _820(office, approved)
    interchange = interchange_read(document)
    sent = FreightRemittance.objects.get()
    assert (interchange.sender, interchange.receiver) == ("HANDOFF", TMS)
    assert _segments(document) == [
        ["BPR", "I", "152", "C", "NON", *[""] * 11, f"{run.date():%Y%m%d}"],
        ["TRN", "1", f"RA{sent.pk:09d}"],
        ["CUR", "PR", "CNY"],
        ["N1", "PR", floor["wh"].name, "91", floor["wh"].code],
        ["N1", "PE", "Deppon", "ZZ", "DEPPON"],  # no SCAC: more than four letters
        ["ENT", "1"],
        ["RMR", "IV", "DP-2001", "", "152", "152"],
        ["REF", "SI", carried.load.reference],
        ["DTM", "003", "20261207"],
    ]
    told = Event.objects.get(type="edi.sent", payload__kind="820")
    assert {k: told.payload[k] for k in ("partner", "carrier", "payable", "bills")} == {
        "partner": f"ZZ:{TMS}",
        "carrier": "DEPPON",
        "payable": "152.00",
        "bills": [
            {
                "invoice": "DP-2001",
                "shipment": carried.reference,
                "status": "approved",
                "payable": "152.00",
            }
        ],
    }
    assert told.payload["document"] == document
    listed = office.get(f"/api/v1/freight-invoices/{approved.pk}/").json()
    assert listed["remittance"]["control"] == interchange.control
    assert listed["remittance"]["paid_on"] == f"{run.date():%Y-%m-%d}"
    assert listed["remittance"]["link"] == f"/api/v1/freight-invoices/{approved.pk}/edi/820/"


def test_one_run_tells_a_carrier_of_all_its_bills_decided_by_then_in_one_820(
    api, person, floor, carried
):
    """Deppon's bill within its tariff and its bill settled at the tariff go in one 820;
    the one still disputed, and one decided after the run, wait."""
    approved = _billed(api, person, floor, carried, 15200, number="DP-2001")
    disputed = _billed(api, person, floor, carried, 23000, number="DP-2002")
    _billed(api, person, floor, carried, 24000, number="DP-2003")  # still disputed
    office = api(person("manager", floor["wh"]))
    settled = office.post(
        f"/api/v1/freight-invoices/{disputed.pk}/settle/",
        {"settlement": "pay_tariff", "note": "Detention not agreed"},
    )
    assert settled.status_code == 200, settled.json()
    waiting = office.get(f"/api/v1/freight-invoices/{disputed.pk}/edi/820/")
    assert waiting.json()["code"] == "payment_run_next"

    (sent,) = _paid(office, floor)
    assert [(b["number"], b["status"], b["payable"]) for b in sent["bills"]] == [
        ("DP-2001", "approved", "152.00"),
        ("DP-2002", "short_paid", "150.00"),
    ]
    assert (sent["partner"], sent["carrier"], sent["currency"]) == (f"ZZ:{TMS}", "DEPPON", "CNY")
    segments = _segments(_820(office, approved))
    assert _820(office, disputed) == _820(office, approved)  # one 820 for both
    assert segments[0][:3] == ["BPR", "I", "302"]
    assert segments[6:] == [
        ["RMR", "IV", "DP-2001", "", "152", "152"],
        ["REF", "SI", carried.load.reference],
        ["DTM", "003", "20261207"],
        ["RMR", "IV", "DP-2002", "", "150", "230"],
        ["NTE", "PMT", "Detention not agreed"],
        ["REF", "SI", carried.load.reference],
        ["DTM", "003", "20261207"],
        ["ADX", "-80", "46"],
    ]
    assert _paid(office, floor) == []  # nothing waits: nothing goes
    late = _billed(api, person, floor, carried, 15000, number="DP-2004")
    assert late.remittance is None
    assert remittances_send_due(now=_run_after(late) - datetime.timedelta(minutes=1)) == 0
    assert remittances_send_due(now=_run_after(late)) == 1
    late.refresh_from_db()
    assert late.remittance.control_number != sent["control"]
    assert late.remittance.bills.count() == 1
    assert FreightInvoice.objects.get(number="DP-2003").remittance is None


def test_the_bills_page_shows_what_waits_for_the_run_and_the_office_sends_it(
    api, person, floor, carried, client
):
    _billed(api, person, floor, carried, 15200)
    client.force_login(person("operator", floor["wh"]))
    client.post(
        "/edi/bills/payment-run/", {"warehouse_code": floor["wh"].code}, HTTP_HX_REQUEST="true"
    )
    assert not FreightRemittance.objects.exists()  # not the floor's to send
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get("/edi/bills/", {"show": "all"}).content.decode()
    assert f'data-run="{floor["wh"].code}"' in page and "820 at the payment run, 16:00" in page
    sent = client.post(
        "/edi/bills/payment-run/",
        {"warehouse_code": floor["wh"].code, "show": "all"},
        HTTP_HX_REQUEST="true",
    )
    assert sent.status_code == 200
    page = sent.content.decode()
    assert f"{floor['wh'].code}&#x27;s payment run: 820s sent: 1; bills told: 1." in page
    assert "data-run=" not in page and "820 sent, no. " in page
    chinese = client.get(
        "/edi/bills/", {"show": "all"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "已发送 820" in chinese


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_two_payment_runs_at_once_tell_each_bill_once(api, person, floor, carried):
    _billed(api, person, floor, carried, 15200)
    warehouse_id = floor["wh"].pk
    now = datetime.datetime.now(datetime.UTC)
    outcomes = at_once(
        lambda: remittances_send(warehouse_id=warehouse_id, until=now, actor=None),
        lambda: remittances_send(warehouse_id=warehouse_id, until=now, actor=None),
    )
    assert outcomes == ["done", "done"]
    assert FreightRemittance.objects.count() == 1
    assert Event.objects.filter(type="edi.sent", payload__kind="820").count() == 1


def test_a_bill_short_paid_tells_what_was_held_back_and_why(api, person, floor, carried):
    disputed = _billed(api, person, floor, carried, 23000)  # ¥230 for the tariff's ¥150
    office = api(person("dispatcher", floor["wh"]))
    waiting = office.get(f"/api/v1/freight-invoices/{disputed.pk}/edi/820/")
    assert waiting.status_code == 409 and waiting.json()["code"] == "not_settled"
    assert office.get(f"/api/v1/freight-invoices/{disputed.pk}/").json()["remittance"] is None
    assert not FreightRemittance.objects.exists()

    why = "Detention was not agreed: the truck was loaded within its slot, see gate log " * 2
    settled = office.post(
        f"/api/v1/freight-invoices/{disputed.pk}/settle/",
        {"settlement": "pay_tariff", "note": why},
    )
    assert settled.status_code == 200, settled.json()
    _paid(office, floor)
    segments = _segments(_820(office, disputed))
    assert segments[0][:3] == ["BPR", "I", "150"]
    notes = [s[2] for s in segments if s[0] == "NTE"]
    assert all(s[1] == "PMT" for s in segments if s[0] == "NTE")
    assert max(len(n) for n in notes) <= 80 and " ".join(notes).split() == why.split()
    assert ["RMR", "IV", "DP-2001", "", "150", "230"] in segments
    assert segments[-1] == ["ADX", "-80", "46"]


def test_a_refused_bill_is_told_nothing_is_paid(api, person, floor, carried):
    Shipment.objects.filter(pk=carried.pk).update(freight_cost=None)
    unpriced = _billed(api, person, floor, carried, 99900)
    office = api(person("manager", floor["wh"]))
    office.post(
        f"/api/v1/freight-invoices/{unpriced.pk}/settle/",
        {"settlement": "refuse", "note": "Billed ten times the trip"},
    )
    _paid(office, floor)
    segments = _segments(_820(office, unpriced))
    assert segments[0][:3] == ["BPR", "I", "0"]
    assert ["NTE", "PMT", "Billed ten times the trip"] in segments
    assert ["RMR", "IV", "DP-2001", "", "0", "999"] in segments
    assert segments[-1] == ["ADX", "-999", "20"]


def test_an_820_the_carrier_rejected_is_sent_again_telling_the_same(
    api, person, floor, carried, client
):
    approved = _billed(api, person, floor, carried, 15200)
    _paid(api(person("dispatcher", floor["wh"])), floor)
    sent = FreightRemittance.objects.get(bills=approved)
    was = sent.control_number
    tms = api(person("integration", floor["wh"]))
    rejection = ack_997([f"AK1*RA*{int(was)}", "AK2*820*0001", "AK5*R*5", "AK9*R*1*1*0"])
    rejection = rejection.replace(f"*{'ACMEERP':<15}*", f"*{TMS:<15}*", 1)
    rejection = rejection.replace("GS*FA*ACMEERP*", f"GS*FA*{TMS}*", 1)
    told = post_997(tms, rejection)
    assert told.status_code == 200, told.json()
    assert told.json()["acknowledged"][0]["kind"] == "820"

    office = api(person("dispatcher", floor["wh"]))
    again = office.post(RESEND, {"partner": f"ZZ:{TMS}", "control": was}, format="json")
    assert again.status_code == 200, again.json()
    new = again.json()["control"]
    assert again.json() == {"kind": "820", "was": was, "control": new}
    sent.refresh_from_db()
    assert (sent.control_number, [e["control"] for e in sent.earlier]) == (new, [was])
    first = Event.objects.filter(type="edi.sent", payload__kind="820").earliest("pk")
    assert _segments(sent.document) == _segments(first.payload["document"])  # the same told
    assert Event.objects.filter(type="edi.sent").latest("pk").payload["resends"] == was

    # The EDI log and the bills page show it.
    client.force_login(person("dispatcher", floor["wh"]))
    log = client.get("/edi/").content.decode()
    assert f'href="/api/v1/freight-invoices/{approved.pk}/edi/820/"' in log
    assert f"Sent again as {new}" in log
    bills = client.get("/edi/bills/", {"show": "all"}).content.decode()
    assert f"820 sent, no. {new}" in bills
