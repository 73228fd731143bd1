"""The stock overview page: what a warehouse person sees, only of their warehouses."""

from inventory.models import ReorderPolicy
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in


def test_the_overview_shows_totals_low_stock_and_the_latest_movements(
    client, site, other_site, person, django_assert_max_num_queries
):
    soap = ItemFactory(sku="SOAP-1", name="Hand soap")
    ReorderPolicy.objects.create(item=soap, warehouse=site.warehouse, reorder_point=50)
    stock_in(soap, site.loc["pf"], 12)
    secret = ItemFactory(sku="SECRET")
    stock_in(secret, other_site.loc["pf"], 99)
    client.force_login(person("operator", site.warehouse))
    with django_assert_max_num_queries(14):
        page = client.get("/stock/").content.decode()
    assert "Hand soap" in page  # below its reorder point of 50
    assert "WA-PF" in page
    assert "SECRET" not in page
    # Asking for another warehouse's page shows one's own.
    assert "SECRET" not in client.get("/stock/?warehouse=WB").content.decode()


def test_the_pages_speak_chinese_when_asked(client, site, person):
    client.force_login(person("operator", site.warehouse))
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/stock/"})
    page = client.get("/stock/").content.decode()
    assert "低于再订货点" in page
    assert "最新库存变动" in page
    assert "Below reorder point" not in page


def test_the_floor_page_has_bounded_queries_whatever_the_task_count(
    client, site, person, django_assert_max_num_queries
):
    from inventory import services

    for n in range(12):
        item = ItemFactory(sku=f"F-{n}")
        stock_in(item, site.loc["pf"], 5)
        reservation = services.stock_reserve(
            warehouse=site.warehouse, item=item, quantity=1, reference=f"R{n}", actor=None
        )
        services.pick_tasks_create(reservations=[reservation], actor=None)
    client.force_login(person("operator", site.warehouse))
    with django_assert_max_num_queries(16):  # 12; the cold rooms, procedures, door refusals,
        # the suppliers' trucks at the gate
        page = client.get("/floor/?warehouse=WA").content.decode()
    assert "My next task" in page and "F-11" in page


def test_the_stock_on_hand_comes_as_a_sheet_by_location_and_lot(client, site, other_site, person):
    """For the ERP's month-end or an auditor: every position with what is on hand, reserved
    and available, the lot and its expiry; only of the warehouse asked, in the reader's
    language."""
    import datetime
    import io

    import pandas as pd

    from inventory.services import stock_reserve

    milk = ItemFactory(sku="MILK", name="牛奶 Milk", lot_tracked=True)
    stock_in(milk, site.loc["pf"], 12, lot="L-0107", expires_on=datetime.date(2027, 1, 7))
    stock_reserve(warehouse=site.warehouse, item=milk, quantity=5, reference="SO-1", actor=None)
    stock_in(ItemFactory(sku="SECRET"), other_site.loc["pf"], 99)
    client.force_login(person("operator", site.warehouse))
    page = client.get("/stock/").content.decode()
    assert "export=xlsx" in page and "export=csv" in page
    sheet = client.get("/stock/?warehouse=WA&export=csv")
    assert sheet["Content-Disposition"].startswith('attachment; filename="stock-WA-')
    table = pd.read_csv(io.StringIO(sheet.content.decode("utf-8-sig")))
    (row,) = table.to_dict("records")
    assert (row["SKU"], row["Item"], row["Location"], row["Lot"]) == (
        "MILK",
        "牛奶 Milk",
        site.loc["pf"].barcode,
        "L-0107",
    )
    assert (row["Expires"], row["On hand"], row["Reserved"], row["Available"]) == (
        "2027-01-07",
        12,
        5,
        7,
    )
    client.cookies["django_language"] = "zh-hans"
    workbook = client.get("/stock/?warehouse=WA&export=xlsx")
    table = pd.read_excel(io.BytesIO(workbook.content))
    assert list(table["可用"]) == [7]
    # Another warehouse's sheet is one's own.
    assert "SECRET" not in client.get("/stock/?warehouse=WB&export=csv").content.decode()
