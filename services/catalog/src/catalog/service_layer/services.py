"""Use cases on services."""

from __future__ import annotations

import uuid
from datetime import datetime

from catalog.adapters.entries import Listing
from catalog.domain.clinic import Clinic
from catalog.domain.rules import ReferenceData
from catalog.domain.services import Service, ServiceDetails, check_service
from catalog.service_layer import entries
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import ServiceArchivedV1, ServiceSnapshot, ServiceUpsertedV1
from clinic_runtime.refusals import NotFound


def snapshot(event: type[ServiceSnapshot], service: Service) -> ServiceSnapshot:
    d = service.details
    refund = d.refund_policy
    return event(
        clinic_id=service.clinic_id, service_id=service.id, name=d.name, description=d.description,
        duration_minutes=d.duration_minutes,
        price=events.Money(amount_minor=d.price.amount_minor, currency=d.price.currency),
        buffer_before_minutes=d.buffer_before_minutes, buffer_after_minutes=d.buffer_after_minutes,
        provider_ids=list(d.provider_ids),
        required_forms=[events.RequiredForm(kind=f.kind, template_key=f.template_key) for f in d.required_forms],
        documents=[events.Document(document_id=doc.id, kind=doc.kind, title=doc.title, filename=doc.filename,
                                   content_type=doc.content_type, size_bytes=doc.size_bytes, sha256=doc.sha256,
                                   archived=doc.archived) for doc in service.documents],
        cancellation_window_hours=d.cancellation_window_hours,
        refund_policy=None if refund is None else events.RefundPolicy(kind=refund.kind, percent=refund.percent,
                                                                      text=refund.text),
        reminders=events.Reminders(before_24h=d.reminders.before_24h, before_1h=d.reminders.before_1h),
        minimum_notice_minutes=d.minimum_notice_minutes, booking_horizon_days=d.booking_horizon_days,
        version=service.version, archived=service.archived, updated_at=service.updated_at,
    )


SERVICES = entries.Kind(
    Service, lambda uow: uow.services,
    upserted=lambda service: snapshot(ServiceUpsertedV1, service),
    archived=lambda service: snapshot(ServiceArchivedV1, service),
)


def add_service(uow: UnitOfWork, clinic_id: uuid.UUID, details: ServiceDetails, reference: ReferenceData,
                now: datetime) -> Service:
    return entries.add(uow, SERVICES, clinic_id, _vetting(uow, clinic_id, details, reference), now)


def change_service(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID, details: ServiceDetails,
                   expected_version: int, reference: ReferenceData, now: datetime) -> Service:
    """Refused (Invalid) when its new booking window would leave nothing bookable through one of
    its active calendars."""
    return entries.change(uow, SERVICES, clinic_id, service_id, expected_version,
                          _vetting(uow, clinic_id, details, reference, service_id), now)


def archive_service(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID, expected_version: int,
                    now: datetime) -> Service:
    """Refused while active plans sell sessions of it: change or archive those plans first."""
    return entries.archive(uow, SERVICES, clinic_id, service_id, expected_version,
                           lambda: {"plans": uow.plans.using_service(clinic_id, service_id)}, now)


def read_service(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    return entries.read(uow, SERVICES, clinic_id, service_id)


def offered_service(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    """The service as patients may see it: an archived one is not offered (NotFound)."""
    service = read_service(uow, clinic_id, service_id)
    if service.archived:
        raise NotFound("service")
    return service


def list_services(uow: UnitOfWork, clinic_id: uuid.UUID, listing: Listing,
                  provider_id: uuid.UUID | None = None) -> entries.Page[Service]:
    return entries.page(uow, SERVICES, clinic_id, listing, provider_id=provider_id)


def _vetting(uow: UnitOfWork, clinic_id: uuid.UUID, details: ServiceDetails, reference: ReferenceData,
             service_id: uuid.UUID | None = None) -> entries.Vet:
    """`service_id`: the service being changed (a new one has no calendars yet)."""

    def vet(clinic: Clinic) -> ServiceDetails:
        providers = uow.providers.states(clinic_id, details.provider_ids)
        calendars = [] if service_id is None else uow.calendars.of_service(clinic_id, service_id)
        entries.valid(check_service(details, clinic.profile.currency, reference, providers, calendars))
        return details

    return vet
