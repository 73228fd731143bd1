"""The office sees what went to and came from the partners by EDI: each interchange in,
taken or refused and why, and each one out with what the partner answered."""

import datetime

from django.utils import timezone

from integrations.models import EdiInterchange, EdiRefusal
from integrations.selectors import EDI_LOG_LIMIT
from integrations.services import load_tenders_issue_due
from tests.integrations.test_edi_204_990 import _post, tendered, x12  # noqa: F401


def _accepted_and_refused(api, person, floor, tendered) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """Deppon's load tendered (a 204 sent), its 990 accepting it taken, and a 990 about a
    load never tendered refused: three rows of Beijing's log."""
    load_tenders_issue_due()
    tms = api(person("integration", floor["wh"]))
    _post(tms, x12([f"B1*DEPPON*{tendered['load'].reference}*20261207*A"]))
    _post(tms, x12(["B1*DEPPON*L-NONE*20261207*A"], control="000000991"))  # refused


def test_the_office_sees_its_edi_traffic(client, api, person, floor, tendered):  # noqa: F811
    load_tenders_issue_due()
    tms = api(person("integration", floor["wh"]))
    reference = tendered["load"].reference
    _post(tms, x12([f"B1*DEPPON*{reference}*20261207*D", "V9*REJ*NO DRIVER"]))
    _post(tms, x12(["B1*DEPPON*L-NONE*20261207*A"], control="000000991"))  # refused
    client.force_login(person("dispatcher", floor["wh"]))
    page = client.get("/edi/").content.decode()
    assert 'href="/edi/"' in page  # in the menu
    rows = page.split('<tr class="')[1:]
    assert len(rows) == 3
    refused, taken, sent = rows  # newest first
    assert refused.startswith("in bad") and "no load L-NONE was tendered" in refused
    assert taken.startswith("in") and "DEPPONTMS" in taken and reference in taken
    assert sent.startswith("out bad") and "declined" in sent and "NO DRIVER" in sent
    assert f'href="/api/v1/loads/{tendered["load"].pk}/edi/204/?control=000000001"' in sent
    assert "No interchange yet." in client.get("/edi/", {"partner": "SFEX"}).content.decode()
    client.force_login(person("operator", floor["wh"]))
    assert client.get("/edi/").status_code == 403
    assert 'href="/edi/"' not in client.get("/floor/").content.decode()


def test_an_interchange_is_shown_to_the_offices_of_the_warehouses_it_was_of(
    client,
    api,
    person,
    network,
    floor,
    tendered,  # noqa: F811
):
    """The carrier's account works for Beijing and Tianjin; its 990 was about a Beijing load,
    so Tianjin's office does not see it, nor Beijing's tender."""
    load_tenders_issue_due()
    tms = api(person("integration", floor["wh"], network["TJ"][0]))
    _post(tms, x12([f"B1*DEPPON*{tendered['load'].reference}*20261207*A"]))
    client.force_login(person("dispatcher", network["TJ"][0]))
    assert "No interchange yet." in client.get("/edi/").content.decode()
    client.force_login(person("dispatcher", floor["wh"]))
    assert len(client.get("/edi/").content.decode().split('<tr class="')[1:]) == 2


def test_another_warehouses_traffic_however_much_hides_none_of_an_office(
    client,
    api,
    person,
    network,
    floor,
    tendered,  # noqa: F811
):
    """Beijing's 990 and a refused 990 come before a thousand interchanges of Tianjin and
    three hundred refused there: Beijing's office still sees its own, and only those."""
    _accepted_and_refused(api, person, floor, tendered)
    tianjin = network["TJ"][0]
    busy = EdiInterchange.objects.bulk_create(
        EdiInterchange(sender="ZZ:BUSYTMS", control_number=f"{n:09d}", kind="214", digest="x")
        for n in range(1000)
    )
    EdiInterchange.warehouses.through.objects.bulk_create(
        EdiInterchange.warehouses.through(ediinterchange_id=k.pk, warehouse_id=tianjin.pk)
        for k in busy
    )
    failing = EdiRefusal.objects.bulk_create(
        EdiRefusal(sender="ZZ:BUSYTMS", kind="214", message="no such waybill") for _ in range(300)
    )
    EdiRefusal.warehouses.through.objects.bulk_create(
        EdiRefusal.warehouses.through(edirefusal_id=r.pk, warehouse_id=tianjin.pk) for r in failing
    )
    client.force_login(person("dispatcher", floor["wh"]))
    rows = client.get("/edi/").content.decode().split('<tr class="')[1:]
    assert len(rows) == 3
    assert "no load L-NONE was tendered" in rows[0] and "BUSYTMS" not in "".join(rows)
    client.force_login(person("dispatcher", tianjin))
    page = client.get("/edi/").content.decode()
    assert page.count("BUSYTMS") == EDI_LOG_LIMIT  # its newest, received and refused


def test_the_office_finds_an_interchange_by_its_control_number_or_its_day(
    client,
    api,
    person,
    floor,
    tendered,  # noqa: F811
):
    _accepted_and_refused(api, person, floor, tendered)
    client.force_login(person("dispatcher", floor["wh"]))

    def rows(**asked: str) -> list[str]:
        return client.get("/edi/", asked).content.decode().split('<tr class="')[1:]

    assert len(rows()) == 3
    (refused,) = rows(control="991")
    assert "no load L-NONE was tendered" in refused
    today = timezone.localdate()
    assert len(rows(until=today.isoformat())) == 3
    yesterday = str(today - datetime.timedelta(days=1))
    assert "No interchange yet." in client.get("/edi/", {"until": yesterday}).content.decode()
    page = client.get("/edi/", {"until": "2026-02-30"}).content.decode()
    assert "Until: not a date (YYYY-MM-DD): 2026-02-30" in page
    assert len(page.split('<tr class="')[1:]) == 3  # all, the day not used
