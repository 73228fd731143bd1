"""Exceptions handed between the departments: the dispatcher raises a ticket for the warehouse
about an order, the warehouse notes what it found and hands it back, dispatch resolves it;
every step is in the ticket's trail and is an event. An alert on one department's bell can be
handed to the other as a ticket. Bad input names its field and keeps nothing."""

import pytest

from core.exceptions import Conflict, DomainError
from core.models import Event
from dashboards.models import Alert, Ticket
from dashboards.services import ticket_hand_over, ticket_note_add, ticket_raise, ticket_resolve
from tests.factories import WarehouseFactory
from tests.shipping.helpers import floor_order


@pytest.fixture
def order(floor):  # type: ignore[no-untyped-def]
    return floor_order(floor, (floor["tea"], 2), ref="SO-T1")


def test_a_ticket_goes_from_dispatch_to_the_warehouse_and_back_until_resolved(
    api, person, floor, order
):
    bj = floor["wh"]
    dispatcher = person("dispatcher", bj, username="wang")
    office = api(dispatcher)
    raised = office.post(
        "/api/v1/tickets/",
        {
            "warehouse": "BJ",
            "kind": "short",
            "title": "Customer says 2 teas, the label says 1",
            "department": "warehouse",
            "note": "Please count the tea on the pick face.",
            "subject_type": "order",
            "subject_id": "SO-T1",
        },
        format="json",
    )
    assert raised.status_code == 201, raised.content
    body = raised.json()
    number = body["number"]
    assert (body["department"], body["status"], body["link"]) == (
        "warehouse",
        "open",
        "/api/v1/orders/?external_ref=SO-T1",
    )
    floor_team = api(person("supervisor", bj, username="li"))
    found = floor_team.get("/api/v1/tickets/?department=warehouse&status=open").json()["results"]
    assert [t["number"] for t in found] == [number]
    pk = body["id"]
    floor_team.post(
        f"/api/v1/tickets/{pk}/notes/", {"text": "Counted: 6 on the face."}, format="json"
    )
    back = floor_team.post(
        f"/api/v1/tickets/{pk}/hand-over/",
        {"note": "Stock is right: ask the driver about the second box."},
        format="json",
    )
    assert back.json()["department"] == "logistics"
    done = office.post(
        f"/api/v1/tickets/{pk}/resolve/",
        {"resolution": "Driver found it in the van."},
        format="json",
    )
    assert done.json()["status"] == "resolved"
    assert [(n["kind"], n["by"], n["to_department"], n["text"]) for n in done.json()["notes"]] == [
        ("raised", "wang", "warehouse", "Please count the tea on the pick face."),
        ("note", "li", "", "Counted: 6 on the face."),
        ("handed", "li", "logistics", "Stock is right: ask the driver about the second box."),
        ("resolved", "wang", "", "Driver found it in the van."),
    ]
    assert list(
        Event.objects.filter(aggregate_type="ticket").order_by("pk").values_list("type", flat=True)
    ) == ["ticket.raised", "ticket.noted", "ticket.handed_over", "ticket.resolved"]
    again = office.post(f"/api/v1/tickets/{pk}/hand-over/", {"note": "x"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "ticket_resolved"


def test_bad_tickets_name_the_field_and_nothing_is_kept(api, person, floor, order):
    office = api(person("dispatcher", floor["wh"]))
    unknown = office.post(
        "/api/v1/tickets/",
        {
            "warehouse": "BJ",
            "kind": "short",
            "title": "x",
            "department": "warehouse",
            "subject_type": "order",
            "subject_id": "SO-NONE",
        },
        format="json",
    )
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"subject_id": ["No order SO-NONE at BJ."]}
    blank = office.post(
        "/api/v1/tickets/",
        {"warehouse": "BJ", "kind": "nonsense", "title": "", "department": "sales"},
        format="json",
    )
    assert set(blank.json()["fields"]) == {"kind", "title", "department"}
    assert not Ticket.objects.exists()
    ticket = ticket_raise(
        warehouse=floor["wh"], kind="other", title="t", department="warehouse", actor=None
    )
    with pytest.raises(DomainError) as said:
        ticket_hand_over(ticket=ticket, note="  ", actor=None)
    assert said.value.field == "note"
    ticket_resolve(ticket=ticket, resolution="done", actor=None)
    with pytest.raises(Conflict):
        ticket_note_add(ticket=ticket, text="late", actor=None)
    elsewhere = api(person("dispatcher", WarehouseFactory(code="XX")))
    assert elsewhere.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404


def test_an_alert_is_handed_to_the_other_department_from_the_bell(client, person, floor):
    bj = floor["wh"]
    alert = Alert.objects.create(
        rule="truck_waiting",
        key="BJ:1",
        warehouse=bj,
        department="warehouse",
        severity="warning",
        message="Truck 京A-1 has waited 50 min at D1.",
        subject_type="appointment",
        subject_id="1",
    )
    supervisor = person("supervisor", bj)
    client.force_login(supervisor)
    bell = client.post(f"/alerts/{alert.pk}/ticket/", HTTP_HX_REQUEST="true").content.decode()
    assert "T-" in bell and "raised for Logistics" in bell
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.department, ticket.title, ticket.alert, ticket.subject_type) == (
        "truck",
        "logistics",
        "Truck 京A-1 has waited 50 min at D1.",
        alert,
        "appointment",
    )


