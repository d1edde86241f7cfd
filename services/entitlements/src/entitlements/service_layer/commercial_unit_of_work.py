"""The unit of work of the commercial model's use cases: the plan catalog, subscriptions,
overrides, capability gates, the access audit and the outbox of one transaction. The entrypoint
owns the transaction, so use cases never commit."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session

from clinic_contracts import Event
from clinic_runtime.messaging.outbox import emit
from entitlements.adapters.commercial import (
    CapabilityGates,
    OverrideRepository,
    PlanCatalog,
    SqlCapabilityGates,
    SqlOverrideRepository,
    SqlPlanCatalog,
    SqlSubscriptionRepository,
    SubscriptionRepository,
)
from entitlements.adapters.repository import AccessAudit, SqlAccessAudit


class CommercialUnitOfWork(Protocol):
    plans: PlanCatalog
    subscriptions: SubscriptionRepository
    overrides: OverrideRepository
    capabilities: CapabilityGates
    audit: AccessAudit

    def publish(self, event: Event, *, clinic_id: uuid.UUID | None) -> None: ...


class SqlCommercialUnitOfWork:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.plans = SqlPlanCatalog(session)
        self.subscriptions = SqlSubscriptionRepository(session)
        self.overrides = SqlOverrideRepository(session)
        self.capabilities = SqlCapabilityGates(session)
        self.audit = SqlAccessAudit(session)

    def publish(self, event: Event, *, clinic_id: uuid.UUID | None) -> None:
        emit(self._session, event, clinic_id=clinic_id)
