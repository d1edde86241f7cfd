"""Storage of patient care: the patients and service plans kept from other services' events,
the clinic's tiers and who is on them, enrollments and their reservations.

Session counts change only through single conditional UPDATEs (`take_session` and friends): the
database decides, row by row, whether a session remains, so concurrent bookings can never take
more than were granted (PostgreSQL re-checks the WHERE after the row lock; SQLite writers are
serialized by BEGIN IMMEDIATE).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clinic_runtime.db import keep_newest_statement
from entitlements.adapters.orm import (
    care_patients,
    enrollments,
    patient_tiers,
    reservations,
    service_plans,
    tier_memberships,
)
from entitlements.domain.care_patients import PatientRecord
from entitlements.domain.enrollments import (
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    ReleaseReason,
    Reservation,
    ReservationStatus,
)
from entitlements.domain.plans import Money
from entitlements.domain.service_plans import AccessGrant, PlanPeriod, ServicePlan, ServicePlanKind
from entitlements.domain.tiers import Inclusion, Membership, Tier, TierTerms


class Patients(Protocol):
    def get(self, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> PatientRecord | None: ...

    def by_account(self, clinic_id: uuid.UUID, account_id: uuid.UUID) -> PatientRecord | None: ...

    def record(self, patient: PatientRecord) -> bool:
        """Keep `patient` unless a newer version is kept; True when it was stored."""


class ServicePlans(Protocol):
    def get(self, clinic_id: uuid.UUID, plan_id: uuid.UUID) -> ServicePlan | None: ...

    def live_ids(self, clinic_id: uuid.UUID) -> set[uuid.UUID]: ...

    def record(self, plan: ServicePlan) -> bool:
        """Keep `plan` unless a newer version is kept; True when it was stored."""


class Tiers(Protocol):
    def get(self, clinic_id: uuid.UUID, key: str, *, lock: bool = False) -> Tier | None: ...

    def list(self, clinic_id: uuid.UUID) -> list[Tier]: ...

    def add(self, tier: Tier) -> bool:
        """False when the clinic already has a tier with this key."""

    def save(self, tier: Tier, expected_version: int) -> bool:
        """False when the stored tier is no longer at `expected_version`."""


class Memberships(Protocol):
    def get(self, clinic_id: uuid.UUID, patient_id: uuid.UUID, *, lock: bool = False) -> Membership | None: ...

    def members(self, clinic_id: uuid.UUID, tier_key: str) -> int: ...

    def put(self, membership: Membership, replacing: Membership | None) -> bool:
        """Store `membership` in place of `replacing` (None: the patient is on no tier); False
        when the stored one is no longer `replacing`."""

    def remove(self, membership: Membership) -> bool:
        """False when the stored one is no longer `membership`."""

    def due(self, at: datetime, limit: int) -> list[Membership]:
        """Memberships whose period has ended by `at`, the oldest first."""


class Enrollments(Protocol):
    def get(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment | None: ...

    def of_patient(self, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> list[Enrollment]: ...

    def add(self, enrollment: Enrollment) -> bool:
        """False when its grant (tier inclusion and period) was already granted."""

    def end(self, enrollment: Enrollment, status: EnrollmentStatus, at: datetime) -> Enrollment | None:
        """End an active enrollment; None when it is no longer active."""

    def by_grant(self, clinic_id: uuid.UUID, grant_key: str) -> Enrollment | None:
        """The enrollment granted for this tier inclusion and period, if any."""

    def restore(self, enrollment: Enrollment) -> Enrollment | None:
        """Make an ended enrollment active again, its counts as they were; None when it is active."""

    def take_session(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, at: datetime) -> bool:
        """Reserve one session if one remains and the enrollment is usable at `at`."""

    def commit_session(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID) -> None:
        """A reserved session becomes used."""

    def use_session(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, at: datetime) -> bool:
        """Use one session at once (no reservation before) if one remains and the enrollment is
        usable at `at`."""

    def return_session(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, status: ReservationStatus) -> None:
        """Give back a session that was reserved or used."""

    def carried_to(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment | None:
        """The next period's grant that carried this one's leftovers, if any."""

    def pass_on_session(self, clinic_id: uuid.UUID, from_id: uuid.UUID, to_id: uuid.UUID) -> None:
        """A leftover session of an ended grant goes on to the grant its leftovers were carried to:
        one fewer granted there, one more here."""

    def due(self, at: datetime, limit: int) -> list[Enrollment]:
        """Active enrollments whose sessions and access have both lapsed by `at`."""


class Reservations(Protocol):
    def get(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, lock: bool = False) -> Reservation | None:
        """The reservation kept under `appointment_id`; with `lock`, held until the transaction ends,
        so what is decided on it holds when it is written."""

    def add(self, reservation: Reservation) -> bool:
        """False when the appointment already has a reservation."""

    def settle(self, reservation: Reservation, status: ReservationStatus, at: datetime,
               released_reason: ReleaseReason | None = None) -> bool:
        """Move it from its current status to `status` (released: for `released_reason`); False when
        someone else moved it first."""

    def replace_released(self, released: Reservation, reservation: Reservation) -> bool:
        """Store `reservation` (reserved again, or committed) in place of the `released` one; False
        when it is no longer released."""

    def move(self, reservation: Reservation, appointment_id: uuid.UUID) -> bool: ...

    def due(self, at: datetime, limit: int) -> list[Reservation]:
        """Reservations never committed whose expiry has passed."""


# -- SQL ----------------------------------------------------------------------------------------


def _dialect(session: Session):
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


_KEEP_NEWEST = {table: keep_newest_statement(table) for table in (care_patients, service_plans)}


def _keep_newest(session: Session, table: Table, row: dict[str, Any]) -> bool:
    """Insert `row` (every column of `table`), or replace the stored one only when `row`'s version
    is newer."""
    return session.execute(_KEEP_NEWEST[table], row).first() is not None


class SqlPatients:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> PatientRecord | None:
        row = self._session.execute(select(care_patients).where(
            care_patients.c.clinic_id == clinic_id, care_patients.c.patient_id == patient_id)).first()
        return None if row is None else PatientRecord(**row._mapping)

    def by_account(self, clinic_id: uuid.UUID, account_id: uuid.UUID) -> PatientRecord | None:
        row = self._session.execute(select(care_patients).where(
            care_patients.c.account_id == account_id, care_patients.c.clinic_id == clinic_id,
            care_patients.c.archived.is_(False)).order_by(care_patients.c.patient_id).limit(1)).first()
        return None if row is None else PatientRecord(**row._mapping)

    def record(self, patient: PatientRecord) -> bool:
        return _keep_newest(self._session, care_patients, dict(
            clinic_id=patient.clinic_id, patient_id=patient.patient_id, account_id=patient.account_id,
            version=patient.version, archived=patient.archived))


class SqlServicePlans:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, plan_id: uuid.UUID) -> ServicePlan | None:
        row = self._session.execute(select(service_plans).where(
            service_plans.c.clinic_id == clinic_id, service_plans.c.plan_id == plan_id)).first()
        return None if row is None else _service_plan(row)

    def live_ids(self, clinic_id: uuid.UUID) -> set[uuid.UUID]:
        return set(self._session.scalars(select(service_plans.c.plan_id).where(
            service_plans.c.clinic_id == clinic_id, service_plans.c.archived.is_(False))))

    def record(self, plan: ServicePlan) -> bool:
        return _keep_newest(self._session, service_plans, dict(
            clinic_id=plan.clinic_id, plan_id=plan.plan_id, name=plan.name, kind=str(plan.kind),
            sessions=plan.sessions, session_validity=_period_document(plan.session_validity),
            period=_period_document(plan.period), access_window=_period_document(plan.access_window),
            service_ids=[str(s) for s in plan.service_ids], access_grants=[str(g) for g in plan.access_grants],
            version=plan.version, archived=plan.archived))


class SqlTiers:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, key: str, *, lock: bool = False) -> Tier | None:
        query = select(patient_tiers).where(patient_tiers.c.clinic_id == clinic_id, patient_tiers.c.key == key)
        row = self._session.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _tier(row)

    def list(self, clinic_id: uuid.UUID) -> list[Tier]:
        rows = self._session.execute(select(patient_tiers).where(patient_tiers.c.clinic_id == clinic_id)
                                     .order_by(patient_tiers.c.key))
        return [_tier(row) for row in rows]

    def add(self, tier: Tier) -> bool:
        statement = _dialect(self._session).insert(patient_tiers).values(
            clinic_id=tier.clinic_id, key=tier.key, **_tier_columns(tier),
        ).on_conflict_do_nothing().returning(patient_tiers.c.key)
        return self._session.execute(statement).first() is not None

    def save(self, tier: Tier, expected_version: int) -> bool:
        return self._session.execute(update(patient_tiers).where(
            patient_tiers.c.clinic_id == tier.clinic_id, patient_tiers.c.key == tier.key,
            patient_tiers.c.version == expected_version).values(**_tier_columns(tier))).rowcount == 1


class SqlMemberships:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, patient_id: uuid.UUID, *, lock: bool = False) -> Membership | None:
        query = select(tier_memberships).where(tier_memberships.c.clinic_id == clinic_id,
                                               tier_memberships.c.patient_id == patient_id)
        row = self._session.execute(query.with_for_update() if lock else query).first()
        return None if row is None else Membership(**row._mapping)

    def members(self, clinic_id: uuid.UUID, tier_key: str) -> int:
        return self._session.execute(select(func.count()).where(
            tier_memberships.c.clinic_id == clinic_id, tier_memberships.c.tier_key == tier_key)).scalar_one()

    def put(self, membership: Membership, replacing: Membership | None) -> bool:
        columns = dict(tier_key=membership.tier_key, period_start=membership.period_start,
                       period_end=membership.period_end, period_anchor=membership.period_anchor,
                       since=membership.since, changed_by=membership.changed_by, version=membership.version)
        if replacing is None:
            statement = _dialect(self._session).insert(tier_memberships).values(
                clinic_id=membership.clinic_id, patient_id=membership.patient_id, **columns,
            ).on_conflict_do_nothing().returning(tier_memberships.c.patient_id)
            return self._session.execute(statement).first() is not None
        return self._session.execute(update(tier_memberships).where(
            *_same_membership(replacing)).values(**columns)).rowcount == 1

    def remove(self, membership: Membership) -> bool:
        return self._session.execute(delete(tier_memberships).where(*_same_membership(membership))).rowcount == 1

    def due(self, at: datetime, limit: int) -> list[Membership]:
        rows = self._session.execute(select(tier_memberships).where(tier_memberships.c.period_end <= at)
                                     .order_by(tier_memberships.c.period_end).limit(limit))
        return [Membership(**row._mapping) for row in rows]


class SqlEnrollments:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment | None:
        row = self._session.execute(select(enrollments).where(
            enrollments.c.clinic_id == clinic_id, enrollments.c.id == enrollment_id)).first()
        return None if row is None else _enrollment(row)

    def of_patient(self, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> list[Enrollment]:
        rows = self._session.execute(select(enrollments).where(
            enrollments.c.clinic_id == clinic_id, enrollments.c.patient_id == patient_id)
            .order_by(enrollments.c.created_at, enrollments.c.id))
        return [_enrollment(row) for row in rows]

    def add(self, enrollment: Enrollment) -> bool:
        statement = _dialect(self._session).insert(enrollments).values(
            clinic_id=enrollment.clinic_id, id=enrollment.id, patient_id=enrollment.patient_id,
            plan_id=enrollment.plan_id, plan_name=enrollment.plan_name, source=str(enrollment.source),
            tier_key=enrollment.tier_key, grant_key=enrollment.grant_key,
            service_ids=[str(s) for s in enrollment.service_ids],
            access_grants=[str(g) for g in enrollment.access_grants],
            sessions_granted=enrollment.sessions_granted, sessions_reserved=enrollment.sessions_reserved,
            sessions_used=enrollment.sessions_used, starts_at=enrollment.starts_at,
            sessions_until=enrollment.sessions_until, access_until=enrollment.access_until,
            status=str(enrollment.status), ended_at=enrollment.ended_at, created_by=enrollment.created_by,
            created_at=enrollment.created_at, version=enrollment.version, carried_from=enrollment.carried_from,
        ).on_conflict_do_nothing().returning(enrollments.c.id)
        return self._session.execute(statement).first() is not None

    def end(self, enrollment: Enrollment, status: EnrollmentStatus, at: datetime) -> Enrollment | None:
        row = self._session.execute(update(enrollments).where(
            *_enrollment_key(enrollment.clinic_id, enrollment.id),
            enrollments.c.status == str(EnrollmentStatus.ACTIVE),
        ).values(status=str(status), ended_at=at, version=enrollments.c.version + 1).returning(*enrollments.c)).first()
        return None if row is None else _enrollment(row)

    def by_grant(self, clinic_id: uuid.UUID, grant_key: str) -> Enrollment | None:
        row = self._session.execute(select(enrollments).where(
            enrollments.c.clinic_id == clinic_id, enrollments.c.grant_key == grant_key)).first()
        return None if row is None else _enrollment(row)

    def restore(self, enrollment: Enrollment) -> Enrollment | None:
        row = self._session.execute(update(enrollments).where(
            *_enrollment_key(enrollment.clinic_id, enrollment.id),
            enrollments.c.status != str(EnrollmentStatus.ACTIVE),
        ).values(status=str(EnrollmentStatus.ACTIVE), ended_at=None, version=enrollments.c.version + 1)
            .returning(*enrollments.c)).first()
        return None if row is None else _enrollment(row)

    def take_session(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, at: datetime) -> bool:
        return self._session.execute(update(enrollments).where(
            *_enrollment_key(clinic_id, enrollment_id), *_session_left(at),
        ).values(sessions_reserved=enrollments.c.sessions_reserved + 1,
                 version=enrollments.c.version + 1)).rowcount == 1

    def commit_session(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID) -> None:
        self._session.execute(update(enrollments).where(
            *_enrollment_key(clinic_id, enrollment_id), enrollments.c.sessions_reserved > 0,
        ).values(sessions_reserved=enrollments.c.sessions_reserved - 1, sessions_used=enrollments.c.sessions_used + 1,
                 version=enrollments.c.version + 1))

    def use_session(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, at: datetime) -> bool:
        return self._session.execute(update(enrollments).where(
            *_enrollment_key(clinic_id, enrollment_id), *_session_left(at),
        ).values(sessions_used=enrollments.c.sessions_used + 1, version=enrollments.c.version + 1)).rowcount == 1

    def return_session(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, status: ReservationStatus) -> None:
        column = enrollments.c.sessions_reserved if status is ReservationStatus.RESERVED else enrollments.c.sessions_used
        self._session.execute(update(enrollments).where(*_enrollment_key(clinic_id, enrollment_id), column > 0)
                              .values({column: column - 1, enrollments.c.version: enrollments.c.version + 1}))

    def carried_to(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment | None:
        row = self._session.execute(select(enrollments).where(
            enrollments.c.clinic_id == clinic_id, enrollments.c.carried_from == enrollment_id)).first()
        return None if row is None else _enrollment(row)

    def pass_on_session(self, clinic_id: uuid.UUID, from_id: uuid.UUID, to_id: uuid.UUID) -> None:
        self._session.execute(update(enrollments).where(
            *_enrollment_key(clinic_id, from_id), enrollments.c.sessions_granted > 0,
        ).values(sessions_granted=enrollments.c.sessions_granted - 1, version=enrollments.c.version + 1))
        self._session.execute(update(enrollments).where(*_enrollment_key(clinic_id, to_id)).values(
            sessions_granted=enrollments.c.sessions_granted + 1, version=enrollments.c.version + 1))

    def due(self, at: datetime, limit: int) -> list[Enrollment]:
        rows = self._session.execute(select(enrollments).where(
            enrollments.c.status == str(EnrollmentStatus.ACTIVE),
            enrollments.c.sessions_until <= at, enrollments.c.access_until <= at,
        ).order_by(enrollments.c.access_until).limit(limit))
        return [_enrollment(row) for row in rows]


class SqlReservations:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, lock: bool = False) -> Reservation | None:
        query = select(reservations).where(reservations.c.clinic_id == clinic_id,
                                           reservations.c.appointment_id == appointment_id)
        row = self._session.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _reservation(row)

    def add(self, reservation: Reservation) -> bool:
        statement = _dialect(self._session).insert(reservations).values(
            clinic_id=reservation.clinic_id, appointment_id=reservation.appointment_id, id=reservation.id,
            enrollment_id=reservation.enrollment_id, patient_id=reservation.patient_id,
            status=str(reservation.status), reserved_at=reservation.reserved_at, expires_at=reservation.expires_at,
            settled_at=reservation.settled_at,
            released_reason=None if reservation.released_reason is None else str(reservation.released_reason),
        ).on_conflict_do_nothing().returning(reservations.c.id)
        return self._session.execute(statement).first() is not None

    def settle(self, reservation: Reservation, status: ReservationStatus, at: datetime,
               released_reason: ReleaseReason | None = None) -> bool:
        return self._session.execute(update(reservations).where(
            reservations.c.clinic_id == reservation.clinic_id,
            reservations.c.appointment_id == reservation.appointment_id,
            reservations.c.status == str(reservation.status),
        ).values(status=str(status), settled_at=at,
                 released_reason=None if released_reason is None else str(released_reason))).rowcount == 1

    def replace_released(self, released: Reservation, reservation: Reservation) -> bool:
        return self._session.execute(update(reservations).where(
            reservations.c.clinic_id == released.clinic_id,
            reservations.c.appointment_id == released.appointment_id,
            reservations.c.status == str(ReservationStatus.RELEASED),
        ).values(enrollment_id=reservation.enrollment_id, patient_id=reservation.patient_id,
                 status=str(reservation.status), reserved_at=reservation.reserved_at,
                 expires_at=reservation.expires_at, settled_at=reservation.settled_at,
                 released_reason=None)).rowcount == 1

    def move(self, reservation: Reservation, appointment_id: uuid.UUID) -> bool:
        return self._session.execute(update(reservations).where(
            reservations.c.clinic_id == reservation.clinic_id,
            reservations.c.appointment_id == reservation.appointment_id,
        ).values(appointment_id=appointment_id)).rowcount == 1

    def due(self, at: datetime, limit: int) -> list[Reservation]:
        rows = self._session.execute(select(reservations).where(
            reservations.c.status == str(ReservationStatus.RESERVED), reservations.c.expires_at <= at,
        ).order_by(reservations.c.expires_at).limit(limit))
        return [_reservation(row) for row in rows]


# -- rows <-> domain ----------------------------------------------------------------------------


def _enrollment_key(clinic_id: uuid.UUID, enrollment_id: uuid.UUID) -> list:
    return [enrollments.c.clinic_id == clinic_id, enrollments.c.id == enrollment_id]


def _session_left(at: datetime) -> list:
    """The conditions under which one more session may be reserved at `at`."""
    return [
        enrollments.c.status == str(EnrollmentStatus.ACTIVE),
        enrollments.c.starts_at <= at,
        or_(enrollments.c.sessions_until.is_(None), enrollments.c.sessions_until > at),
        enrollments.c.sessions_reserved + enrollments.c.sessions_used < enrollments.c.sessions_granted,
    ]


def _same_membership(membership: Membership) -> list:
    # Not the version alone: a tier cancelled and set again starts over at version 1, and a
    # renewal that read the old membership must not take the new one for it.
    return [tier_memberships.c.clinic_id == membership.clinic_id,
            tier_memberships.c.patient_id == membership.patient_id,
            tier_memberships.c.version == membership.version,
            tier_memberships.c.tier_key == membership.tier_key,
            tier_memberships.c.period_start == membership.period_start,
            tier_memberships.c.since == membership.since]


def _period_document(period: PlanPeriod | None) -> dict[str, object] | None:
    return None if period is None else period.as_document()


def _service_plan(row) -> ServicePlan:
    return ServicePlan(
        row.clinic_id, row.plan_id, row.name, ServicePlanKind(row.kind), row.sessions,
        PlanPeriod.from_document(row.session_validity), PlanPeriod.from_document(row.period),
        PlanPeriod.from_document(row.access_window), tuple(uuid.UUID(s) for s in row.service_ids),
        tuple(AccessGrant(g) for g in row.access_grants), row.version, row.archived)


def _tier_columns(tier: Tier) -> dict[str, Any]:
    terms = tier.terms
    return dict(name=terms.name, role_key=terms.role_key, period=terms.period.as_document(),
                price_amount_minor=None if terms.price is None else terms.price.amount_minor,
                price_currency=None if terms.price is None else terms.price.currency,
                inclusions=[i.as_document() for i in terms.inclusions], version=tier.version,
                archived=tier.archived, updated_at=tier.updated_at)


def _tier(row) -> Tier:
    price = None if row.price_amount_minor is None else Money(row.price_amount_minor, row.price_currency)
    period = PlanPeriod.from_document(row.period)
    assert period is not None
    terms = TierTerms(row.name, row.role_key, period, price,
                      tuple(Inclusion.from_document(i) for i in row.inclusions))
    return Tier(row.clinic_id, row.key, terms, row.version, row.archived, row.updated_at)


def _enrollment(row) -> Enrollment:
    return Enrollment(
        row.clinic_id, row.id, row.patient_id, row.plan_id, row.plan_name, EnrollmentSource(row.source),
        row.tier_key, row.grant_key, tuple(uuid.UUID(s) for s in row.service_ids),
        tuple(AccessGrant(g) for g in row.access_grants), row.sessions_granted, row.sessions_reserved,
        row.sessions_used, row.starts_at, row.sessions_until, row.access_until, EnrollmentStatus(row.status),
        row.ended_at, row.created_by, row.created_at, row.version, row.carried_from)


def _reservation(row) -> Reservation:
    return Reservation(row.clinic_id, row.appointment_id, row.id, row.enrollment_id, row.patient_id,
                       ReservationStatus(row.status), row.reserved_at, row.expires_at, row.settled_at,
                       None if row.released_reason is None else ReleaseReason(row.released_reason))
