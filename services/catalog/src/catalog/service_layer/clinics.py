"""Use cases on clinics and their locations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from catalog.adapters.locks import Lock
from catalog.domain.clinic import Clinic, ClinicProfile, ClinicRuleBroken, LocationDetails
from catalog.domain.errors import RuleBroken
from catalog.domain.rules import ReferenceData, check_location, check_profile
from catalog.service_layer.errors import InUse
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts import uuid7
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion


class InvalidClinic(Invalid):
    pass


class SlugTaken(Exception):
    pass


class UnknownClinic(NotFound):
    def __init__(self, clinic_id: uuid.UUID) -> None:
        super().__init__("clinic")
        self.clinic_id = clinic_id


@dataclass(frozen=True)
class ClinicChange:
    profile: ClinicProfile
    expected_version: int


def clinic(uow: UnitOfWork, clinic_id: uuid.UUID, lock: Lock | None = None) -> Clinic:
    """The clinic, or UnknownClinic: where every use case on a clinic's catalog starts. A change
    vetted against its profile (its currency, its locations) holds it "share" until it commits."""
    found = uow.clinics.get(clinic_id, lock)
    if found is None:
        raise UnknownClinic(clinic_id)
    return found


def register_clinic(uow: UnitOfWork, profile: ClinicProfile, reference: ReferenceData, now: datetime) -> Clinic:
    _validate(profile, reference)
    if uow.clinics.by_slug(profile.slug) is not None:
        raise SlugTaken(profile.slug)
    registered = Clinic.register(uuid7(), profile, now)
    uow.clinics.add(registered)
    uow.publish(_snapshot(registered), clinic_id=registered.id)
    return registered


def change_clinic(uow: UnitOfWork, clinic_id: uuid.UUID, change: ClinicChange, reference: ReferenceData,
                  now: datetime) -> Clinic:
    """The currency changes only while no active entry has a price (InUse otherwise)."""
    _validate(change.profile, reference)
    held = _at_version(uow, clinic_id, change.expected_version)
    other = uow.clinics.by_slug(change.profile.slug)
    if other is not None and other.id != held.id:
        raise SlugTaken(change.profile.slug)
    if change.profile.currency != held.profile.currency:
        _refuse_while_priced(uow, clinic_id)
    try:
        changed = held.change_profile(change.profile, now)
    except ClinicRuleBroken as broken:
        raise InvalidClinic([broken]) from None
    return _store(uow, held, changed)


# -- locations: part of the clinic, so each change is a change of the clinic ------------------


def add_location(uow: UnitOfWork, clinic_id: uuid.UUID, details: LocationDetails, expected_version: int,
                 reference: ReferenceData, now: datetime) -> tuple[Clinic, uuid.UUID]:
    """The changed clinic and the new location's id."""
    held = _at_version(uow, clinic_id, expected_version)
    _validate_location(details, reference)
    location_id = uuid7()
    return _store(uow, held, _ruled(lambda: held.add_location(location_id, details, now))), location_id


def change_location(uow: UnitOfWork, clinic_id: uuid.UUID, location_id: uuid.UUID, details: LocationDetails,
                    expected_version: int, reference: ReferenceData, now: datetime) -> Clinic:
    held = _at_version(uow, clinic_id, expected_version, location_id)
    _validate_location(details, reference)
    return _store(uow, held, _ruled(lambda: held.change_location(location_id, details, now)))


def archive_location(uow: UnitOfWork, clinic_id: uuid.UUID, location_id: uuid.UUID, expected_version: int,
                     now: datetime) -> Clinic:
    """Refused (InUse) while active specialists work there: archive or move them first."""
    held = _at_version(uow, clinic_id, expected_version, location_id)
    working = uow.providers.working_at(clinic_id, location_id)
    if working:
        raise InUse("location", {"providers": working})
    return _store(uow, held, _ruled(lambda: held.archive_location(location_id, now)))


# -- shared steps -----------------------------------------------------------------------------


def _at_version(uow: UnitOfWork, clinic_id: uuid.UUID, expected_version: int,
                location_id: uuid.UUID | None = None) -> Clinic:
    """The clinic about to be changed, held "update": what it is checked against (its priced
    entries, the specialists at a location) gains no entry vetted against the old profile meanwhile."""
    held = clinic(uow, clinic_id, lock="update")
    if location_id is not None and held.location(location_id) is None:
        raise NotFound("location")
    if held.version != expected_version:
        raise StaleVersion(held.version)
    return held


def _store(uow: UnitOfWork, held: Clinic, changed: Clinic) -> Clinic:
    if changed is held:
        return held
    if not uow.clinics.save(changed, expected_version=held.version):
        # Another change committed between our read and our write.
        current = uow.clinics.get(held.id)
        raise StaleVersion(current.version if current else held.version)
    uow.publish(_snapshot(changed), clinic_id=changed.id)
    return changed


def _refuse_while_priced(uow: UnitOfWork, clinic_id: uuid.UUID) -> None:
    # One currency per clinic, and prices are never converted: a price left in the old one would
    # be shown beside the new one, and its entry could not even be saved again unchanged.
    priced = {"services": uow.services.priced(clinic_id), "calendars": uow.calendars.priced(clinic_id),
              "plans": uow.plans.priced(clinic_id), "products": uow.products.priced(clinic_id)}
    in_use = {noun: ids for noun, ids in priced.items() if ids}
    if in_use:
        raise InUse("currency", in_use)


def _ruled(change):
    try:
        return change()
    except RuleBroken as broken:
        raise InvalidClinic([broken]) from None


def _validate(profile: ClinicProfile, reference: ReferenceData) -> None:
    problems = check_profile(profile, reference)
    if problems:
        raise InvalidClinic(problems)


def _validate_location(details: LocationDetails, reference: ReferenceData) -> None:
    problems = check_location(details, reference)
    if problems:
        raise InvalidClinic(problems)


def _snapshot(snapshotted: Clinic) -> ClinicUpsertedV1:
    p = snapshotted.profile
    return ClinicUpsertedV1(
        clinic_id=snapshotted.id, slug=p.slug, name=p.name, timezone=p.timezone, currency=p.currency,
        locale=p.locale, version=snapshotted.version, archived=snapshotted.archived,
        updated_at=snapshotted.updated_at,
        locations=[events.Location(location_id=location.id, name=location.details.name,
                                   address=location.details.address, timezone=location.details.timezone,
                                   archived=location.archived) for location in snapshotted.locations],
        cancellation_window_hours=p.cancellation_window_hours,
        refund_policy=events.RefundPolicy(kind=p.refund_policy.kind, percent=p.refund_policy.percent,
                                          text=p.refund_policy.text),
    )
