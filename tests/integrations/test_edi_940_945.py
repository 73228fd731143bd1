"""An ERP that speaks X12 sends its warehouse shipping orders as 940s: each becomes an order,
taken and allocated as the API takes one, or the interchange is refused with every problem
named by its segment and element, and nothing of it kept. A 940 may cancel an order too.
When the order's truck leaves, Handoff answers with a 945: what of each line shipped, in
which units (SSCCs), on which carrier, as the 940 named the products."""

import pytest
from django.conf import settings

from core.models import Event
from integrations.edi.x12 import interchange_read
from integrations.models import EdiInterchange, EdiOrder, EdiRefusal, ShipNotice, ShippingAdvice
from integrations.services import edi_out_issue_due, shipping_advices_issue_due
from inventory.models import Reservation
from shipping import services
from shipping.models import Customer, Order
from tests.shipping.conftest import tomorrow
from tests.shipping.helpers import floor_order, on_the_truck, pick_all


def x12(*sets: list[str], control: str = "000000940", usage: str = "P", group: str = "OW") -> str:
    """An interchange from the ERP (ISA06 ACMEERP) of these 940s, each a list of its
    segments between ST and SE, with its envelopes' counts and control numbers right."""
    isa = (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{'ACMEERP':<15}*ZZ*{'HANDOFF':<15}*261206*0800*U*"
        f"00401*{control}*0*{usage}*>~"
    )
    assert len(isa) == 106
    lines = [isa, f"GS*{group}*ACMEERP*HANDOFF*20261206*0800*41*X*004010~"]
    for n, segments in enumerate(sets, start=1):
        st = f"{n:04d}"
        lines += [f"ST*940*{st}~", *(f"{s}~" for s in segments), f"SE*{len(segments) + 2}*{st}~"]
    lines += [f"GE*{len(sets)}*41~", f"IEA*1*{control}~"]
    return "\n".join(lines) + "\n"


def _day(days: int) -> str:
    return tomorrow(days).strftime("%Y%m%d")


def shipping_order(ref: str, *lines: str, customer: str | None = "C-BJ", extra=()) -> list[str]:  # type: ignore[no-untyped-def]
    """A 940 of the floor's Beijing shop, to ship today and arrive tomorrow."""
    return [
        f"W05*N*{ref}*PO-{ref}",
        *([f"N1*BY*BEIJING SHOP*92*{customer}"] if customer else []),
        "N1*ST*CHAOYANG STORE*92*MAIN",
        "N3*1 JIANGUO ROAD",
        "N4*BEIJING**100022*CN",
        f"G62*02*{_day(1)}",
        f"G62*10*{_day(0)}",
        "W66*PP*M",
        *lines,
        *extra,
    ]


@pytest.fixture
def erp(api, person, floor):  # type: ignore[no-untyped-def]
    """The ERP's API client: an integration user of Beijing."""
    return api(person("integration", floor["wh"]))


def post(client, text: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/edi/940/", text, content_type="application/edi-x12")


def test_the_erp_s_940s_become_orders_allocated_as_the_api_takes_them(erp, floor):
    tea, rice = floor["tea"], floor["rice"]
    rice.unit = "CS"
    rice.save()
    tea.gtin = "0012345678905"  # an American item: its U.P.C. is 012345678905
    tea.save()
    interchange = x12(
        shipping_order(
            "SO-940-1", "LX*1", "W01*2*EA**VN*TEA", "LX*2", f"W01*1*CA**EN*{rice.gtin}", "W76*3"
        ),
        # No N1 BY: the customer is the one whose ship-to MAIN is; a U.P.C. names the tea.
        shipping_order("SO-940-2", "W01*1*EA*012345678905", customer=None),
    )
    answer = post(erp, interchange)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["interchange"], body["sender"], body["test"], body["replayed"]) == (
        "000000940",
        "ACMEERP",
        False,
        False,
    )
    assert [
        (o["where"], o["reference"], o["purpose"], o["status"], o["warehouse"])
        for o in body["orders"]
    ] == [
        ("ST 0001", "SO-940-1", "new", "allocated", "BJ"),
        ("ST 0002", "SO-940-2", "new", "allocated", "BJ"),
    ]
    first = Order.objects.get(external_ref="SO-940-1")
    assert [(line.item.sku, line.quantity) for line in first.lines.order_by("line_no")] == [
        ("TEA", 2),
        ("RICE", 1),
    ]
    assert (first.customer.code, first.ship_to.code) == ("C-BJ", "MAIN")
    assert (first.requested_delivery_date, first.promised_ship_date) == (tomorrow(1), tomorrow(0))
    kept = EdiOrder.objects.get(order=first)
    assert (kept.partner, kept.receiver, kept.purchase_order) == (
        "ZZ:ACMEERP",
        "ZZ:HANDOFF",
        "PO-SO-940-1",
    )
    assert kept.lines["2"] == {"qualifier": "EN", "product": rice.gtin, "unit": "CA"}
    ack = interchange_read(body["acknowledgment"])
    assert (ack.sender, ack.receiver, ack.control) == ("HANDOFF", "ACMEERP", "000000001")
    assert "AK1*OW*41~" in body["acknowledgment"] and "AK9*A*2*2*2~" in body["acknowledgment"]
    event = Event.objects.get(type="edi.received")
    assert event.payload["kind"] == "940" and event.payload["orders"] == 2

    again = post(erp, interchange)
    assert again.status_code == 200
    assert again.json() == {**body, "replayed": True}
    assert Order.objects.count() == 2

    changed = post(
        erp, interchange.replace("W01*2*EA**VN*TEA", "W01*3*EA**VN*TEA").replace("W76*3", "W76*4")
    )
    assert changed.status_code == 409
    assert changed.json()["fields"] == {"ISA13": [changed.json()["message"]]}


