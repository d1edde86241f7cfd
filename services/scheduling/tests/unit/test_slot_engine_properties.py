"""Properties of the slot engine (scheduling.domain.slots.find_slots) over generated clinics:
specialists in zones with and without daylight saving time (New York, Bucharest, Santiago, whose
clock changes at midnight, Lord Howe, whose changes are half an hour, Kathmandu at +05:45),
around the 2026 changes, with calendars, busy time, buffers, notice and horizons.

Every slot is checked against the rules it must keep, read straight from the inputs with
zoneinfo every five minutes (every boundary here falls on five minutes: windows on quarter
hours, offsets in quarter hours, grid steps in fives)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scheduling.domain.availability import AwayRange, DayOverride, ProviderAvailability, WeeklyRule, WeeklySchedule
from scheduling.domain.offerings import HourWindow
from scheduling.domain.slots import Busy, CalendarHours, ServiceTimes, Slot, find_slots
from scheduling.domain.wall_clock import minutes

CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
PROVIDERS = [uuid.UUID(f"0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e0{n}") for n in range(1, 4)]
ZONES = ["Europe/Bucharest", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
# Days of 2026 on which one of these zones changes its clocks, and two quiet ones.
AROUND = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 9, 6), date(2026, 10, 4),
          date(2026, 10, 25), date(2026, 11, 1), date(2026, 1, 14), date(2026, 7, 15)]
FIVE_MINUTES = 300
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Scenario:
    availabilities: list[ProviderAvailability]
    service: ServiceTimes
    first_day: date
    last_day: date
    timezone: str
    now: datetime
    calendars: list[CalendarHours]
    busy: list[Busy]
    step: timedelta | None
    minimum_notice: timedelta
    horizon: timedelta | None

    def slots(self) -> list[Slot]:
        return find_slots(
            self.availabilities, self.service, first_day=self.first_day, last_day=self.last_day,
            timezone=self.timezone, now=self.now, calendars=self.calendars, busy=self.busy, step=self.step,
            minimum_notice=self.minimum_notice, horizon=self.horizon)


def wall_clock(quarter_hours: int) -> str:
    return f"{quarter_hours // 4:02d}:{quarter_hours % 4 * 15:02d}"


@st.composite
def hours(draw) -> tuple[str, str]:
    start = draw(st.integers(0, 95))
    return wall_clock(start), wall_clock(min(96, start + draw(st.integers(1, 40))))


@st.composite
def scenarios(draw) -> Scenario:
    first_day = draw(st.sampled_from(AROUND)) + timedelta(days=draw(st.integers(-2, 1)))
    days = [first_day + timedelta(days=n) for n in range(draw(st.integers(1, 4)))]
    around = [first_day + timedelta(days=n) for n in range(-2, len(days) + 2)]
    # Mostly rules of the days asked for, mostly without a period: scenarios with slots to check.
    weekdays = st.sampled_from([day.isoweekday() for day in days] * 3 + list(range(1, 8)))
    period_day = st.none() | st.none() | st.sampled_from(around)
    availabilities = []
    for provider_id in PROVIDERS[:draw(st.integers(1, 3))]:
        rules = tuple(WeeklyRule(draw(weekdays), *draw(hours()), valid_from=draw(period_day),
                                 valid_until=draw(period_day))
                      for _ in range(draw(st.integers(1, 5))))
        blackouts = tuple(draw(st.sets(st.sampled_from(around), max_size=2)))
        away = tuple(AwayRange(uuid.uuid4(), day, day + timedelta(days=draw(st.integers(0, 2))))
                     for day in draw(st.lists(st.sampled_from(around), max_size=1)))
        overrides = tuple(
            DayOverride(uuid.uuid4(), day, "closed") if draw(st.booleans())
            else DayOverride(uuid.uuid4(), day, "extra_hours", *draw(hours()))
            for day in draw(st.lists(st.sampled_from(around), max_size=2)))
        availabilities.append(ProviderAvailability(
            CLINIC_ID, provider_id, WeeklySchedule(draw(st.sampled_from(ZONES)), rules, blackouts), away, overrides,
            version=1, updated_at=None))
    calendars = [
        CalendarHours(draw(st.sampled_from(ZONES)),
                      tuple(HourWindow(draw(weekdays), *draw(hours())) for _ in range(draw(st.integers(0, 3)))),
                      draw(period_day), draw(period_day))
        for _ in range(draw(st.integers(0, 2)))]
    start_of_range = datetime.combine(around[0], datetime.min.time(), UTC)
    busy = [
        Busy(draw(st.sampled_from([availability.provider_id for availability in availabilities])),
             start := start_of_range + timedelta(minutes=draw(st.integers(0, (len(around) * 24 * 60)))),
             start + timedelta(minutes=draw(st.integers(5, 180))),
             timedelta(minutes=draw(st.integers(0, 30))), timedelta(minutes=draw(st.integers(0, 30))))
        for _ in range(draw(st.integers(0, 8)))]
    return Scenario(
        availabilities=availabilities,
        service=ServiceTimes(timedelta(minutes=5 * draw(st.integers(1, 24))), timedelta(minutes=draw(st.integers(0, 30))),
                             timedelta(minutes=draw(st.integers(0, 30)))),
        first_day=days[0], last_day=days[-1], timezone=draw(st.sampled_from(ZONES)),
        now=start_of_range + timedelta(seconds=draw(st.integers(0, 3 * 86_400))),
        calendars=calendars, busy=busy,
        step=draw(st.none() | st.integers(3, 24).map(lambda fives: timedelta(minutes=5 * fives))),
        minimum_notice=timedelta(minutes=draw(st.integers(0, 300))),
        horizon=draw(st.none() | st.integers(60, 6 * 24 * 60).map(lambda m: timedelta(minutes=m))),
    )


def instants(slot: Slot) -> tuple[float, float]:
    return slot.start.timestamp(), slot.end.timestamp()


def sampled(slot: Slot) -> range:
    start, end = map(int, instants(slot))
    return range(start, end, FIVE_MINUTES)


def reading(instant: int, zone: str) -> tuple[date, int]:
    """What a clock in `zone` shows at `instant`: the day and the minute of the day."""
    shown = datetime.fromtimestamp(instant, ZoneInfo(zone))
    return shown.date(), shown.hour * 60 + shown.minute


def specialist_available(availability: ProviderAvailability, instant: int) -> tuple[date, bool]:
    day, minute = reading(instant, availability.schedule.timezone)
    if (day in availability.schedule.blackout_dates
            or any(away.first_day <= day <= away.last_day for away in availability.away)
            or any(override.day == day and override.kind == "closed" for override in availability.overrides)):
        return day, False
    windows = [(rule.start, rule.end) for rule in availability.schedule.rules if rule.applies_on(day)]
    windows += [(override.start, override.end) for override in availability.overrides
                if override.day == day and override.kind == "extra_hours"]
    return day, any(minutes(start) <= minute < minutes(end) for start, end in windows)


def calendar_open(calendars: list[CalendarHours], instant: int) -> bool:
    for calendar in calendars:
        day, minute = reading(instant, calendar.timezone)
        if calendar.first_day and day < calendar.first_day or calendar.last_day and day > calendar.last_day:
            continue
        if not calendar.hours or any(window.weekday == day.isoweekday()
                                     and minutes(window.start) <= minute < minutes(window.end)
                                     for window in calendar.hours):
            return True
    return not calendars


# -- properties --------------------------------------------------------------------------------


@QUICK
@given(scenarios())
def test_slots_are_sorted_by_start_then_specialist_unique_and_exactly_as_long_as_the_service(scenario):
    found = scenario.slots()

    keys = [(slot.start.timestamp(), slot.provider_id) for slot in found]
    assert keys == sorted(set(keys))
    assert all(end - start == scenario.service.duration.total_seconds() for start, end in map(instants, found))
    assert {slot.provider_id for slot in found} <= {availability.provider_id for availability in scenario.availabilities}


@QUICK
@given(scenarios())
def test_no_slot_or_its_buffers_meets_busy_time_or_its_buffers(scenario):
    found = scenario.slots()

    for slot in found:
        start, end = instants(slot)
        taken_from = start - scenario.service.buffer_before.total_seconds()
        taken_until = end + scenario.service.buffer_after.total_seconds()
        for busy in scenario.busy:
            if busy.provider_id == slot.provider_id:
                busy_from = (busy.start - busy.buffer_before).timestamp()
                busy_until = (busy.end + busy.buffer_after).timestamp()
                assert taken_until <= busy_from or busy_until <= taken_from, (slot, busy)


@QUICK
@given(scenarios())
def test_slots_start_after_the_notice_before_the_horizon_on_a_requested_day_shown_in_its_zone(scenario):
    found = scenario.slots()

    earliest = (scenario.now + scenario.minimum_notice).timestamp()
    for slot in found:
        assert slot.start.timestamp() >= earliest
        if scenario.horizon is not None:
            assert slot.start.timestamp() <= (scenario.now + scenario.horizon).timestamp()
        assert scenario.first_day <= slot.start.date() <= scenario.last_day
        assert slot.start.tzinfo == ZoneInfo(scenario.timezone) == slot.end.tzinfo
        assert slot.start.astimezone(UTC).timestamp() == slot.start.timestamp()


@SLOW
@given(scenarios())
def test_every_slot_lies_inside_one_day_of_availability_and_inside_a_calendar_window(scenario):
    found = scenario.slots()

    by_provider = {availability.provider_id: availability for availability in scenario.availabilities}
    for slot in found:
        readings = [specialist_available(by_provider[slot.provider_id], instant) for instant in sampled(slot)]
        assert all(available for _, available in readings), slot
        assert len({day for day, _ in readings}) == 1, slot
        assert all(calendar_open(scenario.calendars, instant) for instant in sampled(slot)), slot


@SLOW
@given(scenarios(), st.data())
def test_asking_for_fewer_days_gives_the_same_slots_on_those_days(scenario, data):
    found = scenario.slots()
    span = (scenario.last_day - scenario.first_day).days
    first = scenario.first_day + timedelta(days=data.draw(st.integers(0, span)))
    last = first + timedelta(days=data.draw(st.integers(0, (scenario.last_day - first).days)))

    fewer = replace(scenario, first_day=first, last_day=last).slots()

    assert list(map(instants, fewer)) == [instants(slot) for slot in found if first <= slot.start.date() <= last]
    assert [slot.provider_id for slot in fewer] == [slot.provider_id for slot in found
                                                     if first <= slot.start.date() <= last]


@SLOW
@given(scenarios(), st.data())
def test_more_busy_time_only_takes_slots_away(scenario, data):
    found = scenario.slots()
    assume(found)
    taken = data.draw(st.sampled_from(found))
    more = replace(scenario, busy=[*scenario.busy, Busy(taken.provider_id, taken.start, taken.end)])

    fewer = more.slots()

    keys = {(slot.start.timestamp(), slot.provider_id) for slot in fewer}
    assert keys < {(slot.start.timestamp(), slot.provider_id) for slot in found}
    assert (taken.start.timestamp(), taken.provider_id) not in keys
