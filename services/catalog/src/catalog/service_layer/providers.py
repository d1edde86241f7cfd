"""Use cases on providers (specialists)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from catalog.adapters.entries import Listing
from catalog.domain.clinic import Clinic
from catalog.domain.providers import Provider, ProviderDetails, check_provider
from catalog.domain.rules import ReferenceData, region_of
from catalog.service_layer import entries
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts.events.catalog import ProviderArchivedV1, ProviderSnapshot, ProviderUpsertedV1


def snapshot(event: type[ProviderSnapshot], provider: Provider) -> ProviderSnapshot:
    d = provider.details
    return event(
        clinic_id=provider.clinic_id, provider_id=provider.id, name=d.name, email=d.email, mobile=d.mobile,
        timezone=d.timezone, location_ids=list(d.location_ids), version=provider.version,
        archived=provider.archived, updated_at=provider.updated_at,
    )


PROVIDERS = entries.Kind(
    Provider, lambda uow: uow.providers,
    upserted=lambda provider: snapshot(ProviderUpsertedV1, provider),
    archived=lambda provider: snapshot(ProviderArchivedV1, provider),
)


def add_provider(uow: UnitOfWork, clinic_id: uuid.UUID, details: ProviderDetails, reference: ReferenceData,
                 now: datetime) -> Provider:
    return entries.add(uow, PROVIDERS, clinic_id, _vetting(details, reference), now)


def change_provider(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, details: ProviderDetails,
                    expected_version: int, reference: ReferenceData, now: datetime) -> Provider:
    return entries.change(uow, PROVIDERS, clinic_id, provider_id, expected_version, _vetting(details, reference), now)


def archive_provider(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, expected_version: int,
                     now: datetime) -> Provider:
    """Refused while active services are delivered by them: reassign those first."""
    return entries.archive(uow, PROVIDERS, clinic_id, provider_id, expected_version,
                           lambda: {"services": uow.services.delivered_by(clinic_id, provider_id)}, now)


def read_provider(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> Provider:
    return entries.read(uow, PROVIDERS, clinic_id, provider_id)


def list_providers(uow: UnitOfWork, clinic_id: uuid.UUID, listing: Listing) -> entries.Page[Provider]:
    return entries.page(uow, PROVIDERS, clinic_id, listing)


def _vetting(details: ProviderDetails, reference: ReferenceData) -> entries.Vet:
    def vet(clinic: Clinic) -> ProviderDetails:
        # A national number is read as dialled in the clinic's country.
        region = region_of(clinic.profile.locale)
        entries.valid(check_provider(details, reference, region, clinic.location_states()))
        mobile = None if details.mobile is None else reference.mobile_number(details.mobile, region)
        return replace(details, mobile=mobile)

    return vet
