"""Writing the access audit: one call per fact, in the same transaction as the change."""

from __future__ import annotations

import uuid
from typing import Any

from clinic_contracts import uuid7
from gateway.domain.audit import AuditAction, AuditEntry
from gateway.service_layer.unit_of_work import UnitOfWork


def record(uow: UnitOfWork, action: AuditAction, *, clinic_id: uuid.UUID | None, actor_id: uuid.UUID | None,
           subject_id: uuid.UUID | None, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           client_address: str | None = None) -> None:
    uow.audit.add(AuditEntry(uuid7(), clinic_id, uow.tools.clock(), actor_id, subject_id, action, before, after,
                             client_address))
