"""Booking calendars: ways to book one service (standard, a promotion, other hours), each with its
own price, hours and dates, managed without touching the service itself."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from catalog.domain.entries import CatalogEntry
from catalog.domain.errors import RuleBroken
from catalog.domain.rules import ReferenceData
from catalog.domain.values import BookingWindow, Money, check_booking_window, check_money, check_name

CALENDAR_KINDS = ("standard", "promotion", "custom_hours")
WALL_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
MAX_HOUR_WINDOWS = 50


@dataclass(frozen=True)
class HourWindow:
    """Bookable on `weekday` (ISO: 1 Monday ... 7 Sunday) from `start` to `end`, wall-clock HH:MM in
    the calendar's zone, so 09:00 stays 09:00 across a change of daylight saving time."""

    weekday: int
    start: str
    end: str


@dataclass(frozen=True)
class CalendarDetails:
    service_id: uuid.UUID
    name: str
    kind: str
    # The zone of the hour windows. None only in a draft: the calendar is stored with the clinic's.
    timezone: str | None
    # None: the service's price.
    price: Money | None = None
    # Empty: whenever the service's specialists are available.
    hours: tuple[HourWindow, ...] = ()
    bookable_from: date | None = None
    bookable_until: date | None = None
    # None: the service's.
    minimum_notice_minutes: int | None = None
    booking_horizon_days: int | None = None

    def booking_window(self, services: BookingWindow) -> BookingWindow:
        """The calendar's own notice and horizon where it has them, else `services` (its service's)."""
        return services.overridden(self.minimum_notice_minutes, self.booking_horizon_days)


@dataclass(frozen=True)
class Calendar(CatalogEntry[CalendarDetails]):
    noun = "calendar"


def check_calendar(details: CalendarDetails, clinic_currency: str, reference: ReferenceData,
                   services: BookingWindow) -> list[RuleBroken]:
    """Every rule `details` breaks; `services` is its service's booking window (the platform's
    default where the service has none of its own), which the calendar's own values override."""
    problems = check_name(details.name)
    if details.kind not in CALENDAR_KINDS:
        problems.append(RuleBroken("kind", f"must be one of {', '.join(CALENDAR_KINDS)}"))
    if details.price is not None:
        problems.extend(check_money(details.price, "price", clinic_currency, reference))
    if details.timezone is None or not reference.is_timezone(details.timezone):
        problems.append(RuleBroken("timezone", f"{details.timezone!r} is not an IANA time zone"))
    problems.extend(_check_hours(details.hours))
    if details.bookable_from and details.bookable_until and details.bookable_until < details.bookable_from:
        problems.append(RuleBroken("bookable_until", "ends before the calendar starts (bookable_from)"))
    if details.kind == "promotion":
        # A campaign is a price for a while: without either it is just another calendar.
        if details.price is None:
            problems.append(RuleBroken("price", "a promotion needs its own price"))
        if details.bookable_from is None:
            problems.append(RuleBroken("bookable_from", "a promotion needs the day it starts"))
        if details.bookable_until is None:
            problems.append(RuleBroken("bookable_until", "a promotion needs the day it ends"))
    if details.kind == "custom_hours" and not details.hours:
        problems.append(RuleBroken("hours", "a calendar with custom hours needs at least one window"))
    problems.extend(check_booking_window(details.minimum_notice_minutes, details.booking_horizon_days)
                    or _check_window_within(details, services))
    return problems


def _check_window_within(details: CalendarDetails, services: BookingWindow) -> list[RuleBroken]:
    """The calendar's own notice or horizon against the rest of its window, its service's. Reached
    with at most one of its own (both are checked together above) and a service's window that
    leaves something bookable on its own, so the calendar's value is the one at fault."""
    window = details.booking_window(services)
    if not window.is_empty():
        return []
    if details.minimum_notice_minutes is not None:
        return [RuleBroken("minimum_notice_minutes", "must be shorter than the booking horizon, the service's "
                                                     f"{window.booking_horizon_days} days (booking_horizon_days)")]
    return [RuleBroken("booking_horizon_days", "must be longer than the minimum notice, the service's "
                                               f"{window.minimum_notice_minutes} minutes (minimum_notice_minutes)")]


def check_calendar_windows(services: BookingWindow, calendars: Iterable[Calendar]) -> list[RuleBroken]:
    """A service's booking window, valid on its own, against its calendars: each that overrides
    part of it must still leave something bookable. Reported on the service's value the calendar
    takes, naming the calendar."""
    problems = []
    for calendar in calendars:
        window = calendar.details.booking_window(services)
        if not window.is_empty():
            continue
        if calendar.details.minimum_notice_minutes is None:
            problems.append(RuleBroken("minimum_notice_minutes", "must be shorter than the booking horizon of its "
                                       f"calendar {calendar.id}, {window.booking_horizon_days} days"))
        else:
            problems.append(RuleBroken("booking_horizon_days", "must be longer than the minimum notice of its "
                                       f"calendar {calendar.id}, {window.minimum_notice_minutes} minutes"))
    return problems


def _check_hours(hours: tuple[HourWindow, ...]) -> list[RuleBroken]:
    if len(hours) > MAX_HOUR_WINDOWS:
        return [RuleBroken("hours", f"at most {MAX_HOUR_WINDOWS} windows")]
    problems = []
    valid: list[tuple[int, int, int, int]] = []  # weekday, start, end (minutes), position
    for position, window in enumerate(hours):
        field = f"hours.{position}"
        broken = []
        if not 1 <= window.weekday <= 7:
            broken.append(RuleBroken(f"{field}.weekday", "must be from 1 (Monday) to 7 (Sunday)"))
        # 24:00 ends a day; no window starts there.
        start = None if window.start == "24:00" else _minutes(window.start)
        end = _minutes(window.end)
        if start is None:
            broken.append(RuleBroken(f"{field}.start", "must be a time HH:MM from 00:00 to 23:59"))
        if end is None:
            broken.append(RuleBroken(f"{field}.end", "must be a time HH:MM from 00:01 to 24:00"))
        elif start is not None and end <= start:
            broken.append(RuleBroken(f"{field}.end", "must be after the start"))
        problems.extend(broken)
        if not broken:
            valid.append((window.weekday, start, end, position))
    for (day, _, end, _), (next_day, next_start, _, position) in zip(sorted(valid), sorted(valid)[1:]):
        if day == next_day and next_start < end:
            problems.append(RuleBroken(f"hours.{position}", "overlaps another window of the same day"))
    return problems


def _minutes(wall_clock: str) -> int | None:
    match = WALL_CLOCK.fullmatch(wall_clock)
    if match is None:
        return None
    if wall_clock == "24:00":
        return 24 * 60
    return int(match.group(1)) * 60 + int(match.group(2))