def test_a_940_with_problems_is_refused_naming_each_by_segment_and_nothing_is_kept(erp, floor):
    Customer.objects.create(code="C-TWO", name="Another shop")
    interchange = x12(
        shipping_order(
            "SO-BAD",
            "W01*1*EA**VN*NO-SUCH-SKU",
            "W01*1*EA**EN*6900000000000",
            "W01*1*KG**VN*TEA",
        ),
        shipping_order("SO-BAD-2", "W01*1*EA**VN*TEA", customer="C-NONE"),
    )
    answer = post(erp, interchange)
    assert answer.status_code == 400, answer.content
    assert answer.json()["fields"] == {
        "ST 0001, segment 12 (W01) W0105": ["Unknown SKU NO-SUCH-SKU."],
        "ST 0001, segment 13 (W01) W0105": ["No item has GTIN 6900000000000."],
        "ST 0002, segment 18 (N1) N104": ["Unknown customer C-NONE."],
    }
    assert answer.json()["message"].startswith("ST 0001, segment 12 (W01) W0105: Unknown SKU")
    assert Order.objects.count() == 0 and EdiInterchange.objects.count() == 0
    refusal = EdiRefusal.objects.get()
    assert (refusal.sender, refusal.control_number, refusal.kind) == (
        "ZZ:ACMEERP",
        "000000940",
        "940",
    )

    unit = post(erp, x12(shipping_order("SO-KG", "W01*1*KG**VN*TEA"), control="000000941"))
    assert unit.json()["fields"] == {
        "ST 0001, segment 12 (W01) W0102": ["TEA is ordered in EA, not KG."]
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            ("W01*2*EA**VN*TEA", "W01*0*EA**VN*TEA"),
            "segment 12 (W01) W0101",
            "The quantity is a whole number of units from 1 to 1000000, not 0.",
        ),
        (
            ("W01*2*EA**VN*TEA", "W01*1.5*EA**VN*TEA"),
            "segment 12 (W01) W0101",
            "The quantity is a whole number of units from 1 to 1000000, not 1.5.",
        ),
        (("W76*2", "W76*5"), "segment 13 (W76) W7601", "Totals 5; the lines add up to 2."),
        (
            ("W01*2*EA**VN*TEA", "W01*2*EA**ZZ*TEA"),
            "segment 12 (W01) W0104",
            "Product qualifier ZZ is not one Handoff reads (SK, VN, BP, IN, MG: the SKU; UP, UK, EN, UA, UI: the GTIN).",
        ),
        (
            ("W05*N*", "W05*R*"),
            "segment 4 (W05) W0501",
            "Handoff takes N (an original order) or F (cancel it), not R; change an order through the API, or cancel it and send it again under a new number.",
        ),
        (("G62*02*", "G62*17*"), "segment 3 (ST) G62", "Says no delivery date: a G62 02."),
        (
            ("GS*OW*", "GS*QM*"),
            "GS GS01",
            "Handoff reads warehouse shipping orders (GS01 OW) here, not QM.",
        ),
    ],
)
def test_a_940_that_cannot_be_read_is_refused_naming_its_segment(
    erp, floor, change, field, message
):  # type: ignore[no-untyped-def]
    text = x12(shipping_order("SO-1", "W01*2*EA**VN*TEA", "W76*2")).replace(*change)
    answer = post(erp, text)
    assert answer.status_code == 400, answer.content
    assert answer.json()["message"] == f"{field}: {message}"
    assert Order.objects.count() == 0


