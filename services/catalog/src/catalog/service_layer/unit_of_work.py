"""The unit of work a use case runs in: the repositories and the outbox of one transaction.

The entrypoint owns the transaction (a web request, a consumed event), so use cases never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session

from catalog.adapters.entry_repositories import (
    CalendarRepository,
    PlanRepository,
    ProductRepository,
    ProviderRepository,
    ServiceRepository,
    SqlCalendars,
    SqlPlans,
    SqlProducts,
    SqlProviders,
    SqlServices,
)
from catalog.adapters.repository import ClinicRepository, SqlClinicRepository
from clinic_contracts import Event
from clinic_runtime.db import on_rollback
from clinic_runtime.messaging.outbox import emit


class UnitOfWork(Protocol):
    clinics: ClinicRepository
    providers: ProviderRepository
    services: ServiceRepository
    calendars: CalendarRepository
    plans: PlanRepository
    products: ProductRepository

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None: ...

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Call `undo` if this unit of work's transaction ends without committing (rolled back,
        or its commit failed): how a use case takes back what it did outside the database."""


class SqlUnitOfWork:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.clinics = SqlClinicRepository(session)
        self.providers = SqlProviders(session)
        self.services = SqlServices(session)
        self.calendars = SqlCalendars(session)
        self.plans = SqlPlans(session)
        self.products = SqlProducts(session)

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None:
        emit(self._session, event, clinic_id=clinic_id)

    def on_rollback(self, undo: Callable[[], None]) -> None:
        on_rollback(self._session, undo)
