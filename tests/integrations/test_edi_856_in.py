"""A supplier's system sends its ship notices as X12 856s: each becomes a receipt expected at
our warehouse, with the pallets it announced by their SSCCs and what each holds (lots and
expiry dates included). On the dock, one scan of a pallet's label receives all of it; a
pallet scanned twice, or one not on the receipt, is refused saying why."""

import datetime

import pytest
from django.utils import timezone

from core.gs1 import gs1_check_digit
from core.models import Event
from inventory.models import Receipt, StockBalance, Task
from tests.factories import ItemFactory


def _sscc(serial: int) -> str:
    body = f"0690123490{serial:07d}"
    return body + str(gs1_check_digit(body))


P1, P2 = _sscc(1), _sscc(2)


def x12(*sets: list[str], control: str = "000000856", usage: str = "P") -> str:
    """An interchange from the supplier (ISA06 COFCO) of these 856s, each a list of its
    segments between ST and SE, with its envelopes' counts and control numbers right."""
    isa = (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{'COFCO':<15}*ZZ*{'HANDOFF':<15}*261207*0700*U*"
        f"00401*{control}*0*{usage}*>~"
    )
    assert len(isa) == 106
    lines = [isa, "GS*SH*COFCO*HANDOFF*20261207*0700*12*X*004010~"]
    for n, segments in enumerate(sets, start=1):
        st = f"{n:04d}"
        lines += [f"ST*856*{st}~", *(f"{s}~" for s in segments), f"SE*{len(segments) + 2}*{st}~"]
    lines += [f"GE*{len(sets)}*12~", f"IEA*1*{control}~"]
    return "\n".join(lines) + "\n"


def _day(warehouse, days: int) -> str:  # type: ignore[no-untyped-def]
    return (warehouse.today() + datetime.timedelta(days=days)).strftime("%Y%m%d")


@pytest.fixture
def goods(floor):  # type: ignore[no-untyped-def]
    """Milk (lot-tracked, by GTIN on the notice) and the floor's tea."""
    milk = ItemFactory(sku="MILK", name="Milk", lot_tracked=True, gtin="6901234000016")
    return {"milk": milk, "tea": floor["tea"]}


def ship_notice(warehouse, ref: str = "ASN-7781", pallets=(P1, P2), extra=()) -> list[str]:  # type: ignore[no-untyped-def]
    """Two pallets: the first two lots of milk and some tea, the second tea; and two teas
    loose on the truck."""
    first, second = pallets
    return [
        f"BSN*00*{ref}*{_day(warehouse, 0)}*0630*0001",
        "HL*1**S",
        "TD1*PLT*2",
        "TD5**2*SFEX",
        f"DTM*011*{_day(warehouse, 0)}",
        f"DTM*017*{_day(warehouse, 1)}",
        "N1*SF*中粮 COFCO*92*COFCO",
        f"N1*ST*Beijing DC*92*{warehouse.code}",
        "HL*2*1*O",
        "PRF*PO-5521",
        "HL*3*2*P",
        f"MAN*GM*{first}",
        "HL*4*3*I",
        "LIN**EN*6901234000016",
        "SN1**10*EA",
        "REF*LT*L-1205",
        f"DTM*036*{_day(warehouse, 20)}",
        "HL*5*3*I",
        "LIN**SK*TEA",
        "SN1**4*EA",
        "HL*6*2*P",
        f"MAN*GM*{second}",
        "HL*7*6*I",
        "LIN**SK*TEA*VN*TEA-SUP",
        "SN1**6*EA",
        "HL*8*2*I",
        "LIN**SK*TEA",
        "SN1**2*EA",
        *extra,
    ]


@pytest.fixture
def supplier(api, person, floor):  # type: ignore[no-untyped-def]
    return api(person("integration", floor["wh"]))


