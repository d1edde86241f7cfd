"""The slot engine: when a service can be booked, and with whom.

A pure function: everything it needs is passed in (the specialists' availability, the booking
calendars, the time already taken, `now`); it reads no clock, database or anything else.

A specialist's free time is their availability (weekly rules and extra hours, less blackout
dates, away ranges and closed days: scheduling.domain.availability), inside the booking
calendars' hour windows (in each calendar's zone) and bookable dates, less busy time: every
appointment or hold, widened by its own buffers. A slot also keeps the booked service's own
buffers clear of busy time, so prep and wrap time never meet another appointment's; the buffers
may reach outside availability (prep before opening is the specialist's affair).

Slots
- last exactly the service's duration, in real (absolute) time;
- start on a grid: every `step` (by default the duration) from the start of each stretch of
  open time, before anything booked is taken out. A stretch is a day's availability window, cut
  to the calendar's windows; so a 09:00 window offers 09:00, 09:30, ... whatever is booked, and
  a booking frees or takes whole grid places;
- lie within one day of the specialist's availability (a slot never straddles their midnight)
  and inside a calendar window;
- start no earlier than `now + minimum_notice`, no later than `now + horizon`, and on one of the
  requested days as a clock in the requested zone shows them;
- come back as aware datetimes in the requested zone, sorted by start instant then provider id,
  (start, provider) unique.

Daylight saving time. Availability and calendar windows are wall-clock times (wall_clock says
exactly how they are read), so a 09:00 rule stays 09:00 local on both sides of a change.
- Spring gap: the part of a window inside the gap is not there, so no slot starts in it; a
  window starting inside the gap begins at its end, one wholly inside it gives nothing. Slots on
  the grid keep their absolute length: a 30-minute slot from 02:30 on the night Bucharest jumps
  from 03:00 to 04:00 ends at 04:00 (EEST).
- Repeated autumn hour: a window covers both passes of it, so it lasts its real length, and
  slots are laid in absolute time one after the other: a 60-minute grid over 01:00-03:00 on New
  York's fall-back night gives 01:00 EDT, 01:00 EST and 02:00 EST, none overlapping.

Careful with the results: Python compares and subtracts aware datetimes that share a tzinfo by
their wall clocks, ignoring `fold`, so 01:30 EDT and 01:30 EST are "equal" there. Compare slots
by `.timestamp()` (or in UTC).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import repeat
from typing import NamedTuple

from scheduling.domain.availability import ProviderAvailability
from scheduling.domain.offerings import HourWindow
from scheduling.domain.wall_clock import DAY, EPOCH_ORDINAL, ZoneClock, day_start, minutes, zone

Interval = tuple[int, int]  # [start, end) in seconds since the epoch


class Slot(NamedTuple):
    start: datetime
    end: datetime
    provider_id: uuid.UUID


@dataclass(frozen=True)
class ServiceTimes:
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


@dataclass(frozen=True)
class Busy:
    """Time a specialist is taken (an appointment, or a hold on one), with that appointment's
    own buffers."""

    provider_id: uuid.UUID
    start: datetime
    end: datetime
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


@dataclass(frozen=True)
class CalendarHours:
    """When a booking calendar takes bookings: hour windows per weekday in its zone (none: at any
    hour), from `first_day` to `last_day`, both included (None: open)."""

    timezone: str
    hours: tuple[HourWindow, ...] = ()
    first_day: date | None = None
    last_day: date | None = None


_WHOLE_DAY = (0, DAY)


def find_slots(
    availabilities: Sequence[ProviderAvailability],
    service: ServiceTimes,
    *,
    first_day: date,
    last_day: date,
    timezone: str,
    now: datetime,
    calendars: Sequence[CalendarHours] = (),
    busy: Iterable[Busy] = (),
    step: timedelta | None = None,
    minimum_notice: timedelta = timedelta(0),
    horizon: timedelta | None = None,
) -> list[Slot]:
    """The slots of `service` starting on the days `first_day` to `last_day` (in `timezone`),
    with any of the specialists whose `availabilities` are given (one each).

    `calendars` empty: no calendar limits when it may be booked; several: any of them may be
    used. `busy` may hold other specialists' time too (it is ignored). `now` must be aware.
    """
    duration = _seconds(service.duration)
    every = _seconds(step) if step is not None else duration
    if duration <= 0 or every <= 0:
        raise ValueError("the duration and the step must be positive")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ranked = sorted(availabilities, key=lambda availability: availability.provider_id)
    if len({availability.provider_id for availability in ranked}) != len(ranked):
        raise ValueError("one availability per provider")
    if last_day < first_day or not ranked:
        return []

    out_zone = zone(timezone)
    wall_first, wall_last = day_start(first_day.toordinal()), day_start(last_day.toordinal() + 1)
    requested = ZoneClock(out_zone, wall_first - 2 * DAY, wall_last + 2 * DAY).instants(wall_first, wall_last)
    if not requested:  # days the zone skipped (Samoa's 30 December 2011): no instant shows them
        return []
    current = now.timestamp()
    lower = max(requested[0][0], math.ceil(current + minimum_notice.total_seconds()))
    upper = requested[-1][1] - 1
    if horizon is not None:
        upper = min(upper, math.floor(current + horizon.total_seconds()))
    if lower > upper:
        return []

    clocks: dict[str, ZoneClock] = {}

    def clock(name: str) -> ZoneClock:
        if name not in clocks:
            clocks[name] = ZoneClock(zone(name), lower - 3 * DAY, upper + duration + 3 * DAY)
        return clocks[name]

    open_time = _calendar_time(calendars, clock, lower, upper + duration)
    blocked = _blocked(busy, _seconds(service.buffer_before), _seconds(service.buffer_after))
    count = len(ranked)
    keys: list[int] = []  # start * count + rank: one sort orders by start, then provider
    for rank, availability in enumerate(ranked):
        stretches = _available(availability, clock(availability.schedule.timezone), lower, upper)
        if open_time is not None:
            stretches = _intersection(stretches, open_time)
        _lay(stretches, blocked.get(availability.provider_id, []), lower, upper, duration, every, rank, count, keys)
    keys.sort()

    starts = [key // count for key in keys]
    ranks = [key % count for key in keys]
    # Many slots share their start (every specialist's 09:00): each instant is converted once.
    shown = {start: datetime.fromtimestamp(start, out_zone) for start in set(starts)}
    ends = {start: shown[start + duration] if start + duration in shown
            else datetime.fromtimestamp(start + duration, out_zone) for start in shown}
    provider_ids = [availability.provider_id for availability in ranked]
    return list(map(tuple.__new__, repeat(Slot), zip(
        map(shown.__getitem__, starts), map(ends.__getitem__, starts), map(provider_ids.__getitem__, ranks))))


def _available(availability: ProviderAvailability, clock: ZoneClock, lower: int, upper: int) -> list[Interval]:
    """The specialist's stretches of availability on every day a slot starting in [lower, upper]
    may fall on, as instants; a day's windows that meet in real time make one stretch."""
    first = clock.local_seconds(lower) // DAY + EPOCH_ORDINAL
    last = clock.local_seconds(upper) // DAY + EPOCH_ORDINAL
    closed = {day.toordinal() for day in availability.schedule.blackout_dates}
    for away in availability.away:
        closed.update(range(max(away.first_day.toordinal(), first), min(away.last_day.toordinal(), last) + 1))
    extra: dict[int, list[Interval]] = {}
    for override in availability.overrides:
        if override.kind == "closed":
            closed.add(override.day.toordinal())
        else:
            extra.setdefault(override.day.toordinal(), []).append(_day_seconds(override.start, override.end))
    # Per ISO weekday: the rules' windows in seconds of the day, merged once when they hold on
    # every day; otherwise (a rule valid only for a while) each day picks its rules.
    limited = {rule.weekday for rule in availability.schedule.rules if rule.valid_from or rule.valid_until}
    rules: list[list[tuple[int, int, int, int]]] = [[] for _ in range(8)]
    for rule in availability.schedule.rules:
        rules[rule.weekday].append((
            *_day_seconds(rule.start, rule.end),
            rule.valid_from.toordinal() if rule.valid_from else first,
            rule.valid_until.toordinal() if rule.valid_until else last,
        ))
    weekly = [None if weekday in limited else _merged(sorted((start, end) for start, end, _, _ in rules[weekday]))
              for weekday in range(8)]

    stretches: list[Interval] = []
    for day in range(first, last + 1):
        if day in closed:
            continue
        weekday = (day - 1) % 7 + 1
        windows = weekly[weekday]
        if windows is None:
            windows = _merged(sorted((start, end) for start, end, since, until in rules[weekday]
                                     if since <= day <= until))
        if day in extra:
            windows = _merged(sorted([*windows, *extra[day]]))
        if not windows:
            continue
        base = day_start(day)
        offset = clock.steady_offset(base)
        if offset is None:
            pieces = [piece for start, end in windows for piece in clock.instants(base + start, base + end)]
            stretches.extend(_merged(sorted(pieces)))
        else:
            shift = base - offset
            stretches.extend([(shift + start, shift + end) for start, end in windows])
    stretches.sort()  # days come in order, except around a change that repeats a midnight
    return stretches


