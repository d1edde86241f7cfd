"""The use cases of patient care over in-memory fakes of its ports: enrolling, reserving,
committing and releasing sessions, putting patients on tiers and renewing their periods."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from clinic_contracts import Event
from clinic_contracts.events.entitlements import (
    EnrollmentCanceledV1,
    EnrollmentExpiredV1,
    EnrollmentGrantedV1,
    EnrollmentRenewedV1,
    PatientTierChangedV1,
    ReservationCommittedV1,
    ReservationReleasedV1,
    ReservationShortfallV1,
    TierUpsertedV1,
)
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion
from entitlements.adapters.care import Enrollments, Memberships, Patients, Reservations, ServicePlans, Tiers
from entitlements.domain.audit import AuditAction, AuditEntry
from entitlements.domain.care_patients import PatientRecord
from entitlements.domain.enrollments import (
    Enrollment,
    EnrollmentStatus,
    NotUsable,
    ReleaseReason,
    Reservation,
    ReservationStatus,
)
from entitlements.domain.roles import RoleBundle
from entitlements.domain.service_plans import PeriodUnit, PlanPeriod, ServicePlan, ServicePlanKind
from entitlements.domain.tiers import Inclusion, Membership, Tier, TierArchived, TierTerms
from entitlements.service_layer import enrollments, tiers

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
PATIENT = uuid.UUID("0193a5e0-0000-7000-8000-00000000a1a1")
STAFF = uuid.UUID("0193a5e0-0000-7000-8000-00000000ad41")
PACKAGE = uuid.UUID("0193a5e0-0000-7000-8000-0000000091a1")
PHYSIO = uuid.UUID("0193a5e0-0000-7000-8000-0000000091a2")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOLD = timedelta(minutes=30)


class FakePatients:
    def __init__(self) -> None:
        self.rows: dict[tuple[uuid.UUID, uuid.UUID], PatientRecord] = {}

    def get(self, clinic_id, patient_id):
        return self.rows.get((clinic_id, patient_id))

    def by_account(self, clinic_id, account_id):
        return next((p for p in self.rows.values() if (p.clinic_id, p.account_id) == (clinic_id, account_id)), None)

    def record(self, patient):
        held = self.rows.get((patient.clinic_id, patient.patient_id))
        if held is not None and held.version >= patient.version:
            return False
        self.rows[(patient.clinic_id, patient.patient_id)] = patient
        return True


class FakeServicePlans:
    def __init__(self) -> None:
        self.rows: dict[tuple[uuid.UUID, uuid.UUID], ServicePlan] = {}

    def get(self, clinic_id, plan_id):
        return self.rows.get((clinic_id, plan_id))

    def live_ids(self, clinic_id):
        return {p.plan_id for p in self.rows.values() if p.clinic_id == clinic_id and not p.archived}

    def record(self, plan):
        self.rows[(plan.clinic_id, plan.plan_id)] = plan
        return True


class FakeTiers:
    def __init__(self) -> None:
        self.rows: dict[tuple[uuid.UUID, str], Tier] = {}
        self.locked: list[str] = []

    def get(self, clinic_id, key, *, lock=False):
        if lock:
            self.locked.append(key)
        return self.rows.get((clinic_id, key))

    def list(self, clinic_id):
        return [t for (c, _), t in sorted(self.rows.items()) if c == clinic_id]

    def add(self, tier):
        if (tier.clinic_id, tier.key) in self.rows:
            return False
        self.rows[(tier.clinic_id, tier.key)] = tier
        return True

    def save(self, tier, expected_version):
        if self.rows[(tier.clinic_id, tier.key)].version != expected_version:
            return False
        self.rows[(tier.clinic_id, tier.key)] = tier
        return True


class FakeMemberships:
    def __init__(self) -> None:
        self.rows: dict[tuple[uuid.UUID, uuid.UUID], Membership] = {}

    def get(self, clinic_id, patient_id, *, lock=False):
        return self.rows.get((clinic_id, patient_id))

    def members(self, clinic_id, tier_key):
        return sum(1 for m in self.rows.values() if (m.clinic_id, m.tier_key) == (clinic_id, tier_key))

    def put(self, membership, replacing):
        if self.rows.get((membership.clinic_id, membership.patient_id)) != replacing:
            return False
        self.rows[(membership.clinic_id, membership.patient_id)] = membership
        return True

    def remove(self, membership):
        if self.rows.get((membership.clinic_id, membership.patient_id)) != membership:
            return False
        del self.rows[(membership.clinic_id, membership.patient_id)]
        return True

    def due(self, at, limit):
        return sorted((m for m in self.rows.values() if m.period_end <= at), key=lambda m: m.period_end)[:limit]


class FakeEnrollments:
    """Keeps the counts the way the SQL conditional updates do."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Enrollment] = {}

    def get(self, clinic_id, enrollment_id):
        held = self.rows.get(enrollment_id)
        return held if held is not None and held.clinic_id == clinic_id else None

    def of_patient(self, clinic_id, patient_id):
        return [e for e in self.rows.values() if (e.clinic_id, e.patient_id) == (clinic_id, patient_id)]

    def add(self, enrollment):
        if enrollment.grant_key is not None and any(e.grant_key == enrollment.grant_key for e in self.rows.values()):
            return False
        self.rows[enrollment.id] = enrollment
        return True

    def end(self, enrollment, status, at):
        held = self.rows[enrollment.id]
        if held.status is not EnrollmentStatus.ACTIVE:
            return None
        self.rows[enrollment.id] = replace(held, status=status, ended_at=at, version=held.version + 1)
        return self.rows[enrollment.id]

    def by_grant(self, clinic_id, grant_key):
        return next((e for e in self.rows.values() if (e.clinic_id, e.grant_key) == (clinic_id, grant_key)), None)

    def restore(self, enrollment):
        held = self.rows[enrollment.id]
        if held.status is EnrollmentStatus.ACTIVE:
            return None
        self.rows[enrollment.id] = replace(held, status=EnrollmentStatus.ACTIVE, ended_at=None,
                                           version=held.version + 1)
        return self.rows[enrollment.id]

    def take_session(self, clinic_id, enrollment_id, at):
        held = self.rows[enrollment_id]
        if held.refusal(held.patient_id, None, at) is not None or held.sessions_remaining == 0:
            return False
        self.rows[enrollment_id] = replace(held, sessions_reserved=held.sessions_reserved + 1)
        return True

    def commit_session(self, clinic_id, enrollment_id):
        held = self.rows[enrollment_id]
        self.rows[enrollment_id] = replace(held, sessions_reserved=held.sessions_reserved - 1,
                                           sessions_used=held.sessions_used + 1)

    def use_session(self, clinic_id, enrollment_id, at):
        held = self.rows[enrollment_id]
        if held.refusal(held.patient_id, None, at) is not None or held.sessions_remaining == 0:
            return False
        self.rows[enrollment_id] = replace(held, sessions_used=held.sessions_used + 1)
        return True

    def return_session(self, clinic_id, enrollment_id, status):
        held = self.rows[enrollment_id]
        if status is ReservationStatus.RESERVED:
            self.rows[enrollment_id] = replace(held, sessions_reserved=held.sessions_reserved - 1)
        else:
            self.rows[enrollment_id] = replace(held, sessions_used=held.sessions_used - 1)

    def carried_to(self, clinic_id, enrollment_id):
        return next((e for e in self.rows.values() if e.carried_from == enrollment_id), None)

    def pass_on_session(self, clinic_id, from_id, to_id):
        for enrollment_id, change in ((from_id, -1), (to_id, 1)):
            held = self.rows[enrollment_id]
            self.rows[enrollment_id] = replace(held, sessions_granted=held.sessions_granted + change)

    def due(self, at, limit):
        return [e for e in self.rows.values() if e.status is EnrollmentStatus.ACTIVE
                and e.sessions_until is not None and e.sessions_until <= at
                and e.access_until is not None and e.access_until <= at][:limit]


