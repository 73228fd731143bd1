"""The office settles the carriers' bills their tariffs did not pass: one billed above the
tariff is paid as billed (saying why), paid at the tariff, or refused (saying why); then its
alert clears, and what is payable is on the bill for the accounts payable system."""

from decimal import Decimal

import pytest
from django.test import Client

from core.models import Event
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from integrations.models import FreightInvoice
from shipping.models import Shipment
from tests.integrations.test_edi_210 import _post, bill, x12
from tests.shipping.helpers import at_once


def _billed(api, person, floor, carried, cents: int, number: str = "DP-2001"):  # type: ignore[no-untyped-def]
    tms = api(person("integration", floor["wh"]))
    control = "000000210" if number == "DP-2001" else f"{int(number.split('-')[-1]):09d}"
    answer = _post(tms, x12(bill(carried.load.reference, number, cents), control=control))
    assert answer.status_code == 200, answer.json()
    return FreightInvoice.objects.get(number=number)


def test_a_bill_above_the_tariff_settled_at_the_tariff_clears_its_alert(
    api, person, floor, carried
):
    disputed = _billed(api, person, floor, carried, 23000)  # ¥230 for the tariff's ¥150
    alerts_evaluate()
    assert Alert.objects.filter(rule="freight_invoice_disputed", resolved_at__isnull=True).exists()
    clerk = person("dispatcher", floor["wh"])
    office = api(clerk)
    listed = office.get("/api/v1/freight-invoices/", {"status": "open"}).json()["results"]
    assert [(b["number"], b["amount"], b["tariff"], b["over"], b["status"]) for b in listed] == [
        ("DP-2001", "230.00", "150.00", "80.00", "disputed")
    ]
    assert listed[0]["payable"] is None and listed[0]["load"] == carried.load.reference

    settled = office.post(
        f"/api/v1/freight-invoices/{disputed.pk}/settle/",
        {"settlement": "pay_tariff", "note": "Detention not agreed"},
    )
    assert settled.status_code == 200, settled.json()
    body = settled.json()
    assert (body["status"], body["payable"], body["settled_by"]) == (
        "short_paid",
        "150.00",
        clerk.username,
    )
    event = Event.objects.get(type="shipment.invoice_settled")
    assert event.payload == {
        "shipment": carried.reference,
        "load": carried.load.reference,
        "carrier": "DEPPON",
        "invoice": "DP-2001",
        "amount": "230.00",
        "tariff": "150.00",
        "status": "short_paid",
        "payable": "150.00",
        "note": "Detention not agreed",
    }
    alerts_evaluate()
    assert not Alert.objects.filter(
        rule="freight_invoice_disputed", resolved_at__isnull=True
    ).exists()
    assert office.get("/api/v1/freight-invoices/", {"status": "open"}).json()["results"] == []
    # The carrier sends the bill again in a new interchange: skipped, told as it stands now,
    # as the API's schema says it may be.
    tms = api(person("integration", floor["wh"]))
    again_sent = _post(
        tms, x12(bill(carried.load.reference, "DP-2001", 23000), control="000000299")
    )
    (told,) = again_sent.json()["invoices"]
    assert (told["applied"], told["status"]) == (False, "short_paid")
    schema = office.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert "short_paid" in schema["FreightInvoiceReceivedStatusEnum"]["enum"]
    # Settled once: settling again is a conflict saying who did it.
    again = office.post(
        f"/api/v1/freight-invoices/{disputed.pk}/settle/", {"settlement": "pay_billed", "note": "x"}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "settled"
    assert clerk.username in again.json()["message"]


def test_a_bill_within_its_tariff_is_payable_as_it_came_and_needs_no_settling(
    api, person, floor, carried
):
    approved = _billed(api, person, floor, carried, 15200)
    assert (approved.status, approved.payable) == ("approved", Decimal("152.00"))
    office = api(person("dispatcher", floor["wh"]))
    refused = office.post(
        f"/api/v1/freight-invoices/{approved.pk}/settle/", {"settlement": "refuse", "note": "no"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "settled"


def test_paying_above_the_tariff_or_refusing_says_why_and_bad_asks_write_nothing(
    api, person, floor, carried
):
    disputed = _billed(api, person, floor, carried, 23000)
    office = api(person("dispatcher", floor["wh"]))
    url = f"/api/v1/freight-invoices/{disputed.pk}/settle/"
    for asked, field in [
        ({"settlement": "pay_billed"}, "note"),
        ({"settlement": "refuse", "note": "  "}, "note"),
        ({"settlement": "pay_everything"}, "settlement"),
        ({"settlement": "refuse", "note": "x" * 501}, "note"),
    ]:
        answer = office.post(url, asked)
        assert answer.status_code == 400, (asked, answer.json())
        assert list(answer.json()["fields"]) == [field], answer.json()
    assert FreightInvoice.objects.get(pk=disputed.pk).status == "disputed"
    assert not Event.objects.filter(type="shipment.invoice_settled").exists()

    accepted = office.post(url, {"settlement": "pay_billed", "note": "Detention agreed by phone"})
    assert (accepted.json()["status"], accepted.json()["payable"]) == ("accepted", "230.00")
    assert accepted.json()["settled_note"] == "Detention agreed by phone"


def test_a_bill_with_no_tariff_is_paid_as_billed_or_refused_never_at_a_tariff(
    api, person, floor, carried
):
    Shipment.objects.filter(pk=carried.pk).update(freight_cost=None)
    unpriced = _billed(api, person, floor, carried, 99900)
    office = api(person("manager", floor["wh"]))
    url = f"/api/v1/freight-invoices/{unpriced.pk}/settle/"
    at_tariff = office.post(url, {"settlement": "pay_tariff"})
    assert at_tariff.status_code == 400 and list(at_tariff.json()["fields"]) == ["settlement"]
    alerts_evaluate()
    assert Alert.objects.filter(rule="freight_invoice_unpriced", resolved_at__isnull=True).exists()
    refused = office.post(url, {"settlement": "refuse", "note": "Billed ten times the trip"})
    assert (refused.json()["status"], refused.json()["payable"]) == ("refused", None)
    alerts_evaluate()
    assert not Alert.objects.filter(
        rule="freight_invoice_unpriced", resolved_at__isnull=True
    ).exists()


def test_only_the_office_of_the_bills_warehouse_settles_it(api, person, floor, carried, other_site):
    disputed = _billed(api, person, floor, carried, 23000)
    url = f"/api/v1/freight-invoices/{disputed.pk}/settle/"
    operator = api(person("operator", floor["wh"]))
    assert operator.post(url, {"settlement": "pay_tariff"}).status_code == 403
    elsewhere = api(person("dispatcher", other_site.warehouse))
    assert elsewhere.get("/api/v1/freight-invoices/").json()["results"] == []
    assert elsewhere.post(url, {"settlement": "pay_tariff"}).status_code == 404
    erp = api(person("integration", floor["wh"]))  # the accounts payable system
    assert erp.post(url, {"settlement": "pay_tariff"}).status_code == 200


def test_the_office_settles_a_bill_on_its_page(api, person, floor, carried):
    disputed = _billed(api, person, floor, carried, 23000)
    browser = Client()
    browser.force_login(person("dispatcher", floor["wh"]))
    log = browser.get("/edi/")
    assert 'href="/edi/bills/"' in log.content.decode() and "count some" in log.content.decode()
    page = browser.get("/edi/bills/").content.decode()
    assert "DP-2001" in page and "80.00" in page and "53.3%" in page
    assert 'value="pay_tariff"' in page
    answer = browser.post(
        f"/edi/bills/{disputed.pk}/settle/",
        {"settlement": "refuse", "note": ""},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Note: Say why" in answer  # refused, naming the field; nothing written
    assert FreightInvoice.objects.get(pk=disputed.pk).status == "disputed"
    answer = browser.post(
        f"/edi/bills/{disputed.pk}/settle/",
        {"settlement": "refuse", "note": "Detention not agreed", "show": "all"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Deppon&#x27;s invoice DP-2001: refused: to be billed again." in answer
    assert "Detention not agreed" in answer and 'value="pay_tariff"' not in answer
    assert "No bill to settle." in browser.get("/edi/bills/").content.decode()
    # A refused bill is not the trip's bill: the carrier's scorecard leaves it out.
    kpis = api(person("manager", floor["wh"])).get("/api/v1/kpis/", {"warehouse": floor["wh"].code})
    (deppon,) = [c for c in kpis.json()["carriers"] if c["carrier"] == "DEPPON"]
    assert deppon["billed_over_tariff"] is None
    # A supervisor sees the bills, and leaves settling them to the office.
    supervisor = Client()
    supervisor.force_login(person("supervisor", floor["wh"]))
    seen = supervisor.get("/edi/bills/?show=all").content.decode()
    assert "DP-2001" in seen and 'name="settlement"' not in seen


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_settling_one_bill_at_once_settle_it_once(api, person, floor, carried):
    from integrations.services import freight_invoice_settle

    disputed = _billed(api, person, floor, carried, 23000)
    clerks = [person("dispatcher", floor["wh"]), person("manager", floor["wh"])]
    outcomes = at_once(
        lambda: freight_invoice_settle(
            invoice_id=disputed.pk, settlement="pay_tariff", note="", actor=clerks[0]
        ),
        lambda: freight_invoice_settle(
            invoice_id=disputed.pk, settlement="refuse", note="No", actor=clerks[1]
        ),
    )
    assert sorted(outcomes) == ["done", "settled"]
    assert Event.objects.filter(type="shipment.invoice_settled").count() == 1
