"""The links of drivers' run sheets (`dashboards.run_sheet`): signed with the site's secret,
so that a link opens its own shipment and nobody can guess another's; closed a while after
the run is complete."""

import datetime

from django.conf import settings

from dashboards.sealed_links import seal, unseal
from shipping.models import Shipment

SALT = "handoff.run-sheet"


def run_token(shipment_id: int) -> str:
    """The token of a shipment's run sheet link: the same for the shipment's whole run; it
    does not tell the shipment's number (`dashboards.sealed_links`)."""
    return seal(shipment_id, SALT)


def shipment_id_of(token: str) -> int:
    """The shipment a run sheet token opens; Http404 for a token that is not one."""
    return unseal(token, SALT)


def run_link_closed_since(shipment: Shipment, now: datetime.datetime) -> datetime.datetime | None:
    """When the shipment's run sheet link closed: `HANDOFF_RUN_SHEET_OPEN_AFTER_H` after the
    run was complete; None while it is open (on the road, or complete since less)."""
    if shipment.completed_at is None:
        return None
    closes = shipment.completed_at + datetime.timedelta(
        hours=settings.HANDOFF_RUN_SHEET_OPEN_AFTER_H
    )
    return closes if closes <= now else None
