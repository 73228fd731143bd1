"""Each carrier's bill, once decided, is answered with an X12 820: the carrier's billing
system reads what of its bill is paid, and why any less, with the office's note; an 820 the
carrier's 997 rejects is sent again under a new number, telling the same."""

from core.models import Event
from integrations.edi.x12 import interchange_read
from integrations.models import FreightRemittance
from shipping.models import Shipment
from tests.integrations.test_edi_210 import TMS
from tests.integrations.test_edi_997 import _post as post_997
from tests.integrations.test_edi_997 import ack_997
from tests.integrations.test_freight_bills import _billed

RESEND = "/api/v1/edi/resend/"


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


def test_a_bill_within_its_tariff_is_answered_at_once_paid_as_billed(api, person, floor, carried):
    approved = _billed(api, person, floor, carried, 15200)
    office = api(person("dispatcher", floor["wh"]))
    document = _820(office, approved)
    interchange = interchange_read(document)
    decided_on = approved.received_at.astimezone(floor["wh"].zone()).date()
    assert (interchange.sender, interchange.receiver) == ("HANDOFF", TMS)
    assert _segments(document) == [
        ["BPR", "I", "152", "C", "NON", *[""] * 11, f"{decided_on:%Y%m%d}"],
        ["TRN", "1", f"RA{approved.pk:09d}"],
        ["CUR", "PR", "CNY"],
        ["N1", "PR", floor["wh"].name, "91", floor["wh"].code],
        ["N1", "PE", "Deppon", "ZZ", "DEPPON"],  # no SCAC: more than four letters
        ["ENT", "1"],
        ["RMR", "IV", "DP-2001", "", "152", "152"],
        ["REF", "SI", carried.load.reference],
        ["DTM", "003", "20261207"],
    ]
    sent = Event.objects.get(type="edi.sent", payload__kind="820")
    assert {k: sent.payload[k] for k in ("partner", "invoice", "status", "payable")} == {
        "partner": f"ZZ:{TMS}",
        "invoice": "DP-2001",
        "status": "approved",
        "payable": "152.00",
    }
    assert sent.payload["document"] == document
    listed = office.get(f"/api/v1/freight-invoices/{approved.pk}/").json()
    assert listed["remittance"]["control"] == interchange.control
    assert listed["remittance"]["link"] == f"/api/v1/freight-invoices/{approved.pk}/edi/820/"


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
    segments = _segments(_820(office, unpriced))
    assert segments[0][:3] == ["BPR", "I", "0"]
    assert ["NTE", "PMT", "Billed ten times the trip"] in segments
    assert ["RMR", "IV", "DP-2001", "", "0", "999"] in segments
    assert segments[-1] == ["ADX", "-999", "20"]


def test_an_820_the_carrier_rejected_is_sent_again_telling_the_same(
    api, person, floor, carried, client
):
    approved = _billed(api, person, floor, carried, 15200)
    sent = FreightRemittance.objects.get(invoice=approved)
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
