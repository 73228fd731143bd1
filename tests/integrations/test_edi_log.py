"""The office sees what went to and came from the partners by EDI: each interchange in,
taken or refused and why, and each one out with what the partner answered."""

from integrations.services import load_tenders_issue_due
from tests.integrations.test_edi_204_990 import _post, tendered, x12  # noqa: F401


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
