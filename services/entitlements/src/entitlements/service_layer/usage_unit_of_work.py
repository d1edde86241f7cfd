"""The unit of work of the usage meters' use cases: the clinic's subscription and overrides (its
limits) and the meters, in one transaction. The entrypoint owns the transaction, so use cases
never commit."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from entitlements.adapters.commercial import (
    OverrideRepository,
    SqlOverrideRepository,
    SqlSubscriptionRepository,
    SubscriptionRepository,
)
from entitlements.adapters.usage import SqlUsageMeters, UsageMeters


class UsageUnitOfWork(Protocol):
    subscriptions: SubscriptionRepository
    overrides: OverrideRepository
    meters: UsageMeters


class SqlUsageUnitOfWork:
    def __init__(self, session: Session) -> None:
        self.subscriptions = SqlSubscriptionRepository(session)
        self.overrides = SqlOverrideRepository(session)
        self.meters = SqlUsageMeters(session)
