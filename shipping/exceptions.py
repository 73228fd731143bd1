from django.utils.translation import gettext as _

from core.exceptions import InvalidTransition
from shipping.choices import ORDER_TRANSITIONS


class OrderTransitionRefused(InvalidTransition):
    """An order asked to go where its status machine does not lead."""

    def __init__(self, *, reference: str, status: str, wanted: str) -> None:
        open_ones = sorted(ORDER_TRANSITIONS.get(status, ()))
        where = ", ".join(open_ones) if open_ones else _("nowhere (it is final)")
        super().__init__(
            _(
                "Order %(order)s is %(status)s; it cannot become %(wanted)s. From %(status)s it can go to: %(where)s."
            )
            % {"order": reference, "status": status, "wanted": wanted, "where": where},
            field="status",
            extra={"status": status, "open_transitions": open_ones},
        )
