"""A carrier bills the loads it carried with X12 210s: each bill is checked against what the
carrier's tariff priced the trip at when the truck left, and one above it beyond the
tolerance is an alert for the office; a bill that cannot be read, or is not the carrier's
to send, is refused naming where, and nothing is kept."""

from decimal import Decimal

import pytest

from core.models import Event
from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from integrations.models import FreightInvoice
from shipping.models import Carrier, Order, Shipment
from tests.integrations.test_edi_940_945 import _shipped
from tests.shipping.helpers import floor_order

TMS = "DEPPONTMS"


def x12(*sets: list[str], control: str = "000000210", sender: str = TMS) -> str:
    """An interchange from the carrier's TMS of these 210s, each a list of its segments
    between ST and SE, with its envelopes' counts and control numbers right."""
    isa = (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{sender:<15}*ZZ*{'HANDOFF':<15}*261207*1200*U*"
        f"00401*{control}*0*P*>~"
    )
    lines = [isa, f"GS*IM*{sender}*HANDOFF*20261207*1200*21*X*004010~"]
    for n, segments in enumerate(sets, start=1):
        st = f"{n:04d}"
        lines += [f"ST*210*{st}~", *(f"{s}~" for s in segments), f"SE*{len(segments) + 2}*{st}~"]
    lines += [f"GE*{len(sets)}*21~", f"IEA*1*{control}~"]
    return "\n".join(lines) + "\n"


def bill(load: str, number: str, cents: int, *, scac: str = "DEPPON", extra=()) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"B3**{number}*{load}*PP**20261207*{cents}****{scac}", *extra]


