"""Fakes of catalog's ports, so domain rules and use cases are specified without a database.

`FakeUnitOfWork` satisfies `catalog.service_layer.unit_of_work.UnitOfWork`: an in-memory
`ClinicRepository` and the list of events the use case published. `FakeReferenceData` satisfies
`catalog.domain.rules.ReferenceData` with a handful of known values.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from catalog.adapters.repository import ClinicRepository
from catalog.domain.clinic import Clinic, ClinicProfile
from catalog.domain.rules import ReferenceData
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts import Event


class FakeClinicRepository:
    def __init__(self) -> None:
        self._clinics: dict[uuid.UUID, Clinic] = {}
        self._concurrent_write: Clinic | None = None

    def get(self, clinic_id: uuid.UUID) -> Clinic | None:
        return self._clinics.get(clinic_id)

    def by_slug(self, slug: str) -> Clinic | None:
        return next((c for c in self._clinics.values() if c.profile.slug == slug), None)

    def add(self, clinic: Clinic) -> None:
        if clinic.id in self._clinics:
            raise AssertionError(f"clinic {clinic.id} added twice")
        self._clinics[clinic.id] = clinic

    def save(self, clinic: Clinic, expected_version: int) -> bool:
        if self._concurrent_write is not None:
            self._clinics[self._concurrent_write.id] = self._concurrent_write
            self._concurrent_write = None
        held = self._clinics.get(clinic.id)
        if held is None or held.version != expected_version:
            return False
        self._clinics[clinic.id] = clinic
        return True

    # -- test controls, not part of the port --

    def someone_else_saves_first(self, clinic: Clinic) -> None:
        """Another writer stores `clinic` between this use case's read and its save."""
        self._concurrent_write = clinic

    def all(self) -> list[Clinic]:
        return list(self._clinics.values())


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.clinics = FakeClinicRepository()
        self.published: list[tuple[Event, uuid.UUID]] = []

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None:
        self.published.append((event, clinic_id))


class FakeReferenceData:
    timezones = frozenset({"Europe/Bucharest", "Europe/London", "UTC"})
    currencies = frozenset({"RON", "EUR", "GBP"})
    locales = frozenset({"ro-RO", "en-GB", "en"})

    def is_timezone(self, name: str) -> bool:
        return name in self.timezones

    def is_currency(self, code: str) -> bool:
        return code in self.currencies

    def is_locale(self, tag: str) -> bool:
        return tag in self.locales


# The fakes must keep fitting the ports they stand in for (checked by type checkers).
_repository: ClinicRepository = FakeClinicRepository()
_uow: UnitOfWork = FakeUnitOfWork()
_reference: ReferenceData = FakeReferenceData()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def reference() -> FakeReferenceData:
    return FakeReferenceData()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)


@pytest.fixture
def later(now: datetime) -> datetime:
    return now.replace(hour=now.hour + 1)


@pytest.fixture
def profile() -> ClinicProfile:
    return ClinicProfile(
        slug="dental-care-cluj", name="Dental Care Cluj", timezone="Europe/Bucharest", currency="RON", locale="ro-RO"
    )