class FakeReservations:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Reservation] = {}
        self.settled_elsewhere: set[uuid.UUID] = set()

    def get(self, clinic_id, appointment_id, *, lock=False):
        return self.rows.get(appointment_id)

    def add(self, reservation):
        if reservation.appointment_id in self.rows:
            return False
        self.rows[reservation.appointment_id] = reservation
        return True

    def settle(self, reservation, status, at, released_reason=None):
        if reservation.appointment_id in self.settled_elsewhere:
            return False
        if self.rows[reservation.appointment_id].status is not reservation.status:
            return False
        self.rows[reservation.appointment_id] = replace(reservation, status=status, settled_at=at,
                                                        released_reason=released_reason)
        return True

    def replace_released(self, released, reservation):
        if self.rows[released.appointment_id].status is not ReservationStatus.RELEASED:
            return False
        self.rows[released.appointment_id] = reservation
        return True

    def move(self, reservation, appointment_id):
        del self.rows[reservation.appointment_id]
        self.rows[appointment_id] = replace(reservation, appointment_id=appointment_id)
        return True

    def due(self, at, limit):
        return [r for r in self.rows.values() if r.status is ReservationStatus.RESERVED and r.expires_at <= at]


class FakeRoles:
    def get(self, clinic_id, key, *, lock=False) -> RoleBundle | None:
        return None


