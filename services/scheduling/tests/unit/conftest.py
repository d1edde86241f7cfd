"""In-memory read models (scheduling.adapters.clinic_directory, scheduling.adapters.offerings)
and snapshot factories."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Generic, TypeVar

import pytest

from scheduling.adapters.clinic_directory import ClinicDirectory
from scheduling.adapters.offerings import CalendarDirectory, ProviderDirectory, ServiceDirectory
from scheduling.domain.clinic_directory import ClinicSnapshot
from scheduling.domain.offerings import (
    CalendarSnapshot,
    HourWindow,
    Money,
    ProviderSnapshot,
    RefundPolicy,
    Reminders,
    RequiredForm,
    ServiceSnapshot,
)

S = TypeVar("S", ClinicSnapshot, ProviderSnapshot, ServiceSnapshot, CalendarSnapshot)


class FakeDirectory(Generic[S]):
    """Keeps snapshots in memory by the domain's rule, under `key`; `stored` lists the versions
    it stored."""

    def __init__(self, key: Callable[[S], tuple]) -> None:
        self._key = key
        self.held: dict[tuple, S] = {}
        self.stored: list[int] = []

    def keep_newest(self, snapshot: S) -> bool:
        if not snapshot.supersedes(self.held.get(self._key(snapshot))):
            return False
        self.held[self._key(snapshot)] = snapshot
        self.stored.append(snapshot.version)
        return True


class FakeClinicDirectory(FakeDirectory[ClinicSnapshot]):
    def __init__(self) -> None:
        super().__init__(lambda snapshot: (snapshot.clinic_id,))

    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None:
        return self.held.get((clinic_id,))


class FakeProviderDirectory(FakeDirectory[ProviderSnapshot]):
    def __init__(self) -> None:
        super().__init__(lambda snapshot: (snapshot.clinic_id, snapshot.provider_id))

    def get(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderSnapshot | None:
        return self.held.get((clinic_id, provider_id))


class FakeServiceDirectory(FakeDirectory[ServiceSnapshot]):
    def __init__(self) -> None:
        super().__init__(lambda snapshot: (snapshot.clinic_id, snapshot.service_id))

    def get(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> ServiceSnapshot | None:
        return self.held.get((clinic_id, service_id))


class FakeCalendarDirectory(FakeDirectory[CalendarSnapshot]):
    def __init__(self) -> None:
        super().__init__(lambda snapshot: (snapshot.clinic_id, snapshot.calendar_id))

    def of_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[CalendarSnapshot]:
        return sorted((calendar for calendar in self.held.values()
                       if (calendar.clinic_id, calendar.service_id) == (clinic_id, service_id)),
                      key=lambda calendar: (calendar.name, calendar.calendar_id))


# Keep the fakes fitting their ports.
_ports: tuple[ClinicDirectory, ProviderDirectory, ServiceDirectory, CalendarDirectory] = (
    FakeClinicDirectory(), FakeProviderDirectory(), FakeServiceDirectory(), FakeCalendarDirectory(),
)


@pytest.fixture
def directory() -> FakeClinicDirectory:
    return FakeClinicDirectory()


@pytest.fixture
def providers() -> FakeProviderDirectory:
    return FakeProviderDirectory()


@pytest.fixture
def services() -> FakeServiceDirectory:
    return FakeServiceDirectory()


@pytest.fixture
def calendars() -> FakeCalendarDirectory:
    return FakeCalendarDirectory()


CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
PROVIDER_ID = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01")
SERVICE_ID = uuid.UUID("0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f01")
CALENDAR_ID = uuid.UUID("0190f3a5-4e5f-7061-8293-4d5e6f7a8b01")
UPDATED_AT = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def _versioned(base: S) -> Callable[..., S]:
    """A factory of `base` at a version: its name and time follow the version."""

    def at(version: int, **changes) -> S:
        following = {"name": f"{base.name} v{version}", "updated_at": base.updated_at + timedelta(minutes=version)}
        return replace(base, version=version, **{**following, **changes})

    return at


@pytest.fixture
def snapshot() -> Callable[..., ClinicSnapshot]:
    """A snapshot of one clinic at `version`."""
    return _versioned(ClinicSnapshot(
        clinic_id=CLINIC_ID, slug="dental-care-cluj", name="Dental Care Cluj", timezone="Europe/Bucharest",
        currency="RON", locale="ro-RO", version=1, archived=False, updated_at=UPDATED_AT,
        cancellation_window_hours=24, refund_policy=RefundPolicy("full", None, ""),
    ))


@pytest.fixture
def provider() -> Callable[..., ProviderSnapshot]:
    """A snapshot of one specialist at `version`."""
    return _versioned(ProviderSnapshot(
        clinic_id=CLINIC_ID, provider_id=PROVIDER_ID, name="Dr. Ana Popescu", timezone="Europe/Bucharest",
        location_ids=(uuid.UUID("0190f3a2-7d2f-7c5e-8b64-3f9e5d2e8b01"),), version=1, archived=False,
        updated_at=UPDATED_AT,
    ))


@pytest.fixture
def service() -> Callable[..., ServiceSnapshot]:
    """A snapshot of one service at `version`."""
    return _versioned(ServiceSnapshot(
        clinic_id=CLINIC_ID, service_id=SERVICE_ID, name="Physiotherapy session", duration_minutes=50,
        price=Money(20000, "RON"), buffer_before_minutes=5, buffer_after_minutes=10, provider_ids=(PROVIDER_ID,),
        required_forms=(RequiredForm("intake", "physio-intake"),), cancellation_window_hours=48,
        refund_policy=None, reminders=Reminders(before_24h=True, before_1h=False), version=1, archived=False,
        updated_at=UPDATED_AT,
    ))


@pytest.fixture
def calendar() -> Callable[..., CalendarSnapshot]:
    """A snapshot of one booking calendar at `version`."""
    return _versioned(CalendarSnapshot(
        clinic_id=CLINIC_ID, calendar_id=CALENDAR_ID, service_id=SERVICE_ID, name="Spring promotion",
        kind="promotion", price=Money(15000, "RON"), timezone="Europe/Bucharest",
        hours=(HourWindow(1, "09:00", "13:00"),), bookable_from=date(2026, 4, 1), bookable_until=date(2026, 4, 30),
        version=1, archived=False, updated_at=UPDATED_AT,
    ))
