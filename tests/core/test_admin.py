"""Master data edited by hand in the admin goes through the same services as the API: each
change writes its event, and what the API refuses (a shelf moved to another warehouse) the
admin's form refuses too."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from core.models import Event
from inventory.models import Item, Location
from shipping.models import Customer, ShipTo
from tests.factories import ItemFactory, UserFactory
from tests.inventory.helpers import stock_in


class _Form(HTMLParser):
    """The fields of the admin's change form, as the browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _form(client: Client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    form = _Form()
    form.feed(page.content.decode())
    return form.data


@pytest.fixture
def admin_site(db) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_item_changed_in_the_admin_is_an_event_like_one_changed_through_the_api(
    admin_site, site
):
    soap = ItemFactory(sku="SOAP", name="Soap")
    url = f"/admin/inventory/item/{soap.pk}/change/"
    data = {**_form(admin_site, url), "name": "Soap bar"}

    assert admin_site.post(url, data).status_code == 302
    assert Item.objects.get(pk=soap.pk).name == "Soap bar"
    (told,) = Event.objects.filter(type="item.updated")
    assert (told.aggregate_id, told.payload["name"]) == (str(soap.pk), "Soap bar")

    # Once stock of it moved, its SKU stays: the form says so and nothing is written.
    stock_in(soap, site.loc["a1"], 3)
    events = Event.objects.count()
    refused = admin_site.post(url, {**data, "sku": "SOAP-2"})
    assert refused.status_code == 200
    assert "SOAP has stock history, so its SKU stays" in refused.content.decode()
    assert Item.objects.get(pk=soap.pk).sku == "SOAP" and Event.objects.count() == events


def test_a_shelf_is_not_moved_to_another_warehouse_in_the_admin(admin_site, site, other_site):
    shelf = site.loc["a1"]
    url = f"/admin/inventory/location/{shelf.pk}/change/"
    data = {
        **_form(admin_site, url),
        "warehouse": str(other_site.warehouse.pk),
        "zone": str(other_site.loc["a1"].zone_id),
    }
    refused = admin_site.post(url, data)
    assert refused.status_code == 200
    assert "It is in WA and stays there" in refused.content.decode()
    assert Location.objects.get(pk=shelf.pk).warehouse_id == site.warehouse.pk


def test_a_ship_to_added_and_one_deleted_in_the_admin_are_events(admin_site):
    customer = Customer.objects.create(code="C1", name="Shop")
    old = ShipTo.objects.create(
        customer=customer,
        code="OLD",
        name="Old",
        address="-",
        city="Beijing",
        latitude=39.9,
        longitude=116.4,
    )
    url = f"/admin/shipping/customer/{customer.pk}/change/"
    data = _form(admin_site, url)
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
    data[f"{prefix}-0-DELETE"] = "on"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "2",
            f"{prefix}-1-code": "NEW",
            f"{prefix}-1-name": "New shop",
            f"{prefix}-1-address": "朝阳 1号",
            f"{prefix}-1-city": "Beijing",
            f"{prefix}-1-latitude": "39.95",
            f"{prefix}-1-longitude": "116.45",
            f"{prefix}-1-window_opens": "08:00",
            f"{prefix}-1-window_closes": "18:00",
            f"{prefix}-1-customer": str(customer.pk),
        }
    )
    response = admin_site.post(url, data)
    assert response.status_code == 302
    assert list(customer.ship_tos.values_list("code", flat=True)) == ["NEW"]
    assert sorted(Event.objects.values_list("type", "aggregate_id")) == [
        ("customer.updated", str(customer.pk)),
        ("shipto.created", str(ShipTo.objects.get(code="NEW").pk)),
        ("shipto.deleted", str(old.pk)),
    ]
