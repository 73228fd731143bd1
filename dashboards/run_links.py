"""The links of drivers' run sheets (`dashboards.run_sheet`): signed with the site's secret,
so that a link opens its own shipment and nobody can guess another's."""

from django.core import signing
from django.http import Http404

SALT = "handoff.run-sheet"


def run_token(shipment_id: int) -> str:
    """The token of a shipment's run sheet link: the same for the shipment's whole run."""
    return signing.Signer(salt=SALT).sign(str(shipment_id))


def shipment_id_of(token: str) -> int:
    """The shipment a run sheet token opens; Http404 for a token that is not one."""
    try:
        return int(signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise Http404 from None
