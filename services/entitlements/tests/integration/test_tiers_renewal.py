"""The care lifecycle the worker's timer runs, on PostgreSQL and SQLite: tier periods renewed once
however many runs race for them, leftovers dropped or carried as each inclusion says, pro-rated
grants for an inclusion that asks for them, and enrollments expired when their window closes."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clinic_contracts.events.catalog import Money, Period, PlanUpsertedV1
from clinic_contracts.events.entitlements import EnrollmentExpiredV1, EnrollmentRenewedV1
from clinic_runtime.db import transaction
from entitlements.domain.enrollments import ReleaseReason
from entitlements.domain.service_plans import PeriodUnit, PlanPeriod
from entitlements.domain.tiers import Inclusion, OnRenewal, OnUpgrade, TierTerms
from entitlements.service_layer import enrollments, tiers
from entitlements.service_layer.care_unit_of_work import SqlCareUnitOfWork
from entitlements.service_layer.lifecycle import (
    expire_enrollments,
    release_lapsed_reservations,
    renew_tier_periods,
    run_lifecycle,
)

pytestmark = pytest.mark.integration

CONSULTATION = uuid.UUID("0193a5e0-0000-7000-8000-0000000091c1")
TELEREHAB_MONTH = uuid.UUID("0193a5e0-0000-7000-8000-0000000091c3")
PATIENT = uuid.UUID("0193a5e0-0000-7000-8000-00000000a1a1")
JOINED = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
A_YEAR_LATER = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
YEARLY = PlanPeriod(1, PeriodUnit.YEAR)


@pytest.fixture(autouse=True)
def patient_and_plans(deliver, clinic_id, record_patient) -> None:
    record_patient(PATIENT)
    for plan_id, name, kind, period, grants in (
            (CONSULTATION, "Consultation", "session_package", None, []),
            (TELEREHAB_MONTH, "Monthly telerehab", "subscription", Period(count=1, unit="month"), ["telerehab"])):
        deliver(PlanUpsertedV1(
            clinic_id=clinic_id, plan_id=plan_id, name=name, description="", kind=kind,
            price=Money(amount_minor=20000, currency="RON"), sessions=None if period else 1, session_validity=None,
            period=period, access_window=None, service_ids=[], access_grants=grants, products=[], version=1,
            archived=False, updated_at=JOINED))


def in_transaction(sessions, use_case, *args):
    with transaction(sessions) as session:
        return use_case(SqlCareUnitOfWork(session), *args)


def on_tier(sessions, clinic_id, inclusion: Inclusion, at=JOINED, key="premium") -> None:
    terms = TierTerms("Premium", "patient", YEARLY, None, (inclusion,))
    in_transaction(sessions, tiers.create_tier, clinic_id, key, terms, None, JOINED)
    in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, key, None, at)


def held(sessions, clinic_id) -> list[tuple[str, int, int, datetime]]:
    """(status, granted, remaining, starts) of the patient's enrollments, oldest first."""
    with transaction(sessions) as session:
        return [(str(e.status), e.sessions_granted, e.sessions_remaining, e.starts_at)
                for e in SqlCareUnitOfWork(session).enrollments.of_patient(clinic_id, PATIENT)]


def use_one_session(sessions, clinic_id, at) -> None:
    with transaction(sessions) as session:
        uow = SqlCareUnitOfWork(session)
        [active] = [e for e in uow.enrollments.of_patient(clinic_id, PATIENT) if str(e.status) == "active"]
        enrollments.reserve(uow, clinic_id, active.id, uuid.uuid4(), PATIENT, None, at, timedelta(minutes=30))


def test_a_renewal_run_twice_for_the_same_period_grants_once(sessions, clinic_id, stored):
    on_tier(sessions, clinic_id, Inclusion(CONSULTATION, 4))
    with transaction(sessions) as session:
        [due] = SqlCareUnitOfWork(session).memberships.due(A_YEAR_LATER, 10)

    # Two runs that both saw the membership due (e.g. two workers): the second finds it renewed.
    assert in_transaction(sessions, tiers.renew, due, A_YEAR_LATER) is True
    assert in_transaction(sessions, tiers.renew, due, A_YEAR_LATER) is False
    assert renew_tier_periods(sessions, A_YEAR_LATER) == 0

    assert held(sessions, clinic_id) == [("expired", 4, 4, JOINED), ("active", 4, 4, A_YEAR_LATER)]
    assert stored.event_types().count(EnrollmentRenewedV1.event_type) == 1


def test_renewal_timers_racing_for_the_same_period_grant_once(sessions, clinic_id, stored):
    on_tier(sessions, clinic_id, Inclusion(CONSULTATION, 4))
    runs = 4
    start = threading.Barrier(runs)
    renewed: list[int] = []

    def run() -> None:
        start.wait()
        renewed.append(renew_tier_periods(sessions, A_YEAR_LATER + timedelta(minutes=1)))

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(renewed) == [0] * (runs - 1) + [1]
    assert [h[0] for h in held(sessions, clinic_id)] == ["expired", "active"]
    assert stored.event_types().count(EnrollmentRenewedV1.event_type) == 1