def test_a_reference_already_used_is_refused_at_its_w05_and_the_whole_interchange_with_it(
    erp, floor
):
    assert post(erp, x12(shipping_order("SO-1", "W01*1*EA**VN*TEA"))).status_code == 200
    again = post(
        erp,
        x12(
            shipping_order("SO-2", "W01*1*EA**VN*TEA"),
            shipping_order("SO-1", "W01*1*EA**VN*RICE"),
            control="000000942",
        ),
    )
    assert again.status_code == 409, again.content
    assert again.json()["message"] == (
        "ST 0002, segment 15 (W05) W0502: Order SO-1 of C-BJ was already received."
    )
    assert not Order.objects.filter(external_ref="SO-2").exists()


def test_a_test_interchange_is_checked_and_taken_then_undone(erp, floor):
    answer = post(erp, x12(shipping_order("SO-T", "W01*1*EA**VN*TEA"), usage="T"))
    assert answer.status_code == 200
    assert answer.json()["orders"][0]["status"] == "allocated"
    assert "*0*T*>~" in answer.json()["acknowledgment"]
    assert Order.objects.count() == 0 and EdiInterchange.objects.count() == 0


def test_a_940_cancels_an_order_and_its_stock_is_free_again(erp, floor):
    assert post(erp, x12(shipping_order("SO-C", "W01*4*EA**VN*TEA"))).status_code == 200
    order = Order.objects.get(external_ref="SO-C")
    assert Reservation.objects.filter(
        reference__startswith=f"order:{order.pk}:", status="open"
    ).exists()
    cancel = x12(
        ["W05*F*SO-C", "N1*BY*BEIJING SHOP*92*C-BJ", "NTE*GEN*CUSTOMER CALLED IT OFF"],
        control="000000943",
    )
    answer = post(erp, cancel)
    assert answer.status_code == 200, answer.content
    assert [(o["reference"], o["purpose"], o["status"]) for o in answer.json()["orders"]] == [
        ("SO-C", "cancel", "cancelled")
    ]
    order.refresh_from_db()
    assert order.status == "cancelled"
    cancelled = Event.objects.get(type="order.cancelled", aggregate_id="SO-C")
    assert cancelled.payload["reason"] == "CUSTOMER CALLED IT OFF"
    assert not Reservation.objects.filter(
        reference__startswith=f"order:{order.pk}:", status="open"
    ).exists()
    unknown = post(erp, x12(["W05*F*SO-NONE"], control="000000944"))
    assert unknown.json()["fields"] == {
        "ST 0001, segment 4 (W05) W0502": ["No order SO-NONE to cancel."]
    }


def _shipped(floor, order: Order) -> None:  # type: ignore[no-untyped-def]
    """The order on the van, picked, packed, scanned on, and the van gone."""
    load = services.load_build(
        warehouse=floor["wh"], vehicle=floor["van"], orders=[order], actor=None
    )
    services.wave_release(wave=services.wave_plan(load=load, actor=None), actor=None)
    pick_all(floor)
    on_the_truck(floor, Order.objects.get(pk=order.pk), load)
    services.load_depart(load=load, actor=None)


