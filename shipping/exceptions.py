from core.exceptions import InvalidTransition
from shipping.choices import ORDER_TRANSITIONS


class OrderTransitionRefused(InvalidTransition):
    """An order asked to go where its status machine does not lead."""

    def __init__(self, *, reference: str, status: str, wanted: str) -> None:
        open_ones = sorted(ORDER_TRANSITIONS.get(status, ()))
        where = ", ".join(open_ones) if open_ones else "nowhere (it is final)"
        super().__init__(
            f"Order {reference} is {status}; it cannot become {wanted}. From {status} it can go "
            f"to: {where}.",
            field="status",
            extra={"status": status, "open_transitions": open_ones},
        )
