"""Calendar month arithmetic shared by service-plan periods and subscription years."""

from __future__ import annotations

import calendar
from datetime import datetime


def months_after(instant: datetime, months: int) -> datetime:
    """`instant` that many calendar months on, its day kept or, where the month is shorter, the
    month's last: a month after 31 January is the last day of February, a year (twelve months)
    after 29 February is 28 February."""
    year, month = divmod(instant.month - 1 + months, 12)
    year += instant.year
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)
