"""A depositor's 940s checked against what Handoff knows, before anything is written: each
new order's customer, ship-to, items, units and dates as the API's order intake checks
them, each cancel's order found. Every problem is told at once, by the 940 and the segment
and element that said it (`ST 0002, segment 14 (W01) W0105`)."""

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from core.api.errors import fields_flattened
from core.exceptions import DocumentRefused
from integrations.edi.shipping_order import CANCEL, ShippingOrder
from integrations.services.edi import OrderSaid
from inventory.selectors import skus_by_gtin
from shipping import services
from shipping.api.serializers import OrderCreateInput
from shipping.models import Order
from shipping.selectors import customers_with_ship_to

MAX_PROBLEMS = 50
UNIT_SYNONYMS = {frozenset({"CA", "CS"})}  # X12's case is CA; Handoff's items say CS


def _unit_matches(said: str, kept: str) -> bool:
    return said == kept.upper() or frozenset({said, kept.upper()}) in UNIT_SYNONYMS


def _customer(said: ShippingOrder, problems: dict[str, list[str]]) -> str:
    """The customer's code: as an N1 BY or BT names it, or else the one customer with a
    ship-to of the N1 ST's code."""
    if said.customer:
        return said.customer
    owners = customers_with_ship_to(said.ship_to)
    if len(owners) == 1:
        return owners[0]
    where = f"{said.where}, {said.place('ship_to')}"
    if owners:
        problems[where] = [
            _(
                "Ship-to %(code)s is one of several customers' (%(owners)s): name the customer "
                "in an N1 BY with its code in N1-04."
            )
            % {"code": said.ship_to, "owners": ", ".join(owners)}
        ]
    else:
        problems[where] = [_("No customer has a ship-to %(code)s.") % {"code": said.ship_to}]
    return ""


def _new_order(
    said: ShippingOrder, skus: dict[str, str], problems: dict[str, list[str]], context: dict
) -> OrderSaid | None:
    customer = _customer(said, problems)
    lines = []
    for index, line in enumerate(said.lines):
        sku = skus.get(line.product) if line.by_gtin else line.product
        if sku is None:
            problems[f"{said.where}, {said.place(f'lines[{index}].item')}"] = [
                _("No item has GTIN %(code)s.") % {"code": line.product}
            ]
        lines.append({"item": sku or line.product, "quantity": line.quantity})
    if not customer:
        return None
    assert said.delivery_date is not None and said.ship_date is not None
    check = OrderCreateInput(
        data={
            "external_ref": said.depositor_order,
            "customer": customer,
            "ship_to": said.ship_to,
            "requested_delivery_date": said.delivery_date.get(2),
            "promised_ship_date": said.ship_date.get(2),
            "lines": lines,
        },
        context=context,
    )
    if not check.is_valid():
        for path, messages in fields_flattened(check.errors).items():
            problems.setdefault(f"{said.where}, {said.place(path)}", messages)
        return None
    valid = check.validated_data
    for line, taken in zip(said.lines, valid["lines"], strict=True):
        item = taken["item"]
        if not _unit_matches(line.unit, item.unit):
            problems[f"{said.where}, {line.segment.where} W0102"] = [
                _("%(sku)s is ordered in %(unit)s, not %(said)s.")
                % {"sku": item.sku, "unit": item.unit, "said": line.unit}
            ]
    return OrderSaid(
        said=said,
        draft=services.OrderDraft(
            customer=valid["customer"],
            ship_to=valid["ship_to"],
            external_ref=valid["external_ref"],
            lines=[services.LineInput(v["item"], v["quantity"]) for v in valid["lines"]],
            requested_delivery_date=valid["requested_delivery_date"],
            promised_ship_date=valid["promised_ship_date"],
        ),
    )


def _cancel(said: ShippingOrder, problems: dict[str, list[str]]) -> OrderSaid | None:
    orders = Order.objects.filter(external_ref=said.depositor_order)
    if said.customer:
        orders = orders.filter(customer__code=said.customer)
    elif said.ship_to:
        orders = orders.filter(ship_to__code=said.ship_to)
    found = list(orders.select_related("customer")[:2])
    where = f"{said.where}, {said.header.where} W0502"
    if not found:
        problems[where] = [_("No order %(ref)s to cancel.") % {"ref": said.depositor_order}]
        return None
    if len(found) > 1:
        problems[where] = [
            _(
                "Order %(ref)s is an order of several customers: name the customer in an N1 BY "
                "with its code in N1-04."
            )
            % {"ref": said.depositor_order}
        ]
        return None
    return OrderSaid(said=said, cancel=found[0])


def _position(where: str) -> tuple[int, ...]:
    """Where a problem was said, in the order of the interchange: its numbers ("ST 0002,
    segment 18 (N1) N104": 2, 18, 1, 104)."""
    return tuple(int(n) for n in re.findall(r"\d+", where))


def orders_said(orders: Iterable[ShippingOrder], *, context: dict) -> list[OrderSaid]:
    """Each 940 as the service takes it, or DocumentRefused naming every problem (up to
    MAX_PROBLEMS) by its 940, segment and element. What only taking the order can tell (a
    reference used already, a ship date in the past) is refused by the service, named the
    same way."""
    orders = list(orders)
    skus = skus_by_gtin(
        line.product
        for said in orders
        if said.purpose != CANCEL
        for line in said.lines
        if line.by_gtin
    )
    problems: dict[str, list[str]] = {}
    taken = []
    for said in orders:
        item = (
            _cancel(said, problems)
            if said.purpose == CANCEL
            else _new_order(said, skus, problems, context)
        )
        if item is not None:
            taken.append(item)
    if problems:
        in_order = sorted(problems.items(), key=lambda item: _position(item[0]))
        raise DocumentRefused(dict(in_order[:MAX_PROBLEMS]))
    return taken