class FakeAudit:
    def __init__(self) -> None:
        self.recorded: list[AuditEntry] = []

    def record(self, entry):
        self.recorded.append(entry)


class FakeCareUnitOfWork:
    def __init__(self) -> None:
        self.patients = FakePatients()
        self.service_plans = FakeServicePlans()
        self.tiers = FakeTiers()
        self.memberships = FakeMemberships()
        self.enrollments = FakeEnrollments()
        self.reservations = FakeReservations()
        self.roles = FakeRoles()
        self.audit = FakeAudit()
        self.published: list[Event] = []

    def publish(self, event, *, clinic_id):
        assert clinic_id == CLINIC
        self.published.append(event)

    def types(self) -> list[type]:
        return [type(e) for e in self.published]


# The fakes must keep fitting the ports they stand in for (checked by type checkers).
_ports: tuple[Patients, ServicePlans, Tiers, Memberships, Enrollments, Reservations] = (
    FakePatients(), FakeServicePlans(), FakeTiers(), FakeMemberships(), FakeEnrollments(), FakeReservations())


def release_lapsed(uow: FakeCareUnitOfWork, at: datetime) -> int:
    """What the worker does with every reservation due at `at`: how many it released."""
    return sum(enrollments.release_lapsed(uow, held, at) for held in uow.reservations.due(at, 10))


def expire_due(uow: FakeCareUnitOfWork, at: datetime) -> int:
    """What the worker does with every enrollment due at `at`: how many it expired."""
    return sum(enrollments.expire(uow, enrollment, at) for enrollment in uow.enrollments.due(at, 10))


@pytest.fixture
def uow() -> FakeCareUnitOfWork:
    care = FakeCareUnitOfWork()
    care.service_plans.record(ServicePlan(CLINIC, PACKAGE, "2 sessions", ServicePlanKind.SESSION_PACKAGE, 2,
                                          PlanPeriod(6, PeriodUnit.MONTH), None, None, (), (), 1, False))
    care.patients.record(PatientRecord(CLINIC, PATIENT, None, 1, False))
    return care


@pytest.fixture
def package(uow) -> Enrollment:
    return enrollments.enroll_patient(uow, CLINIC, PATIENT, PACKAGE, STAFF, NOW)


def test_staff_enrol_a_patient_in_a_live_plan_audited_and_published(uow, package):
    assert (package.sessions_granted, package.created_by) == (2, STAFF)
    assert [e.action for e in uow.audit.recorded] == [AuditAction.ENROLLMENT_CREATED]
    assert uow.types() == [EnrollmentGrantedV1]


def test_enrolling_in_an_unknown_or_archived_plan_is_refused(uow):
    with pytest.raises(Invalid) as unknown:
        enrollments.enroll_patient(uow, CLINIC, PATIENT, uuid.uuid4(), STAFF, NOW)
    assert [p.field for p in unknown.value.problems] == ["plan_id"]
    uow.service_plans.record(replace(uow.service_plans.get(CLINIC, PACKAGE), archived=True))
    with pytest.raises(Invalid):
        enrollments.enroll_patient(uow, CLINIC, PATIENT, PACKAGE, STAFF, NOW)
    assert uow.published == []


