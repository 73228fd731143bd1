"""The suppliers of the master data: the office keeps each one's code, name, the EDI ID its
ship notices come from and the phone the dock calls; a receipt names its supplier by its
code or its name, an 856 by its sender, and the supplier's record follows the receipt to the
gate, the late-truck alert and the scorecard."""

import datetime

import pytest
from django.utils import timezone

from dashboards.models import Alert
from dashboards.services import alerts_evaluate
from inventory.models import Receipt, Supplier
from shipping import services as shipping
from tests.integrations.test_edi_856_in import _post, goods, ship_notice, x12  # noqa: F401
from tests.shipping.test_dock_loads_waves import fleet  # noqa: F401

SUPPLIERS = "/api/v1/suppliers/"


@pytest.fixture
def yili(db):  # type: ignore[no-untyped-def]
    return Supplier.objects.create(
        code="YILI", name="伊利 Yili", edi_id="ZZ:COFCO", phone="0471-360 1234"
    )


def test_the_office_keeps_its_suppliers_and_bad_input_is_refused_naming_the_field(
    api, person, floor
):
    office = api(person("manager", floor["wh"]))
    made = office.post(
        SUPPLIERS,
        {"code": "YILI", "name": " 伊利   Yili ", "edi_id": "zz:yiliedi", "phone": "0471-360 1234"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert {k: made.json()[k] for k in ("code", "name", "edi_id", "is_active")} == {
        "code": "YILI",
        "name": "伊利 Yili",
        "edi_id": "ZZ:YILIEDI",
        "is_active": True,
    }
    for body, field in [
        ({"code": "YI LI", "name": "Yili"}, "code"),
        ({"code": "YILI", "name": "Yili"}, "code"),  # taken
        ({"code": "MK", "name": "  "}, "name"),
        ({"code": "MK", "name": "Master Kong", "edi_id": "MASTERKONG"}, "edi_id"),
        ({"code": "MK", "name": "Master Kong", "edi_id": "ZZ:YILIEDI"}, "edi_id"),  # taken
    ]:
        refused = office.post(SUPPLIERS, body, format="json")
        assert refused.status_code == 400, (body, refused.json())
        assert list(refused.json()["fields"]) == [field], refused.json()
    assert Supplier.objects.count() == 1
    floor_hand = api(person("operator", floor["wh"]))
    assert floor_hand.get(SUPPLIERS).json()["results"][0]["code"] == "YILI"
    assert (
        floor_hand.post(SUPPLIERS, {"code": "MK", "name": "MK"}, format="json").status_code == 403
    )


def test_a_receipt_names_its_supplier_by_its_code_its_name_or_its_856_s_sender(
    api,
    person,
    floor,
    goods,  # noqa: F811
    yili,
):
    keeper = api(person("manager", floor["wh"]))

    def posted(reference: str, supplier: str) -> dict:
        answer = keeper.post(
            "/api/v1/receipts/",
            {
                "warehouse": floor["wh"].code,
                "reference": reference,
                "supplier": supplier,
                "expected_on": floor["wh"].today().isoformat(),
                "lines": [{"item": "MILK", "quantity": 10}],
            },
            format="json",
        )
        assert answer.status_code == 201, answer.json()
        return answer.json()

    assert posted("PO-1", "yili")["supplier_code"] == "YILI"
    assert posted("PO-2", "伊利  YILI")["supplier_code"] == "YILI"
    unknown = posted("PO-3", "Mengniu")
    assert (unknown["supplier"], unknown["supplier_code"]) == ("Mengniu", None)
    listed = keeper.get("/api/v1/receipts/", {"supplier_code": "yili"}).json()["results"]
    assert sorted(r["reference"] for r in listed) == ["PO-1", "PO-2"]
    # An 856 from the EDI ID the supplier's record gives, whatever its N1 SF says.
    answer = _post(api(person("integration", floor["wh"])), x12(ship_notice(floor["wh"])))
    assert answer.status_code == 200, answer.json()
    receipt = Receipt.objects.get(reference="ASN-7781")
    assert (receipt.supplier, receipt.from_supplier) == ("中粮 COFCO", yili)


def test_the_gate_and_the_late_truck_alert_give_the_supplier_s_phone(
    client,
    person,
    fleet,  # noqa: F811
    yili,
):
    from inventory.services import receipt_create
    from tests.factories import ItemFactory

    warehouse = fleet["dock1"].warehouse
    receipt = receipt_create(
        warehouse=warehouse,
        reference="PO-9",
        supplier="YILI",
        expected_on=warehouse.today(),
        lines=[(ItemFactory(sku="MILK"), 10)],
        actor=None,
    )
    now = timezone.now()
    shipping.dock_hold_place(
        dock=fleet["dock1"],
        starts_at=now - datetime.timedelta(minutes=30),
        ends_at=now + datetime.timedelta(minutes=60),
        reason="receiving",
        receipt=receipt,
        actor=None,
    )
    client.force_login(person("operator", warehouse))
    page = client.get("/floor/", {"warehouse": warehouse.code}).content.decode()
    assert 'href="tel:0471-360 1234"' in page and "伊利 Yili" in page
    alerts_evaluate()
    late = Alert.objects.get(rule="supplier_late", resolved_at__isnull=True)
    assert "PO-9 (伊利 Yili, ☎ 0471-360 1234)" in late.message


def test_the_scorecard_scores_a_supplier_of_the_master_data_under_its_name(
    api,
    person,
    network,
    fleet,  # noqa: F811
    yili,
):
    """Two receipts naming Yili by its code and by its name, and one of a supplier the master
    data does not know: two rows, Yili's under its record's name."""
    from inventory.services import receipt_close, receipt_create, stock_receive
    from tests.factories import ItemFactory

    warehouse = fleet["dock1"].warehouse
    milk = ItemFactory(sku="MILK")
    for reference, supplier in (("R-1", "YILI"), ("R-2", "伊利 yili"), ("R-3", "Mengniu")):
        receipt = receipt_create(
            warehouse=warehouse,
            reference=reference,
            supplier=supplier,
            expected_on=warehouse.today(),
            lines=[(milk, 10)],
            actor=None,
        )
        stock_receive(
            item=milk, quantity=10, location=network["BJ"][2], receipt=receipt, actor=None
        )
        receipt_close(receipt=receipt, actor=None)
    got = api(person("manager", warehouse)).get("/api/v1/kpis/", {"warehouse": warehouse.code})
    assert got.status_code == 200, got.json()
    assert [(s["supplier"], s["receipts"]) for s in got.json()["suppliers"]] == [
        ("伊利 Yili", 2),
        ("Mengniu", 1),
    ]


def test_the_office_keeps_its_suppliers_on_their_page_and_the_floor_reads_it(
    client, person, floor, yili
):
    page = "/suppliers/"
    client.force_login(person("operator", floor["wh"]))
    read = client.get(page).content.decode()
    assert 'data-supplier="YILI"' in read and 'href="tel:0471-360 1234"' in read
    assert 'id="supplier-save"' not in read  # the floor reads, the office keeps them
    client.post("/suppliers/save/", {"code": "MK", "name": "Master Kong"}, HTTP_HX_REQUEST="true")
    assert not Supplier.objects.filter(code="MK").exists()

    client.force_login(person("manager", floor["wh"]))
    save = "/suppliers/save/"
    added = client.post(
        save,
        {"code": "MK", "name": "康师傅  Master Kong", "phone": "022-2886 5000", "is_active": "on"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "MK added." in added and 'data-supplier="MK"' in added
    assert Supplier.objects.get(code="MK").name == "康师傅 Master Kong"
    changed = client.post(
        save, {"code": "yili", "name": "伊利 Yili", "edi_id": "ZZ:COFCO"}, HTTP_HX_REQUEST="true"
    ).content.decode()  # by its code, case aside; not ticked active: no longer
    assert "YILI changed." in changed
    yili.refresh_from_db()
    assert (yili.code, yili.is_active, yili.phone) == ("YILI", False, "")
    refused = client.post(
        save, {"code": "NF", "name": "Nongfu", "edi_id": "NONGFU"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "EDI ID: Give it as the ISA says it" in refused
    taken = client.post(
        save, {"code": "NF", "name": "Nongfu", "edi_id": "zz:cofco"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "EDI ID: YILI&#x27;s ship notices come from ZZ:COFCO already." in taken
    assert not Supplier.objects.filter(code="NF").exists()
    chinese = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "供应商" in chinese and "按代码添加或修改供应商" in chinese