def test_the_tickets_page_puts_what_waits_on_you_first_and_its_forms_work(
    client, person, floor, order
):
    bj = floor["wh"]
    ticket_raise(
        warehouse=bj,
        kind="damage",
        title="Crushed box on lane 2",
        department="warehouse",
        actor=None,
    )
    ticket_raise(
        warehouse=bj,
        kind="late",
        title="Truck late from Tianjin",
        department="logistics",
        actor=None,
    )
    client.force_login(person("operator", bj))
    page = client.get("/tickets/").content.decode()
    mine = page[page.index('id="tickets-mine"') : page.index('id="tickets-theirs"')]
    theirs = page[page.index('id="tickets-theirs"') : page.index('id="ticket-raise"')]
    assert "Crushed box on lane 2" in mine and "Truck late from Tianjin" in theirs
    assert '<span class="count some"' in page  # the nav's count of what waits on you
    prefilled = client.get("/tickets/?subject_type=order&subject_id=SO-T1").content.decode()
    assert '<option value="order" selected>' in prefilled and 'value="SO-T1"' in prefilled
    made = client.post(
        "/tickets/raise/",
        {
            "warehouse": bj.pk,
            "kind": "short",
            "title": "Tea short",
            "department": "logistics",
            "subject_type": "order",
            "subject_id": "SO-T1",
            "note": "Only 1 found",
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "raised for Logistics" in made and "Tea short" in made
    refused = client.post(
        "/tickets/raise/",
        {"warehouse": bj.pk, "kind": "short", "title": "", "department": "logistics"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "What is wrong: This field is required." in refused
    ticket = Ticket.objects.get(title="Crushed box on lane 2")
    handed = client.post(
        f"/tickets/{ticket.pk}/hand-over/",
        {"note": "Claim it with the carrier"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert f"{ticket.number} handed to Logistics." in handed
    order_page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "/tickets/?warehouse=BJ&amp;subject_type=order&amp;subject_id=SO-T1" in order_page


def test_the_bell_says_how_many_tickets_wait_on_you(client, person, floor):
    bj = floor["wh"]
    ticket_raise(
        warehouse=bj,
        kind="other",
        title="Pallet wrapper broken",
        department="warehouse",
        actor=None,
    )
    ticket_raise(warehouse=bj, kind="late", title="Late truck", department="logistics", actor=None)
    client.force_login(person("operator", bj))
    bell = client.get("/alerts/bell/").content.decode()
    assert "1 ticket waits on you." in bell
