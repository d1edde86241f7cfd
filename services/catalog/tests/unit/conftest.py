"""Fakes of catalog's ports, so domain rules and use cases are specified without a database.

`FakeUnitOfWork` satisfies `catalog.service_layer.unit_of_work.UnitOfWork`: in-memory repositories
and the list of events the use case published. `FakeReferenceData` satisfies
`catalog.domain.rules.ReferenceData` with a handful of known values; `FakeDocumentStore` satisfies
`catalog.adapters.document_store.DocumentStore`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Generic, TypeVar

import pytest

from catalog.adapters.document_store import DocumentStore
from catalog.adapters.entries import Listing
from catalog.adapters.entry_repositories import (
    CalendarRepository,
    PlanRepository,
    ProductRepository,
    ProviderRepository,
    ServiceRepository,
)
from catalog.adapters.locks import Lock
from catalog.adapters.repository import ClinicRepository
from catalog.domain.calendars import Calendar, CalendarDetails
from catalog.domain.clinic import Clinic, ClinicProfile
from catalog.domain.entries import CatalogEntry
from catalog.domain.plans import Plan, PlanDetails
from catalog.domain.products import Product, ProductDetails
from catalog.domain.providers import Provider, ProviderDetails
from catalog.domain.rules import ReferenceData
from catalog.domain.services import Service, ServiceDetails
from catalog.domain.values import Money
from catalog.service_layer.services import add_service
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts import Event

E = TypeVar("E", bound=CatalogEntry)


class FakeClinicRepository:
    def __init__(self) -> None:
        self._clinics: dict[uuid.UUID, Clinic] = {}
        self._concurrent_write: Clinic | None = None

    def get(self, clinic_id: uuid.UUID, lock: Lock | None = None) -> Clinic | None:
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


class FakeEntries(Generic[E]):
    """Entries of every clinic, found only within their own clinic."""

    def __init__(self) -> None:
        self._entries: dict[uuid.UUID, E] = {}
        self._concurrent_write: E | None = None

    def get(self, clinic_id: uuid.UUID, entry_id: uuid.UUID, lock: Lock | None = None) -> E | None:
        entry = self._entries.get(entry_id)
        return entry if entry is not None and entry.clinic_id == clinic_id else None

    def add(self, entry: E) -> None:
        if entry.id in self._entries:
            raise AssertionError(f"entry {entry.id} added twice")
        self._entries[entry.id] = entry

    def save(self, entry: E, expected_version: int) -> bool:
        if self._concurrent_write is not None:
            self._entries[self._concurrent_write.id] = self._concurrent_write
            self._concurrent_write = None
        held = self.get(entry.clinic_id, entry.id)
        if held is None or held.version != expected_version:
            return False
        self._entries[entry.id] = entry
        return True

    def page(self, clinic_id: uuid.UUID, listing: Listing, **filters: uuid.UUID | None) -> list[E]:
        listed = sorted((e for e in self._entries.values() if e.clinic_id == clinic_id
                         and (listing.status == "all" or e.archived == (listing.status == "archived"))
                         and (listing.after is None or e.id > listing.after)
                         and self._matches(e, **filters)), key=lambda e: e.id)
        return listed[:listing.limit + 1]

    def states(self, clinic_id: uuid.UUID, ids) -> dict[uuid.UUID, bool]:
        return {i: self._entries[i].archived for i in ids if self.get(clinic_id, i) is not None}

    def _matches(self, entry: E) -> bool:
        return True

    def _active(self, clinic_id: uuid.UUID, refers) -> list[uuid.UUID]:
        return sorted(e.id for e in self._entries.values()
                      if e.clinic_id == clinic_id and not e.archived and refers(e.details))

    # -- test controls, not part of the port --

    def someone_else_saves_first(self, entry: E) -> None:
        """Another writer stores `entry` between this use case's read and its save."""
        self._concurrent_write = entry

    def all(self) -> list[E]:
        return list(self._entries.values())


class FakePricedEntries(FakeEntries[E]):
    def priced(self, clinic_id: uuid.UUID) -> list[uuid.UUID]:
        return self._active(clinic_id, lambda d: d.price is not None)


class FakeProviders(FakeEntries[Provider]):
    def working_at(self, clinic_id: uuid.UUID, location_id: uuid.UUID) -> list[uuid.UUID]:
        return self._active(clinic_id, lambda d: location_id in d.location_ids)


