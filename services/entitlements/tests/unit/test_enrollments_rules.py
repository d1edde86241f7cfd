"""The rules of service-plan enrollments: calendar periods, the windows a plan gives, when a
booking may take a session, and when an enrollment is over."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from entitlements.domain.enrollments import (
    EnrollmentSource,
    EnrollmentStatus,
    NotUsable,
    ReleaseReason,
    Reservation,
    ReservationStatus,
    enroll,
    grant_for_tier,
)
from entitlements.domain.service_plans import AccessGrant, PeriodUnit, PlanPeriod, ServicePlan, ServicePlanKind

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
PATIENT = uuid.UUID("0193a5e0-0000-7000-8000-00000000a1a1")
SERVICE = uuid.UUID("0193a5e0-0000-7000-8000-000000005e41")
NOW = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def plan(kind=ServicePlanKind.SESSION_PACKAGE, sessions=10, validity=None, period=None, window=None,
         grants=(), services=(SERVICE,)) -> ServicePlan:
    return ServicePlan(CLINIC, uuid.uuid4(), "Physiotherapy", kind, sessions, validity, period, window,
                       tuple(services), tuple(grants), 1, False)


@pytest.mark.parametrize(("period", "expected"), [
    (PlanPeriod(1, PeriodUnit.DAY), datetime(2026, 2, 1, 9, 0, tzinfo=UTC)),
    (PlanPeriod(2, PeriodUnit.WEEK), datetime(2026, 2, 14, 9, 0, tzinfo=UTC)),
    (PlanPeriod(1, PeriodUnit.MONTH), datetime(2026, 2, 28, 9, 0, tzinfo=UTC)),
    (PlanPeriod(13, PeriodUnit.MONTH), datetime(2027, 2, 28, 9, 0, tzinfo=UTC)),
    (PlanPeriod(1, PeriodUnit.YEAR), datetime(2027, 1, 31, 9, 0, tzinfo=UTC)),
])
def test_a_period_is_counted_on_the_calendar(period, expected):
    assert period.after(NOW) == expected


def test_a_year_after_the_29th_of_february_is_the_28th():
    assert PlanPeriod(1, PeriodUnit.YEAR).after(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2029, 2, 28, tzinfo=UTC)


def test_a_run_of_months_from_the_31st_ends_on_each_months_last_day_without_drifting():
    anchor, monthly = datetime(2026, 1, 31, 9, 0, tzinfo=UTC), PlanPeriod(1, PeriodUnit.MONTH)
    ends = [monthly.end_after(anchor, anchor)]
    for _ in range(3):
        ends.append(monthly.end_after(anchor, ends[-1]))

    assert [e.date().isoformat() for e in ends] == ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]


@pytest.mark.parametrize(("period", "instant", "expected"), [
    (PlanPeriod(1, PeriodUnit.YEAR), datetime(2029, 3, 1, tzinfo=UTC), datetime(2030, 1, 31, 9, 0, tzinfo=UTC)),
    (PlanPeriod(2, PeriodUnit.MONTH), datetime(2026, 3, 31, 9, 0, tzinfo=UTC), datetime(2026, 5, 31, 9, 0, tzinfo=UTC)),
    (PlanPeriod(2, PeriodUnit.WEEK), datetime(2026, 2, 14, 9, 0, tzinfo=UTC), datetime(2026, 2, 28, 9, 0, tzinfo=UTC)),
    (PlanPeriod(1, PeriodUnit.DAY), datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, 9, 0, tzinfo=UTC)),
])
def test_the_end_after_an_instant_is_the_first_of_the_run_later_than_it(period, instant, expected):
    assert period.end_after(NOW, instant) == expected


def test_a_package_bought_directly_has_its_sessions_until_its_validity_ends():
    enrollment = enroll(plan(validity=PlanPeriod(6, PeriodUnit.MONTH)), PATIENT, uuid.uuid4(), NOW, None)

    assert (enrollment.source, enrollment.status) == (EnrollmentSource.PURCHASE, EnrollmentStatus.ACTIVE)
    assert (enrollment.sessions_granted, enrollment.sessions_remaining) == (10, 10)
    assert enrollment.sessions_until == enrollment.access_until == datetime(2026, 7, 31, 9, 0, tzinfo=UTC)


def test_a_package_without_validity_never_lapses():
    enrollment = enroll(plan(), PATIENT, uuid.uuid4(), NOW, None)

    assert enrollment.sessions_until is None and enrollment.access_until is None


def test_a_subscription_lasts_one_paid_period():
    enrollment = enroll(plan(ServicePlanKind.SUBSCRIPTION, sessions=None, period=PlanPeriod(1, PeriodUnit.MONTH),
                             grants=(AccessGrant.TELEREHAB,)), PATIENT, uuid.uuid4(), NOW, None)

    end = datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert (enrollment.sessions_granted, enrollment.access_until, enrollment.sessions_until) == (0, end, end)
    assert enrollment.access_open_at(end - timedelta(seconds=1)) and not enrollment.access_open_at(end)


def test_a_hybrid_tracks_its_sessions_and_its_access_apart():
    enrollment = enroll(plan(ServicePlanKind.HYBRID, sessions=6, validity=PlanPeriod(6, PeriodUnit.MONTH),
                             window=PlanPeriod(3, PeriodUnit.MONTH), grants=(AccessGrant.TELEREHAB,)),
                        PATIENT, uuid.uuid4(), NOW, None)

    assert enrollment.access_until == datetime(2026, 4, 30, 9, 0, tzinfo=UTC)
    assert enrollment.sessions_until == datetime(2026, 7, 31, 9, 0, tzinfo=UTC)
    at = datetime(2026, 5, 1, tzinfo=UTC)  # access closed, sessions still usable
    assert not enrollment.access_open_at(at) and enrollment.refusal(PATIENT, SERVICE, at) is None


def test_a_booking_may_take_a_session_only_of_its_patients_usable_enrollment_for_a_covered_service():
    enrollment = enroll(plan(validity=PlanPeriod(1, PeriodUnit.MONTH)), PATIENT, uuid.uuid4(), NOW, None)

    assert enrollment.refusal(PATIENT, SERVICE, NOW) is None
    assert enrollment.refusal(PATIENT, None, NOW) is None
    assert enrollment.refusal(uuid.uuid4(), SERVICE, NOW) is NotUsable.OTHER_PATIENT
    assert enrollment.refusal(PATIENT, uuid.uuid4(), NOW) is NotUsable.OTHER_SERVICE
    assert enrollment.refusal(PATIENT, SERVICE, NOW - timedelta(seconds=1)) is NotUsable.NOT_STARTED
    assert enrollment.refusal(PATIENT, SERVICE, NOW + timedelta(days=31)) is NotUsable.SESSIONS_EXPIRED
    cancelled = replace(enrollment, status=EnrollmentStatus.CANCELED, ended_at=NOW)
    assert cancelled.refusal(PATIENT, SERVICE, NOW) is NotUsable.ENDED


def test_a_plan_covering_no_particular_service_covers_any():
    enrollment = enroll(plan(services=()), PATIENT, uuid.uuid4(), NOW, None)

    assert enrollment.refusal(PATIENT, uuid.uuid4(), NOW) is None


def test_an_ended_enrollment_keeps_its_counts_and_opens_no_access():
    enrollment = enroll(plan(grants=(AccessGrant.LIBRARY,)), PATIENT, uuid.uuid4(), NOW, None)

    ended = replace(enrollment, status=EnrollmentStatus.EXPIRED, ended_at=NOW)

    assert (ended.sessions_granted, ended.sessions_remaining) == (10, 10)
    assert not ended.access_open_at(NOW)


def test_a_tier_grant_lasts_its_period_and_is_named_by_patient_inclusion_and_period():
    service_plan = plan(validity=PlanPeriod(1, PeriodUnit.MONTH))
    end = PlanPeriod(1, PeriodUnit.YEAR).after(NOW)

    granted = grant_for_tier(service_plan, PATIENT, uuid.uuid4(), "premium", 4, NOW, end, NOW, None)
    other_patient = grant_for_tier(service_plan, uuid.uuid4(), uuid.uuid4(), "premium", 4, NOW, end, NOW, None)

    assert (granted.source, granted.tier_key, granted.sessions_granted) == (EnrollmentSource.TIER, "premium", 4)
    assert granted.sessions_until == granted.access_until == end
    assert granted.grant_key == grant_for_tier(service_plan, PATIENT, uuid.uuid4(), "premium", 4, NOW, end,
                                               NOW + timedelta(hours=1), None).grant_key
    assert granted.grant_key != other_patient.grant_key


@pytest.mark.parametrize("reason", list(ReleaseReason))
def test_a_held_session_goes_back_for_any_reason_a_used_one_only_for_a_cancellation(reason):
    reserved = Reservation(CLINIC, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), PATIENT, ReservationStatus.RESERVED,
                           NOW, NOW + timedelta(minutes=30), None)
    committed = replace(reserved, status=ReservationStatus.COMMITTED, settled_at=NOW)
    released = replace(reserved, status=ReservationStatus.RELEASED, settled_at=NOW, released_reason=reason)

    assert reserved.given_back_for(reason)
    # An expiry or an undo that comes after the payment is stale: the paid visit keeps its session.
    assert committed.given_back_for(reason) is (reason is ReleaseReason.APPOINTMENT_CANCELED)
    assert not released.given_back_for(reason)
