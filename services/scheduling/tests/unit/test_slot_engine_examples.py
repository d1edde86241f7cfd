"""The slot engine (scheduling.domain.slots.find_slots) by example, away from any change of
daylight saving time (those are in test_slot_engine_dst.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.domain.availability import AwayRange, DayOverride, ProviderAvailability, WeeklyRule, WeeklySchedule
from scheduling.domain.offerings import HourWindow
from scheduling.domain.slots import Busy, CalendarHours, ServiceTimes, Slot, find_slots

CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
ANA = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01")
BOGDAN = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e02")
BUCHAREST = ZoneInfo("Europe/Bucharest")
MONDAY = date(2026, 5, 4)
TUESDAY = date(2026, 5, 5)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def availability(*rules: WeeklyRule, provider_id: uuid.UUID = ANA, timezone: str = "Europe/Bucharest",
                 blackout_dates: tuple[date, ...] = (), away: tuple[AwayRange, ...] = (),
                 overrides: tuple[DayOverride, ...] = ()) -> ProviderAvailability:
    return ProviderAvailability(CLINIC_ID, provider_id, WeeklySchedule(timezone, rules, blackout_dates), away,
                                overrides, version=1, updated_at=LONG_AGO)


def slots(*availabilities: ProviderAvailability, minutes: int = 60, before: int = 0, after: int = 0,
          first_day: date = MONDAY, last_day: date | None = None, timezone: str = "Europe/Bucharest",
          now: datetime = LONG_AGO, **options) -> list[Slot]:
    return find_slots(
        availabilities, ServiceTimes(timedelta(minutes=minutes), timedelta(minutes=before), timedelta(minutes=after)),
        first_day=first_day, last_day=last_day or first_day, timezone=timezone, now=now, **options)


def times(found: list[Slot]) -> list[str]:
    return [f"{slot.start:%H:%M}-{slot.end:%H:%M}" for slot in found]


def at(day: date, wall_clock: str, zone: ZoneInfo = BUCHAREST) -> datetime:
    return datetime.combine(day, datetime.strptime(wall_clock, "%H:%M").time(), zone)


def busy(day: date, start: str, end: str, provider_id: uuid.UUID = ANA, before: int = 0, after: int = 0) -> Busy:
    return Busy(provider_id, at(day, start), at(day, end), timedelta(minutes=before), timedelta(minutes=after))


MORNING = WeeklyRule(1, "09:00", "12:00")


# -- the grid ----------------------------------------------------------------------------------


def test_a_weekly_window_is_cut_into_slots_of_the_services_length():
    assert times(slots(availability(MORNING))) == ["09:00-10:00", "10:00-11:00", "11:00-12:00"]


def test_slots_are_aware_times_in_the_requested_zone_with_their_specialist():
    first = slots(availability(MORNING))[0]

    assert first == Slot(at(MONDAY, "09:00"), at(MONDAY, "10:00"), ANA)
    assert first.start.tzinfo == BUCHAREST


def test_a_shorter_step_offers_overlapping_alternatives():
    assert times(slots(availability(MORNING), step=timedelta(minutes=30))) == [
        "09:00-10:00", "09:30-10:30", "10:00-11:00", "10:30-11:30", "11:00-12:00"]


def test_the_grid_starts_where_the_window_starts():
    assert times(slots(availability(WeeklyRule(1, "09:15", "11:00")), minutes=30)) == [
        "09:15-09:45", "09:45-10:15", "10:15-10:45"]


def test_no_slot_runs_past_the_end_of_its_window():
    assert times(slots(availability(WeeklyRule(1, "09:00", "10:50")))) == ["09:00-10:00"]


def test_windows_that_meet_make_one_stretch():
    rules = (WeeklyRule(1, "09:00", "10:30"), WeeklyRule(1, "10:30", "12:00"))

    assert times(slots(availability(*rules))) == ["09:00-10:00", "10:00-11:00", "11:00-12:00"]


def test_a_slot_never_straddles_the_specialists_midnight():
    rules = (WeeklyRule(1, "23:00", "24:00"), WeeklyRule(2, "00:00", "01:00"))

    found = slots(availability(*rules), last_day=TUESDAY, step=timedelta(minutes=30))

    assert [slot.start for slot in found] == [at(MONDAY, "23:00"), at(TUESDAY, "00:00")]


def test_a_specialist_without_rules_has_no_slots():
    assert slots(availability()) == []


# -- the specialist's availability -------------------------------------------------------------


def test_a_rule_gives_slots_only_on_its_weekday_within_its_period():
    rule = WeeklyRule(1, "09:00", "10:00", valid_from=date(2026, 5, 11), valid_until=date(2026, 5, 18))

    found = slots(availability(rule), first_day=MONDAY, last_day=date(2026, 5, 31))

    assert [slot.start.date() for slot in found] == [date(2026, 5, 11), date(2026, 5, 18)]


def test_blackout_dates_away_ranges_and_closed_days_have_no_slots():
    every_day = tuple(WeeklyRule(weekday, "09:00", "10:00") for weekday in range(1, 8))
    held = availability(
        *every_day, blackout_dates=(date(2026, 5, 5),),
        away=(AwayRange(uuid.uuid4(), date(2026, 5, 7), date(2026, 5, 8)),),
        overrides=(DayOverride(uuid.uuid4(), date(2026, 5, 10), "closed"),))

    found = slots(held, first_day=MONDAY, last_day=date(2026, 5, 11))

    assert [slot.start.day for slot in found] == [4, 6, 9, 11]


def test_extra_hours_add_to_the_rules_of_the_day():
    held = availability(MORNING, overrides=(DayOverride(uuid.uuid4(), MONDAY, "extra_hours", "12:00", "13:00"),
                                            DayOverride(uuid.uuid4(), TUESDAY, "extra_hours", "16:00", "17:00")))

    assert times(slots(held, last_day=TUESDAY)) == [
        "09:00-10:00", "10:00-11:00", "11:00-12:00", "12:00-13:00", "16:00-17:00"]


def test_away_time_wins_over_extra_hours():
    held = availability(away=(AwayRange(uuid.uuid4(), MONDAY, MONDAY),),
                        overrides=(DayOverride(uuid.uuid4(), MONDAY, "extra_hours", "12:00", "13:00"),))

    assert slots(held) == []


# -- busy time and buffers ---------------------------------------------------------------------


def test_an_appointment_takes_its_time_away():
    found = slots(availability(MORNING), busy=[busy(MONDAY, "10:00", "11:00")])

    assert times(found) == ["09:00-10:00", "11:00-12:00"]


def test_a_booking_does_not_move_the_grid():
    found = slots(availability(WeeklyRule(1, "09:00", "13:00")), busy=[busy(MONDAY, "09:00", "09:45")])

    assert times(found) == ["10:00-11:00", "11:00-12:00", "12:00-13:00"]


def test_the_services_wrap_time_must_not_reach_an_appointment():
    found = slots(availability(MORNING), after=15, busy=[busy(MONDAY, "10:00", "11:00")])

    assert times(found) == ["11:00-12:00"]


def test_the_services_prep_time_must_not_reach_back_into_an_appointment():
    found = slots(availability(MORNING), before=10, busy=[busy(MONDAY, "09:00", "10:00")])

    assert times(found) == ["11:00-12:00"]


def test_an_appointments_own_buffers_are_busy_too():
    found = slots(availability(MORNING), busy=[busy(MONDAY, "10:05", "10:55", before=5, after=10)])

    assert times(found) == ["09:00-10:00"]


def test_buffers_may_reach_outside_availability():
    assert times(slots(availability(MORNING), before=30, after=30)) == ["09:00-10:00", "10:00-11:00", "11:00-12:00"]


def test_another_specialists_appointment_changes_nothing():
    found = slots(availability(MORNING), busy=[busy(MONDAY, "09:00", "12:00", provider_id=BOGDAN)])

    assert len(found) == 3


# -- notice, horizon, requested days -----------------------------------------------------------


def test_slots_start_no_earlier_than_the_minimum_notice():
    found = slots(availability(MORNING), now=at(MONDAY, "08:20"), minimum_notice=timedelta(hours=1))

    assert times(found) == ["10:00-11:00", "11:00-12:00"]


def test_a_slot_starting_exactly_at_the_notice_is_offered():
    found = slots(availability(MORNING), now=at(MONDAY, "08:00"), minimum_notice=timedelta(hours=1))

    assert times(found)[0] == "09:00-10:00"


def test_slots_start_no_later_than_the_booking_horizon():
    every_day = tuple(WeeklyRule(weekday, "09:00", "10:00") for weekday in range(1, 8))

    found = slots(availability(*every_day), first_day=MONDAY, last_day=date(2026, 5, 31), now=at(MONDAY, "09:00"),
                  horizon=timedelta(days=3))

    assert [slot.start.day for slot in found] == [4, 5, 6, 7]


def test_the_requested_days_are_days_in_the_requested_zone():
    # 01:00-03:00 in Bucharest on Monday is Sunday evening in New York.
    held = availability(WeeklyRule(1, "01:00", "03:00"))
    new_york = ZoneInfo("America/New_York")

    on_sunday = slots(held, first_day=date(2026, 5, 3), timezone="America/New_York")
    on_monday = slots(held, first_day=MONDAY, timezone="America/New_York")

    assert [slot.start for slot in on_sunday] == [at(date(2026, 5, 3), "18:00", new_york),
                                                  at(date(2026, 5, 3), "19:00", new_york)]
    assert on_monday == []


def test_days_in_the_wrong_order_have_no_slots():
    assert slots(availability(MORNING), first_day=TUESDAY, last_day=MONDAY) == []


# -- booking calendars -------------------------------------------------------------------------


def test_a_calendar_limits_slots_to_its_hours():
    calendar = CalendarHours("Europe/Bucharest", (HourWindow(1, "10:00", "12:00"),))

    assert times(slots(availability(MORNING), calendars=[calendar])) == ["10:00-11:00", "11:00-12:00"]


def test_the_grid_starts_where_the_calendar_window_cuts_the_specialists():
    calendar = CalendarHours("Europe/Bucharest", (HourWindow(1, "09:15", "12:00"),))

    assert times(slots(availability(MORNING), minutes=30, calendars=[calendar])) == [
        "09:15-09:45", "09:45-10:15", "10:15-10:45", "10:45-11:15", "11:15-11:45"]


def test_a_calendar_takes_bookings_only_between_its_days():
    every_day = tuple(WeeklyRule(weekday, "09:00", "10:00") for weekday in range(1, 8))
    calendar = CalendarHours("Europe/Bucharest", (), first_day=date(2026, 5, 6), last_day=date(2026, 5, 7))

    found = slots(availability(*every_day), first_day=MONDAY, last_day=date(2026, 5, 10), calendars=[calendar])

    assert [slot.start.day for slot in found] == [6, 7]


def test_a_calendar_in_another_zone_is_read_in_its_own():
    # 09:00-11:00 in London is 11:00-13:00 in Bucharest.
    calendar = CalendarHours("Europe/London", (HourWindow(1, "09:00", "11:00"),))

    found = slots(availability(WeeklyRule(1, "09:00", "17:00")), calendars=[calendar])

    assert times(found) == ["11:00-12:00", "12:00-13:00"]


def test_any_of_several_calendars_may_be_used():
    calendars = [CalendarHours("Europe/Bucharest", (HourWindow(1, "09:00", "10:00"),)),
                 CalendarHours("Europe/Bucharest", (HourWindow(1, "11:00", "12:00"),))]

    assert times(slots(availability(MORNING), calendars=calendars)) == ["09:00-10:00", "11:00-12:00"]


def test_a_calendar_with_no_window_that_day_closes_it():
    calendar = CalendarHours("Europe/Bucharest", (HourWindow(2, "09:00", "12:00"),))

    assert slots(availability(MORNING), calendars=[calendar]) == []


# -- many specialists --------------------------------------------------------------------------


def test_slots_of_several_specialists_come_by_start_then_specialist():
    ana = availability(WeeklyRule(1, "09:00", "11:00"), provider_id=ANA)
    bogdan = availability(WeeklyRule(1, "08:00", "10:00"), provider_id=BOGDAN)

    found = slots(bogdan, ana)

    assert [(f"{slot.start:%H:%M}", slot.provider_id) for slot in found] == [
        ("08:00", BOGDAN), ("09:00", ANA), ("09:00", BOGDAN), ("10:00", ANA)]


def test_each_specialist_is_read_in_their_own_zone():
    ana = availability(WeeklyRule(1, "09:00", "10:00"), provider_id=ANA)
    bogdan = availability(WeeklyRule(1, "09:00", "10:00"), provider_id=BOGDAN, timezone="Europe/London")

    found = slots(ana, bogdan)

    assert [(f"{slot.start:%H:%M}", slot.provider_id) for slot in found] == [("09:00", ANA), ("11:00", BOGDAN)]


# -- misuse ------------------------------------------------------------------------------------


def test_one_availability_per_specialist():
    with pytest.raises(ValueError, match="one availability per provider"):
        slots(availability(MORNING), availability(MORNING))


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        slots(availability(MORNING), now=datetime(2026, 5, 4, 8, 0))


@pytest.mark.parametrize("options", [{"minutes": 0}, {"step": timedelta(0)}])
def test_the_length_and_the_step_must_be_positive(options):
    with pytest.raises(ValueError, match="positive"):
        slots(availability(MORNING), **options)