def test_when_the_truck_leaves_the_erp_gets_a_945_of_what_shipped(erp, api, client, person, floor):  # type: ignore[no-untyped-def]
    rice = floor["rice"]
    post(
        erp,
        x12(
            shipping_order(
                "SO-945", "LX*1", "W01*2*EA**VN*TEA", "LX*2", f"W01*1*EA**EN*{rice.gtin}"
            )
        ),
    )
    order = Order.objects.get(external_ref="SO-945")
    office = api(person("dispatcher", floor["wh"]))
    early = office.get(f"/api/v1/orders/{order.pk}/edi/945/")
    assert early.status_code == 409
    assert early.json()["message"] == "Order SO-945 is allocated: its 945 is issued when it ships."
    _shipped(floor, order)
    # Shipped, the worker not there yet: a GET says so and writes nothing.
    issuing = office.get(f"/api/v1/orders/{order.pk}/edi/945/")
    assert (issuing.status_code, issuing.json()["code"]) == (409, "issuing")
    assert issuing.json()["message"] == (
        "It shipped; its 945 is being issued, under the partner's next control number. "
        "Ask again in a minute."
    )
    assert not ShippingAdvice.objects.filter(order=order).exists()
    assert not Event.objects.filter(type="edi.sent").exists()
    assert shipping_advices_issue_due() == 1  # beat's sweep, or the relay's listener
    assert shipping_advices_issue_due() == 0  # issued once
    advice = ShippingAdvice.objects.get(order=order)
    assert advice.control_number == "000000002"  # the 997 took 1

    got = office.get(f"/api/v1/orders/{order.pk}/edi/945/")
    assert got.status_code == 200
    assert got["Content-Type"] == "text/plain; charset=utf-8"
    text = got.content.decode()
    assert text == advice.document
    interchange = interchange_read(text)  # every count and control number right
    assert (interchange.sender, interchange.receiver, interchange.control) == (
        "HANDOFF",
        "ACMEERP",
        "000000002",
    )
    (group,) = interchange.groups
    assert (group.code, group.sender, group.receiver) == ("SW", "HANDOFF", "ACMEERP")
    segments = [(s.tag, *s.elements) for s in group.sets[0].segments]
    order.refresh_from_db()
    shipment = order.stop.shipment
    shipped_on = order.shipped_at.astimezone(floor["wh"].zone()).strftime("%Y%m%d")
    unit = order.units.get()
    assert segments == [
        ("W06", "N", "SO-945", shipped_on, shipment.reference.replace("-", ""), "", "PO-SO-945"),
        ("N1", "SF", floor["wh"].name, "91", "BJ"),
        ("N1", "ST", "Chaoyang store", "92", "MAIN"),
        ("N9", "BM", shipment.reference),
        ("G62", "11", shipped_on),
        ("W27", "M", "OWN"),
        ("LX", "1"),
        ("MAN", "GM", unit.sscc),
        ("W12", "CC", "2", "2", "0", "EA", "", "VN", "TEA"),
        ("LX", "2"),
        ("MAN", "GM", unit.sscc),
        ("W12", "CC", "1", "1", "0", "EA", "", "EN", rice.gtin),
        ("W03", "3", f"{unit.weight_kg:.1f}", "KG"),
    ]
    sent = Event.objects.get(type="edi.sent")
    assert sent.payload["document"] == text and sent.payload["partner"] == "ZZ:ACMEERP"
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "EDI 940 from ACMEERP, interchange 000000940" in page and "PO-SO-945" in page
    assert f'href="/api/v1/orders/{order.pk}/edi/945/"' in page
    assert "EDI 945 sent (interchange 000000002)" in page

    by_api = services.order_create(
        customer=order.customer,
        ship_to=order.ship_to,
        external_ref="SO-API",
        lines=[services.LineInput(floor["tea"], 1)],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
        actor=None,
    )
    none = office.get(f"/api/v1/orders/{by_api.pk}/edi/945/")
    assert none.status_code == 404
    assert (
        none.json()["message"] == "Order SO-API did not come in an EDI 940, so no 945 answers it."
    )


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="on the real stack a worker runs the task")
def test_the_relay_publishing_a_departure_issues_its_945s(
    erp, floor, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from integrations.relay import events_publish

    post(erp, x12(shipping_order("SO-R", "W01*1*EA**VN*TEA")))
    order = Order.objects.get(external_ref="SO-R")
    _shipped(floor, order)
    with django_capture_on_commit_callbacks(execute=True):
        events_publish()
    assert ShippingAdvice.objects.filter(order=order).exists()


def test_a_split_order_is_answered_by_a_945_from_each_warehouse(erp, network, floor):
    """Beijing has 6 teas, Tianjin 4 more: an order of 8 splits, and each part's 945 names
    the depositor's order number and the lines of that part."""
    from tests.inventory.helpers import stock_in

    stock_in(floor["tea"], network["TJ"][1], 4)
    assert post(erp, x12(shipping_order("SO-SPLIT", "W01*8*EA**VN*TEA"))).status_code == 200
    main = Order.objects.get(external_ref="SO-SPLIT")
    part = Order.objects.get(split_from=main)
    _shipped(floor, main)
    shipping_advices_issue_due()
    (line,) = [
        s
        for s in interchange_read(ShippingAdvice.objects.get(order=main).document)
        .groups[0]
        .sets[0]
        .segments
        if s.tag == "W12"
    ]
    assert line.elements[:4] == ("CC", "6", "6", "0")
    assert not ShippingAdvice.objects.filter(order=part).exists()  # Tianjin's has not left
    assert part.external_ref.startswith("SO-SPLIT/")
    from integrations.selectors import edi_order_of

    assert edi_order_of(part) == EdiOrder.objects.get(order=main)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_interchanges_at_once_get_control_numbers_of_their_own(floor):
    """Two 940s of one ERP taken at once are answered under two 997 numbers, and one
    shipped order's 945 issued twice at once (the relay's listener and beat's sweep) is
    issued once."""
    from integrations.edi.intake import orders_said
    from integrations.edi.shipping_order import shipping_orders
    from integrations.services import shipping_advice_issue, shipping_orders_record
    from tests.shipping.helpers import at_once

    answers: list[dict] = []

    def take(ref: str, control: str):  # type: ignore[no-untyped-def]
        interchange = interchange_read(
            x12(shipping_order(ref, "W01*1*EA**VN*TEA"), control=control)
        )

        def run() -> None:
            said = orders_said(shipping_orders(interchange.groups[0]), context={})
            answer, _ = shipping_orders_record(
                interchange=interchange, digest=control * 7, orders=said, actor=None
            )
            answers.append(answer)

        return run

    assert at_once(take("SO-A", "000000001"), take("SO-B", "000000002")) == ["done", "done"]
    numbers = sorted(interchange_read(a["acknowledgment"]).control for a in answers)
    assert numbers == ["000000001", "000000002"]

    order = Order.objects.get(external_ref="SO-A")
    _shipped(floor, order)
    issue = lambda: shipping_advice_issue(order_id=order.pk)  # noqa: E731
    assert at_once(issue, issue) == ["done", "done"]
    assert ShippingAdvice.objects.filter(order=order).count() == 1
    assert Event.objects.filter(type="edi.sent").count() == 1


def test_a_customer_with_an_edi_id_gets_an_856_of_what_is_coming_when_the_truck_leaves(
    api, person, floor
):
    """The Beijing shop takes ship notices by EDI: when the van leaves, it is told which of its
    orders are coming, in which units (SSCCs), holding what; a shop without an EDI ID is
    told nothing by EDI."""
    customer = floor["shop"][0]
    customer.edi_id = "CBJSHOP"
    customer.save()
    order = floor_order(floor, (floor["tea"], 2), (floor["rice"], 1), ref="SO-856")
    _shipped(floor, order)
    order.refresh_from_db()
    stop = order.stop
    office = api(person("dispatcher", floor["wh"]))
    issuing = office.get(f"/api/v1/shipments/{stop.shipment_id}/stops/{stop.sequence}/edi/856/")
    assert (issuing.status_code, issuing.json()["code"]) == (409, "issuing")
    assert "its 856 is being issued" in issuing.json()["message"]
    assert not ShipNotice.objects.exists()  # a GET writes nothing
    assert edi_out_issue_due() == 1
    assert edi_out_issue_due() == 0
    notice = ShipNotice.objects.get(stop=stop)
    got = office.get(f"/api/v1/shipments/{stop.shipment_id}/stops/{stop.sequence}/edi/856/")
    assert got.status_code == 200
    assert got.content.decode() == notice.document
    interchange = interchange_read(notice.document)
    assert (interchange.sender, interchange.receiver, interchange.control) == (
        "HANDOFF",
        "CBJSHOP",
        "000000001",
    )
    segments = [(s.tag, *s.elements) for s in interchange.groups[0].sets[0].segments]
    unit = order.units.get()
    shipment = stop.shipment
    zone = floor["wh"].zone()
    left = shipment.departed_at.astimezone(zone)
    assert segments[0] == (
        "BSN",
        "00",
        f"{shipment.reference}-{stop.sequence}",
        f"{left:%Y%m%d}",
        f"{left:%H%M}",
        "0001",
    )
    hl = [s for s in segments if s[0] in ("HL", "PRF", "MAN", "LIN", "SN1", "CTT")]
    assert hl == [
        ("HL", "1", "", "S"),
        ("HL", "2", "1", "O"),
        ("PRF", "SO-856"),
        ("HL", "3", "2", "P"),
        ("MAN", "GM", unit.sscc),
        ("HL", "4", "3", "I"),
        ("LIN", "", "SK", "TEA", "EN", floor["tea"].gtin),
        ("SN1", "", "2", "EA"),
        ("HL", "5", "3", "I"),
        ("LIN", "", "SK", "RICE", "EN", floor["rice"].gtin),
        ("SN1", "", "1", "EA"),
        ("CTT", "5"),
    ]
    sent = Event.objects.get(type="edi.sent")
    assert (sent.payload["kind"], sent.payload["customer"]) == ("856", customer.code)

    customer.edi_id = ""
    customer.save()
    ShipNotice.objects.all().delete()
    none = office.get(f"/api/v1/shipments/{stop.shipment_id}/stops/{stop.sequence}/edi/856/")
    assert none.status_code == 404
    assert none.json()["message"] == "C-BJ takes no ship notices by EDI: it has no EDI ID."
    huge = office.get(f"/api/v1/shipments/{2**80}/stops/1/edi/856/")
    assert huge.status_code == 404  # beyond the database's integers: no such shipment
