"""People's pages: the login page, and every demo user can log in after `seed_demo`."""

import io

import pytest
from django.core.management import call_command

from core.demo import PEOPLE, demo_password
from inventory.selectors import ledger_drift
from shipping.models import Load


def test_the_login_page_renders_in_english_and_chinese(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert "Log in to Handoff" in response.content.decode()
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert 'lang="zh-hans"' in response.content.decode()


def test_pages_need_a_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db(transaction=True)
def test_every_demo_user_can_log_in_and_the_demo_loads_twice_without_change(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    told = io.StringIO()
    call_command("seed_demo", stdout=told)
    assert ledger_drift() == []
    # It tells where a customer follows an order on its way, and the link opens it.
    link = told.getvalue().split(" on /track/")[1].split(" ")[0]
    assert "on its way" in client.get(f"/track/{link}").content.decode().lower()
    # A truck on the road (today's, not the history's) has its next trip booked, by the same
    # driver.
    on_the_road = Load.objects.filter(status="departed", reference__startswith="L-")
    second = Load.objects.filter(
        status="planned", appointment__isnull=False, vehicle__loads__in=on_the_road
    ).select_related("vehicle")
    assert second.exists()
    for load in second:
        gone = load.vehicle.loads.get(status="departed", reference__startswith="L-")
        assert load.driver_id == gone.driver_id is not None
        assert load.appointment.starts_at > gone.departed_at
    for username, full_name, _role, _codes in PEOPLE:
        response = client.post(
            "/login/", {"username": username, "password": demo_password(username)}
        )
        assert response.status_code == 302, username
        home = client.get("/")
        assert home.status_code == 200
        assert full_name.split(" ")[0] in home.content.decode()
        client.logout()
    bad = client.post("/login/", {"username": "operator", "password": "wrong"})
    assert "do not match" in bad.content.decode()


def test_pages_and_api_answers_go_compressed_to_a_client_that_accepts_it(client, db):
    import gzip

    plain = client.get("/login/")
    packed = client.get("/login/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert "Log in to Handoff" in gzip.decompress(packed.content).decode()
    api = client.get("/api/v1/me/", HTTP_ACCEPT_ENCODING="gzip")  # 401, small: as it is
    assert "Content-Encoding" not in api and api.json()["code"] == "not_authenticated"


def test_a_file_the_browser_has_already_is_not_modified_with_no_body(client, db):
    """A browser asking again for the icon it has (If-None-Match) gets a bare 304: no gzip of
    nothing, which the server would refuse to send."""
    icon = client.get("/static/dashboards/handoff.svg")
    again = client.get(
        "/static/dashboards/handoff.svg",
        HTTP_IF_NONE_MATCH=icon["ETag"],
        HTTP_ACCEPT_ENCODING="gzip, deflate, br, zstd",
    )
    assert again.status_code == 304
    assert "Content-Encoding" not in again
    assert b"".join(again.streaming_content if again.streaming else [again.content]) == b""


def test_an_image_goes_as_it_is(rf):
    from django.http import HttpResponse

    from core.compression import CompressedAnswers

    photo = HttpResponse(b"\x89PNG" + b"\0" * 4096, content_type="image/png")
    page = HttpResponse(b"<p>" + b"x" * 4096, content_type="text/html")
    squeeze = CompressedAnswers(lambda request: None)
    request = rf.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in squeeze.process_response(request, photo)
    assert squeeze.process_response(request, page)["Content-Encoding"] == "gzip"