def test_reserving_holds_a_session_until_the_hold_and_its_margin_end(uow, package):
    reservation, new = enrollments.reserve(uow, CLINIC, package.id, uuid.uuid4(), PATIENT, None, NOW, HOLD)

    assert new and reservation.expires_at == NOW + HOLD
    assert uow.enrollments.get(CLINIC, package.id).sessions_reserved == 1


def test_the_same_appointment_reserves_once(uow, package):
    appointment = uuid.uuid4()
    first, _ = enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)

    again, new = enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)

    assert again == first and not new
    assert uow.enrollments.get(CLINIC, package.id).sessions_reserved == 1


def test_reserving_again_after_a_release_takes_a_session_again_with_a_new_expiry(uow, package):
    appointment = uuid.uuid4()
    first, _ = enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)
    enrollments.release(uow, CLINIC, appointment, ReleaseReason.UNDONE, NOW)
    later = NOW + timedelta(minutes=3)

    again, new = enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, later, HOLD)

    assert new and (again.status, again.expires_at, again.id) == (ReservationStatus.RESERVED, later + HOLD, first.id)
    assert uow.reservations.get(CLINIC, appointment) == again
    assert uow.enrollments.get(CLINIC, package.id).sessions_reserved == 1


def test_reserving_again_after_a_release_is_refused_when_no_session_is_left(uow, package):
    appointment = uuid.uuid4()
    enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)
    enrollments.release(uow, CLINIC, appointment, ReleaseReason.UNDONE, NOW)
    for _ in range(2):
        enrollments.reserve(uow, CLINIC, package.id, uuid.uuid4(), PATIENT, None, NOW, HOLD)

    with pytest.raises(enrollments.NoSessionsLeft):
        enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)


def test_reserving_again_after_a_release_is_refused_when_the_enrollment_ended(uow, package):
    appointment = uuid.uuid4()
    enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)
    enrollments.release(uow, CLINIC, appointment, ReleaseReason.UNDONE, NOW)
    enrollments.cancel_enrollment(uow, CLINIC, package.id, STAFF, NOW)

    with pytest.raises(enrollments.EnrollmentNotUsable):
        enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)
    assert uow.reservations.get(CLINIC, appointment).status is ReservationStatus.RELEASED


def test_an_appointment_holding_a_session_of_another_enrollment_is_refused(uow, package):
    other = enrollments.enroll_patient(uow, CLINIC, PATIENT, PACKAGE, STAFF, NOW)
    appointment = uuid.uuid4()
    enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)

    with pytest.raises(enrollments.ReservedElsewhere):
        enrollments.reserve(uow, CLINIC, other.id, appointment, PATIENT, None, NOW, HOLD)


def test_the_sessions_run_out(uow, package):
    for _ in range(2):
        enrollments.reserve(uow, CLINIC, package.id, uuid.uuid4(), PATIENT, None, NOW, HOLD)

    with pytest.raises(enrollments.NoSessionsLeft):
        enrollments.reserve(uow, CLINIC, package.id, uuid.uuid4(), PATIENT, None, NOW, HOLD)


def test_an_unusable_enrollment_says_why(uow, package):
    with pytest.raises(enrollments.EnrollmentNotUsable) as refused:
        enrollments.reserve(uow, CLINIC, package.id, uuid.uuid4(), uuid.uuid4(), None, NOW, HOLD)
    assert refused.value.reason is NotUsable.OTHER_PATIENT
    with pytest.raises(NotFound, match="enrollment"):
        enrollments.reserve(uow, CLINIC, uuid.uuid4(), uuid.uuid4(), PATIENT, None, NOW, HOLD)


