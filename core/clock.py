"""A moment as people on the floor read a clock: the time alone today, with the day
otherwise. The pages' `clock` filter and the services' refusals write times this way."""

import datetime
import zoneinfo

from django.utils import timezone
from django.utils.dateformat import format as date_format


def clock_text(moment: datetime.datetime, zone: zoneinfo.ZoneInfo | None = None) -> str:
    """ "08:30" if `moment` is today in `zone` (by default the current time zone), else
    "12-07 08:30"."""
    local = timezone.localtime(moment, zone)
    today = timezone.localdate(timezone=zone)
    return date_format(local, "H:i" if local.date() == today else "m-d H:i")
