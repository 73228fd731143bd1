"""The carrier's number for a consignment (waybill, PRO number): what the carrier calls one
stop's goods, printed on its label and used in its own tracking. A parcel or LTL carrier
gives one per consignee, so a stop has its own (`Stop.waybill`); the office finds an order
by it, and the carrier reports its events and deliveries by it."""

import re
import unicodedata

from django.utils.translation import gettext as _

from core.exceptions import DomainError
from shipping.models import WAYBILL_MAX

WAYBILL_LEAST = 4
WAYBILL_FORM = re.compile(rf"[A-Z0-9][A-Z0-9-]{{{WAYBILL_LEAST - 1},{WAYBILL_MAX - 1}}}")
_SPACES = re.compile(r"\s+")


def waybill_clean(text: str) -> str:
    """The waybill as kept and looked up: full-width characters as their plain forms (as a
    Chinese input method may type them), spaces dropped and letters in capitals, so that
    'sf 1402 3456 7890' and 'ＳＦ１４０２３４５６７８９０' are both SF140234567890. Raises DomainError (field `waybill`) unless
    it is then empty or 4 to 40 letters, digits and hyphens, beginning with a letter or a
    digit."""
    waybill = _SPACES.sub("", unicodedata.normalize("NFKC", text)).upper()
    if waybill and not WAYBILL_FORM.fullmatch(waybill):
        raise DomainError(
            _(
                "A waybill is %(least)s to %(most)s letters, digits and hyphens, beginning "
                "with a letter or a digit: %(text)s."
            )
            % {"least": WAYBILL_LEAST, "most": WAYBILL_MAX, "text": text.strip()[:60]},
            field="waybill",
        )
    return waybill