def test_commit_then_release_gives_a_used_session_back(uow, package):
    appointment = uuid.uuid4()
    enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)

    enrollments.commit(uow, CLINIC, appointment, package.id, PATIENT, None, NOW)
    assert enrollments.commit(uow, CLINIC, appointment, package.id, PATIENT, None, NOW) is None  # a redelivery
    held = uow.enrollments.get(CLINIC, package.id)
    assert (held.sessions_reserved, held.sessions_used) == (0, 1)

    enrollments.release(uow, CLINIC, appointment, ReleaseReason.APPOINTMENT_CANCELED, NOW)
    assert enrollments.release(uow, CLINIC, appointment, ReleaseReason.APPOINTMENT_CANCELED, NOW) is None
    held = uow.enrollments.get(CLINIC, package.id)
    assert (held.sessions_reserved, held.sessions_used) == (0, 0)
    assert uow.types()[-2:] == [ReservationCommittedV1, ReservationReleasedV1]
    assert uow.published[-1].sessions_remaining == 2


def test_a_reservation_someone_else_settled_first_is_left_to_them(uow, package):
    appointment = uuid.uuid4()
    enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)
    published = len(uow.published)
    uow.reservations.settled_elsewhere.add(appointment)

    assert enrollments.commit(uow, CLINIC, appointment, package.id, PATIENT, None, NOW) is None
    assert enrollments.release(uow, CLINIC, appointment, ReleaseReason.RESERVATION_EXPIRED, NOW) is None
    assert uow.enrollments.get(CLINIC, package.id).sessions_reserved == 1
    assert len(uow.published) == published


def test_an_appointment_booked_against_an_enrollment_without_a_reservation_takes_its_session_when_paid(
        uow, package):
    appointment = uuid.uuid4()

    committed = enrollments.commit(uow, CLINIC, appointment, package.id, PATIENT, None, NOW)

    assert committed is not None and committed.status is ReservationStatus.COMMITTED
    assert uow.enrollments.get(CLINIC, package.id).sessions_used == 1
    assert enrollments.commit(uow, CLINIC, uuid.uuid4(), None, PATIENT, None, NOW) is None  # no enrollment: nothing


def test_a_payment_confirmed_after_the_reservation_lapsed_takes_a_session_again_while_one_remains(uow, package):
    appointment = uuid.uuid4()
    enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)
    assert release_lapsed(uow, NOW + HOLD) == 1

    enrollments.commit(uow, CLINIC, appointment, package.id, PATIENT, None, NOW + HOLD + timedelta(minutes=1))

    held = uow.enrollments.get(CLINIC, package.id)
    assert (held.sessions_reserved, held.sessions_used) == (0, 1)
    assert uow.reservations.get(CLINIC, appointment).status is ReservationStatus.COMMITTED


@pytest.mark.parametrize(("patient", "end", "reason"), [
    (PATIENT, True, "ended"),
    (uuid.UUID("0193a5e0-0000-7000-8000-0000000000ff"), False, "other_patient"),
])
def test_a_payment_after_the_lapse_takes_no_session_of_an_ended_or_anothers_enrollment(uow, package, patient, end,
                                                                                      reason):
    appointment = uuid.uuid4()
    enrollments.reserve(uow, CLINIC, package.id, appointment, PATIENT, None, NOW, HOLD)
    release_lapsed(uow, NOW + HOLD)
    if end:
        enrollments.cancel_enrollment(uow, CLINIC, package.id, STAFF, NOW + HOLD)

    committed = enrollments.commit(uow, CLINIC, appointment, package.id, patient, None, NOW + HOLD)

    assert committed is None
    assert uow.enrollments.get(CLINIC, package.id).sessions_used == 0
    assert uow.reservations.get(CLINIC, appointment).status is ReservationStatus.RELEASED
    shortfall = uow.published[-1]
    assert isinstance(shortfall, ReservationShortfallV1)
    assert (shortfall.appointment_id, shortfall.enrollment_id, shortfall.reason) == (appointment, package.id, reason)


def test_a_staff_booking_paid_for_another_service_than_the_plans_takes_no_session(uow):
    uow.service_plans.record(ServicePlan(CLINIC, PHYSIO, "Physio", ServicePlanKind.SESSION_PACKAGE, 2,
                                         None, None, None, (uuid.uuid4(),), (), 1, False))
    physio = enrollments.enroll_patient(uow, CLINIC, PATIENT, PHYSIO, STAFF, NOW)

    assert enrollments.commit(uow, CLINIC, uuid.uuid4(), physio.id, PATIENT, uuid.uuid4(), NOW) is None
    assert uow.published[-1].reason == "other_service"


