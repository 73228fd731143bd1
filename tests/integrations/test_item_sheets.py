"""Whoever keeps the item catalogue loads it from the ERP's export: a CSV (UTF-8 or GBK)
or XLSX, headed in English or Chinese, one row an item found by its SKU. New SKUs are
added, known ones changed as their rows say, all or none; every problem is named by its
row and column at once."""

import io
from decimal import Decimal

import openpyxl
import pytest

from core.models import Event
from inventory.models import Item
from tests.factories import ItemFactory

CHINESE = "货号,品名,条码,单位,重量(kg),温层,批次管理,保质期(天)\n"


def _csv(header: str, *rows: str, encoding: str = "utf-8") -> bytes:
    return (header + "".join(f"{row}\n" for row in rows)).encode(encoding)


@pytest.fixture
def keeper(api, person, site):  # type: ignore[no-untyped-def]
    """The catalogue's keeper: a manager of the site."""
    return api(person("manager", site.warehouse))


def _post(client, content: bytes, kind: str = "text/csv"):  # type: ignore[no-untyped-def]
    return client.generic("POST", "/api/v1/imports/items/", content, content_type=kind)


def test_new_skus_are_added_and_known_ones_changed_as_their_rows_say(keeper):
    tea = ItemFactory(sku="TEA", name="Tea", weight_kg=Decimal("0.5"), shelf_life_days=365)
    sheet = _csv(
        CHINESE,
        "MILK,鲜牛奶 Fresh milk,6901234000016,EA,1.05,冷藏,是,14",
        "TEA,,,,0.3,,,",  # only its weight changes
        "ICE,冰淇淋,,BOX,,frozen,no,",
    )
    answer = _post(keeper, sheet, "text/csv; charset=gbk")
    assert answer.status_code == 201, answer.content
    assert answer.json() == {"added": ["MILK", "ICE"], "changed": ["TEA"]}
    milk = Item.objects.get(sku="MILK")
    assert (milk.name, milk.gtin, milk.temperature_class, milk.lot_tracked) == (
        "鲜牛奶 Fresh milk",
        "6901234000016",
        "chilled",
        True,
    )
    assert (milk.weight_kg, milk.shelf_life_days) == (Decimal("1.05"), 14)
    tea.refresh_from_db()
    assert (tea.name, tea.weight_kg, tea.shelf_life_days) == ("Tea", Decimal("0.3"), 365)
    ice = Item.objects.get(sku="ICE")
    assert (ice.unit, ice.temperature_class, ice.lot_tracked) == ("BOX", "frozen", False)
    assert sorted(
        Event.objects.filter(type__startswith="item.").values_list("type", flat=True)
    ) == [
        "item.created",
        "item.created",
        "item.updated",
    ]


def test_gbk_csv_and_xlsx_read_alike(keeper):
    assert _post(keeper, _csv(CHINESE, "SOAP,肥皂,,,,常温,否,", encoding="gbk")).status_code == 201
    assert Item.objects.get(sku="SOAP").name == "肥皂"
    book = openpyxl.Workbook()
    book.active.append(["SKU", "Name", "Weight", "Hazmat", "Shelf life (days)"])
    book.active.append(["BLEACH", "Bleach 2 l", 2.1, "yes", 720.0])  # Excel's numbers
    out = io.BytesIO()
    book.save(out)
    upload = io.BytesIO(out.getvalue())
    upload.name = "catalogue.xlsx"
    answer = keeper.post("/api/v1/imports/items/", {"file": upload}, format="multipart")
    assert answer.status_code == 201, answer.content
    bleach = Item.objects.get(sku="BLEACH")
    assert (bleach.weight_kg, bleach.hazmat, bleach.shelf_life_days) == (Decimal("2.1"), True, 720)


