"""How the slot engine reads wall-clock windows as instants (scheduling.domain.wall_clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduling.domain.wall_clock import DAY, ZoneClock, day_start, minutes

BUCHAREST = ZoneInfo("Europe/Bucharest")


def instant(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def wall(day: date, hours: int, minutes_: int = 0) -> int:
    return day_start(day.toordinal()) + hours * 3600 + minutes_ * 60


def clock_around(day: date, zone: ZoneInfo = BUCHAREST) -> ZoneClock:
    middle = day_start(day.toordinal())
    return ZoneClock(zone, middle - 10 * DAY, middle + 10 * DAY)


@pytest.mark.parametrize(("text", "expected"), [
    ("00:00", 0), ("09:30", 570), ("23:59", 1439), ("24:00", 1440),
    ("24:01", None), ("9:30", None), ("09:60", None), ("", None), ("09:30:00", None),
])
def test_wall_clock_times_are_hh_mm_and_24_00_ends_the_day(text, expected):
    assert minutes(text) == expected


def test_a_window_on_a_plain_day_is_one_interval_at_the_days_offset():
    day = date(2026, 5, 4)

    assert clock_around(day).instants(wall(day, 9), wall(day, 17)) == [
        (instant("2026-05-04T09:00:00+03:00"), instant("2026-05-04T17:00:00+03:00"))]


def test_the_skipped_hour_of_spring_is_never_shown():
    day = date(2026, 3, 29)
    clock = clock_around(day)

    assert clock.instants(wall(day, 2), wall(day, 5)) == [
        (instant("2026-03-29T02:00:00+02:00"), instant("2026-03-29T05:00:00+03:00"))]
    assert clock.instants(wall(day, 3, 30), wall(day, 5)) == [
        (instant("2026-03-29T04:00:00+03:00"), instant("2026-03-29T05:00:00+03:00"))]
    assert clock.instants(wall(day, 3), wall(day, 4)) == []


def test_the_repeated_hour_of_autumn_is_shown_twice():
    day = date(2026, 10, 25)
    clock = clock_around(day)

    assert clock.instants(wall(day, 2), wall(day, 5)) == [
        (instant("2026-10-25T02:00:00+03:00"), instant("2026-10-25T05:00:00+02:00"))]
    assert clock.instants(wall(day, 3, 30), wall(day, 5)) == [
        (instant("2026-10-25T03:30:00+03:00"), instant("2026-10-25T04:00:00+03:00")),
        (instant("2026-10-25T03:30:00+02:00"), instant("2026-10-25T05:00:00+02:00"))]


def test_what_the_clock_shows_at_an_instant():
    clock = clock_around(date(2026, 10, 25))

    assert clock.local_seconds(instant("2026-10-25T00:30:00+00:00")) == wall(date(2026, 10, 25), 3, 30)
    assert clock.local_seconds(instant("2026-10-25T01:30:00+00:00")) == wall(date(2026, 10, 25), 3, 30)
    assert clock.local_seconds(instant("2026-11-01T12:00:00+00:00")) == wall(date(2026, 11, 1), 14)


def test_a_day_has_one_steady_offset_unless_the_clock_changes_that_day_or_next_to_it():
    clock = clock_around(date(2026, 10, 25))

    assert clock.steady_offset(day_start(date(2026, 10, 20).toordinal())) == 3 * 3600
    assert clock.steady_offset(day_start(date(2026, 10, 25).toordinal())) is None
    assert clock.steady_offset(day_start(date(2026, 10, 30).toordinal())) == 2 * 3600


def test_a_zone_without_changes_in_the_stretch_has_one_offset_everywhere():
    clock = ZoneClock(ZoneInfo("Asia/Kathmandu"), instant("2026-01-01T00:00:00+00:00"),
                      instant("2026-03-01T00:00:00+00:00"))
    day = date(2026, 2, 2)

    assert clock.instants(wall(day, 9), wall(day, 10)) == [
        (instant("2026-02-02T09:00:00+05:45"), instant("2026-02-02T10:00:00+05:45"))]
    assert clock.steady_offset(day_start(day.toordinal())) == 5 * 3600 + 45 * 60


def test_changes_are_found_to_the_second():
    clock = ZoneClock(ZoneInfo("America/New_York"), instant("2026-10-01T00:00:00+00:00"),
                      instant("2026-12-01T00:00:00+00:00"))
    change = datetime(2026, 11, 1, 6, 0, tzinfo=UTC).timestamp()

    assert clock.local_seconds(int(change) - 1) - (int(change) - 1) == -4 * 3600
    assert clock.local_seconds(int(change)) - int(change) == -5 * 3600
