"""`clock`: a moment as people on the floor read a clock: the time alone today, with the day
otherwise (on the current time zone's calendar, the warehouse's on its pages)."""

import datetime

from django import template

from core.clock import clock_text

register = template.Library()


@register.filter
def clock(moment: datetime.datetime | None) -> str:
    """`clock_text` in the current time zone; "" for none."""
    return "" if moment is None else clock_text(moment)