def _day_seconds(start: str, end: str) -> Interval:
    return minutes(start) * 60, minutes(end) * 60


def _calendar_time(calendars: Sequence[CalendarHours], clock: Callable[[str], ZoneClock], lower: int,
                   last_end: int) -> list[Interval] | None:
    """When any of the calendars takes bookings, around [lower, last_end]; None without one.

    Two days more on each side than needed: a window that runs on from beyond them could only
    start earlier than any stretch of availability it is cut with, so where this begins never
    moves the grid."""
    if not calendars:
        return None
    pieces: list[Interval] = []
    for calendar in calendars:
        calendar_clock = clock(calendar.timezone)
        first = calendar_clock.local_seconds(lower) // DAY + EPOCH_ORDINAL - 2
        last = calendar_clock.local_seconds(last_end) // DAY + EPOCH_ORDINAL + 2
        if calendar.first_day is not None:
            first = max(first, calendar.first_day.toordinal())
        if calendar.last_day is not None:
            last = min(last, calendar.last_day.toordinal())
        weekly: list[list[Interval]] = [[] for _ in range(8)]
        for window in calendar.hours:
            weekly[window.weekday].append(_day_seconds(window.start, window.end))
        for day in range(first, last + 1):
            base = day_start(day)
            for start, end in weekly[(day - 1) % 7 + 1] if calendar.hours else (_WHOLE_DAY,):
                pieces.extend(calendar_clock.instants(base + start, base + end))
    pieces.sort()
    return _merged(pieces)


