"""A dispatcher whose ERP only exports spreadsheets imports its orders from the sheet: CSV
(UTF-8 or the GBK Chinese Excel writes) or XLSX, headed in English or Chinese, one row an
order line. Every order is taken and allocated as the API takes one, or none is; each
problem is named by its row and column, all at once."""

import datetime
import io

import openpyxl
import pytest

from core.models import Event
from shipping.models import Order
from tests.shipping.conftest import tomorrow

CHINESE = "订单号,客户编码,收货点编码,要求送达日期,承诺发货日期,货号,数量\n"


def _csv(header: str, *rows: str, encoding: str = "utf-8") -> bytes:
    return (header + "".join(f"{row}\n" for row in rows)).encode(encoding)


def _days(n: int) -> str:
    return tomorrow(n).strftime("%Y/%m/%d")  # as Chinese Excel writes dates


@pytest.fixture
def office(api, person, floor):  # type: ignore[no-untyped-def]
    return api(person("dispatcher", floor["wh"]))


def _post(client, content: bytes, kind: str = "text/csv"):  # type: ignore[no-untyped-def]
    return client.generic("POST", "/api/v1/imports/orders/", content, content_type=kind)


def test_the_office_imports_orders_from_a_chinese_csv_each_allocated(office, floor):
    ship, deliver = _days(0), _days(1)
    sheet = _csv(
        CHINESE,
        f"SO-A,C-BJ,MAIN,{deliver},{ship},TEA,2",
        f"SO-B,C-BJ,MAIN,{deliver},{ship},RICE,1",
        f"SO-A,C-BJ,MAIN,{deliver},{ship},RICE,1",  # SO-A's second line, further down
    )
    answer = _post(office, sheet)
    assert answer.status_code == 201, answer.content
    assert answer.json()["count"] == 2
    assert [(o["external_ref"], o["status"], o["warehouse"]) for o in answer.json()["orders"]] == [
        ("SO-A", "allocated", "BJ"),
        ("SO-B", "allocated", "BJ"),
    ]
    a = Order.objects.get(external_ref="SO-A")
    assert [(line.line_no, line.item.sku, line.quantity) for line in a.lines.all()] == [
        (1, "TEA", 2),
        (2, "RICE", 1),
    ]
    assert a.promised_ship_date == tomorrow(0)
    assert Event.objects.filter(type="order.received").count() == 2


