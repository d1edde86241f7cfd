"""The rules of the values every catalog entry uses (catalog.domain.values)."""

from __future__ import annotations

import uuid

import pytest

from catalog.domain.errors import RuleBroken
from catalog.domain.values import (
    MAX_AMOUNT_MINOR,
    BookingWindow,
    Money,
    Period,
    RefundPolicy,
    check_booking_window,
    check_cancellation_window,
    check_money,
    check_name,
    check_period,
    check_references,
    check_refund_policy,
    duplicates,
)


def fields(problems: list[RuleBroken]) -> list[str]:
    return [p.field for p in problems]


# -- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, 1, 15000, MAX_AMOUNT_MINOR])
def test_a_price_from_zero_up_to_the_maximum_in_the_clinics_currency_is_accepted(reference, amount):
    assert check_money(Money(amount, "RON"), "price", "RON", reference) == []


def test_a_negative_price_is_refused_on_its_amount(reference):
    problems = check_money(Money(-1, "RON"), "price", "RON", reference)

    assert fields(problems) == ["price.amount_minor"]
    assert problems[0].message == "must not be negative"


def test_a_price_above_the_maximum_is_refused(reference):
    assert fields(check_money(Money(MAX_AMOUNT_MINOR + 1, "RON"), "price", "RON", reference)) == ["price.amount_minor"]


def test_an_unknown_currency_is_refused_on_its_currency(reference):
    problems = check_money(Money(100, "XYZ"), "price", "RON", reference)

    assert fields(problems) == ["price.currency"]
    assert problems[0].message == "'XYZ' is not an ISO 4217 currency"


def test_a_known_currency_other_than_the_clinics_is_refused(reference):
    problems = check_money(Money(100, "EUR"), "price", "RON", reference)

    assert fields(problems) == ["price.currency"]
    assert problems[0].message == "must be the clinic's currency, RON"


def test_money_reports_amount_and_currency_together_under_the_field_it_sits_in(reference):
    assert fields(check_money(Money(-5, "XYZ"), "products.0.price", "RON", reference)) == [
        "products.0.price.amount_minor", "products.0.price.currency"]


# -- refund policy ----------------------------------------------------------------------------


@pytest.mark.parametrize("policy", [
    RefundPolicy("full"), RefundPolicy("none", text="No refunds."), RefundPolicy("partial", 1),
    RefundPolicy("partial", 50, "Half back."), RefundPolicy("partial", 99),
])
def test_full_none_and_partial_refunds_with_a_percent_are_accepted(policy):
    assert check_refund_policy(policy, "refund_policy") == []


@pytest.mark.parametrize("percent", [None, 0, 100, -10])
def test_a_partial_refund_needs_a_percent_from_1_to_99(percent):
    problems = check_refund_policy(RefundPolicy("partial", percent), "refund_policy")

    assert fields(problems) == ["refund_policy.percent"]


@pytest.mark.parametrize("kind", ["full", "none"])
def test_only_a_partial_refund_has_a_percent(kind):
    assert fields(check_refund_policy(RefundPolicy(kind, 50), "refund_policy")) == ["refund_policy.percent"]


def test_an_unknown_refund_kind_is_refused_on_its_kind():
    problems = check_refund_policy(RefundPolicy("store-credit"), "refund_policy")

    assert fields(problems) == ["refund_policy.kind"]
    assert "full, partial, none" in problems[0].message


# -- cancellation window ----------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, 24, 720])
def test_a_cancellation_window_from_0_to_30_days_is_accepted(hours):
    assert check_cancellation_window(hours, "cancellation_window_hours") == []


@pytest.mark.parametrize("hours", [-1, 721])
def test_a_cancellation_window_outside_0_to_30_days_is_refused(hours):
    assert fields(check_cancellation_window(hours, "cancellation_window_hours")) == ["cancellation_window_hours"]


# -- booking window ---------------------------------------------------------------------------


@pytest.mark.parametrize(("notice", "horizon"), [(None, None), (0, 1), (43200, None), (None, 730), (1439, 1),
                                                 (43200, 31), (60, 180)])
