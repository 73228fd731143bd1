"""`clock`: a moment as people on the floor read a clock: the time alone today, with the day
otherwise (on the current time zone's calendar, the warehouse's on its pages)."""

import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def clock(moment: datetime.datetime | None) -> str:
    """ "08:30" today; "12-07 08:30" on another day; "" for none."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "m-d H:i")
