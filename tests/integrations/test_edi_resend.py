"""An interchange a partner's 997 rejected, or never acknowledged, is sent again by the office
once the cause is mended: made anew under the partner's next control number, the alert
gone; one the partner took is not sent again."""

from core.models import Event
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from integrations.edi.x12 import interchange_read
from integrations.models import EdiAcknowledgment, LoadTender, ShipNotice
from integrations.services import edi_out_issue_due, load_tenders_issue_due
from tests.integrations.test_edi_204_990 import TMS
from tests.integrations.test_edi_204_990 import _post as post_990
from tests.integrations.test_edi_204_990 import x12 as x12_990
from tests.integrations.test_edi_940_945 import _shipped
from tests.integrations.test_edi_997 import _945, ack_997
from tests.integrations.test_edi_997 import _post as post_997
from tests.shipping.helpers import floor_order

RESEND = "/api/v1/edi/resend/"


def _rejected(client, control: str, kind: str = "945", sender: str = "ACMEERP") -> None:  # type: ignore[no-untyped-def]
    """The partner's 997 rejecting what Handoff sent it under `control`."""
    group = "SM" if kind == "204" else "SW"
    text = ack_997([f"AK1*{group}*{int(control)}", f"AK2*{kind}*0001", "AK5*R*5", "AK9*R*1*1*0"])
    text = text.replace(f"*{'ACMEERP':<15}*", f"*{sender:<15}*", 1)  # ISA06, 15 wide
    text = text.replace("GS*FA*ACMEERP*", f"GS*FA*{sender}*", 1)
    answer = post_997(client, text)
    assert answer.status_code == 200, answer.json()


def test_a_rejected_945_is_sent_again_under_a_new_number_and_its_alert_goes(
    erp,
    api,
    person,
    floor,
):
    advice = _945(erp, floor)
    was = advice.control_number
    _rejected(erp, was)
    alerts_evaluate()
    assert Alert.objects.filter(rule="integration_failure", resolved_at__isnull=True).exists()

    office = api(person("dispatcher", floor["wh"]))
    again = office.post(RESEND, {"partner": "ZZ:ACMEERP", "control": was}, format="json")

    assert again.status_code == 200, again.json()
    new = again.json()["control"]
    assert again.json() == {"kind": "945", "was": was, "control": new}
    assert int(new) == int(was) + 1
    advice.refresh_from_db()
    assert advice.control_number == new
    assert [e["control"] for e in advice.earlier] == [was]
    assert interchange_read(advice.document).control == new
    sent = Event.objects.filter(type="edi.sent").latest("pk")
    assert (sent.payload["interchange"], sent.payload["resends"]) == (new, was)
    assert sent.actor is not None  # the office's clerk, by name
    got = office.get(f"/api/v1/orders/{advice.order_id}/edi/945/")
    assert got.content.decode() == advice.document
    assert EdiAcknowledgment.objects.get(control_number=was).sent_again_as == new
    alerts_evaluate()
    assert not Alert.objects.filter(rule="integration_failure", resolved_at__isnull=True).exists()
    # The old number again: it went already.
    twice = office.post(RESEND, {"partner": "ZZ:ACMEERP", "control": was}, format="json")
    assert twice.status_code == 404
    assert list(twice.json()["fields"]) == ["control"]


