"""The API shell: auth, one error shape, scoping by warehouse, OpenAPI and offline docs."""

import json
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/v1/events/", "/api/v1/warehouses/", "/api/v1/me/", "/api/v1/stock/availability/"],
)
def test_anonymous_calls_get_401_with_the_error_shape(url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "fields": {},
    }
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response.json()["message"] == "Invalid token."


def test_the_token_of_a_deactivated_user_is_refused(site, person, api):
    erp = person("integration", site.warehouse)
    client = api(erp)
    assert client.get("/api/v1/me/").json()["username"] == erp.username
    erp.is_active = False
    erp.save(update_fields=["is_active"])
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["message"] == "User inactive or deleted."


def test_a_token_reads_its_users_roles_in_the_same_query(
    site, other_site, person, api, django_assert_num_queries
):
    from core.models import Membership

    erp = person("integration", site.warehouse)
    Membership.objects.create(user=erp, warehouse=other_site.warehouse, role="viewer")
    client = api(erp)
    me = client.get("/api/v1/me/").json()
    assert sorted((m["warehouse"], m["role"]) for m in me["memberships"]) == [
        ("WA", "integration"),
        ("WB", "viewer"),
    ]
    # The token, its user and the roles in one statement; the warehouses listed in another.
    with django_assert_num_queries(3):  # + the count of the paginated list
        codes = [w["code"] for w in client.get("/api/v1/warehouses/").json()["results"]]
    assert codes == ["WA", "WB"]


def test_a_token_user_without_memberships_sees_no_warehouse(site, person, api):
    loner = person("operator")
    client = api(loner)
    assert client.get("/api/v1/me/").json()["memberships"] == []
    assert client.get("/api/v1/warehouses/").json()["results"] == []
    assert client.get(f"/api/v1/warehouses/{site.warehouse.pk}/").status_code == 404


def test_a_member_sees_only_their_warehouses(site, other_site, person, api):
    operator = person("operator", site.warehouse)
    client = api(operator)
    codes = [w["code"] for w in client.get("/api/v1/warehouses/").json()["results"]]
    assert codes == ["WA"]
    assert client.get(f"/api/v1/warehouses/{other_site.warehouse.pk}/").status_code == 404
    me = client.get("/api/v1/me/").json()
    assert me["memberships"] == [{"warehouse": "WA", "role": "operator"}]


def test_validation_errors_name_the_field_and_the_reason(site, person, api):
    erp = person("integration", site.warehouse)
    response = api(erp).post(
        "/api/v1/reservations/",
        {"warehouse": "WA", "item": "NOPE", "quantity": 0, "reference": "SO-1"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["item"] == ["Unknown SKU NOPE."]
    assert body["fields"]["quantity"] == ["Must be greater than zero."]
    assert body["message"].startswith(("item:", "quantity:"))


@pytest.mark.django_db
def test_openapi_schema_is_valid_openapi_3(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3.")


def test_schema_endpoint_serves_json(db, person, api, site):
    response = api(person("manager", site.warehouse)).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/events/" in schema["paths"]
    assert "/api/v1/reservations/" in schema["paths"]


def test_every_api_route_describes_itself_to_options(db, person, api, site):
    """A client asking OPTIONS (what a route takes) gets an answer, not a 500, on every route."""
    admin = api(person("admin", site.warehouse))
    paths = admin.get("/api/schema/?format=json").json()["paths"]
    broken = []
    for path in paths:
        url = re.sub(r"\{[^}]+\}", "1", path)
        answer = admin.options(url)
        if answer.status_code >= 500:
            broken.append(f"{url}: {answer.status_code}")
    assert len(paths) > 50 and broken == []


def test_api_docs_load_every_asset_from_this_server(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the docs page should load Swagger UI assets"
    assert all(a.startswith("/static/") for a in assets), assets
    assert "//" not in "".join(a.replace("/static/", "") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_health_reports_the_database(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_url_nothing_answers_is_json_under_the_api_and_a_page_elsewhere(db, person, api, site):
    client = api(person("manager", site.warehouse))
    for url in ("/api/v1/alerts/0.5/", "/api/v1/no-such-thing/", "/api/nothing"):
        answer = client.get(url)
        assert (answer.status_code, answer["Content-Type"]) == (404, "application/json"), url
        assert answer.json() == {"code": "not_found", "message": "Not found.", "fields": {}}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    # A missing closing slash is named, not redirected (a redirect drops a POST's body).
    posted = client.post("/api/v1/orders", {}, format="json")
    assert posted.status_code == 404
    assert posted.json()["message"] == "Not found. The API's URLs end in a slash: /api/v1/orders/"


def test_with_debug_on_an_unknown_api_url_is_json_too(db, person, api, site, settings):
    settings.DEBUG = True
    answer = api(person("manager", site.warehouse)).get("/api/v1/no-such-thing/")
    assert (answer.status_code, answer["Content-Type"]) == (404, "application/json")
    assert answer.json()["code"] == "not_found"


def test_an_unexpected_error_under_the_api_is_json_in_the_one_shape(rf):
    from core.views import server_error

    answer = server_error(rf.get("/api/v1/orders/"))
    assert answer.status_code == 500
    assert json.loads(answer.content) == {"code": "error", "message": "Server error.", "fields": {}}
    assert server_error(rf.get("/floor/"))["Content-Type"].startswith("text/html")


def test_times_of_day_in_answers_are_what_the_schema_says(db, person, api, site):
    import jsonschema

    client = api(person("manager", site.warehouse))
    schema = client.get("/api/schema/?format=json").json()
    warehouse = client.get(f"/api/v1/warehouses/{site.warehouse.pk}/").json()
    opens = schema["components"]["schemas"]["Warehouse"]["properties"]["opens_at"]
    jsonschema.validate(
        warehouse["opens_at"], opens, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert "no UTC offset" in opens["description"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("25:00", opens)
