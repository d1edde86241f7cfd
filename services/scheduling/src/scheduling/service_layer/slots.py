"""The use case behind a service's slots: what scheduling knows of the service, its specialists,
its calendars and their availability, and the time already taken, handed to the slot engine
(scheduling.domain.slots).

- The service must be offered (known in the clinic, not archived), else NotFound. Its slots are
  with its active specialists; naming one (`provider_id`) that does not deliver it, or is
  archived, is NotFound.
- Naming a calendar uses its hours and dates (NotFound unless it is an active calendar of the
  service); naming none uses any active calendar of the service, and a service without one is
  bookable whenever its specialists are available. (A booking that names none goes through the
  cheapest calendar offering its start: scheduling.service_layer.appointments.)
- A query asks for whole days in a zone: at most MAX_DAYS of them, in order, from FIRST_DAY to
  LAST_DAY, in a known zone (Invalid otherwise).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from clinic_contracts.events.catalog import LONGEST_BOOKING_HORIZON_DAYS
from clinic_contracts.zones import is_time_zone
from clinic_runtime.refusals import Invalid, NotFound
from scheduling.adapters.busy_times import BusyTimeSource
from scheduling.domain.errors import RuleBroken
from scheduling.domain.offerings import BookingWindow, CalendarSnapshot, ServiceSnapshot, booking_window
from scheduling.domain.slots import Busy, CalendarHours, ServiceTimes, Slot, find_slots
from scheduling.domain.wall_clock import zone
from scheduling.service_layer.unit_of_work import UnitOfWork

MAX_DAYS = 62
# The slot engine reads the zones a few days either side of the days asked for, which must stay
# inside the calendar Python knows (years 1 to 9999): a year's margin at each end is plenty.
FIRST_DAY = date(2, 1, 1)
LAST_DAY = date(9998, 12, 31)
# The longest booking horizon catalog's contract allows: no start beyond it is computed with.
LONGEST_HORIZON = timedelta(days=LONGEST_BOOKING_HORIZON_DAYS)


@dataclass(frozen=True)
class SlotQuery:
    clinic_id: uuid.UUID
    service_id: uuid.UUID
    first_day: date
    last_day: date  # included
    timezone: str  # of the days asked for, and of the slots' times
    provider_id: uuid.UUID | None = None
    calendar_id: uuid.UUID | None = None


def check_query(query: SlotQuery) -> list[RuleBroken]:
    """Fields are named as the slots route takes them (`from`, `to`, `tz`)."""
    problems = []
    if not is_time_zone(query.timezone):
        problems.append(RuleBroken("tz", f"{query.timezone!r} is not an IANA time zone"))
    problems.extend(RuleBroken(name, f"must be a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
                    for name, day in (("from", query.first_day), ("to", query.last_day))
                    if not FIRST_DAY <= day <= LAST_DAY)
    if query.last_day < query.first_day:
        problems.append(RuleBroken("to", "is before the first day (from)"))
    elif (query.last_day - query.first_day).days >= MAX_DAYS:
        problems.append(RuleBroken("to", f"ask for at most {MAX_DAYS} days at once"))
    return problems


def slots_of_service(uow: UnitOfWork, busy_times: BusyTimeSource, query: SlotQuery, now: datetime) -> list[Slot]:
    finder = slot_finder(uow, busy_times, query, now)
    return finder.find(finder.taken)


@dataclass(frozen=True)
class SlotFinder:
    """The slot engine with what it needs loaded once: `find` answers for given busy times, and
    for given calendars (by default every calendar the query allows)."""

    taken: list[Busy]  # the busy times of the query's specialists
    calendars: list[CalendarSnapshot]  # the calendars the query allows: empty, none limits it
    _find: Callable[[list[Busy], list[CalendarSnapshot]], list[Slot]]

    def find(self, busy: list[Busy], calendars: list[CalendarSnapshot] | None = None) -> list[Slot]:
        return self._find(busy, self.calendars if calendars is None else calendars)


def slot_finder(uow: UnitOfWork, busy_times: BusyTimeSource, query: SlotQuery, now: datetime, *,
                busy_within: tuple[datetime, datetime] | None = None, visit: ServiceTimes | None = None,
                minimum_notice: timedelta | None = None) -> SlotFinder:
    """What the slot engine needs, loaded once, with the busy times of the query's specialists:
    all that can matter to the days asked for, or only those reaching into `busy_within`, when
    only slots there are wanted (the grid does not depend on what is booked, so a slot is offered
    or not by the busy time it overlaps alone). `visit`: the length and buffers to fit when they
    are not the service's own (an appointment keeps those it was booked with); the grid stays the
    service's. Each calendar's minimum notice and booking horizon hold for the slots through it
    (the service's without calendars: scheduling.domain.offerings.booking_window);
    `minimum_notice` replaces every notice."""
    problems = check_query(query)
    if problems:
        raise Invalid(problems)
    service = uow.services.get(query.clinic_id, query.service_id)
    if service is None or service.archived:
        raise NotFound("service")
    provider_ids = _providers(uow, service, query)
    calendars = _calendars(uow, query)
    availability = uow.availability.of_providers(query.clinic_id, provider_ids)
    taken = busy_times.busy(query.clinic_id, provider_ids, *(busy_within or _reach(query, service)))

    def engine(busy: list[Busy], through: list[CalendarSnapshot], window: BookingWindow) -> list[Slot]:
        return find_slots(
            [availability[provider_id] for provider_id in provider_ids if provider_id in availability],
            visit or service_times(service),
            first_day=query.first_day, last_day=query.last_day, timezone=query.timezone, now=now,
            calendars=[_hours(calendar) for calendar in through], busy=busy,
            minimum_notice=window.minimum_notice if minimum_notice is None else minimum_notice,
            horizon=window.horizon, step=timedelta(minutes=service.duration_minutes),
        )

    def find(busy: list[Busy], through: list[CalendarSnapshot]) -> list[Slot]:
        # One run of the engine per booking window the calendars have (most services: one).
        by_window: dict[BookingWindow, list[CalendarSnapshot]] = {}
        for calendar in through:
            by_window.setdefault(booking_window(service, calendar), []).append(calendar)
        if len(by_window) <= 1:
            return engine(busy, through, next(iter(by_window), booking_window(service)))
        found = {slot for window, calendars in by_window.items() for slot in engine(busy, calendars, window)}
        return sorted(found, key=lambda slot: (slot.start.timestamp(), slot.provider_id))

    return SlotFinder(taken, calendars, find)


def service_times(service: ServiceSnapshot) -> ServiceTimes:
    """A visit of the service as it is now: its length and buffers."""
    return ServiceTimes(timedelta(minutes=service.duration_minutes), timedelta(minutes=service.buffer_before_minutes),
                        timedelta(minutes=service.buffer_after_minutes))


def _providers(uow: UnitOfWork, service: ServiceSnapshot, query: SlotQuery) -> list[uuid.UUID]:
    """The active specialists of the service asked about (specialists catalog has not told
    scheduling about yet are left out)."""
    if query.provider_id is not None and query.provider_id not in service.provider_ids:
        raise NotFound("specialist")
    wanted = [query.provider_id] if query.provider_id is not None else service.provider_ids
    active = [provider_id for provider_id in wanted
              if (provider := uow.providers.get(query.clinic_id, provider_id)) is not None and not provider.archived]
    if query.provider_id is not None and not active:
        raise NotFound("specialist")
    return active


def _calendars(uow: UnitOfWork, query: SlotQuery) -> list[CalendarSnapshot]:
    active = [calendar for calendar in uow.calendars.of_service(query.clinic_id, query.service_id)
              if not calendar.archived]
    if query.calendar_id is None:
        return active
    chosen = [calendar for calendar in active if calendar.calendar_id == query.calendar_id]
    if not chosen:
        raise NotFound("calendar")
    return chosen


def _hours(calendar: CalendarSnapshot) -> CalendarHours:
    return CalendarHours(calendar.timezone, calendar.hours, calendar.bookable_from, calendar.bookable_until)


def _reach(query: SlotQuery, service: ServiceSnapshot) -> tuple[datetime, datetime]:
    """A span holding every busy time that can matter: the days asked for, a day more on each
    side (zones differ by less), and the service's length with its buffers after."""
    days_zone = zone(query.timezone)
    start = datetime.combine(query.first_day - timedelta(days=1), time(), days_zone)
    longest = timedelta(minutes=service.duration_minutes + service.buffer_before_minutes
                        + service.buffer_after_minutes)
    return start, datetime.combine(query.last_day + timedelta(days=2), time(), days_zone) + longest