def test_an_interchange_the_partner_took_is_not_sent_again(erp, api, person, floor):
    advice = _945(erp, floor)
    post_997(
        erp,
        ack_997([f"AK1*SW*{int(advice.control_number)}", "AK2*945*0001", "AK5*A", "AK9*A*1*1*1"]),
    )
    office = api(person("dispatcher", floor["wh"]))
    refused = office.post(
        RESEND, {"partner": "ZZ:ACMEERP", "control": advice.control_number}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["message"].startswith(
        f"ZZ:ACMEERP took interchange {advice.control_number} (997 A on "
    )
    advice.refresh_from_db()
    assert advice.earlier == []
    assert not Event.objects.filter(type="edi.sent", payload__has_key="resends").exists()


def test_bad_requests_are_refused_naming_the_field_and_who_may(erp, api, person, floor):
    advice = _945(erp, floor)
    office = api(person("dispatcher", floor["wh"]))
    short = office.post(RESEND, {"partner": "ZZ:ACMEERP", "control": "12"}, format="json")
    assert short.status_code == 400 and "control" in short.json()["fields"]
    unknown = office.post(RESEND, {"partner": "ZZ:NOBODY", "control": "000000001"}, format="json")
    assert unknown.status_code == 404 and list(unknown.json()["fields"]) == ["control"]
    floor_hand = api(person("operator", floor["wh"]))
    body = {"partner": "ZZ:ACMEERP", "control": advice.control_number}
    assert floor_hand.post(RESEND, body, format="json").status_code == 403
    advice.refresh_from_db()
    assert advice.earlier == []


def test_an_unacknowledged_856_is_made_anew_with_what_is_known_now(api, person, floor):
    customer = floor["shop"][0]
    customer.edi_id = "CBJSHOP"
    customer.save()
    order = floor_order(floor, (floor["tea"], 2), ref="SO-856-AGAIN")
    _shipped(floor, order)
    assert edi_out_issue_due() == 1
    notice = ShipNotice.objects.get()
    was = notice.control_number
    office = api(person("dispatcher", floor["wh"]))
    again = office.post(RESEND, {"partner": "ZZ:CBJSHOP", "control": was}, format="json")
    assert again.status_code == 200, again.json()
    notice.refresh_from_db()
    assert again.json() == {"kind": "856", "was": was, "control": notice.control_number}
    assert interchange_read(notice.document).control == notice.control_number
    assert notice.document.replace(notice.control_number, was) != notice.document
    assert [e["control"] for e in notice.earlier] == [was]
    assert edi_out_issue_due() == 0  # issued once: sent again only when asked


def test_a_rejected_204_is_tendered_again_and_the_990_answers_the_new_one(
    api, person, floor, tendered
):
    load_tenders_issue_due()
    first = LoadTender.objects.get()
    tms = api(person("integration", floor["wh"]))
    _rejected(tms, first.control_number, kind="204", sender=TMS)
    office = api(person("dispatcher", floor["wh"]))
    again = office.post(
        RESEND, {"partner": f"ZZ:{TMS}", "control": first.control_number}, format="json"
    )
    assert again.status_code == 200, again.json()
    second = LoadTender.objects.latest("pk")
    assert again.json() == {"kind": "204", "was": first.control_number, "control": "000000002"}
    assert (second.purpose, second.segments) == (first.purpose, first.segments)
    assert second.answer == "pending" and second.respond_by is not None
    answer = post_990(
        tms,
        x12_990([f"B1*DEPPON*{tendered['load'].reference}*20261207*A"], control="000000991"),
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["answers"][0]["tender"] == "000000002"
    refused = office.post(
        RESEND, {"partner": f"ZZ:{TMS}", "control": first.control_number}, format="json"
    )
    assert refused.status_code == 409
    assert "was tendered to DEPPON again since, under 000000002" in refused.json()["message"]


def test_the_edi_log_sends_a_rejected_one_again_and_shows_both(erp, client, person, floor):
    advice = _945(erp, floor)
    was = advice.control_number
    _rejected(erp, was)
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get("/edi/").content.decode()
    (rejected,) = [row for row in page.split('<tr class="')[1:] if f">{was}<" in row]
    assert rejected.startswith("out bad") and "Send again" in rejected

    answer = client.post(
        "/edi/resend/", {"partner": "ZZ:ACMEERP", "control": was}, HTTP_HX_REQUEST="true"
    )

    page = answer.content.decode()
    advice.refresh_from_db()
    new = advice.control_number
    assert f"945 {was} went again to ZZ:ACMEERP, as {new}." in page
    rows = page.split('<tr class="')[1:]
    (now,) = [row for row in rows if f">{new}<" in row]
    assert "Sent, no 997 yet" in now and f'href="/api/v1/orders/{advice.order_id}/edi/945/"' in now
    (before,) = [row for row in rows if f">{was}<" in row]
    assert f"Sent again as {new}" in before and "Send again" not in before
    # Found by the number it went under first: that row only, saying it went again.
    found = client.get("/edi/", {"control": was}).content.decode().split('<tr class="')[1:]
    assert [f">{was}<" in row and f"Sent again as {new}" in row for row in found] == [True]
    # Pressed twice (an old page): told it went already, nothing sent.
    twice = client.post(
        "/edi/resend/", {"partner": "ZZ:ACMEERP", "control": was}, HTTP_HX_REQUEST="true"
    )
    assert "it went again under a newer one" in twice.content.decode()
    advice.refresh_from_db()
    assert advice.control_number == new


def test_a_997_late_for_a_number_sent_again_is_kept_but_raises_no_alert(erp, api, person, floor):
    """The ERP's 997 rejecting the first 945 comes after the office sent it again: it is kept
    against the number it names, which went again, and the office is not alerted."""
    advice = _945(erp, floor)
    was = advice.control_number
    office = api(person("dispatcher", floor["wh"]))
    again = office.post(RESEND, {"partner": "ZZ:ACMEERP", "control": was}, format="json")
    assert again.status_code == 200, again.json()
    _rejected(erp, was)
    late = EdiAcknowledgment.objects.get(control_number=was)
    assert (late.status, late.sent_again_as) == ("R", again.json()["control"])
    alerts_evaluate()
    assert not Alert.objects.filter(rule="integration_failure", resolved_at__isnull=True).exists()
