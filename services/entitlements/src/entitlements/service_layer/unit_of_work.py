"""The unit of work a use case runs in: the repositories, the access audit and the outbox of one
transaction. The entrypoint owns the transaction, so use cases never commit."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session

from clinic_contracts import Event
from clinic_runtime.messaging.outbox import emit
from entitlements.adapters.repository import (
    AccessAudit,
    AssignmentRepository,
    RoleRepository,
    SqlAccessAudit,
    SqlAssignmentRepository,
    SqlRoleRepository,
)


class UnitOfWork(Protocol):
    roles: RoleRepository
    assignments: AssignmentRepository
    audit: AccessAudit

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None: ...


class SqlUnitOfWork:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.roles = SqlRoleRepository(session)
        self.assignments = SqlAssignmentRepository(session)
        self.audit = SqlAccessAudit(session)

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None:
        emit(self._session, event, clinic_id=clinic_id)
