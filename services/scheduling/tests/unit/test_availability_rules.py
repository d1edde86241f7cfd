"""The rules of a specialist's availability (scheduling.domain.availability)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from scheduling.domain.availability import (
    MAX_AWAY_RANGES,
    MAX_NOTE,
    MAX_OVERRIDES,
    MAX_RULES,
    AwayRange,
    DayOverride,
    ProviderAvailability,
    WeeklyRule,
    WeeklySchedule,
    check_away,
    check_override,
    check_schedule,
)

CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
PROVIDER_ID = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01")
NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def broken(problems) -> list[tuple[str, str]]:
    return [(problem.field, problem.message) for problem in problems]


def unset() -> ProviderAvailability:
    return ProviderAvailability.unset(CLINIC_ID, PROVIDER_ID, "Europe/Bucharest")


def extra(day: date, start: str, end: str) -> DayOverride:
    return DayOverride(uuid.uuid4(), day, "extra_hours", start, end)


def closed(day: date) -> DayOverride:
    return DayOverride(uuid.uuid4(), day, "closed")


# -- the weekly schedule -----------------------------------------------------------------------


def test_a_working_week_with_a_lunch_break_is_a_valid_schedule():
    rules = tuple(WeeklyRule(weekday, start, end) for weekday in range(1, 6)
                  for start, end in (("09:00", "13:00"), ("14:00", "18:00")))

    assert check_schedule(WeeklySchedule("Europe/Bucharest", rules, (date(2026, 4, 13),))) == []


def test_windows_that_only_meet_do_not_overlap_and_24_00_ends_a_day():
    rules = (WeeklyRule(5, "09:00", "12:00"), WeeklyRule(5, "12:00", "24:00"))

    assert check_schedule(WeeklySchedule("America/New_York", rules)) == []


def test_the_zone_must_be_an_iana_zone():
    assert broken(check_schedule(WeeklySchedule("Mars/Olympus"))) == [
        ("timezone", "'Mars/Olympus' is not an IANA time zone")]


@pytest.mark.parametrize(("rule", "expected"), [
    (WeeklyRule(0, "09:00", "17:00"), [("rules.0.weekday", "must be from 1 (Monday) to 7 (Sunday)")]),
    (WeeklyRule(8, "09:00", "17:00"), [("rules.0.weekday", "must be from 1 (Monday) to 7 (Sunday)")]),
    (WeeklyRule(1, "17:00", "09:00"), [("rules.0.end", "must be after the start")]),
    (WeeklyRule(1, "09:00", "09:00"), [("rules.0.end", "must be after the start")]),
    (WeeklyRule(1, "9:00", "17:00"), [("rules.0.start", "must be a time HH:MM from 00:00 to 23:59")]),
    (WeeklyRule(1, "24:00", "24:00"), [("rules.0.start", "must be a time HH:MM from 00:00 to 23:59")]),
    (WeeklyRule(1, "09:00", "24:30"), [("rules.0.end", "must be a time HH:MM from 00:01 to 24:00")]),
    (WeeklyRule(1, "09:00", "17:00", valid_from=date(2026, 5, 1), valid_until=date(2026, 4, 30)),
     [("rules.0.valid_until", "is before the rule starts (valid_from)")]),
])
def test_each_broken_rule_is_reported_against_its_field(rule, expected):
    assert broken(check_schedule(WeeklySchedule("Europe/Bucharest", (rule,)))) == expected


def test_two_rules_overlapping_on_one_weekday_are_refused():
    rules = (WeeklyRule(1, "09:00", "13:00"), WeeklyRule(2, "10:00", "11:00"), WeeklyRule(1, "12:00", "15:00"))

    assert broken(check_schedule(WeeklySchedule("Europe/Bucharest", rules))) == [
        ("rules.2", "overlaps rules.0 on the same weekday")]


def test_rules_for_different_periods_may_give_one_weekday_other_hours():
    summer = WeeklyRule(1, "08:00", "14:00", valid_from=date(2026, 6, 1), valid_until=date(2026, 8, 31))
    rest_of_year = WeeklyRule(1, "09:00", "17:00", valid_until=date(2026, 5, 31))

    assert check_schedule(WeeklySchedule("Europe/Bucharest", (summer, rest_of_year))) == []


def test_rules_whose_periods_share_a_day_still_may_not_overlap():
    until_june = WeeklyRule(1, "09:00", "17:00", valid_until=date(2026, 6, 1))
    from_june = WeeklyRule(1, "08:00", "14:00", valid_from=date(2026, 6, 1))

    assert broken(check_schedule(WeeklySchedule("Europe/Bucharest", (until_june, from_june)))) == [
        ("rules.1", "overlaps rules.0 on the same weekday")]


def test_every_problem_is_reported_at_once():
    schedule = WeeklySchedule("Nowhere", (WeeklyRule(9, "10:00", "09:00"),), (date(2026, 1, 1), date(2026, 1, 1)))

    assert [field for field, _ in broken(check_schedule(schedule))] == [
        "timezone", "rules.0.weekday", "rules.0.end", "blackout_dates.1"]


def test_too_many_rules_are_refused():
    rules = tuple(WeeklyRule(1 + minute % 7, f"{minute // 7:02d}:00", f"{minute // 7:02d}:30")
                  for minute in range(MAX_RULES + 1))

    assert broken(check_schedule(WeeklySchedule("Europe/Bucharest", rules))) == [
        ("rules", f"at most {MAX_RULES} rules")]


def test_a_blackout_date_listed_twice_is_refused():
    schedule = WeeklySchedule("Europe/Bucharest", (), (date(2026, 4, 13), date(2026, 5, 1), date(2026, 4, 13)))

    assert broken(check_schedule(schedule)) == [("blackout_dates.2", "2026-04-13 is listed twice")]


def test_a_rule_applies_on_its_weekday_within_its_period():
    rule = WeeklyRule(1, "09:00", "17:00", valid_from=date(2026, 4, 6), valid_until=date(2026, 4, 20))

    assert [rule.applies_on(day) for day in (date(2026, 3, 30), date(2026, 4, 6), date(2026, 4, 7),
                                             date(2026, 4, 20), date(2026, 4, 27))] == [
        False, True, False, True, False]


# -- away ranges and overrides -----------------------------------------------------------------


def test_an_away_range_ends_on_or_after_its_first_day():
    assert check_away(AwayRange(uuid.uuid4(), date(2026, 5, 1), date(2026, 5, 1)), unset()) == []
    assert broken(check_away(AwayRange(uuid.uuid4(), date(2026, 5, 9), date(2026, 5, 1)), unset())) == [
        ("last_day", "is before the first day")]


def test_notes_are_short():
    assert broken(check_away(AwayRange(uuid.uuid4(), date(2026, 5, 1), date(2026, 5, 2), "x" * (MAX_NOTE + 1)),
                             unset())) == [("note", f"at most {MAX_NOTE} characters")]


def test_away_ranges_are_limited_in_number():
    held = unset()
    for number in range(MAX_AWAY_RANGES):
        held = held.with_away(AwayRange(uuid.uuid4(), date(2026, 1, 1), date(2026, 1, 1 + number % 28)), NOW)

    assert broken(check_away(AwayRange(uuid.uuid4(), date(2026, 5, 1), date(2026, 5, 2)), held)) == [
        ("first_day", f"at most {MAX_AWAY_RANGES} away ranges; remove past ones first")]


def test_extra_hours_need_hours_and_a_closed_day_has_none():
    day = date(2026, 4, 4)

    assert check_override(extra(day, "10:00", "14:00"), unset()) == []
    assert check_override(closed(day), unset()) == []
    assert broken(check_override(DayOverride(uuid.uuid4(), day, "extra_hours", None, "14:00"), unset())) == [
        ("start", "must be a time HH:MM from 00:00 to 23:59")]
    assert broken(check_override(extra(day, "14:00", "10:00"), unset())) == [("end", "must be after the start")]
    assert broken(check_override(DayOverride(uuid.uuid4(), day, "closed", "10:00", None), unset())) == [
        ("start", "a day closed all day has no hours")]


def test_an_override_is_extra_hours_or_closed():
    assert broken(check_override(DayOverride(uuid.uuid4(), date(2026, 4, 4), "holiday"), unset())) == [
        ("kind", "must be one of extra_hours, closed")]


def test_extra_hours_of_one_day_may_not_overlap_but_may_meet():
    held = unset().with_override(extra(date(2026, 4, 4), "10:00", "12:00"), NOW)

    assert check_override(extra(date(2026, 4, 4), "12:00", "13:00"), held) == []
    assert check_override(extra(date(2026, 4, 5), "11:00", "13:00"), held) == []
    assert broken(check_override(extra(date(2026, 4, 4), "11:00", "13:00"), held)) == [
        ("start", "overlaps extra hours already given on 2026-04-04")]


def test_a_closed_day_takes_no_other_override():
    held = unset().with_override(closed(date(2026, 4, 4)), NOW)

    assert broken(check_override(extra(date(2026, 4, 4), "10:00", "12:00"), held)) == [
        ("day", "2026-04-04 is already closed all day")]
    assert broken(check_override(closed(date(2026, 4, 4)), held)) == [("day", "2026-04-04 is already closed all day")]


def test_a_day_with_extra_hours_is_not_closed_over_them():
    held = unset().with_override(extra(date(2026, 4, 4), "10:00", "12:00"), NOW)

    assert broken(check_override(closed(date(2026, 4, 4)), held)) == [
        ("day", "2026-04-04 has extra hours; remove them before closing the day")]


def test_overrides_are_limited_in_number():
    held = unset()
    for number in range(MAX_OVERRIDES):
        held = held.with_override(closed(date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + number)), NOW)

    assert broken(check_override(closed(date(2030, 1, 1)), held)) == [
        ("day", f"at most {MAX_OVERRIDES} overrides; remove past ones first")]


# -- versions ----------------------------------------------------------------------------------


def test_an_availability_never_set_is_version_0_in_the_specialists_zone_with_no_time():
    availability = unset()

    assert (availability.version, availability.schedule, availability.away, availability.overrides,
            availability.updated_at) == (0, WeeklySchedule("Europe/Bucharest"), (), (), None)


def test_every_change_is_one_version_on():
    away = AwayRange(uuid.uuid4(), date(2026, 5, 1), date(2026, 5, 9), "Vacation")
    override = closed(date(2026, 4, 14))

    changed = (unset().with_schedule(WeeklySchedule("Europe/Bucharest", (WeeklyRule(1, "09:00", "17:00"),)), NOW)
               .with_away(away, NOW).with_override(override, NOW)
               .without_away(away.away_id, NOW).without_override(override.override_id, NOW))

    assert (changed.version, changed.away, changed.overrides, changed.updated_at) == (5, (), (), NOW)


def test_the_same_schedule_again_changes_nothing():
    held = unset().with_schedule(WeeklySchedule("Europe/Bucharest", (WeeklyRule(1, "09:00", "17:00"),)), NOW)

    assert held.with_schedule(WeeklySchedule("Europe/Bucharest", (WeeklyRule(1, "09:00", "17:00"),)), NOW) is held


def test_away_ranges_are_kept_by_first_day_and_overrides_by_day_and_hours():
    late, early = (AwayRange(uuid.uuid4(), date(2026, 8, 1), date(2026, 8, 14)),
                   AwayRange(uuid.uuid4(), date(2026, 5, 1), date(2026, 5, 9)))
    afternoon, morning, other_day = (extra(date(2026, 4, 4), "14:00", "16:00"), extra(date(2026, 4, 4), "08:00", "09:00"),
                                     closed(date(2026, 4, 1)))

    held = unset().with_away(late, NOW).with_away(early, NOW)
    for override in (afternoon, morning, other_day):
        held = held.with_override(override, NOW)

    assert held.away == (early, late)
    assert held.overrides == (other_day, morning, afternoon)
    assert (held.away_range(late.away_id), held.override(morning.override_id)) == (late, morning)
    assert (held.away_range(uuid.uuid4()), held.override(uuid.uuid4())) == (None, None)
