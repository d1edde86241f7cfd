"""Use cases on clinics."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from catalog.domain.clinic import Clinic, ClinicProfile, ClinicRuleBroken
from catalog.domain.rules import ReferenceData, check_profile
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts import uuid7
from clinic_contracts.events.catalog import ClinicUpsertedV1


class InvalidClinic(Exception):
    def __init__(self, problems: list[ClinicRuleBroken]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class SlugTaken(Exception):
    pass


class UnknownClinic(Exception):
    pass


class StaleVersion(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(f"the clinic is at version {current}")
        self.current = current


@dataclass(frozen=True)
class ClinicChange:
    profile: ClinicProfile
    expected_version: int


def register_clinic(uow: UnitOfWork, profile: ClinicProfile, reference: ReferenceData, now: datetime) -> Clinic:
    _validate(profile, reference)
    if uow.clinics.by_slug(profile.slug) is not None:
        raise SlugTaken(profile.slug)
    clinic = Clinic.register(uuid7(), profile, now)
    uow.clinics.add(clinic)
    uow.publish(_snapshot(clinic), clinic_id=clinic.id)
    return clinic


def change_clinic(uow: UnitOfWork, clinic_id: uuid.UUID, change: ClinicChange, reference: ReferenceData,
                  now: datetime) -> Clinic:
    _validate(change.profile, reference)
    clinic = uow.clinics.get(clinic_id)
    if clinic is None:
        raise UnknownClinic(clinic_id)
    if clinic.version != change.expected_version:
        raise StaleVersion(clinic.version)
    other = uow.clinics.by_slug(change.profile.slug)
    if other is not None and other.id != clinic.id:
        raise SlugTaken(change.profile.slug)
    try:
        changed = clinic.change_profile(change.profile, now)
    except ClinicRuleBroken as broken:
        raise InvalidClinic([broken]) from None
    if changed is clinic:
        return clinic
    if not uow.clinics.save(changed, expected_version=clinic.version):
        # Another change committed between our read and our write.
        current = uow.clinics.get(clinic_id)
        raise StaleVersion(current.version if current else clinic.version)
    uow.publish(_snapshot(changed), clinic_id=changed.id)
    return changed


def _validate(profile: ClinicProfile, reference: ReferenceData) -> None:
    problems = check_profile(profile, reference)
    if problems:
        raise InvalidClinic(problems)


def _snapshot(clinic: Clinic) -> ClinicUpsertedV1:
    p = clinic.profile
    return ClinicUpsertedV1(
        clinic_id=clinic.id, slug=p.slug, name=p.name, timezone=p.timezone, currency=p.currency,
        locale=p.locale, version=clinic.version, archived=clinic.archived, updated_at=clinic.updated_at,
    )
