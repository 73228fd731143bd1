"""`money`: an amount as a dispatcher reads a cost: in whole units of the tariffs' currency,
with its sign where it has a common one ("¥356", "CHF 356")."""

from decimal import Decimal

from django import template

from shipping.tariffs import currency

register = template.Library()

SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


@register.filter
def money(amount: Decimal | None) -> str:
    """The amount rounded to a whole unit, thousands grouped; "" for none."""
    if amount is None:
        return ""
    code = currency()
    sign = SIGNS.get(code)
    number = f"{amount:,.0f}"
    return f"{sign}{number}" if sign else f"{code} {number}"
