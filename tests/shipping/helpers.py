"""Small helpers for shipping tests."""

from shipping import services
from shipping.models import Order
from tests.shipping.conftest import tomorrow


def order_placed(customer, ship_to, *lines, ref: str = "SO-1") -> Order:  # type: ignore[no-untyped-def]
    """An order an ERP posted and the service allocated: (item, quantity) lines, to ship
    tomorrow and arrive the day after."""
    return services.order_create(
        customer=customer,
        ship_to=ship_to,
        external_ref=ref,
        lines=[services.LineInput(item, qty) for item, qty in lines],
        requested_delivery_date=tomorrow(2),
        promised_ship_date=tomorrow(),
        actor=None,
    )
