"""The slot engine across the changes of daylight saving time of 2026, in Europe/Bucharest
(29 March 03:00 -> 04:00; 25 October 04:00 -> 03:00) and America/New_York (8 March 02:00 -> 03:00;
1 November 02:00 -> 01:00), and between specialists and patients in different zones.

Times are compared as (wall clock, UTC offset) or as instants: Python's datetimes sharing a
tzinfo ignore `fold` when compared, so 01:30 EDT and 01:30 EST would look equal."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from scheduling.domain.availability import DayOverride, ProviderAvailability, WeeklyRule, WeeklySchedule
from scheduling.domain.offerings import HourWindow
from scheduling.domain.slots import CalendarHours, ServiceTimes, Slot, find_slots

CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
ANA = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01")
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
SUNDAY = 7
BUCHAREST_SPRING, BUCHAREST_AUTUMN = date(2026, 3, 29), date(2026, 10, 25)
NEW_YORK_SPRING, NEW_YORK_AUTUMN = date(2026, 3, 8), date(2026, 11, 1)


def availability(*rules: WeeklyRule, timezone: str, overrides: tuple[DayOverride, ...] = ()) -> ProviderAvailability:
    return ProviderAvailability(CLINIC_ID, ANA, WeeklySchedule(timezone, rules), (), overrides, 1, LONG_AGO)


def slots(held: ProviderAvailability, first_day: date, last_day: date | None = None, *, minutes: int = 60,
          timezone: str | None = None, **options) -> list[Slot]:
    return find_slots([held], ServiceTimes(timedelta(minutes=minutes)), first_day=first_day,
                      last_day=last_day or first_day, timezone=timezone or held.schedule.timezone, now=LONG_AGO,
                      **options)


def shown(found: list[Slot]) -> list[str]:
    """Each slot as its wall clock and offset, e.g. 01:00-04:00."""
    return [f"{slot.start:%H:%M%z}" for slot in found]


def assert_real_length(found: list[Slot], minutes: int) -> None:
    assert all(slot.end.timestamp() - slot.start.timestamp() == minutes * 60 for slot in found)


def assert_no_two_overlap(found: list[Slot]) -> None:
    instants = sorted((slot.start.timestamp(), slot.end.timestamp()) for slot in found)
    assert all(end <= next_start for (_, end), (next_start, _) in zip(instants, instants[1:]))


# -- a 09:00 rule stays 09:00 ------------------------------------------------------------------


def test_a_0900_rule_is_0900_in_bucharest_on_both_sides_of_spring():
    found = slots(availability(WeeklyRule(SUNDAY, "09:00", "10:00"), timezone="Europe/Bucharest"),
                  date(2026, 3, 22), date(2026, 4, 5))

    assert shown(found) == ["09:00+0200", "09:00+0300", "09:00+0300"]
    assert [slot.start.astimezone(UTC).hour for slot in found] == [7, 6, 6]


def test_a_0900_rule_is_0900_in_bucharest_on_both_sides_of_autumn():
    found = slots(availability(WeeklyRule(SUNDAY, "09:00", "10:00"), timezone="Europe/Bucharest"),
                  date(2026, 10, 18), date(2026, 11, 1))

    assert shown(found) == ["09:00+0300", "09:00+0200", "09:00+0200"]


def test_a_0900_rule_is_0900_in_new_york_on_both_sides_of_both_changes():
    held = availability(WeeklyRule(SUNDAY, "09:00", "10:00"), timezone="America/New_York")

    assert shown(slots(held, date(2026, 3, 1), date(2026, 3, 15))) == ["09:00-0500", "09:00-0400", "09:00-0400"]
    assert shown(slots(held, date(2026, 10, 25), date(2026, 11, 8))) == ["09:00-0400", "09:00-0500", "09:00-0500"]


# -- the spring gap ----------------------------------------------------------------------------


def test_bucharest_spring_a_window_over_the_gap_loses_the_skipped_hour():
    found = slots(availability(WeeklyRule(SUNDAY, "02:00", "05:00"), timezone="Europe/Bucharest"), BUCHAREST_SPRING)

    assert shown(found) == ["02:00+0200", "04:00+0300"]
    assert_real_length(found, 60)


def test_bucharest_spring_no_slot_starts_in_the_gap():
    found = slots(availability(WeeklyRule(SUNDAY, "02:00", "05:00"), timezone="Europe/Bucharest"), BUCHAREST_SPRING,
                  minutes=30)

    assert shown(found) == ["02:00+0200", "02:30+0200", "04:00+0300", "04:30+0300"]
    assert f"{found[1].end:%H:%M%z}" == "04:00+0300"  # 02:30 + 30 minutes is when the clock jumps


def test_bucharest_spring_a_window_starting_in_the_gap_starts_when_the_gap_ends():
    found = slots(availability(WeeklyRule(SUNDAY, "03:30", "05:00"), timezone="Europe/Bucharest"), BUCHAREST_SPRING)

    assert shown(found) == ["04:00+0300"]


def test_bucharest_spring_a_window_inside_the_gap_gives_nothing():
    held = availability(timezone="Europe/Bucharest",
                        overrides=(DayOverride(uuid.uuid4(), BUCHAREST_SPRING, "extra_hours", "03:00", "04:00"),))

    assert slots(held, BUCHAREST_SPRING, minutes=15) == []


def test_new_york_spring_a_window_over_the_gap_lasts_two_real_hours():
    found = slots(availability(WeeklyRule(SUNDAY, "01:00", "04:00"), timezone="America/New_York"), NEW_YORK_SPRING,
                  minutes=30)

    assert shown(found) == ["01:00-0500", "01:30-0500", "03:00-0400", "03:30-0400"]
    assert_real_length(found, 30)


def test_new_york_spring_a_slot_across_the_jump_keeps_its_real_length():
    found = slots(availability(WeeklyRule(SUNDAY, "01:00", "04:00"), timezone="America/New_York"), NEW_YORK_SPRING,
                  minutes=90)

    assert [f"{slot.start:%H:%M%z}-{slot.end:%H:%M%z}" for slot in found] == ["01:00-0500-03:30-0400"]


# -- the repeated autumn hour ------------------------------------------------------------------


def test_new_york_autumn_a_window_over_the_repeated_hour_gives_its_real_time_without_overlaps():
    found = slots(availability(WeeklyRule(SUNDAY, "01:00", "03:00"), timezone="America/New_York"), NEW_YORK_AUTUMN)

    assert shown(found) == ["01:00-0400", "01:00-0500", "02:00-0500"]
    assert [slot.start.fold for slot in found] == [0, 1, 0]
    assert_real_length(found, 60)
    assert_no_two_overlap(found)


def test_new_york_autumn_a_slot_may_end_in_the_second_pass_of_the_hour():
    found = slots(availability(WeeklyRule(SUNDAY, "01:00", "03:00"), timezone="America/New_York"), NEW_YORK_AUTUMN,
                  minutes=50)

    assert [f"{slot.start:%H:%M%z}-{slot.end:%H:%M%z}" for slot in found] == [
        "01:00-0400-01:50-0400", "01:50-0400-01:40-0500", "01:40-0500-02:30-0500"]
    assert_real_length(found, 50)
    assert_no_two_overlap(found)


def test_bucharest_autumn_a_window_over_the_repeated_hour_lasts_an_hour_longer():
    found = slots(availability(WeeklyRule(SUNDAY, "02:00", "05:00"), timezone="Europe/Bucharest"), BUCHAREST_AUTUMN)

    assert shown(found) == ["02:00+0300", "03:00+0300", "03:00+0200", "04:00+0200"]
    assert_no_two_overlap(found)


def test_bucharest_autumn_a_window_starting_in_the_repeated_hour_covers_both_passes_of_its_part():
    # 03:30-05:00 is shown from 03:30 to 04:00 summer time, then again from 03:30 winter time.
    found = slots(availability(WeeklyRule(SUNDAY, "03:30", "05:00"), timezone="Europe/Bucharest"), BUCHAREST_AUTUMN,
                  minutes=30)

    assert shown(found) == ["03:30+0300", "03:30+0200", "04:00+0200", "04:30+0200"]
    assert_no_two_overlap(found)


def test_bucharest_autumn_calendar_hours_are_read_the_same_way():
    calendar = CalendarHours("Europe/Bucharest", (HourWindow(SUNDAY, "03:00", "04:00"),))

    found = slots(availability(WeeklyRule(SUNDAY, "00:00", "24:00"), timezone="Europe/Bucharest"), BUCHAREST_AUTUMN,
                  calendars=[calendar])

    assert shown(found) == ["03:00+0300", "03:00+0200"]


# -- specialist and patient in different zones -------------------------------------------------


def test_a_bucharest_specialist_seen_from_new_york_moves_as_each_zone_changes():
    every_day = tuple(WeeklyRule(weekday, "09:00", "10:00") for weekday in range(1, 8))
    held = availability(*every_day, timezone="Europe/Bucharest")

    found = slots(held, date(2026, 3, 7), date(2026, 3, 30), timezone="America/New_York")
    seen = {slot.start.date(): f"{slot.start:%H:%M%z}" for slot in found}

    assert seen[date(2026, 3, 7)] == "02:00-0500"  # both on winter time: 7 hours apart
    assert seen[date(2026, 3, 9)] == "03:00-0400"  # New York on summer time first: 6 hours apart
    assert seen[date(2026, 3, 28)] == "03:00-0400"
    assert seen[date(2026, 3, 29)] == "02:00-0400"  # both on summer time: 7 hours apart again
    assert all(slot.start.tzinfo.key == "America/New_York" for slot in found)


def test_a_new_york_specialist_on_their_fall_back_night_seen_from_bucharest():
    found = slots(availability(WeeklyRule(SUNDAY, "01:00", "03:00"), timezone="America/New_York"), NEW_YORK_AUTUMN,
                  timezone="Europe/Bucharest")

    assert shown(found) == ["07:00+0200", "08:00+0200", "09:00+0200"]
    assert_no_two_overlap(found)


def test_days_are_asked_for_in_the_patients_zone_across_its_own_change():
    every_day = tuple(WeeklyRule(weekday, "00:00", "24:00") for weekday in range(1, 8))

    found = slots(availability(*every_day, timezone="UTC"), NEW_YORK_SPRING, timezone="America/New_York",
                  minutes=60)

    assert len(found) == 23  # the patient's 8 March has 23 hours
    assert (f"{found[0].start:%H:%M%z}", f"{found[-1].start:%H:%M%z}") == ("00:00-0500", "23:00-0400")


def test_a_day_the_zone_skipped_has_no_slots_and_the_days_around_it_do():
    """Samoa moved across the date line: its clocks went from 29 December 2011 straight to the 31st."""
    every_day = [WeeklyRule(weekday, "00:00", "24:00") for weekday in range(1, 8)]
    held = availability(*every_day, timezone="UTC")
    asked = {"timezone": "Pacific/Apia", "now": datetime(2011, 12, 1, tzinfo=UTC)}
    service = ServiceTimes(timedelta(minutes=60))

    def found(day: date) -> list[Slot]:
        return find_slots([held], service, first_day=day, last_day=day, **asked)

    assert found(date(2011, 12, 30)) == []
    assert len(found(date(2011, 12, 29))) == len(found(date(2011, 12, 31))) == 24
