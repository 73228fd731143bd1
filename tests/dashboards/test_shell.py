"""The shell: each role lands on its own page after login, and the bell shows the open alerts
of the person's department in their warehouses, which they can take from there."""

import pytest

from dashboards.models import Alert
from tests.dashboards.helpers import alert_open

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("operator", "/floor/"),
        ("supervisor", "/floor/"),
        ("dispatcher", "/dispatch/"),
        ("manager", "/kpis/"),
        ("admin", "/"),
    ],
)
def test_each_role_lands_on_its_page(client, site, person, role, landing):
    user = person(role, site.warehouse)
    user.set_password("pw-for-tests-1")
    user.save()
    response = client.post(
        "/login/", {"username": user.username, "password": "pw-for-tests-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == landing


def test_the_bell_rings_for_my_department_and_i_can_take_an_alert(client, site, other_site, person):
    mine = alert_open(site.warehouse, key="A")
    alert_open(site.warehouse, key="B", department="logistics")
    alert_open(other_site.warehouse, key="C", message="elsewhere")
    client.force_login(person("supervisor", site.warehouse))
    page = client.get("/stock/?warehouse=WA").content.decode()
    assert 'id="bell-count">1<' in page
    assert "warehouse needs you (A)" in page
    assert "logistics needs you" not in page and "elsewhere" not in page

    bell = client.post(f"/alerts/{mine.pk}/take/", **HTMX).content.decode()
    assert 'id="bell"' in bell
    mine.refresh_from_db()
    assert mine.status == "acknowledged" and mine.acknowledged_by is not None
    assert "I&#x27;ll take it" not in bell  # taken: still listed until resolved, no button

    client.force_login(person("dispatcher", site.warehouse))
    assert "logistics needs you (B)" in client.get("/alerts/bell/").content.decode()


def test_an_alert_reads_in_the_readers_language(client, site, person):
    from dashboards.services import alerts_evaluate
    from inventory.models import ReorderPolicy
    from tests.factories import ItemFactory

    soap = ItemFactory(sku="SOAP", name="Soap")
    ReorderPolicy.objects.create(item=soap, warehouse=site.warehouse, reorder_point=50)
    alerts_evaluate()
    alert = Alert.objects.get(rule="below_reorder_point")
    assert alert.message == "SOAP Soap: 0 available, reorder point 50"  # the API's English
    client.force_login(person("supervisor", site.warehouse))
    client.cookies["django_language"] = "zh-hans"
    assert "SOAP Soap：可用 0，再订货点 50" in client.get("/alerts/bell/").content.decode()


def test_the_bell_tells_the_time_on_the_warehouse_s_clock(client, site, person):
    import datetime

    alert = alert_open(site.warehouse, key="A")  # the warehouse runs on Asia/Shanghai, UTC+8
    opened = datetime.datetime(2026, 11, 25, 12, 10, tzinfo=datetime.UTC)
    Alert.objects.filter(pk=alert.pk).update(opened_at=opened)
    client.force_login(person("supervisor", site.warehouse))
    client.cookies["django_language"] = "zh-hans"

    page = client.get("/stock/?warehouse=WA").content.decode()
    assert "2026年11月25日 20:10" in page  # the page's bell
    refreshed = client.get("/alerts/bell/").content.decode()  # and its live refresh
    assert "2026年11月25日 20:10" in refreshed and "12:10" not in refreshed


def test_the_browser_tab_shows_handoff_s_icon(client):
    login = client.get("/login/").content.decode()
    assert '<link rel="icon" href="/static/dashboards/handoff.svg" type="image/svg+xml">' in login
    asked = client.get("/favicon.ico")  # what a browser asks on a page without the link
    assert asked.status_code == 302 and asked["Location"] == "/static/dashboards/handoff.svg"
