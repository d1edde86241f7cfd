"""Use cases on booking calendars. A calendar belongs to one service and is managed on its own:
adding, changing or archiving one never changes the service (nor its version)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from catalog.adapters.entries import Listing
from catalog.domain.calendars import Calendar, CalendarDetails, check_calendar
from catalog.domain.clinic import Clinic
from catalog.domain.errors import RuleBroken
from catalog.domain.rules import ReferenceData
from catalog.domain.services import Service
from catalog.service_layer import entries
from catalog.service_layer.services import SERVICES, offered_service
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import CalendarArchivedV1, CalendarSnapshot, CalendarUpsertedV1
from clinic_runtime.refusals import Invalid


def snapshot(event: type[CalendarSnapshot], calendar: Calendar) -> CalendarSnapshot:
    d = calendar.details
    return event(
        clinic_id=calendar.clinic_id, calendar_id=calendar.id, service_id=d.service_id, name=d.name, kind=d.kind,
        price=None if d.price is None else events.Money(amount_minor=d.price.amount_minor, currency=d.price.currency),
        timezone=d.timezone,
        hours=[events.HourWindow(weekday=w.weekday, start=w.start, end=w.end) for w in d.hours],
        bookable_from=d.bookable_from, bookable_until=d.bookable_until,
        minimum_notice_minutes=d.minimum_notice_minutes, booking_horizon_days=d.booking_horizon_days,
        version=calendar.version, archived=calendar.archived, updated_at=calendar.updated_at,
    )


CALENDARS = entries.Kind(
    Calendar, lambda uow: uow.calendars,
    upserted=lambda calendar: snapshot(CalendarUpsertedV1, calendar),
    archived=lambda calendar: snapshot(CalendarArchivedV1, calendar),
)


def add_calendar(uow: UnitOfWork, clinic_id: uuid.UUID, details: CalendarDetails, reference: ReferenceData,
                 now: datetime) -> Calendar:
    """`details.timezone` None means the clinic's zone."""
    return entries.add(uow, CALENDARS, clinic_id, _vetting(uow, clinic_id, details, reference), now)


def change_calendar(uow: UnitOfWork, clinic_id: uuid.UUID, calendar_id: uuid.UUID, details: CalendarDetails,
                    expected_version: int, reference: ReferenceData, now: datetime) -> Calendar:
    """The calendar stays with its service: `details.service_id` must be the one it has."""
    return entries.change(uow, CALENDARS, clinic_id, calendar_id, expected_version,
                          _vetting(uow, clinic_id, details, reference), now, within=_of(details.service_id))


def archive_calendar(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID, calendar_id: uuid.UUID,
                     expected_version: int, now: datetime) -> Calendar:
    return entries.archive(uow, CALENDARS, clinic_id, calendar_id, expected_version, lambda: {}, now,
                           within=_of(service_id))


def read_calendar(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID, calendar_id: uuid.UUID) -> Calendar:
    return entries.read(uow, CALENDARS, clinic_id, calendar_id, within=_of(service_id))


def list_calendars(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID,
                   listing: Listing) -> entries.Page[Calendar]:
    entries.read(uow, SERVICES, clinic_id, service_id)
    return entries.page(uow, CALENDARS, clinic_id, listing, service_id=service_id)


def offered_calendars(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID,
                      listing: Listing) -> tuple[Service, entries.Page[Calendar]]:
    """An offered service and its active calendars (NotFound for an archived service)."""
    service = offered_service(uow, clinic_id, service_id)
    return service, entries.page(uow, CALENDARS, clinic_id, replace(listing, status="active"), service_id=service_id)


def _of(service_id: uuid.UUID):
    return lambda calendar: calendar.details.service_id == service_id


def _vetting(uow: UnitOfWork, clinic_id: uuid.UUID, details: CalendarDetails, reference: ReferenceData) -> entries.Vet:
    def vet(clinic: Clinic) -> CalendarDetails:
        # Held "share": the service is neither archived nor given another booking window before
        # this calendar, vetted against it, commits.
        service = entries.held_entry(uow, SERVICES, clinic_id, details.service_id, lock="share")
        if service.archived:
            raise Invalid([RuleBroken("service", "the service is archived: its calendars cannot change")])
        zoned = details if details.timezone is not None else replace(details, timezone=clinic.profile.timezone)
        entries.valid(check_calendar(zoned, clinic.profile.currency, reference, service.details.booking_window()))
        return zoned

    return vet