def _post(client, text: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/edi/210/", text, content_type="application/edi-x12")


@pytest.fixture
def carried(floor):  # type: ignore[no-untyped-def]
    """The van hired from Deppon (EDI ID DEPPONTMS; ¥60 a trip, ¥25 a stop, ¥0.45 a kg,
    ¥150 at least), gone with an order of two teas: its shipment and what the tariff
    priced it at."""
    deppon = Carrier.objects.create(
        code="DEPPON",
        name="Deppon",
        service_level="ltl",
        edi_id=TMS,
        rate_per_trip=60,
        rate_per_stop=25,
        rate_per_kg=Decimal("0.45"),
        minimum_charge=150,
    )
    floor["van"].carrier = deppon
    floor["van"].save()
    order = floor_order(floor, (floor["tea"], 2), ref="SO-210")
    _shipped(floor, order)
    shipment = Shipment.objects.get(load=Order.objects.get(pk=order.pk).load)
    assert shipment.freight_cost == Decimal("150.00")  # the minimum charge
    return shipment


def test_a_bill_within_the_tariff_is_approved_and_one_above_it_is_an_alert(
    api, person, floor, carried
):
    tms = api(person("integration", floor["wh"]))
    load = carried.load.reference
    answer = _post(
        tms,
        x12(
            bill(
                load,
                "DP-1001",
                15200,  # ¥152.00: within ¥10 of the tariff
                extra=["C3*CNY", "L1*1***15200****400****FREIGHT", "L3*****15200"],
            )
        ),
    )
    assert answer.status_code == 200, answer.json()
    (told,) = answer.json()["invoices"]
    assert (told["invoice"], told["status"], told["applied"]) == ("DP-1001", "approved", True)
    assert answer.json()["acknowledgment"].startswith("ISA*00*")
    approved = FreightInvoice.objects.get()
    assert (approved.amount, approved.tariff, approved.currency) == (
        Decimal("152.00"),
        Decimal("150.00"),
        "CNY",
    )
    assert approved.charges == [{"code": "400", "description": "FREIGHT", "amount": "152.00"}]
    assert told["amount"] == "152.00"
    invoiced = Event.objects.get(type="shipment.invoiced")
    assert invoiced.payload["status"] == "approved" and invoiced.payload["over"] == "2.00"
    alerts_evaluate()
    assert not Alert.objects.filter(rule="freight_invoice_disputed").exists()

    # Detention billed on top: ¥230, ¥80 above the tariff's ¥150.
    more = _post(
        tms,
        x12(
            bill(load, "DP-1002", 23000, extra=["L1*1***8000****DET****DETENTION"]),
            control="000000211",
        ),
    )
    assert more.json()["invoices"][0]["status"] == "disputed"
    alerts_evaluate()
    alert = Alert.objects.get(rule="freight_invoice_disputed", resolved_at__isnull=True)
    assert alert.message == (
        f"Deppon billed 230.00 for load {load} (invoice DP-1002), 80.00 above its tariff's "
        "150.00: check it with them before paying."
    )
    assert alert.department == "logistics"
    # The same bill again: skipped, said so; another amount under the same number: refused.
    again = _post(tms, x12(bill(load, "DP-1002", 23000), control="000000212"))
    assert again.json()["invoices"][0]["applied"] is False
    changed = _post(tms, x12(bill(load, "DP-1002", 25000), control="000000213"))
    assert changed.status_code == 409
    assert list(changed.json()["fields"]) == ["ST 0001, segment 4 (B3) B302"]
    assert FreightInvoice.objects.count() == 2
    # The manager sees Deppon billing 27% over its tariff: 382 for 300.
    kpis = api(person("manager", floor["wh"])).get("/api/v1/kpis/", {"warehouse": floor["wh"].code})
    (deppon,) = [c for c in kpis.json()["carriers"] if c["carrier"] == "DEPPON"]
    assert (deppon["loads"], deppon["billed_over_tariff"]) == (1, 0.2733)


def test_a_bill_that_is_wrong_is_refused_naming_where_and_nothing_is_kept(
    api, person, floor, carried
):
    tms = api(person("integration", floor["wh"]))
    load = carried.load.reference
    unshipped = floor_order(floor, (floor["rice"], 1), ref="SO-210-LATER")
    cases = [
        (x12(bill(load, "X1", "12.50")), "segment 4 (B3) B307"),  # type: ignore[arg-type]
        (x12(bill(load, "X2", 0)), "segment 4 (B3) B307"),
        (x12(bill("L-NONE", "X3", 100)), "ST 0001, segment 4 (B3) B303"),
        (x12(bill(unshipped.external_ref, "X4", 100)), "ST 0001, segment 4 (B3) B303"),
        (x12(bill(load, "X5", 100, scac="SFEX")), "ST 0001, segment 4 (B3) B311"),
        (x12(bill(load, "X6", 100), sender="OTHERTMS"), "ISA06"),
        (x12(bill(load, "X7", 100, extra=["C3*USD"])), "ST 0001 C301"),
        (x12(bill(load, "X8", 100, extra=["L3*****90"])), "segment 5 (L3) L305"),
        (x12(["N9*BM*1"]), "segment 3 (ST)"),
    ]
    for n, (text, field) in enumerate(cases):
        refused = _post(tms, text.replace("000000210", f"00000030{n}"))
        assert refused.status_code == 400, (field, refused.json())
        assert list(refused.json()["fields"]) == [field], refused.json()
    assert not FreightInvoice.objects.exists()
    assert not Event.objects.filter(type="shipment.invoiced").exists()


def test_a_carrier_with_no_tariff_is_kept_unpriced(api, person, floor, carried):
    Shipment.objects.filter(pk=carried.pk).update(freight_cost=None)
    tms = api(person("integration", floor["wh"]))
    answer = _post(tms, x12(bill(carried.load.reference, "DP-9", 99900)))
    assert answer.json()["invoices"][0]["status"] == "unpriced"
    alerts_evaluate()
    assert not Alert.objects.filter(rule="freight_invoice_disputed").exists()
    # Nobody could check it: the office does, before it is paid.
    (alert,) = Alert.objects.filter(rule="freight_invoice_unpriced", resolved_at__isnull=True)
    assert alert.message == (
        f"Deppon billed 999.00 for load {carried.load.reference} (invoice DP-9), with no "
        "tariff to check it by: check it with them before paying."
    )