@pytest.mark.parametrize(("on_renewal", "granted"), [(OnRenewal.DROP, 4), (OnRenewal.CARRY, 4 + 3)])
def test_leftovers_drop_at_renewal_unless_the_inclusion_carries_them(sessions, clinic_id, on_renewal, granted):
    on_tier(sessions, clinic_id, Inclusion(CONSULTATION, 4, on_renewal=on_renewal))
    use_one_session(sessions, clinic_id, JOINED + timedelta(days=30))

    renew_tier_periods(sessions, A_YEAR_LATER)

    assert held(sessions, clinic_id) == [("expired", 4, 3, JOINED), ("active", granted, granted, A_YEAR_LATER)]


TWO_YEARS_LATER = datetime(2028, 1, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("on_renewal", "paid", "renewals", "expected"), [
    # Carried: the session given back goes on to where the leftovers went (the old grant keeps the
    # leftovers it passed on), through every renewal that carried them.
    (OnRenewal.CARRY, True, 1, [("expired", 3, 3, JOINED), ("active", 4 + 4, 8, A_YEAR_LATER)]),
    (OnRenewal.CARRY, False, 1, [("expired", 3, 3, JOINED), ("active", 4 + 4, 8, A_YEAR_LATER)]),
    (OnRenewal.CARRY, True, 2, [("expired", 3, 3, JOINED), ("expired", 7, 7, A_YEAR_LATER),
                                ("active", 4 + 8, 12, TWO_YEARS_LATER)]),
    # Dropped: last period's leftovers lapsed with it, and so does the session given back.
    (OnRenewal.DROP, True, 1, [("expired", 4, 4, JOINED), ("active", 4, 4, A_YEAR_LATER)]),
], ids=["carry-canceled", "carry-hold-lapsed", "carry-twice", "drop"])
def test_a_session_given_back_after_a_renewal_goes_where_that_periods_leftovers_went(
        sessions, clinic_id, on_renewal, paid, renewals, expected):
    """Booked a week before the period ends, for a visit in the next: paid and then canceled
    after the renewal, or its hold abandoned and its reservation released after it."""
    on_tier(sessions, clinic_id, Inclusion(CONSULTATION, 4, on_renewal=on_renewal))
    appointment, booked = uuid.uuid4(), A_YEAR_LATER - timedelta(days=7)
    with transaction(sessions) as session:
        uow = SqlCareUnitOfWork(session)
        [grant] = uow.enrollments.of_patient(clinic_id, PATIENT)
        enrollments.reserve(uow, clinic_id, grant.id, appointment, PATIENT, None, booked, timedelta(minutes=30))
        if paid:
            enrollments.commit(uow, clinic_id, appointment, grant.id, PATIENT, None, booked)
    renewed_at = (A_YEAR_LATER, TWO_YEARS_LATER)[:renewals]
    for renewal in renewed_at:
        renew_tier_periods(sessions, renewal)

    after = renewed_at[-1] + timedelta(days=1)
    if paid:
        in_transaction(sessions, enrollments.release, clinic_id, appointment, ReleaseReason.APPOINTMENT_CANCELED,
                       after)
    else:
        assert release_lapsed_reservations(sessions, after) == 1

    assert held(sessions, clinic_id) == expected


@pytest.mark.parametrize("basic_period", [YEARLY, PlanPeriod(1, PeriodUnit.MONTH)])
def test_coming_back_to_a_tier_within_its_period_gives_its_grant_back_as_it_was(sessions, clinic_id, basic_period):
    on_tier(sessions, clinic_id, Inclusion(CONSULTATION, 4))
    use_one_session(sessions, clinic_id, JOINED + timedelta(days=1))
    basic = TierTerms("Basic", "patient", basic_period, None, (Inclusion(CONSULTATION, 1),))
    in_transaction(sessions, tiers.create_tier, clinic_id, "basic", basic, None, JOINED)
    in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, "basic", None, JOINED + timedelta(days=2))

    back = in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, "premium", None,
                          JOINED + timedelta(days=3))

    assert (back.membership.period_start, back.membership.period_end) == (JOINED, A_YEAR_LATER)
    basic_start = JOINED if basic_period == YEARLY else JOINED + timedelta(days=2)
    assert held(sessions, clinic_id) == [("active", 4, 3, JOINED), ("expired", 1, 1, basic_start)]


def test_a_renewal_that_read_the_membership_before_the_tier_was_set_again_changes_nothing(sessions, clinic_id):
    on_tier(sessions, clinic_id, Inclusion(CONSULTATION, 4))
    with transaction(sessions) as session:
        [stale] = SqlCareUnitOfWork(session).memberships.due(A_YEAR_LATER, 10)
    # Meanwhile staff cancel the tier and set it again: a new membership, at version 1 again.
    again = A_YEAR_LATER + timedelta(days=3)
    in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, None, None, again)
    in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, "premium", None, again)

    assert in_transaction(sessions, tiers.renew, stale, again) is False

    with transaction(sessions) as session:
        membership = SqlCareUnitOfWork(session).memberships.get(clinic_id, PATIENT)
    assert (membership.period_start, membership.version) == (again, 1)
    assert held(sessions, clinic_id) == [("canceled", 4, 4, JOINED), ("active", 4, 4, again)]


