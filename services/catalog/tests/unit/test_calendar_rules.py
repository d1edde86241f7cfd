"""The rules a booking calendar obeys (catalog.domain.calendars)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from catalog.domain.calendars import MAX_HOUR_WINDOWS, HourWindow, check_calendar
from catalog.domain.values import PLATFORM_BOOKING_WINDOW, BookingWindow

SERVICE = uuid.uuid4()
APRIL_1, APRIL_30 = date(2026, 4, 1), date(2026, 4, 30)


def problems_of(details, reference, services=PLATFORM_BOOKING_WINDOW):
    return check_calendar(details, "RON", reference, services)


def fields(problems) -> list[str]:
    return [p.field for p in problems]


def test_a_standard_calendar_needs_nothing_but_a_name(calendar_details, reference):
    assert problems_of(calendar_details(SERVICE), reference) == []


def test_a_promotion_with_its_price_and_dates_is_accepted(calendar_details, reference, ron):
    promotion = calendar_details(SERVICE, kind="promotion", price=ron(15000), bookable_from=APRIL_1,
                                 bookable_until=APRIL_30)

    assert problems_of(promotion, reference) == []


def test_a_promotion_needs_its_own_price_and_the_days_it_runs(calendar_details, reference):
    assert fields(problems_of(calendar_details(SERVICE, kind="promotion"), reference)) == [
        "price", "bookable_from", "bookable_until"]


def test_a_calendar_with_custom_hours_needs_at_least_one_window(calendar_details, reference):
    assert fields(problems_of(calendar_details(SERVICE, kind="custom_hours"), reference)) == ["hours"]


def test_an_unknown_kind_is_refused(calendar_details, reference):
    assert fields(problems_of(calendar_details(SERVICE, kind="seasonal"), reference)) == ["kind"]


def test_a_blank_name_is_refused(calendar_details, reference):
    assert fields(problems_of(calendar_details(SERVICE, name=""), reference)) == ["name"]


def test_a_bookable_range_that_ends_before_it_starts_is_refused_on_its_end(calendar_details, reference):
    problems = problems_of(calendar_details(SERVICE, bookable_from=APRIL_30, bookable_until=APRIL_1), reference)

    assert fields(problems) == ["bookable_until"]
    assert "before" in problems[0].message


@pytest.mark.parametrize(("start", "end"), [(APRIL_1, APRIL_1), (APRIL_1, None), (None, APRIL_30)])
def test_a_range_of_one_day_or_open_at_one_end_is_accepted(calendar_details, reference, start, end):
    assert problems_of(calendar_details(SERVICE, bookable_from=start, bookable_until=end), reference) == []


def test_a_price_override_obeys_the_rules_of_money(calendar_details, reference, ron):
    assert fields(problems_of(calendar_details(SERVICE, price=ron(-1, "EUR")), reference)) == [
        "price.amount_minor", "price.currency"]


@pytest.mark.parametrize("zone", ["Mars/Olympus", None])
def test_an_unknown_or_missing_zone_is_refused(calendar_details, reference, zone):
    assert fields(problems_of(calendar_details(SERVICE, timezone=zone), reference)) == ["timezone"]


# -- notice and horizon -----------------------------------------------------------------------


def test_a_calendars_own_notice_and_horizon_are_checked_like_a_services(calendar_details, reference):
    assert fields(problems_of(calendar_details(SERVICE, minimum_notice_minutes=43201, booking_horizon_days=0),
                              reference)) == ["minimum_notice_minutes", "booking_horizon_days"]
    assert fields(problems_of(calendar_details(SERVICE, minimum_notice_minutes=1440, booking_horizon_days=1),
                              reference)) == ["minimum_notice_minutes"]
    assert problems_of(calendar_details(SERVICE, minimum_notice_minutes=1439, booking_horizon_days=1),
                       reference) == []


@pytest.mark.parametrize(("own", "services", "refused"), [
    ({"minimum_notice_minutes": 43200}, BookingWindow(60, 2), "minimum_notice_minutes"),
    ({"minimum_notice_minutes": 2880}, BookingWindow(60, 2), "minimum_notice_minutes"),
    ({"booking_horizon_days": 1}, BookingWindow(1440, 180), "booking_horizon_days"),
    ({"booking_horizon_days": 2}, BookingWindow(4000, 180), "booking_horizon_days"),
])
def test_a_calendars_own_notice_or_horizon_leaving_nothing_bookable_with_its_services_is_refused_on_it(
        calendar_details, reference, own, services, refused):
    problems = problems_of(calendar_details(SERVICE, **own), reference, services)

    assert fields(problems) == [refused]
    assert "the service's" in problems[0].message


@pytest.mark.parametrize(("own", "services"), [
    ({"minimum_notice_minutes": 2879}, BookingWindow(60, 2)),
    ({"booking_horizon_days": 2}, BookingWindow(1440, 180)),
    ({"minimum_notice_minutes": 0, "booking_horizon_days": 365}, BookingWindow(43200, 2)),
    ({}, BookingWindow(43200, 31)),
])
def test_a_calendar_whose_window_with_its_services_leaves_something_bookable_is_accepted(
        calendar_details, reference, own, services):
    assert problems_of(calendar_details(SERVICE, **own), reference, services) == []


def test_a_calendar_without_its_own_notice_and_horizon_is_booked_within_its_services(calendar_details):
    services = BookingWindow(minimum_notice_minutes=120, booking_horizon_days=30)

    assert calendar_details(SERVICE).booking_window(services) == services
    assert calendar_details(SERVICE, booking_horizon_days=7).booking_window(services) == BookingWindow(120, 7)
    assert calendar_details(SERVICE, minimum_notice_minutes=0, booking_horizon_days=365).booking_window(
        services) == BookingWindow(0, 365)


# -- hour windows -----------------------------------------------------------------------------


def with_hours(calendar_details, *windows):
    return calendar_details(SERVICE, kind="custom_hours", hours=tuple(HourWindow(*w) for w in windows))


def test_windows_on_several_days_including_one_to_midnight_are_accepted(calendar_details, reference):
    calendar = with_hours(calendar_details, (1, "09:00", "13:00"), (1, "14:00", "18:30"), (7, "18:00", "24:00"),
                          (3, "00:00", "00:30"))

    assert problems_of(calendar, reference) == []


def test_back_to_back_windows_do_not_overlap(calendar_details, reference):
    assert problems_of(with_hours(calendar_details, (2, "09:00", "12:00"), (2, "12:00", "15:00")), reference) == []


def test_windows_that_overlap_on_the_same_day_are_refused_on_the_later_one(calendar_details, reference):
    calendar = with_hours(calendar_details, (2, "13:00", "17:00"), (2, "09:00", "13:30"), (3, "09:00", "17:00"))

    assert fields(problems_of(calendar, reference)) == ["hours.0"]


@pytest.mark.parametrize("weekday", [0, 8, -1])
def test_the_weekday_is_iso_from_monday_1_to_sunday_7(calendar_details, reference, weekday):
    assert fields(problems_of(with_hours(calendar_details, (weekday, "09:00", "10:00")), reference)) == [
        "hours.0.weekday"]


@pytest.mark.parametrize(("start", "end", "field"), [
    ("9:00", "10:00", "hours.0.start"), ("24:00", "24:00", "hours.0.start"), ("09:60", "10:00", "hours.0.start"),
    ("09:00", "25:00", "hours.0.end"), ("09:00", "noon", "hours.0.end"), ("10:00", "10:00", "hours.0.end"),
    ("10:00", "09:00", "hours.0.end"),
])
def test_a_window_is_two_wall_clock_times_the_end_after_the_start(calendar_details, reference, start, end, field):
    assert fields(problems_of(with_hours(calendar_details, (1, start, end)), reference)) == [field]


def test_at_most_50_windows(calendar_details, reference):
    windows = [(1 + n % 7, f"{n // 7:02d}:00", f"{n // 7:02d}:30") for n in range(MAX_HOUR_WINDOWS + 1)]

    assert fields(problems_of(with_hours(calendar_details, *windows), reference)) == ["hours"]
