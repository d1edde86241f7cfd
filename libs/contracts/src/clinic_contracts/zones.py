"""What the contracts' `timezone` fields hold: an IANA zone name this system knows (Europe/Bucharest,
UTC, the old links such as US/Eastern). Every service that accepts a zone checks it here, so that
no service stores a zone that another refuses to compute with."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

# Zone files a host may hold that are no IANA zone: `localtime` links to the host's own zone
# (/etc/localtime), whatever that is, and Factory stands for "no zone set". (zoneinfo itself
# leaves out posixrules.)
NOT_ZONES = frozenset({"localtime", "Factory"})


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_ZONES


def is_time_zone(name: str) -> bool:
    return name in _zone_names()