def _blocked(busy: Iterable[Busy], before: int, after: int) -> dict[uuid.UUID, list[Interval]]:
    """Per specialist, where no slot may lie: each busy time with its own buffers, widened by the
    booked service's buffers (a slot's wrap time must end before it, its prep start after it)."""
    blocked: dict[uuid.UUID, list[Interval]] = {}
    for taken in busy:
        start = math.floor(taken.start.timestamp() - taken.buffer_before.total_seconds())
        end = math.ceil(taken.end.timestamp() + taken.buffer_after.total_seconds())
        blocked.setdefault(taken.provider_id, []).append((start - after, end + before))
    for intervals in blocked.values():
        intervals.sort()
        intervals[:] = _merged(intervals)
    return blocked


def _intersection(stretches: list[Interval], open_time: list[Interval]) -> list[Interval]:
    """The parts of `stretches` inside `open_time`; both sorted and disjoint."""
    cut: list[Interval] = []
    j, n = 0, len(open_time)
    for start, end in stretches:
        while j < n and open_time[j][1] <= start:
            j += 1
        k = j
        while k < n and open_time[k][0] < end:
            low, high = max(start, open_time[k][0]), min(end, open_time[k][1])
            if low < high:
                cut.append((low, high))
            if open_time[k][1] >= end:
                break
            k += 1
        j = k
    return cut


def _lay(stretches: list[Interval], blocked: list[Interval], lower: int, upper: int, duration: int, every: int,
         rank: int, count: int, keys: list[int]) -> None:
    """Append the key of every slot on each stretch's grid that keeps clear of `blocked` and
    starts within [lower, upper]."""
    j, n = 0, len(blocked)
    for anchor, end in stretches:
        if anchor > upper:
            break
        if end - duration < lower:
            continue
        while j < n and blocked[j][1] <= anchor:
            j += 1
        if j == n or blocked[j][0] >= end:
            free = [(anchor, end)]
        else:
            free, free_from, k = [], anchor, j
            while k < n and blocked[k][0] < end:
                if blocked[k][0] > free_from:
                    free.append((free_from, blocked[k][0]))
                free_from = max(free_from, blocked[k][1])
                if blocked[k][1] >= end:
                    break
                k += 1
            j = k
            if free_from < end:
                free.append((free_from, end))
        for free_start, free_end in free:
            first = free_start if free_start > lower else lower
            first = anchor - (anchor - first) // every * every  # the grid's first place at or after it
            last = free_end - duration
            if last > upper:
                last = upper
            if first <= last:
                keys.extend(range(first * count + rank, last * count + rank + 1, every * count))


def _merged(intervals: list[Interval]) -> list[Interval]:
    """Sorted intervals with those that overlap or meet joined."""
    joined = [intervals[0]] if intervals else []
    for start, end in intervals[1:]:
        if start <= joined[-1][1]:
            if end > joined[-1][1]:
                joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _seconds(span: timedelta) -> int:
    return int(span.total_seconds())
