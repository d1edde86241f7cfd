"""A specialist's availability in one clinic: when they may be booked, before any appointment.

- weekly rules: a weekday and wall-clock hours, each optionally only from and/or until a date and
  at one of the specialist's locations;
- blackout dates: personal days off, whatever the rules say;
- away ranges: away or on vacation from one day to another, both included;
- one-off overrides of a day: extra hours, or closed all day.

A day's free time is its rules' hours plus its extra hours, none at all when the day is a
blackout date, inside an away range or closed. All of it is wall-clock time in the availability's
zone (the specialist's, unless staff choose another), so a 09:00 rule is 09:00 on both sides of a
change of daylight saving time; scheduling.domain.wall_clock says how the gap and the repeated
hour are read.

One version counts every change to a specialist's availability in a clinic: a new weekly schedule
names the version it replaces, so concurrent edits are not lost. Version 0 is a specialist whose
availability was never set (no free time).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal, Self

from clinic_contracts.zones import is_time_zone
from scheduling.domain.errors import RuleBroken
from scheduling.domain.text import check_text
from scheduling.domain.wall_clock import minutes

MAX_RULES = 70
MAX_BLACKOUT_DATES = 366
MAX_AWAY_RANGES = 200
MAX_OVERRIDES = 400
MAX_NOTE = 500
OVERRIDE_KINDS = ("extra_hours", "closed")


@dataclass(frozen=True)
class WeeklyRule:
    weekday: int  # ISO: 1 Monday ... 7 Sunday
    start: str  # wall-clock HH:MM
    end: str  # wall-clock HH:MM after start; 24:00 is the end of the day
    valid_from: date | None = None  # first day the rule applies; None: always did
    valid_until: date | None = None  # last day the rule applies; None: open
    location_id: uuid.UUID | None = None  # where the specialist works then; None: not said

    def applies_on(self, day: date) -> bool:
        return (day.isoweekday() == self.weekday
                and (self.valid_from is None or self.valid_from <= day)
                and (self.valid_until is None or day <= self.valid_until))


@dataclass(frozen=True)
class WeeklySchedule:
    """What staff replace at once: the zone, the weekly rules and the blackout dates."""

    timezone: str
    rules: tuple[WeeklyRule, ...] = ()
    blackout_dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class AwayRange:
    away_id: uuid.UUID
    first_day: date
    last_day: date  # included
    note: str = ""


@dataclass(frozen=True)
class DayOverride:
    override_id: uuid.UUID
    day: date
    kind: Literal["extra_hours", "closed"]
    start: str | None = None  # extra hours only, wall-clock HH:MM
    end: str | None = None  # extra hours only, after start; 24:00 is the end of the day
    note: str = ""


@dataclass(frozen=True)
class ProviderAvailability:
    clinic_id: uuid.UUID
    provider_id: uuid.UUID
    schedule: WeeklySchedule
    away: tuple[AwayRange, ...]
    overrides: tuple[DayOverride, ...]
    version: int
    updated_at: datetime | None  # None until first set

    @classmethod
    def unset(cls, clinic_id: uuid.UUID, provider_id: uuid.UUID, timezone: str) -> Self:
        """A specialist whose availability was never set: no free time, in their own zone."""
        return cls(clinic_id, provider_id, WeeklySchedule(timezone), (), (), version=0, updated_at=None)

    def with_schedule(self, schedule: WeeklySchedule, now: datetime) -> Self:
        """With a new weekly schedule, one version on; itself when nothing changes."""
        if schedule == self.schedule:
            return self
        return self._changed(now, schedule=schedule)

    def with_away(self, away: AwayRange, now: datetime) -> Self:
        return self._changed(now, away=tuple(sorted((*self.away, away), key=away_order)))

    def without_away(self, away_id: uuid.UUID, now: datetime) -> Self:
        return self._changed(now, away=tuple(held for held in self.away if held.away_id != away_id))

    def with_override(self, override: DayOverride, now: datetime) -> Self:
        return self._changed(now, overrides=tuple(sorted((*self.overrides, override), key=override_order)))

    def without_override(self, override_id: uuid.UUID, now: datetime) -> Self:
        return self._changed(now, overrides=tuple(held for held in self.overrides
                                                  if held.override_id != override_id))

    def away_range(self, away_id: uuid.UUID) -> AwayRange | None:
        return next((held for held in self.away if held.away_id == away_id), None)

    def override(self, override_id: uuid.UUID) -> DayOverride | None:
        return next((held for held in self.overrides if held.override_id == override_id), None)

    def _changed(self, now: datetime, **changes) -> Self:
        return replace(self, **changes, version=self.version + 1, updated_at=now)


def away_order(away: AwayRange) -> tuple:
    """Away ranges are kept by first day."""
    return away.first_day, away.last_day, away.away_id


def override_order(override: DayOverride) -> tuple:
    """Overrides are kept by day, then by the hours they add."""
    return override.day, override.start or "", override.override_id


# -- rules -------------------------------------------------------------------------------------


def check_schedule(schedule: WeeklySchedule) -> list[RuleBroken]:
    problems = []
    if not is_time_zone(schedule.timezone):
        problems.append(RuleBroken("timezone", f"{schedule.timezone!r} is not an IANA time zone"))
    if len(schedule.rules) > MAX_RULES:
        problems.append(RuleBroken("rules", f"at most {MAX_RULES} rules"))
    else:
        problems.extend(_check_rules(schedule.rules))
    if len(schedule.blackout_dates) > MAX_BLACKOUT_DATES:
        problems.append(RuleBroken("blackout_dates", f"at most {MAX_BLACKOUT_DATES} dates"))
    seen: set[date] = set()
    for position, day in enumerate(schedule.blackout_dates):
        if day in seen:
            problems.append(RuleBroken(f"blackout_dates.{position}", f"{day.isoformat()} is listed twice"))
        seen.add(day)
    return problems


def _check_rules(rules: tuple[WeeklyRule, ...]) -> list[RuleBroken]:
    problems = []
    sound: list[tuple[int, WeeklyRule, int, int]] = []  # position, rule, start and end in minutes
    for position, rule in enumerate(rules):
        field = f"rules.{position}"
        broken = []
        if not 1 <= rule.weekday <= 7:
            broken.append(RuleBroken(f"{field}.weekday", "must be from 1 (Monday) to 7 (Sunday)"))
        broken.extend(_check_hours(rule.start, rule.end, field))
        if rule.valid_from and rule.valid_until and rule.valid_until < rule.valid_from:
            broken.append(RuleBroken(f"{field}.valid_until", "is before the rule starts (valid_from)"))
        problems.extend(broken)
        if not broken:
            sound.append((position, rule, minutes(rule.start), minutes(rule.end)))
    for index, (position, rule, start, end) in enumerate(sound):
        for earlier_position, earlier, earlier_start, earlier_end in sound[:index]:
            if (rule.weekday == earlier.weekday and start < earlier_end and earlier_start < end
                    and _periods_meet(rule, earlier)):
                problems.append(RuleBroken(f"rules.{position}",
                                           f"overlaps rules.{earlier_position} on the same weekday"))
                break
    return problems


def _periods_meet(one: WeeklyRule, other: WeeklyRule) -> bool:
    """Whether two rules apply on some common day (they may overlap in hours only then)."""
    starts = [day for day in (one.valid_from, other.valid_from) if day is not None]
    ends = [day for day in (one.valid_until, other.valid_until) if day is not None]
    return not starts or not ends or max(starts) <= min(ends)


def _check_hours(start: str | None, end: str | None, prefix: str) -> list[RuleBroken]:
    """`prefix` is where the hours sit in the body (`rules.2`), empty at its top."""
    # 24:00 ends a day; nothing starts there.
    start_minutes = None if start is None or start == "24:00" else minutes(start)
    end_minutes = None if end is None else minutes(end)
    problems = []
    if start_minutes is None:
        problems.append(RuleBroken(_at(prefix, "start"), "must be a time HH:MM from 00:00 to 23:59"))
    if end_minutes is None:
        problems.append(RuleBroken(_at(prefix, "end"), "must be a time HH:MM from 00:01 to 24:00"))
    elif start_minutes is not None and end_minutes <= start_minutes:
        problems.append(RuleBroken(_at(prefix, "end"), "must be after the start"))
    return problems


def _at(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def check_away(away: AwayRange, held: ProviderAvailability) -> list[RuleBroken]:
    problems = []
    if away.last_day < away.first_day:
        problems.append(RuleBroken("last_day", "is before the first day"))
    if len(away.note) > MAX_NOTE:
        problems.append(RuleBroken("note", f"at most {MAX_NOTE} characters"))
    problems.extend(check_text("note", away.note, multi_line=True))
    if len(held.away) >= MAX_AWAY_RANGES:
        problems.append(RuleBroken("first_day", f"at most {MAX_AWAY_RANGES} away ranges; remove past ones first"))
    return problems


def check_override(override: DayOverride, held: ProviderAvailability) -> list[RuleBroken]:
    problems = []
    if override.kind not in OVERRIDE_KINDS:
        return [RuleBroken("kind", f"must be one of {', '.join(OVERRIDE_KINDS)}")]
    if override.kind == "extra_hours":
        problems.extend(_check_hours(override.start, override.end, ""))
    else:
        problems.extend(RuleBroken(name, "a day closed all day has no hours")
                        for name, value in (("start", override.start), ("end", override.end)) if value is not None)
    if len(override.note) > MAX_NOTE:
        problems.append(RuleBroken("note", f"at most {MAX_NOTE} characters"))
    problems.extend(check_text("note", override.note, multi_line=True))
    if len(held.overrides) >= MAX_OVERRIDES:
        problems.append(RuleBroken("day", f"at most {MAX_OVERRIDES} overrides; remove past ones first"))
    if problems:
        return problems
    same_day = [other for other in held.overrides if other.day == override.day]
    day = override.day.isoformat()
    if any(other.kind == "closed" for other in same_day):
        problems.append(RuleBroken("day", f"{day} is already closed all day"))
    elif override.kind == "closed" and same_day:
        problems.append(RuleBroken("day", f"{day} has extra hours; remove them before closing the day"))
    elif any(minutes(override.start) < minutes(other.end) and minutes(other.start) < minutes(override.end)
             for other in same_day):
        problems.append(RuleBroken("start", f"overlaps extra hours already given on {day}"))
    return problems
