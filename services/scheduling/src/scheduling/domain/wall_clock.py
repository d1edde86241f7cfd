"""Wall-clock time in an IANA zone, read as instants.

A window written in wall-clock time ("09:00-17:00 on 29 March, Europe/Bucharest") is the set of
instants at which a clock in that zone shows a time inside it. That one definition settles both
changes of daylight saving time:

- the spring gap: skipped times are never shown, so the part of a window inside the gap is not
  there. A window that starts in the gap begins when the clock jumps out of it (03:30-05:00 on
  the night Bucharest jumps from 03:00 to 04:00 begins at 04:00); one wholly inside it is empty.
- the repeated autumn hour: times shown twice count twice, so a window over the repeated hour
  lasts an hour longer in real time (01:00-03:00 on New York's fall-back night is three hours).
  A window that starts or ends inside the repeated hour covers both passes of its part of it.

Instants are whole seconds since the Unix epoch. A wall-clock time is counted the same way as if
the zone were UTC ("local seconds"), so the wall-clock times of a day are `day_start(day) + s`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86_400
WALL_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
# Stand for "no bound": far beyond any instant, and still exact in integer arithmetic.
EARLIEST = -(2**62)
LATEST = 2**62


def minutes(wall_clock: str) -> int | None:
    """"HH:MM" as minutes after midnight ("24:00" is 1440, the end of a day); None for anything
    else."""
    match = WALL_CLOCK.fullmatch(wall_clock)
    if match is None:
        return None
    if wall_clock == "24:00":
        return 24 * 60
    return int(match.group(1)) * 60 + int(match.group(2))


def day_start(day_ordinal: int) -> int:
    """Local seconds at 00:00 of the day (`date.toordinal()`)."""
    return (day_ordinal - EPOCH_ORDINAL) * DAY


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class ZoneClock:
    """The offsets a zone's clocks show over a stretch of time (instants `start` to `end`), to read
    wall-clock windows as instants there. Before and after the stretch its first and last offsets
    are assumed. Changes are found a day apart at the finest, as every zone's rules have them."""

    def __init__(self, zone: ZoneInfo, start: int, end: int) -> None:
        changes = _changes(zone, start, end)
        # (first wall-clock time, end of wall-clock times, offset) of each run of one offset, in
        # the order of the instants they cover.
        self._runs: list[tuple[int, int, int]] = []
        begins, offset = EARLIEST, _offset(zone, start)
        for instant, after in changes:
            self._runs.append((begins if begins == EARLIEST else begins + offset, instant + offset, offset))
            begins, offset = instant, after
        self._runs.append((begins if begins == EARLIEST else begins + offset, LATEST, offset))
        self._only_offset = offset if not changes else None
        # Around each change, the wall-clock times shown twice or never.
        self._unsteady = [(min(ends, begins), max(ends, begins)) for (_, ends, _), (begins, _, _)
                          in zip(self._runs, self._runs[1:])]
        self._steady: dict[int, int | None] = {}

    def instants(self, wall_from: int, wall_to: int) -> list[tuple[int, int]]:
        """The instants at which the clock shows a time in [wall_from, wall_to), as sorted,
        disjoint [start, end) intervals (two across a repeated hour a window starts or ends in)."""
        if self._only_offset is not None:
            offset = self._only_offset
            return [(wall_from - offset, wall_to - offset)] if wall_from < wall_to else []
        pieces: list[tuple[int, int]] = []
        for run_from, run_to, offset in self._runs:
            low = wall_from if wall_from > run_from else run_from
            high = wall_to if wall_to < run_to else run_to
            if low < high:
                start, end = low - offset, high - offset
                if pieces and pieces[-1][1] == start:  # the window goes on across the change
                    pieces[-1] = (pieces[-1][0], end)
                else:
                    pieces.append((start, end))
        return pieces

    def steady_offset(self, day: int) -> int | None:
        """The one offset the clock shows all through the day starting at local seconds `day`
        (then its windows are `wall - offset`); None on a day with a change, or next to one."""
        if self._only_offset is not None:
            return self._only_offset
        if day not in self._steady:
            near_change = any(low <= day + DAY and day <= high for low, high in self._unsteady)
            self._steady[day] = None if near_change else day - self.instants(day, day + 1)[0][0]
        return self._steady[day]

    def local_seconds(self, instant: int) -> int:
        """What the clock shows at `instant`."""
        if self._only_offset is not None:
            return instant + self._only_offset
        for _, run_to, offset in self._runs[:-1]:
            if instant < run_to - offset:
                return instant + offset
        return instant + self._runs[-1][2]


def _offset(zone: ZoneInfo, instant: int) -> int:
    return int(datetime.fromtimestamp(instant, zone).utcoffset().total_seconds())


def _changes(zone: ZoneInfo, start: int, end: int) -> list[tuple[int, int]]:
    """Each (instant, offset from then on) at which the zone's offset changes in [start, end]."""
    changes = []
    before_instant, before = start, _offset(zone, start)
    probe = start
    while probe < end:
        probe = min(probe + DAY, end)
        now = _offset(zone, probe)
        if now != before:
            low, high = before_instant, probe  # the offset is `before` at low, another at high
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            changes.append((high, _offset(zone, high)))
        before_instant, before = probe, now
    return changes