def _post(client, text: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/edi/856/", text, content_type="application/edi-x12")


def test_the_supplier_s_856_is_a_receipt_expected_pallet_by_pallet(supplier, floor, goods):
    answer = _post(supplier, x12(ship_notice(floor["wh"])))
    assert answer.status_code == 200, answer.json()
    (told,) = answer.json()["receipts"]
    assert (told["reference"], told["warehouse"], told["lines"], told["pallets"]) == (
        "ASN-7781",
        floor["wh"].code,
        2,
        2,
    )
    assert answer.json()["acknowledgment"].startswith("ISA*00*")
    receipt = Receipt.objects.get(reference="ASN-7781")
    assert receipt.supplier == "中粮 COFCO"
    assert receipt.expected_on == floor["wh"].today() + datetime.timedelta(days=1)
    assert sorted((line.item.sku, line.expected_quantity) for line in receipt.lines.all()) == [
        ("MILK", 10),
        ("TEA", 12),
    ]
    first = receipt.units.get(sscc=P1)
    assert [(c.item.sku, c.quantity, c.lot_code) for c in first.lines.all()] == [
        ("MILK", 10, "L-1205"),
        ("TEA", 4, ""),
    ]
    # The same interchange again: the same answer, nothing twice.
    again = _post(supplier, x12(ship_notice(floor["wh"])))
    assert again.json()["replayed"] is True
    assert Receipt.objects.count() == 1


def test_one_scan_of_a_pallet_label_receives_all_it_holds_once(supplier, api, person, floor, goods):
    _post(supplier, x12(ship_notice(floor["wh"])))
    receipt = Receipt.objects.get()
    operator = api(person("operator", floor["wh"]))
    scanned = f"]C100{P1}"  # as a GS1-128 scanner sends the label
    answer = operator.post(
        f"/api/v1/receipts/{receipt.pk}/units/receive/",
        {"sscc": scanned, "location": floor["lane"].barcode},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    pallet = next(u for u in answer.json()["units"] if u["sscc"] == P1)
    assert pallet["location"] == floor["lane"].barcode and pallet["received_at"]
    milk = StockBalance.objects.get(item=goods["milk"], location=floor["lane"])
    assert (milk.on_hand, milk.lot.code) == (10, "L-1205")
    assert milk.lot.expires_on == floor["wh"].today() + datetime.timedelta(days=20)
    lines = {line.item.sku: line.received_quantity for line in receipt.lines.all()}
    assert lines == {"MILK": 10, "TEA": 4}
    assert Task.objects.filter(kind="putaway", reference="ASN-7781").count() == 2
    assert Event.objects.filter(type="receipt.unit_received").count() == 1
    twice = operator.post(
        f"/api/v1/receipts/{receipt.pk}/units/receive/",
        {"sscc": P1, "location": floor["lane"].barcode},
        format="json",
    )
    assert twice.status_code == 409
    assert twice.json()["message"].startswith(f"Pallet {P1} was received at BJ-LANE on ")
    stranger = operator.post(
        f"/api/v1/receipts/{receipt.pk}/units/receive/",
        {"sscc": _sscc(99), "location": floor["lane"].barcode},
        format="json",
    )
    assert stranger.status_code == 400
    assert stranger.json()["message"] == f"Pallet {_sscc(99)} is not on receipt ASN-7781."
    assert StockBalance.objects.get(item=goods["milk"], location=floor["lane"]).on_hand == 10


def test_the_floor_receives_a_pallet_by_its_label(client, supplier, person, floor, goods):
    _post(supplier, x12(ship_notice(floor["wh"])))
    receipt = Receipt.objects.get()
    client.force_login(person("operator", floor["wh"]))
    page = client.get("/floor/", {"warehouse": floor["wh"].code}).content.decode()
    assert P2 in page and "Receive the pallet" in page
    answer = client.post(
        f"/floor/receipts/{receipt.pk}/pallets/",
        {"sscc": P2, "location_barcode": floor["lane"].barcode, "warehouse_code": "BJ"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert f"Received pallet {P2} at BJ-LANE: 1 item." in answer
    assert receipt.units.get(sscc=P2).received_at is not None


def _refused(client, text: str) -> dict:  # type: ignore[no-untyped-def]
    answer = _post(client, text)
    assert answer.status_code in (400, 409), answer.json()
    return answer.json()


def test_a_fault_refuses_the_whole_interchange_naming_its_segment(supplier, floor, goods):
    wh = floor["wh"]
    bad_unit = [s.replace("SN1**4*EA", "SN1**4*KG") for s in ship_notice(wh)]
    unknown = [s.replace("LIN**SK*TEA*VN", "LIN**SK*NOPE*VN") for s in ship_notice(wh)]
    stranger = [s.replace(f"92*{wh.code}", "92*SH") for s in ship_notice(wh)]
    problems = _refused(supplier, x12(bad_unit, unknown, stranger))["fields"]
    assert problems == {
        "ST 0001, segment 23 (SN1) SN103": [f"TEA is kept in {goods['tea'].unit}, not KG."],
        "ST 0002, segment 57 (LIN) LIN03": ["Unknown SKU NOPE."],
        "ST 0003, segment 71 (N1) N104": ["No warehouse SH of yours."],
    }
    broken = ship_notice(wh, pallets=(P1, P1[:-1] + str((int(P1[-1]) + 1) % 10)))
    refused = _refused(supplier, x12(broken, control="000000857"))
    assert list(refused["fields"]) == ["ST 0001, segment 25 (MAN) MAN02"]
    assert "Check digit" in refused["message"]
    assert not Receipt.objects.exists()
    # A pallet still expected on an open receipt cannot be announced again.
    assert _post(supplier, x12(ship_notice(wh), control="000000858")).status_code == 200
    again = _refused(supplier, x12(ship_notice(wh, ref="ASN-7782"), control="000000859"))
    assert list(again["fields"]) == ["ST 0001, segment 15 (MAN) MAN02"]
    assert Receipt.objects.count() == 1


def test_the_receipts_api_takes_the_pallets_too_and_checks_them(api, person, floor, goods):
    keeper = api(person("manager", floor["wh"]))
    body = {
        "warehouse": floor["wh"].code,
        "reference": "PO-88",
        "supplier": "Yili",
        "expected_on": floor["wh"].today().isoformat(),
        "lines": [{"item": "MILK", "quantity": 10}],
        "units": [
            {"sscc": P1, "contents": [{"item": "MILK", "quantity": 6, "lot": "L-1"}]},
            {"sscc": P2, "contents": [{"item": "TEA", "quantity": 1}]},
        ],
    }
    refused = keeper.post("/api/v1/receipts/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "units[1].contents[0].item": [
            "Pallet 069012349000000026 holds TEA, which no line of the receipt expects."
        ]
    }
    body["units"][1] = {"sscc": P1, "contents": [{"item": "MILK", "quantity": 4}]}
    assert list(keeper.post("/api/v1/receipts/", body, format="json").json()["fields"]) == [
        "units[1].sscc"
    ]
    body["units"][1] = {"sscc": P2, "contents": [{"item": "MILK", "quantity": 5}]}
    too_many = keeper.post("/api/v1/receipts/", body, format="json").json()
    assert too_many["message"] == "The pallets hold 11 of MILK; its line expects 10."
    body["units"][1]["contents"][0]["quantity"] = 4
    taken = keeper.post("/api/v1/receipts/", body, format="json")
    assert taken.status_code == 201, taken.json()
    assert [u["sscc"] for u in taken.json()["units"]] == [P1, P2]
    assert not Receipt.objects.exclude(reference="PO-88").exists()


def test_the_goods_in_portal_receives_the_announced_pallets_where_the_event_says(
    supplier, api, person, floor, goods
):
    """An RFID portal at the goods-in door reads both pallets going through, twice (a portal
    reads a tag many times), and a pallet nobody announced."""
    from django.utils import timezone

    _post(supplier, x12(ship_notice(floor["wh"])))
    middleware = api(person("integration", floor["wh"]))

    def urn(sscc: str) -> str:
        return f"urn:epc:id:sscc:6901234.{sscc[0]}{sscc[8:17]}"

    event = {
        "type": "ObjectEvent",
        "eventTime": timezone.now().isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "epcList": [urn(P1), urn(P2), urn(P1), urn(_sscc(77))],
        "action": "OBSERVE",
        "bizStep": "https://ref.gs1.org/cbv/BizStep-receiving",
        "readPoint": {"id": "urn:epc:id:sgln:6901234.00001.D9"},
        "bizLocation": {"id": f"https://id.gs1.org/414/6901234000018/254/{floor['lane'].barcode}"},
    }
    body = {"type": "EPCISDocument", "epcisBody": {"eventList": [event]}}
    answer = middleware.post("/api/v1/epcis/capture/", body, format="json")
    assert answer.status_code == 200, answer.json()
    told = answer.json()
    assert [u["outcome"] for u in told["units"]] == ["received", "received", "skipped", "refused"]
    assert told["units"][0]["receipt"] == "ASN-7781"
    assert told["units"][2]["why"] == f"Already received at {floor['lane'].barcode}."
    assert told["units"][3]["why"] == (
        f"No open receipt of your warehouses expects pallet {_sscc(77)}."
    )
    receipt = Receipt.objects.get()
    assert {line.item.sku: line.received_quantity for line in receipt.lines.all()} == {
        "MILK": 10,
        "TEA": 10,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_one_pallet_scanned_at_two_doors_at_once_is_received_once(
    supplier, floor, goods
):
    """The portal and a hand scanner read the same pallet at once: it is received once."""
    from inventory.services import receipt_unit_receive
    from tests.shipping.helpers import at_once

    _post(supplier, x12(ship_notice(floor["wh"])))
    receipt = Receipt.objects.get()

    def scan():  # type: ignore[no-untyped-def]
        receipt_unit_receive(receipt=receipt, sscc=P1, location=floor["lane"], actor=None)

    assert sorted(at_once(scan, scan)) == ["done", "received"]
    assert StockBalance.objects.get(item=goods["milk"], location=floor["lane"]).on_hand == 10
    assert Event.objects.filter(type="receipt.unit_received").count() == 1


def _at_eight(warehouse, notice: list[str], time: str = "0800", code: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    """The notice with its truck due tomorrow at `time` (DTM 017's DTM03, DTM04 `code`)."""
    tomorrow = _day(warehouse, 1)
    due = f"DTM*017*{tomorrow}*{time}" + (f"*{code}" if code else "")
    return [due if s.startswith("DTM*017*") else s for s in notice]


def test_a_ship_notice_saying_when_its_truck_comes_gets_a_door_held_for_it(
    supplier, client, person, floor, goods
):
    from shipping import services as shipping
    from shipping.models import Dock, DockHold

    warehouse = floor["wh"]
    d1 = Dock.objects.create(warehouse=warehouse, code="D1")
    Dock.objects.create(warehouse=warehouse, code="D2")
    eight = datetime.datetime.combine(
        warehouse.today() + datetime.timedelta(days=1), datetime.time(8), warehouse.zone()
    )
    shipping.dock_hold_place(  # D1's leveller is mended then
        dock=d1,
        starts_at=eight - datetime.timedelta(hours=1),
        ends_at=eight + datetime.timedelta(hours=1),
        reason="maintenance",
        actor=None,
    )
    answer = _post(supplier, x12(_at_eight(warehouse, ship_notice(warehouse))))
    assert answer.status_code == 200, answer.json()
    (told,) = answer.json()["receipts"]
    assert told["door_not_held"] is None
    assert (told["door"]["dock"], told["door"]["starts_at"]) == ("D2", eight.isoformat())
    hold = DockHold.objects.get(pk=told["door"]["hold"])
    assert (hold.reason, hold.receipt.reference) == ("receiving", "ASN-7781")
    assert hold.ends_at - hold.starts_at == datetime.timedelta(minutes=60)
    # The floor reads which door it comes to.
    client.force_login(person("operator", warehouse))
    card = client.get("/floor/", {"warehouse": warehouse.code, "fragment": "receiving"})
    assert "its truck at D2" in card.content.decode()

    # A second supplier's truck at the same hour: the receipt is taken, no door is free.
    later = _post(
        supplier,
        x12(
            _at_eight(
                warehouse, ship_notice(warehouse, ref="ASN-7782", pallets=(_sscc(3), _sscc(4)))
            ),
            control="000000857",
        ),
    )
    assert later.status_code == 200, later.json()
    (second,) = later.json()["receipts"]
    assert second["door"] is None
    assert second["door_not_held"].startswith(f"No door of {warehouse.code} is free ")
    assert Receipt.objects.filter(reference="ASN-7782").exists()
    assert DockHold.objects.filter(reason="receiving").count() == 1
    # Sent again: the same answer, no second door.
    again = _post(supplier, x12(_at_eight(warehouse, ship_notice(warehouse))))
    assert again.json()["replayed"] is True and again.json()["receipts"][0]["door"] == told["door"]
    assert DockHold.objects.filter(reason="receiving").count() == 1


def test_a_time_not_on_the_warehouse_s_clock_is_refused_naming_its_element(supplier, floor, goods):
    answer = _post(supplier, x12(_at_eight(floor["wh"], ship_notice(floor["wh"]), code="ET")))
    assert answer.status_code == 400
    (where,) = answer.json()["fields"]
    assert where.endswith("DTM04"), where
    assert "LT, or none, not ET" in answer.json()["fields"][where][0]
    assert not Receipt.objects.exists()


def test_an_interchange_with_one_856_refused_takes_none_and_holds_no_door(supplier, floor, goods):
    """The first 856 would get a door; the second's reference is taken already: neither
    receipt is taken, and no door is held."""
    from shipping.models import Dock, DockHold

    warehouse = floor["wh"]
    Dock.objects.create(warehouse=warehouse, code="D1")
    _post(supplier, x12(ship_notice(warehouse, ref="ASN-1", pallets=(_sscc(5), _sscc(6)))))
    both = x12(
        _at_eight(warehouse, ship_notice(warehouse, ref="ASN-2")),
        ship_notice(warehouse, ref="ASN-1", pallets=(_sscc(7), _sscc(8))),
        control="000000858",
    )
    answer = _post(supplier, both)
    assert answer.status_code == 409, answer.json()
    (where,) = answer.json()["fields"]
    assert where.endswith("BSN02"), where
    assert list(Receipt.objects.values_list("reference", flat=True)) == ["ASN-1"]
    assert not DockHold.objects.exists()


def test_the_truck_an_856_names_is_expected_at_its_door_and_told_when_it_comes(
    supplier, client, person, floor, goods
):
    from shipping import services as shipping
    from shipping.models import Dock, DockHold

    warehouse = floor["wh"]
    Dock.objects.create(warehouse=warehouse, code="D1")
    # Due in two hours, on the warehouse's clock: within the gate's horizon at any hour.
    due = timezone.localtime(timezone.now() + datetime.timedelta(hours=2), warehouse.zone())
    notice = [
        f"DTM*017*{due:%Y%m%d}*{due:%H%M}" if s.startswith("DTM*017*") else s
        for s in ship_notice(warehouse)
    ]
    with_truck = [*notice[:4], "TD3*TL**冀B 88321", *notice[4:]]
    answer = _post(supplier, x12(with_truck))
    assert answer.status_code == 200, answer.json()
    door = answer.json()["receipts"][0]["door"]
    assert (door["dock"], door["expected_plate"]) == ("D1", "冀B 88321")
    # The gate finds the plate written in for it, and the event says it is the truck said.
    client.force_login(person("operator", warehouse))
    card = client.get("/floor/", {"warehouse": warehouse.code, "fragment": "dock"})
    assert 'value="冀B 88321"' in card.content.decode()
    assert "expected: 冀B 88321" in card.content.decode()
    hold = DockHold.objects.get(pk=door["hold"])  # in two hours: it came early
    shipping.supplier_truck_check_in(hold=hold, plate="冀B-88321", actor=None, at=hold.placed_at)
    came = Event.objects.filter(type="supplier_truck.checked_in").get()
    assert (came.payload["expected_plate"], came.payload["as_expected"]) == ("冀B 88321", True)

    too_long = _post(
        supplier,
        x12(
            [*ship_notice(warehouse, ref="ASN-9")[:4], f"TD3*TL**{'X' * 21}", *notice[4:]],
            control="000000859",
        ),
    )
    assert too_long.status_code == 400
    (where,) = too_long.json()["fields"]
    assert where.endswith("TD303"), where
