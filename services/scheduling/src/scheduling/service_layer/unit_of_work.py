"""The unit of work a use case runs in: the repositories and the outbox of one transaction.

The entrypoint owns the transaction (a web request, a consumed event), so use cases never commit.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session

from clinic_contracts import Event
from clinic_runtime.messaging.outbox import emit
from scheduling.adapters.appointments import AppointmentRepository, SqlAppointments
from scheduling.adapters.availability import AvailabilityRepository, SqlAvailability
from scheduling.adapters.clinic_directory import ClinicDirectory, SqlClinicDirectory
from scheduling.adapters.offerings import (
    CalendarDirectory,
    ProviderDirectory,
    ServiceDirectory,
    SqlCalendarDirectory,
    SqlProviderDirectory,
    SqlServiceDirectory,
)
from scheduling.adapters.patients import PatientRepository, SqlPatients


class UnitOfWork(Protocol):
    providers: ProviderDirectory
    services: ServiceDirectory
    calendars: CalendarDirectory
    availability: AvailabilityRepository
    clinics: ClinicDirectory
    patients: PatientRepository
    appointments: AppointmentRepository

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None: ...


class SqlUnitOfWork:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.providers = SqlProviderDirectory(session)
        self.services = SqlServiceDirectory(session)
        self.calendars = SqlCalendarDirectory(session)
        self.availability = SqlAvailability(session)
        self.clinics = SqlClinicDirectory(session)
        self.patients = SqlPatients(session)
        self.appointments = SqlAppointments(session)

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None:
        emit(self._session, event, clinic_id=clinic_id)