def test_a_rescheduled_appointment_takes_its_reservation_along(uow, package):
    old, new = uuid.uuid4(), uuid.uuid4()
    enrollments.reserve(uow, CLINIC, package.id, old, PATIENT, None, NOW, HOLD)

    assert enrollments.move(uow, CLINIC, old, new, NOW) is True
    assert enrollments.move(uow, CLINIC, old, new, NOW) is False

    assert uow.reservations.get(CLINIC, old) is None
    assert uow.reservations.get(CLINIC, new).enrollment_id == package.id


def test_cancelling_an_enrollment_ends_it_once(uow, package):
    cancelled = enrollments.cancel_enrollment(uow, CLINIC, package.id, STAFF, NOW)

    assert cancelled.status is EnrollmentStatus.CANCELED
    with pytest.raises(enrollments.EnrollmentEnded):
        enrollments.cancel_enrollment(uow, CLINIC, package.id, STAFF, NOW)
    assert uow.types()[-1] is EnrollmentCanceledV1
    assert uow.audit.recorded[-1].before["status"] == "active"
    assert uow.audit.recorded[-1].after["status"] == "canceled"


def test_enrollments_expire_once_their_window_has_closed(uow, package):
    assert expire_due(uow, NOW + timedelta(days=180)) == 0
    assert expire_due(uow, datetime(2026, 9, 1, 9, 0, tzinfo=UTC)) == 1
    assert expire_due(uow, datetime(2026, 9, 2, tzinfo=UTC)) == 0
    assert uow.published[-1].reason == "window_ended"


# -- tiers ----------------------------------------------------------------------------------------

YEARLY = PlanPeriod(1, PeriodUnit.YEAR)


def premium(sessions=2) -> TierTerms:
    return TierTerms("Premium", "patient", YEARLY, None, (Inclusion(PACKAGE, sessions),))


def test_a_tier_naming_an_unknown_role_is_invalid(uow):
    with pytest.raises(Invalid) as invalid:
        tiers.create_tier(uow, CLINIC, "premium", replace(premium(), role_key="gold-member"), STAFF, NOW)
    assert [p.field for p in invalid.value.problems] == ["role_key"]


def test_a_tier_change_publishes_a_new_version_and_an_unchanged_one_nothing(uow):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)

    changed = tiers.change_tier(uow, CLINIC, "premium", premium(4), 1, STAFF, NOW)
    unchanged = tiers.change_tier(uow, CLINIC, "premium", premium(4), 2, STAFF, NOW)

    assert changed.version == unchanged.version == 2
    assert uow.types() == [TierUpsertedV1, TierUpsertedV1]
    with pytest.raises(StaleVersion):
        tiers.change_tier(uow, CLINIC, "premium", premium(5), 1, STAFF, NOW)


def test_putting_a_patient_on_a_tier_grants_its_inclusions_for_a_period(uow):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)

    change = tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW)

    assert change.membership is not None
    assert (change.membership.period_start, change.membership.period_end) == (NOW, YEARLY.after(NOW))
    [granted] = change.granted
    assert (granted.sessions_granted, granted.tier_key, granted.access_until) == (2, "premium", YEARLY.after(NOW))
    assert uow.types()[-2:] == [EnrollmentGrantedV1, PatientTierChangedV1]
    assert [e.action for e in uow.audit.recorded][-1] == AuditAction.PATIENT_TIER_SET


def test_an_inclusion_whose_plan_was_archived_is_not_granted(uow):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)
    uow.service_plans.record(replace(uow.service_plans.get(CLINIC, PACKAGE), archived=True))

    assert tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW).granted == ()


def test_putting_a_patient_on_a_tier_locks_it_as_archiving_it_does(uow):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)

    tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW)

    # archive_tier counts the tier's members under this lock: a patient is either counted or
    # finds the tier archived.
    assert uow.tiers.locked == ["premium"]


