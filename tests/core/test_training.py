"""A warehouse writes down how its jobs are done (standard operating procedures) and who is
trained on them. Where a procedure that requires training applies (the hazmat cage, a cold
room, the dock), only people trained on its current version, not expired, take and confirm
tasks there: a new version asks for training again. A system relaying confirmations is not
held to it. Supervisors record trainings; the procedures page shows who is not trained."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import DomainError, Forbidden
from core.models import Sop, TrainingRecord
from core.services import sop_publish, training_record
from inventory import services
from inventory.models import Task
from tests.factories import ItemFactory
from tests.inventory.helpers import stock_in

TODAY = timezone.localdate()


def _hazmat_pick(site) -> Task:  # type: ignore[no-untyped-def]
    """A pick task of 2 drums of solvent in the hazmat cage."""
    solvent = ItemFactory(sku="SOLVENT", hazmat=True)
    stock_in(solvent, site.loc["haz"], 5)
    reservation = services.stock_reserve(
        warehouse=site.warehouse, item=solvent, quantity=2, reference="R-HZ", actor=None
    )
    (task,) = services.pick_tasks_create(reservations=[reservation], actor=None)
    return task


def _confirm(task: Task, actor):  # type: ignore[no-untyped-def]
    return services.task_confirm(
        task=task,
        location_barcode=task.location.barcode,
        item_code="SOLVENT",
        quantity=2,
        actor=actor,
    )


@pytest.fixture
def hazmat_sop(site):  # type: ignore[no-untyped-def]
    return sop_publish(
        code="HZ-01",
        title="Handling hazardous goods",
        scope="hazmat",
        body="Gloves and goggles. One drum at a time.",
        warehouse=site.warehouse,
        valid_days=365,
        actor=None,
    )


def test_only_people_trained_on_the_current_version_work_in_the_hazmat_cage(
    site, person, hazmat_sop
):
    task = _hazmat_pick(site)
    operator = person("operator", site.warehouse, username="liu")
    supervisor = person("supervisor", site.warehouse)
    with pytest.raises(Forbidden) as refused:
        _confirm(task, operator)
    assert refused.value.code == "not_trained"
    assert refused.value.message == (
        "liu is not trained on HZ-01 v1 (Handling hazardous goods), which applies here: a "
        "supervisor records the training first."
    )
    with pytest.raises(Forbidden):
        services.task_assign(task=task, user=operator, actor=supervisor)

    record = training_record(user=operator, sop=hazmat_sop, trained_on=TODAY, trainer=supervisor)
    assert record.expires_on == TODAY + datetime.timedelta(days=365)
    services.task_assign(task=task, user=operator, actor=supervisor)

    again = sop_publish(
        code="HZ-01",
        title="Handling hazardous goods",
        scope="hazmat",
        body="Gloves, goggles and the spill kit at hand.",
        warehouse=site.warehouse,
        valid_days=365,
        actor=None,
    )
    assert again.version == 2
    with pytest.raises(Forbidden) as refused:
        _confirm(task, operator)
    assert "HZ-01 v2" in refused.value.message
    training_record(user=operator, sop=again, trained_on=TODAY, trainer=supervisor)
    assert _confirm(task, operator).status == "done"


def test_an_expired_training_no_longer_counts_and_other_zones_need_none(site, person, hazmat_sop):
    operator = person("operator", site.warehouse)
    TrainingRecord.objects.create(
        user=operator,
        sop=hazmat_sop,
        version=1,
        trained_on=TODAY - datetime.timedelta(days=400),
        expires_on=TODAY - datetime.timedelta(days=35),
    )
    with pytest.raises(Forbidden):
        _confirm(_hazmat_pick(site), operator)
    water = ItemFactory(sku="WATER")
    stock_in(water, site.loc["pf"], 5)
    reservation = services.stock_reserve(
        warehouse=site.warehouse, item=water, quantity=1, reference="R-W", actor=None
    )
    (plain,) = services.pick_tasks_create(reservations=[reservation], actor=None)
    done = services.task_confirm(
        task=plain,
        location_barcode=plain.location.barcode,
        item_code="WATER",
        quantity=1,
        actor=operator,
    )
    assert done.status == "done"


def test_a_system_relaying_confirmations_is_not_held_to_training(site, person, hazmat_sop):
    wms = person("integration", site.warehouse)
    assert _confirm(_hazmat_pick(site), wms).status == "done"


def test_trainings_refuse_a_day_to_come_a_stranger_and_a_second_of_one_version(
    site, other_site, person, hazmat_sop
):
    operator = person("operator", site.warehouse)
    with pytest.raises(DomainError) as said:
        training_record(
            user=operator,
            sop=hazmat_sop,
            trained_on=TODAY + datetime.timedelta(days=1),
            trainer=None,
        )
    assert said.value.field == "trained_on"
    with pytest.raises(DomainError):
        training_record(
            user=person("operator", other_site.warehouse),
            sop=hazmat_sop,
            trained_on=TODAY,
            trainer=None,
        )
    training_record(user=operator, sop=hazmat_sop, trained_on=TODAY, trainer=None)
    with pytest.raises(DomainError):
        training_record(user=operator, sop=hazmat_sop, trained_on=TODAY, trainer=None)


def test_procedures_and_trainings_through_the_api(api, person, site):
    manager = api(person("manager", site.warehouse))
    made = manager.post(
        "/api/v1/sops/",
        {
            "code": "COLD-01",
            "title": "Cold room work",
            "warehouse": "WA",
            "scope": "chilled",
            "body": "Door shut behind you.",
            "valid_days": 180,
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    assert (made.json()["version"], made.json()["scope"]) == (1, "chilled")
    bad = manager.post(
        "/api/v1/sops/", {"code": "a b", "title": "", "scope": "roof", "body": ""}, format="json"
    )
    assert set(bad.json()["fields"]) == {"code", "title", "scope", "body"}
    operator_user = person("operator", site.warehouse, username="zhao")
    supervisor = api(person("supervisor", site.warehouse))
    trained = supervisor.post(
        "/api/v1/trainings/",
        {"user": "zhao", "sop": "COLD-01", "trained_on": TODAY.isoformat()},
        format="json",
    )
    assert trained.status_code == 201, trained.content
    assert (trained.json()["version"], trained.json()["current"]) == (1, True)
    assert (
        api(operator_user)
        .post(
            "/api/v1/trainings/",
            {"user": "zhao", "sop": "COLD-01", "trained_on": TODAY.isoformat()},
            format="json",
        )
        .status_code
        == 403
    )
    listed = supervisor.get("/api/v1/trainings/?user=zhao").json()
    assert [(t["sop"], t["current"]) for t in listed] == [("COLD-01", True)]
    assert [s["code"] for s in api(operator_user).get("/api/v1/sops/").json()] == ["COLD-01"]


def test_the_procedures_page_shows_who_is_not_trained_and_records_a_training(
    client, person, site, hazmat_sop
):
    person("operator", site.warehouse, username="liu")
    client.force_login(person("supervisor", site.warehouse, username="zhang"))
    page = client.get("/sops/").content.decode()
    card = page[page.index('data-sop="HZ-01"') :]
    assert "Handling hazardous goods" in card and 'data-person="liu"' in card
    row = card[card.index('data-person="liu"') :].split("</tr>")[0]
    assert "not trained" in row
    liu = TrainingRecord._meta.get_field("user").related_model.objects.get(username="liu")
    done = client.post(
        "/sops/trainings/",
        {
            "warehouse": site.warehouse.pk,
            "warehouse_code": "WA",
            "sop": hazmat_sop.pk,
            "user": liu.pk,
            "trained_on": TODAY.isoformat(),
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "liu trained on HZ-01 v1." in done
    row = done[done.index('data-person="liu"') :].split("</tr>")[0]
    assert "not trained" not in row


def test_the_floor_does_not_offer_work_the_person_is_not_trained_for(
    client, person, site, hazmat_sop
):
    task = _hazmat_pick(site)
    operator = person("operator", site.warehouse)
    client.force_login(operator)
    page = client.get("/floor/?warehouse=WA").content.decode()
    assert f'data-id="{task.pk}"' not in page
    assert "1 task waits for people trained on HZ-01 v1 Handling hazardous goods" in page
    training_record(user=operator, sop=hazmat_sop, trained_on=TODAY, trainer=None)
    page = client.get("/floor/?warehouse=WA").content.decode()
    assert f'data-id="{task.pk}"' in page and "waits for people trained" not in page


def test_a_supervisor_publishes_a_procedure_and_its_next_version_on_the_page(client, person, site):
    client.force_login(person("supervisor", site.warehouse))
    form = {
        "warehouse": site.warehouse.pk,
        "warehouse_code": "WA",
        "code": "DOCK-01",
        "sop_title": "Loading at the dock",
        "scope": "dock",
        "body": "Chock the wheels first.",
        "valid_days": "90",
        "requires_training": "on",
    }
    done = client.post("/sops/publish/", form, HTTP_HX_REQUEST="true").content.decode()
    assert "DOCK-01 v1 published." in done and 'data-sop="DOCK-01"' in done
    again = client.post(
        "/sops/publish/",
        {**form, "body": "Chock the wheels, then the dock lock."},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "DOCK-01 v2 published." in again
    refused = client.post(
        "/sops/publish/", {**form, "body": ""}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Procedure: This field is required." in refused
    operator = person("operator", site.warehouse)
    client.force_login(operator)
    assert "Publish a procedure" not in client.get("/sops/").content.decode()
    client.post("/sops/publish/", {**form, "code": "OP-01"}, HTTP_HX_REQUEST="true")
    assert not Sop.objects.filter(code="OP-01").exists()  # an operator publishes none