def test_a_renewal_long_overdue_grants_only_the_current_period(sessions, clinic_id):
    on_tier(sessions, clinic_id, Inclusion(CONSULTATION, 4))
    three_years_later = datetime(2029, 3, 1, tzinfo=UTC)

    assert renew_tier_periods(sessions, three_years_later) == 1

    assert held(sessions, clinic_id) == [("expired", 4, 4, JOINED),
                                         ("active", 4, 4, datetime(2029, 1, 15, 10, 0, tzinfo=UTC))]


def test_a_monthly_tier_joined_on_the_31st_renews_on_each_months_last_day_not_on_the_28th(sessions, clinic_id):
    joined = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    terms = TierTerms("Monthly", "patient", PlanPeriod(1, PeriodUnit.MONTH), None, (Inclusion(CONSULTATION, 1),))
    in_transaction(sessions, tiers.create_tier, clinic_id, "monthly", terms, None, joined)
    in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, "monthly", None, joined)
    periods = []
    for _ in range(3):
        with transaction(sessions) as session:
            membership = SqlCareUnitOfWork(session).memberships.get(clinic_id, PATIENT)
        periods.append((membership.period_start.date().isoformat(), membership.period_end.date().isoformat()))
        assert renew_tier_periods(sessions, membership.period_end) == 1

    assert periods == [("2026-01-31", "2026-02-28"), ("2026-02-28", "2026-03-31"), ("2026-03-31", "2026-04-30")]
    assert [e[3].date().isoformat() for e in held(sessions, clinic_id)] == [
        "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]


@pytest.mark.parametrize("basic_period", [PlanPeriod(1, PeriodUnit.MONTH), YEARLY])
def test_coming_back_within_a_month_end_period_keeps_its_run(sessions, clinic_id, basic_period):
    joined = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    monthly = PlanPeriod(1, PeriodUnit.MONTH)
    for key in ("monthly", "basic"):
        terms = TierTerms(key.title(), "patient", monthly if key == "monthly" else basic_period, None,
                          (Inclusion(CONSULTATION, 1),))
        in_transaction(sessions, tiers.create_tier, clinic_id, key, terms, None, joined)
    in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, "monthly", None, joined)
    renew_tier_periods(sessions, datetime(2026, 2, 28, 9, 0, tzinfo=UTC))  # now Feb 28 - Mar 31
    in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, "basic", None,
                   datetime(2026, 3, 2, tzinfo=UTC))
    in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, "monthly", None,
                   datetime(2026, 3, 3, tzinfo=UTC))

    renew_tier_periods(sessions, datetime(2026, 3, 31, 9, 0, tzinfo=UTC))

    with transaction(sessions) as session:
        membership = SqlCareUnitOfWork(session).memberships.get(clinic_id, PATIENT)
    assert (membership.period_start.date().isoformat(), membership.period_end.date().isoformat()) == (
        "2026-03-31", "2026-04-30")


def test_a_pro_rated_inclusion_grants_the_share_of_the_period_left(sessions, clinic_id):
    on_tier(sessions, clinic_id, Inclusion(CONSULTATION, 4), key="basic")
    terms = TierTerms("Premium", "patient", YEARLY, None,
                      (Inclusion(CONSULTATION, 12, on_upgrade=OnUpgrade.PRORATED),))
    in_transaction(sessions, tiers.create_tier, clinic_id, "premium", terms, None, JOINED)

    halfway = JOINED + (A_YEAR_LATER - JOINED) / 2
    change = in_transaction(sessions, tiers.set_patient_tier, clinic_id, PATIENT, "premium", None, halfway)

    assert [e.sessions_granted for e in change.granted] == [6]
    assert renew_tier_periods(sessions, A_YEAR_LATER) == 1
    assert held(sessions, clinic_id)[-1] == ("active", 12, 12, A_YEAR_LATER)  # full from the next period on


def test_a_bought_subscription_expires_when_its_window_closes(sessions, clinic_id, stored):
    enrolled = in_transaction(sessions, enrollments.enroll_patient, clinic_id, PATIENT, TELEREHAB_MONTH, None, JOINED)
    assert enrolled.access_until == datetime(2026, 2, 15, 10, 0, tzinfo=UTC)

    assert expire_enrollments(sessions, datetime(2026, 2, 15, 9, 59, tzinfo=UTC)) == 0
    run_lifecycle(sessions, lambda: datetime(2026, 2, 15, 10, 0, tzinfo=UTC))
    assert expire_enrollments(sessions, datetime(2026, 3, 1, tzinfo=UTC)) == 0

    assert [h[0] for h in held(sessions, clinic_id)] == ["expired"]
    assert stored.event_types()[-1] == EnrollmentExpiredV1.event_type