def test_every_problem_is_named_by_its_row_and_column_and_nothing_is_written(keeper):
    ItemFactory(sku="RICE", gtin="6901234000023")
    sheet = _csv(
        CHINESE,
        "MILK,Milk,6901234000017,EA,1,冷藏,是,14",  # the check digit is 6
        "SALT,,,,,,,",  # a new item needs a name
        "OIL,Oil,,EA,-2,常温,否,",
        "FISH,Fish,,EA,1,温热,否,",
        "MILK,Milk again,,EA,1,冷藏,是,14",
        "BEER,Beer,,EA,1,常温,maybe,",
    )
    answer = _post(keeper, sheet)
    assert answer.status_code == 400
    assert sorted(answer.json()["fields"]) == [
        "row 2 条码",
        "row 3 品名",
        "row 4 重量(kg)",
        "row 5 温层",
        "row 6 货号",
        "row 7 批次管理",
    ]
    assert not Item.objects.exclude(sku="RICE").exists()
    # What only the database knows: a GTIN another item has.
    taken = _post(keeper, _csv(CHINESE, "SOAP,Soap,,EA,1,常温,否,", "MILK,Milk,6901234000023,,,,,"))
    assert taken.status_code == 400
    assert list(taken.json()["fields"]) == ["row 3 条码"]
    assert taken.json()["fields"]["row 3 条码"] == ["GTIN 6901234000023 is RICE's."]
    twice = _post(
        keeper,
        _csv(CHINESE, "SOAP,Soap,6901234000016,EA,1,常温,否,", "MILK,Milk,6901234000016,,,,,"),
    )
    assert twice.json()["fields"] == {"row 3 条码": ["GTIN 6901234000016 is on row 2 too."]}
    assert not Item.objects.filter(sku__in=["SOAP", "MILK"]).exists()
    assert not Event.objects.filter(type__startswith="item.").exists()


def test_a_sheet_without_a_sku_column_or_from_an_operator_is_refused(keeper, api, person, site):
    answer = _post(keeper, _csv("品名,条码\n", "Milk,"))
    assert answer.status_code == 400
    assert answer.json()["fields"]["row 1"] == ["No column for sku (headers such as sku / 货号)."]
    operator = api(person("operator", site.warehouse))
    assert _post(operator, _csv(CHINESE, "MILK,Milk,,,,,,")).status_code == 403


def test_the_stock_page_takes_the_sheet_for_a_manager_only(client, person, site):
    client.force_login(person("operator", site.warehouse))
    assert "import-items" not in client.get("/stock/").content.decode()
    client.force_login(person("manager", site.warehouse))
    page = client.get("/stock/").content.decode()
    assert 'id="import-items"' in page
    template = client.get("/stock/items/import/template.csv").content.decode("utf-8-sig")
    assert template.splitlines()[0].startswith("sku,name,gtin")
    sheet = io.BytesIO(template.encode())
    sheet.name = "items.csv"
    answer = client.post("/stock/items/import/", {"sheet": sheet, "warehouse": "WA"})
    assert "From items.csv: 2 items added, 0 changed." in answer.content.decode()
    assert set(Item.objects.values_list("sku", flat=True)) == {"TEA-250", "MILK-1L"}
    again = io.BytesIO(b"sku,gtin\nTEA-250,123\n")
    again.name = "bad.csv"
    answer = client.post("/stock/items/import/", {"sheet": again, "warehouse": "WA"}).content
    assert "row 2 gtin" in answer.decode()


def test_a_big_sheet_is_read_and_saved_in_a_few_queries_not_a_few_a_row(
    keeper, django_assert_max_num_queries
):
    for n in range(150):
        ItemFactory(sku=f"K{n:03d}", name=f"Known {n}")
    rows = [f"K{n:03d},Known {n} renamed,,EA,1.5,,," for n in range(150)]
    rows += [f"N{n:03d},New {n},,EA,2,常温,否,30" for n in range(150)]
    with django_assert_max_num_queries(20):
        answer = _post(keeper, _csv(CHINESE, *rows))
    assert answer.status_code == 201, answer.content
    assert len(answer.json()["added"]) == 150 and len(answer.json()["changed"]) == 150
    assert Item.objects.get(sku="K007").name == "Known 7 renamed"
    assert Item.objects.get(sku="N149").shelf_life_days == 30
    assert Event.objects.filter(type="item.updated").count() == 150
    assert Event.objects.filter(type="item.created").count() == 150