def test_gbk_csv_and_xlsx_with_spreadsheet_dates_and_numbers_read_alike(office, floor):
    gbk = _csv(CHINESE, f"SO-G,C-BJ,MAIN,{_days(1)},{_days(0)},TEA,1", encoding="gbk")
    assert _post(office, gbk).status_code == 201
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["Order", "Customer", "Ship to", "Delivery date", "Ship date", "SKU", "Qty", "Note"]
    )
    sheet.append(["SO-X", "C-BJ", "MAIN", tomorrow(1), tomorrow(0), "TEA", 3, "left alone"])
    out = io.BytesIO()
    book.save(out)
    answer = _post(
        office,
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert answer.status_code == 201, answer.content
    order = Order.objects.get(external_ref="SO-X")
    assert (order.lines.get().quantity, order.requested_delivery_date) == (3, tomorrow(1))


def test_every_problem_is_named_by_its_cell_and_nothing_is_taken(office, floor):
    ship, deliver = _days(0), _days(1)
    sheet = _csv(
        CHINESE,
        f"SO-OK,C-BJ,MAIN,{deliver},{ship},TEA,1",
        f"SO-1,C-BJ,MAIN,{deliver},{ship},SAKE,1",
        f"SO-1,C-BJ,MAIN,{deliver},{ship},TEA,two",
        f"SO-2,C-XX,MAIN,{deliver},{ship},TEA,1",
        f"SO-3,C-BJ,MAIN,2026-02-30,{ship},TEA,1",
    )
    events = Event.objects.count()
    answer = _post(office, sheet)
    assert answer.status_code == 400
    assert answer.json()["fields"] == {
        "row 3 货号": ["Unknown SKU SAKE."],
        "row 4 数量": ["A valid integer is required."],
        "row 5 客户编码": ["Unknown customer C-XX."],
        "row 6 要求送达日期": [
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ],
    }
    assert answer.json()["message"] == "row 3 货号: Unknown SKU SAKE. (and 3 more)"
    assert not Order.objects.exists() and Event.objects.count() == events


def test_what_the_intake_refuses_is_named_by_the_order_s_row(office, floor):
    ship, deliver = _days(0), _days(1)
    first = _post(office, _csv(CHINESE, f"SO-1,C-BJ,MAIN,{deliver},{ship},TEA,1"))
    assert first.status_code == 201
    again = _post(
        office,
        _csv(
            CHINESE,
            f"SO-NEW,C-BJ,MAIN,{deliver},{ship},TEA,1",
            f"SO-1,C-BJ,MAIN,{deliver},{ship},TEA,1",
        ),
    )
    assert again.status_code == 400
    assert again.json()["fields"] == {"row 3 订单号": ["Order SO-1 of C-BJ was already received."]}
    assert not Order.objects.filter(external_ref="SO-NEW").exists()  # all or nothing
    yesterday = (datetime.date.today() - datetime.timedelta(days=3)).isoformat()
    past = _post(office, _csv(CHINESE, f"SO-OLD,C-BJ,MAIN,{deliver},{yesterday},TEA,1"))
    assert past.json()["fields"] == {"row 2 承诺发货日期": [f"{yesterday} is in the past."]}


def test_a_sheet_whose_form_is_wrong_says_so_before_anything_else(office, floor):
    no_sku = _post(office, _csv("订单号,客户编码,收货点编码,要求送达日期,承诺发货日期,数量\n", "x"))
    assert no_sku.status_code == 400
    assert list(no_sku.json()["fields"]) == ["row 1"]
    assert "No column for item" in no_sku.json()["message"]
    split = _post(
        office,
        _csv(
            CHINESE,
            f"SO-1,C-BJ,MAIN,{_days(1)},{_days(0)},TEA,1",
            f"SO-1,C-BJ,MAIN,{_days(1)},{_days(1)},RICE,1",
        ),
    )
    assert split.json()["fields"] == {
        "row 3 承诺发货日期": [
            f"Order SO-1 says {tomorrow(1).isoformat()} here and "
            f"{tomorrow(0).isoformat()} on row 2."
        ]
    }
    assert _post(office, b"PK\x03\x04garbage", "text/csv").json()["fields"] == {
        "file": ["Not an XLSX workbook Handoff can read."]
    }


def test_the_orders_page_imports_a_sheet_for_the_office_only(client, person, floor):
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get("/orders/").content.decode()
    assert 'action="/orders/import/"' in page
    template = client.get("/orders/import/template.csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    head = template.content.decode("utf-8-sig").splitlines()[0]
    assert head == "订单号,客户编码,收货点编码,要求送达日期,承诺发货日期,优先级,截单时间,货号,数量"
    sheet = (head + "\n" + f"SO-P,C-BJ,MAIN,{_days(1)},{_days(0)},紧急,,TEA,1\n").encode()
    upload = io.BytesIO(sheet)
    upload.name = "orders.csv"
    done = client.post("/orders/import/", {"sheet": upload}).content.decode()
    assert "1 order taken from orders.csv: SO-P." in done
    assert Order.objects.get(external_ref="SO-P").priority == 1  # 紧急: urgent
    bad = io.BytesIO(sheet.replace(b"TEA", b"SAKE"))
    bad.name = "orders.csv"
    refused = client.post("/orders/import/", {"sheet": bad}).content.decode()
    assert "Nothing was imported: mend these and import the sheet again." in refused
    assert "<li>row 2 货号: Unknown SKU SAKE.</li>" in refused
    client.force_login(floor["operator"])
    assert 'action="/orders/import/"' not in client.get("/orders/").content.decode()
    upload.seek(0)
    assert (
        "Importing orders is for the dispatch office."
        in client.post("/orders/import/", {"sheet": upload}).content.decode()
    )


def test_a_sheet_over_5_mb_is_refused_unread(office, floor):
    big = io.BytesIO(CHINESE.encode() + b"x" * (5 * 1024 * 1024))
    big.name = "big.csv"
    answer = office.post("/api/v1/imports/orders/", {"file": big}, format="multipart")
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"file": ["A sheet is at most 5 MB; send it in parts."]}
    raw = _post(office, CHINESE.encode() + b"x" * (5 * 1024 * 1024))
    assert raw.status_code == 400
    assert raw.json()["message"] == "A sheet is at most 5 MB; send it in parts."


def test_the_import_service_refuses_one_reference_twice_naming_the_second(floor):
    from core.exceptions import Conflict
    from shipping import services

    customer, ship_to = floor["shop"]
    draft = services.OrderDraft(
        customer=customer,
        ship_to=ship_to,
        external_ref="SO-TWICE",
        lines=[services.LineInput(floor["tea"], 1)],
        requested_delivery_date=tomorrow(1),
        promised_ship_date=tomorrow(0),
    )
    with pytest.raises(Conflict) as refused:
        services.orders_import(orders=[draft, draft], actor=None)
    assert (refused.value.field, refused.value.code) == ("orders[1].external_ref", "order_exists")
    assert not Order.objects.exists()