def test_a_notice_from_0_to_30_days_and_a_horizon_from_1_to_730_days_either_optional_are_accepted(notice, horizon):
    assert check_booking_window(notice, horizon) == []


@pytest.mark.parametrize(("notice", "horizon", "refused"), [
    (-1, None, ["minimum_notice_minutes"]), (43201, None, ["minimum_notice_minutes"]),
    (None, 0, ["booking_horizon_days"]), (None, 731, ["booking_horizon_days"]),
    (-5, 0, ["minimum_notice_minutes", "booking_horizon_days"]),
])
def test_a_notice_or_horizon_out_of_bounds_is_refused_on_its_field(notice, horizon, refused):
    assert fields(check_booking_window(notice, horizon)) == refused


@pytest.mark.parametrize(("notice", "horizon"), [(1440, 1), (2 * 1440 + 1, 2), (43200, 30)])
def test_a_notice_as_long_as_the_horizon_or_longer_is_refused_on_the_notice(notice, horizon):
    problems = check_booking_window(notice, horizon)

    assert fields(problems) == ["minimum_notice_minutes"]
    assert "booking_horizon_days" in problems[0].message


def test_an_entrys_own_notice_and_horizon_override_the_window_it_falls_back_on():
    fallback = BookingWindow(minimum_notice_minutes=60, booking_horizon_days=180)

    assert fallback.overridden(None, None) == fallback
    assert fallback.overridden(0, None) == BookingWindow(0, 180)
    assert fallback.overridden(None, 14) == BookingWindow(60, 14)
    assert fallback.overridden(120, 30) == BookingWindow(120, 30)


# -- periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [Period(1, "day"), Period(6, "month"), Period(52, "week"), Period(10, "year"),
                                    Period(3660, "day"), Period(120, "month")])
def test_a_period_of_at_least_one_unit_up_to_ten_years_is_accepted(period):
    assert check_period(period, "session_validity") == []


@pytest.mark.parametrize("period", [Period(0, "month"), Period(-1, "day"), Period(121, "month"), Period(11, "year"),
                                    Period(523, "week")])
def test_a_period_of_no_time_or_beyond_ten_years_is_refused_on_its_count(period):
    assert fields(check_period(period, "session_validity")) == ["session_validity.count"]


def test_a_period_in_an_unknown_unit_is_refused_on_its_unit():
    assert fields(check_period(Period(2, "fortnight"), "period")) == ["period.unit"]


# -- names, repeated and referred entries -----------------------------------------------------


@pytest.mark.parametrize("name", ["", "  ", "\t\n"])
def test_a_blank_name_is_refused(name):
    assert fields(check_name(name)) == ["name"]


def test_duplicates_are_the_positions_of_values_seen_before():
    assert duplicates(["a", "b", "a", "c", "b", "a"]) == [2, 4, 5]


def test_references_to_active_entries_of_the_clinic_are_accepted():
    first, second = uuid.uuid4(), uuid.uuid4()

    assert check_references([first, second], "provider_ids", "provider", {first: False, second: False}) == []


def test_an_id_the_clinic_does_not_know_is_refused_at_its_position():
    known, stranger = uuid.uuid4(), uuid.uuid4()

    problems = check_references([known, stranger], "provider_ids", "provider", {known: False})

    assert fields(problems) == ["provider_ids.1"]
    assert problems[0].message == f"no provider {stranger} in this clinic"


def test_a_reference_to_an_archived_entry_is_refused():
    archived = uuid.uuid4()

    problems = check_references([archived], "provider_ids", "provider", {archived: True})

    assert problems[0].message == f"provider {archived} is archived"


def test_a_repeated_reference_is_refused_where_it_repeats():
    one = uuid.uuid4()

    assert fields(check_references([one, one], "service_ids", "service", {one: False})) == ["service_ids.1"]


def test_references_inside_objects_are_reported_at_their_key():
    stranger = uuid.uuid4()

    assert fields(check_references([stranger], "products", "product", {}, key="product_id")) == [
        "products.0.product_id"]
