"""A partner acknowledges what Handoff sent it with 997s: Handoff keeps whether each 945,
856 or 204 was taken, and a rejected one is an alert for the office until it is mended. A
997 is never answered with another."""

from core.models import Event
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from integrations.edi.x12 import interchange_read
from integrations.models import EdiAcknowledgment, ShippingAdvice
from integrations.services import shipping_advices_issue_due
from shipping.models import Order
from tests.integrations.test_edi_940_945 import _shipped, erp, post, shipping_order, x12  # noqa: F401


def ack_997(*sets: list[str], control: str = "000000997") -> str:
    """An interchange of 997s from the ERP (ISA06 ACMEERP), envelopes right."""
    isa = (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{'ACMEERP':<15}*ZZ*{'HANDOFF':<15}*261207*1000*U*"
        f"00401*{control}*0*P*>~"
    )
    lines = [isa, "GS*FA*ACMEERP*HANDOFF*20261207*1000*88*X*004010~"]
    for n, segments in enumerate(sets, start=1):
        st = f"{n:04d}"
        lines += [f"ST*997*{st}~", *(f"{s}~" for s in segments), f"SE*{len(segments) + 2}*{st}~"]
    lines += [f"GE*{len(sets)}*88~", f"IEA*1*{control}~"]
    return "\n".join(lines) + "\n"


def _945(erp, floor) -> ShippingAdvice:  # type: ignore[no-untyped-def]  # noqa: F811
    """An order from the ERP's 940, shipped, and its 945 issued."""
    post(erp, x12(shipping_order("SO-997", "W01*1*EA**VN*TEA")))
    _shipped(floor, Order.objects.get(external_ref="SO-997"))
    shipping_advices_issue_due()
    return ShippingAdvice.objects.get()


def _post(client, text: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/edi/997/", text, content_type="application/edi-x12")


def test_the_partner_s_997_says_the_945_was_taken_and_nothing_answers_it(erp, floor):  # noqa: F811
    advice = _945(erp, floor)
    control = int(interchange_read(advice.document).groups[0].control)
    answer = _post(erp, ack_997([f"AK1*SW*{control}", "AK2*945*0001", "AK5*A", "AK9*A*1*1*1"]))
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert "acknowledgment" not in body  # X12: a 997 is not acknowledged
    assert body["acknowledged"] == [
        {
            "where": "ST 0001",
            "interchange": advice.control_number,
            "kind": "945",
            "status": "A",
            "applied": True,
            "skipped": "",
        }
    ]
    kept = EdiAcknowledgment.objects.get()
    assert (kept.partner, kept.control_number, kept.status) == (
        "ZZ:ACMEERP",
        advice.control_number,
        "A",
    )
    assert Event.objects.get(type="edi.acknowledged").payload["about"] == "SO-997"
    # A group Handoff never sent: skipped, said so.
    other = _post(erp, ack_997(["AK1*SW*424242", "AK9*A*1*1*1"], control="000000998"))
    (told,) = other.json()["acknowledged"]
    assert (told["applied"], told["skipped"]) == (
        False,
        "Handoff sent you no interchange 000424242.",
    )


def test_a_rejected_945_is_an_alert_for_the_office(erp, floor):  # noqa: F811
    advice = _945(erp, floor)
    answer = _post(
        erp,
        ack_997([f"AK1*SW*{int(advice.control_number)}", "AK2*945*0001", "AK5*R*5", "AK9*R*1*1*0"]),
    )
    assert answer.status_code == 200, answer.json()
    alerts_evaluate()
    alert = Alert.objects.get(rule="integration_failure", resolved_at__isnull=True)
    assert alert.warehouse == floor["wh"]
    assert alert.message.startswith(f"ACMEERP rejected our 945 {advice.control_number} (997, ")
    assert "5" in alert.message


def test_a_997_that_cannot_be_read_is_refused_naming_the_segment(erp, floor):  # noqa: F811
    _945(erp, floor)
    refused = _post(erp, ack_997(["AK1*SW*1", "AK2*945*0001", "AK5*X", "AK9*A*1*1*1"]))
    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["segment 6 (AK5) AK501"]
    no_status = _post(erp, ack_997(["AK1*SW*1"], control="000000999"))
    assert list(no_status.json()["fields"]) == ["segment 4 (AK1)"]
    assert not EdiAcknowledgment.objects.exists()