def test_an_archived_tier_takes_no_patient(uow):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)
    tiers.archive_tier(uow, CLINIC, "premium", 1, STAFF, NOW)

    with pytest.raises(TierArchived):
        tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW)


def test_a_patient_changed_by_someone_else_meanwhile_is_a_conflict(uow):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)
    uow.memberships.put = lambda membership, replacing: False  # type: ignore[method-assign]

    with pytest.raises(tiers.ConcurrentTierChange):
        tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW)


def test_cancelling_a_tier_ends_its_enrollments_softly(uow):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)
    [granted] = tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW).granted

    assert tiers.set_patient_tier(uow, CLINIC, PATIENT, None, STAFF, NOW + timedelta(days=1)).membership is None
    assert tiers.set_patient_tier(uow, CLINIC, PATIENT, None, STAFF, NOW + timedelta(days=2)).membership is None

    ended = uow.enrollments.get(CLINIC, granted.id)
    assert (ended.status, ended.sessions_granted) == (EnrollmentStatus.CANCELED, 2)
    assert uow.types()[-2:] == [EnrollmentCanceledV1, PatientTierChangedV1]
    assert uow.published[-1].tier_key is None and uow.published[-1].previous_tier_key == "premium"


def test_renewing_a_period_twice_grants_once(uow):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)
    membership = tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW).membership
    assert membership is not None
    later = membership.period_end + timedelta(minutes=1)

    assert tiers.renew(uow, membership, later) is True
    assert tiers.renew(uow, membership, later) is False

    assert uow.types().count(EnrollmentRenewedV1) == 1
    assert uow.types().count(EnrollmentExpiredV1) == 1
    renewed = uow.memberships.get(CLINIC, PATIENT)
    assert (renewed.period_start, renewed.version) == (membership.period_end, 2)


@pytest.mark.parametrize("basic_period", [YEARLY, PlanPeriod(1, PeriodUnit.MONTH)])
def test_coming_back_to_a_tier_within_its_period_gives_its_grant_back_as_it_was(uow, basic_period):
    tiers.create_tier(uow, CLINIC, "premium", premium(), STAFF, NOW)
    tiers.create_tier(uow, CLINIC, "basic", replace(premium(1), period=basic_period), STAFF, NOW)
    [grant] = tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW).granted
    enrollments.reserve(uow, CLINIC, grant.id, uuid.uuid4(), PATIENT, None, NOW, HOLD)
    tiers.set_patient_tier(uow, CLINIC, PATIENT, "basic", STAFF, NOW + timedelta(days=10))

    back = tiers.set_patient_tier(uow, CLINIC, PATIENT, "premium", STAFF, NOW + timedelta(days=20))

    assert back.membership is not None
    assert (back.membership.period_start, back.membership.period_end) == (NOW, YEARLY.after(NOW))
    [restored] = back.granted
    assert restored.id == grant.id
    assert (restored.status, restored.sessions_granted, restored.sessions_reserved) == (EnrollmentStatus.ACTIVE, 2, 1)
    statuses = sorted((e.tier_key, str(e.status)) for e in uow.enrollments.of_patient(CLINIC, PATIENT))
    assert statuses == [("basic", "expired"), ("premium", "active")]
    assert tiers.set_patient_tier(uow, CLINIC, PATIENT, "basic", STAFF, NOW + timedelta(days=21)).granted[0] \
        .sessions_granted == 1
    assert len(uow.enrollments.rows) == 2  # flipping tiers never granted a fresh one


@pytest.mark.parametrize("archived", [False, True])
def test_a_patient_the_clinic_does_not_have_is_enrolled_in_nothing_and_put_on_no_tier(uow, archived):
    stranger = uuid.uuid4()
    if archived:
        uow.patients.record(PatientRecord(CLINIC, stranger, None, 1, True))

    with pytest.raises(enrollments.UnknownPatient):
        enrollments.enroll_patient(uow, CLINIC, stranger, PACKAGE, STAFF, NOW)
    with pytest.raises(enrollments.UnknownPatient):
        tiers.set_patient_tier(uow, CLINIC, stranger, "premium", STAFF, NOW)

    assert uow.enrollments.rows == {} and uow.memberships.rows == {} and uow.published == []
