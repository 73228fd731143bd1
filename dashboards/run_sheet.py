"""The driver's run sheet: a page on the driver's phone with the shipment's stops in order
(where, the delivery window, the ETA) and, at each stop still to do, what to report:
arrived, running late, delivered to someone with a photo of the signed note, partly
delivered with what came back, or refused.

Drivers are not users of Handoff: the dispatcher sends each one a link of their own shipment
(`run_links`: signed, so that nobody can guess another's). The link shows that shipment and
nothing else; once the shipment is complete it still shows how the run went, and takes no
more reports, for a day (`HANDOFF_RUN_SHEET_OPEN_AFTER_H`); then the link is closed (410):
the receivers' names and the shops' addresses are no longer a link away. A report is
recorded as the driver's word (`TrackingSource.DRIVER`), through the same services as the
dispatcher's board and the API, and reaches every screen live.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from dashboards import views
from dashboards.actions import refusal, stop_reported
from dashboards.run_links import run_link_closed_since, shipment_id_of
from shipping.choices import ShipmentStatus
from shipping.selectors import shipment_run


def run_sheet(request: HttpRequest, token: str) -> HttpResponse:
    """The run sheet of the link's shipment. Not found for a link that is not one."""
    return _page(request, token)


@require_POST
def run_report(request: HttpRequest, token: str) -> HttpResponse:
    """The driver's report from the run sheet (`actions.stop_reported`); the sheet again,
    with what was recorded or, refused (400), why, and nothing of it written. A closed link
    takes no report (410)."""
    row = shipment_run(shipment_id=shipment_id_of(token))
    if row is None:
        raise Http404
    if run_link_closed_since(row["shipment"], timezone.now()):
        return _page(request, token)
    try:
        said = {"good": True, "text": stop_reported(request, row["shipment"], None)}
    except DomainError as error:
        said = refusal(error)
    return _page(request, token, flash=said, status=200 if said["good"] else 400)


def _page(
    request: HttpRequest, token: str, *, flash: dict | None = None, status: int = 200
) -> HttpResponse:
    row = shipment_run(shipment_id=shipment_id_of(token))
    if row is None:
        raise Http404
    shipment = row["shipment"]
    warehouse = shipment.load.warehouse
    closed = run_link_closed_since(shipment, timezone.now())
    if closed:
        page = views.render_local(
            request,
            "dashboards/run_closed.html",
            {"shipment": shipment, "closed": closed},
            warehouse,
        )
        page.status_code = 410
        return page
    context = {
        **row,
        "token": token,
        "open": shipment.status == ShipmentStatus.IN_TRANSIT,
        "stop_reports": views.STOP_REPORTS,
        "flash": flash,
    }
    response = views.render_local(request, "dashboards/run.html", context, warehouse)
    response.status_code = status
    return response
