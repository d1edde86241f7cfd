"""What a decision on telerehab or library access reads beyond roles: the access grants a
patient's open enrollments give, and the clinic's telerehab capability. Asked only for those two
permissions, so every other decision stays one statement."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, and_, bindparam, false, or_, select
from sqlalchemy.orm import Session

from entitlements.adapters.orm import care_patients, enrollments
from entitlements.domain.capabilities import Capability, CapabilityDecision
from entitlements.domain.enrollments import EnrollmentStatus
from entitlements.domain.service_plans import AccessGrant
from entitlements.service_layer.capabilities import capability_decision
from entitlements.service_layer.commercial_unit_of_work import SqlCommercialUnitOfWork

_OPEN_GRANTS = (
    select(enrollments.c.access_grants)
    .select_from(care_patients.join(enrollments, and_(enrollments.c.clinic_id == care_patients.c.clinic_id,
                                                      enrollments.c.patient_id == care_patients.c.patient_id)))
    .where(care_patients.c.account_id == bindparam("account_id"), care_patients.c.clinic_id == bindparam("clinic_id"),
           care_patients.c.archived == false(), enrollments.c.status == str(EnrollmentStatus.ACTIVE),
           enrollments.c.starts_at <= bindparam("at"),
           or_(enrollments.c.access_until.is_(None), enrollments.c.access_until > bindparam("at")))
)


class CareAccess(Protocol):
    def open_grants(self, clinic_id: uuid.UUID, account_id: uuid.UUID, at: datetime) -> frozenset[AccessGrant]:
        """The access grants the open enrollments of the login's patient record give at `at`."""

    def telerehab(self, clinic_id: uuid.UUID, at: datetime) -> CapabilityDecision: ...


class SqlCareAccess:
    def __init__(self, engine: Engine) -> None:
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    def open_grants(self, clinic_id: uuid.UUID, account_id: uuid.UUID, at: datetime) -> frozenset[AccessGrant]:
        with self._reads.connect() as connection:
            rows = connection.execute(_OPEN_GRANTS, {"clinic_id": clinic_id, "account_id": account_id, "at": at})
            return frozenset(AccessGrant(grant) for (grants,) in rows for grant in grants)

    def telerehab(self, clinic_id: uuid.UUID, at: datetime) -> CapabilityDecision:
        # Reads only: on the autocommit engine, so SQLite takes no write lock for a decision.
        with Session(self._reads) as session:
            return capability_decision(SqlCommercialUnitOfWork(session), clinic_id, Capability.TELEREHAB, at)
