"""The links a customer follows its order by (`dashboards.consignee`): signed with the site's
secret, so that a link opens its own order and nobody can guess another's; closed a while
after every part of the order is done (delivered, refused or cancelled)."""

import datetime

from django.conf import settings
from django.urls import reverse

from dashboards.sealed_links import seal, unseal

SALT = "handoff.consignee"


def consignee_token(order_id: int) -> str:
    """The token of an order's link for its customer: the same for the order's whole life;
    it does not tell the order's number (`dashboards.sealed_links`)."""
    return seal(order_id, SALT)


def consignee_path(order_id: int) -> str:
    """The path of an order's link for its customer (`/track/<token>/`)."""
    return reverse("consignee", args=[consignee_token(order_id)])


def order_id_of(token: str) -> int:
    """The order a customer's token opens; Http404 for a token that is not one."""
    return unseal(token, SALT)


def consignee_link_closed_since(
    done_at: datetime.datetime | None, now: datetime.datetime
) -> datetime.datetime | None:
    """When a customer's link closed: `HANDOFF_TRACKING_OPEN_DAYS` after the last part of its
    order was done (`done_at`); None while it is open."""
    if done_at is None:
        return None
    closes = done_at + datetime.timedelta(days=settings.HANDOFF_TRACKING_OPEN_DAYS)
    return closes if closes <= now else None