class FakeServices(FakePricedEntries[Service]):
    def delivered_by(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> list[uuid.UUID]:
        return self._active(clinic_id, lambda d: provider_id in d.provider_ids)

    def _matches(self, entry: Service, provider_id: uuid.UUID | None = None) -> bool:
        return provider_id is None or provider_id in entry.details.provider_ids


class FakeCalendars(FakePricedEntries[Calendar]):
    def of_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[Calendar]:
        return [self._entries[i] for i in self._active(clinic_id, lambda d: d.service_id == service_id)]

    def _matches(self, entry: Calendar, service_id: uuid.UUID | None = None) -> bool:
        return service_id is None or entry.details.service_id == service_id


class FakePlans(FakePricedEntries[Plan]):
    def using_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[uuid.UUID]:
        return self._active(clinic_id, lambda d: service_id in d.service_ids)

    def bundling(self, clinic_id: uuid.UUID, product_id: uuid.UUID) -> list[uuid.UUID]:
        return self._active(clinic_id, lambda d: product_id in [p.product_id for p in d.products])

    def _matches(self, entry: Plan, service_id: uuid.UUID | None = None, product_id: uuid.UUID | None = None) -> bool:
        return ((service_id is None or service_id in entry.details.service_ids)
                and (product_id is None or product_id in [p.product_id for p in entry.details.products]))


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.clinics = FakeClinicRepository()
        self.providers = FakeProviders()
        self.services = FakeServices()
        self.calendars = FakeCalendars()
        self.plans = FakePlans()
        self.products: FakePricedEntries[Product] = FakePricedEntries()
        self.published: list[tuple[Event, uuid.UUID]] = []
        self._undos: list[Callable[[], None]] = []

    def publish(self, event: Event, *, clinic_id: uuid.UUID) -> None:
        self.published.append((event, clinic_id))

    def on_rollback(self, undo: Callable[[], None]) -> None:
        self._undos.append(undo)

    # -- test controls, not part of the port --

    def roll_back(self) -> None:
        """The transaction the use case ran in does not commit after all."""
        for undo in self._undos:
            undo()
        self._undos.clear()


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

    def mobile_number(self, raw: str, region: str | None) -> str | None:
        """Romanian mobiles only: +407xxxxxxxx, or 07xxxxxxxx dialled in RO; blanks ignored."""
        digits = raw.replace(" ", "")
        if region == "RO" and digits.startswith("07") and len(digits) == 10 and digits.isdigit():
            return "+40" + digits[1:]
        if digits.startswith("+407") and len(digits) == 12 and digits[1:].isdigit():
            return digits
        return None


class FakeDocumentStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, content: bytes) -> None:
        self.files[key] = content

    def get(self, key: str) -> bytes | None:
        return self.files.get(key)

    def remove(self, key: str) -> None:
        self.files.pop(key, None)


# The fakes must keep fitting the ports they stand in for (checked by type checkers).
_repository: ClinicRepository = FakeClinicRepository()
_providers: ProviderRepository = FakeProviders()
_services: ServiceRepository = FakeServices()
_calendars: CalendarRepository = FakeCalendars()
_plans: PlanRepository = FakePlans()
_products: ProductRepository = FakePricedEntries()
_uow: UnitOfWork = FakeUnitOfWork()
_reference: ReferenceData = FakeReferenceData()
_files: DocumentStore = FakeDocumentStore()


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


@pytest.fixture
def files() -> FakeDocumentStore:
    return FakeDocumentStore()


@pytest.fixture
def clinic(uow: FakeUnitOfWork, profile: ClinicProfile, now: datetime) -> Clinic:
    """A clinic (RON, ro-RO) held before the test starts, with no events recorded."""
    held = Clinic.register(uuid.uuid4(), profile, now)
    uow.clinics.add(held)
    return held


@pytest.fixture
def other_clinic(uow: FakeUnitOfWork, profile: ClinicProfile, now: datetime) -> Clinic:
    """Another tenant, held beside `clinic`."""
    held = Clinic.register(uuid.uuid4(), replace(profile, slug="physio-iasi", name="Physio Iasi"), now)
    uow.clinics.add(held)
    return held


@pytest.fixture
def service(uow: FakeUnitOfWork, clinic: Clinic, service_details, reference: FakeReferenceData, now: datetime) -> Service:
    """A service of `clinic` added before the test starts; its event is not part of the test."""
    added = add_service(uow, clinic.id, service_details(), reference, now)
    uow.published.clear()
    return added


# -- details of each kind of entry, valid unless changed ------------------------------------------


@pytest.fixture
def ron():
    def money(amount_minor: int = 20000, currency: str = "RON") -> Money:
        return Money(amount_minor, currency)

    return money


@pytest.fixture
def provider_details():
    def details(**changes) -> ProviderDetails:
        return replace(ProviderDetails(name="Dr. Ana Popescu", email="ana.popescu@dentalcare.ro", mobile=None,
                                       timezone="Europe/Bucharest"), **changes)

    return details


@pytest.fixture
def service_details(ron):
    def details(**changes) -> ServiceDetails:
        return replace(ServiceDetails(name="Physiotherapy session", description="One to one, 50 minutes.",
                                      duration_minutes=50, price=ron()), **changes)

    return details


@pytest.fixture
def calendar_details():
    def details(service_id: uuid.UUID, **changes) -> CalendarDetails:
        return replace(CalendarDetails(service_id=service_id, name="Standard", kind="standard",
                                       timezone="Europe/Bucharest"), **changes)

    return details


@pytest.fixture
def plan_details(ron):
    def details(**changes) -> PlanDetails:
        return replace(PlanDetails(name="10 sessions", description="Ten physiotherapy sessions.",
                                   kind="session_package", price=ron(150000), sessions=10), **changes)

    return details


@pytest.fixture
def product_details(ron):
    def details(**changes) -> ProductDetails:
        return replace(ProductDetails(name="Resistance band", description="Medium, 2 m.", price=ron(4500),
                                      metadata={"colour": "green"}), **changes)

    return details
