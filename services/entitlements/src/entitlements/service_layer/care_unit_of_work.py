"""The unit of work of patient care's use cases: patients, service plans, tiers, memberships,
enrollments, reservations, the clinic's roles (a tier names one), the access audit and the outbox
of one transaction. The entrypoint (a request, an event, a timer run) owns the transaction."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session

from clinic_contracts import Event
from clinic_runtime.messaging.outbox import emit
from entitlements.adapters.care import (
    Enrollments,
    Memberships,
    Patients,
    Reservations,
    ServicePlans,
    SqlEnrollments,
    SqlMemberships,
    SqlPatients,
    SqlReservations,
    SqlServicePlans,
    SqlTiers,
    Tiers,
)
from entitlements.adapters.repository import AccessAudit, RoleRepository, SqlAccessAudit, SqlRoleRepository


class CareUnitOfWork(Protocol):
    patients: Patients
    service_plans: ServicePlans
    tiers: Tiers
    memberships: Memberships
    enrollments: Enrollments
    reservations: Reservations
    roles: RoleRepository
    audit: AccessAudit

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None: ...


class SqlCareUnitOfWork:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.patients = SqlPatients(session)
        self.service_plans = SqlServicePlans(session)
        self.tiers = SqlTiers(session)
        self.memberships = SqlMemberships(session)
        self.enrollments = SqlEnrollments(session)
        self.reservations = SqlReservations(session)
        self.roles = SqlRoleRepository(session)
        self.audit = SqlAccessAudit(session)

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None:
        emit(self._session, event, clinic_id=clinic_id)
