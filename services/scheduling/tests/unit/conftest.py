"""An in-memory ClinicDirectory (scheduling.adapters.clinic_directory) and snapshot factory."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.adapters.clinic_directory import ClinicDirectory
from scheduling.domain.clinic_directory import ClinicSnapshot


class FakeClinicDirectory:
    """Behaves like the SQL adapter: `replacing=False` inserts (a duplicate key is an error),
    `replacing=True` updates a row that must exist."""

    def __init__(self) -> None:
        self._held: dict[uuid.UUID, ClinicSnapshot] = {}
        self.puts: list[tuple[int, bool]] = []

    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None:
        return self._held.get(clinic_id)

    def put(self, snapshot: ClinicSnapshot, *, replacing: bool) -> None:
        if replacing != (snapshot.clinic_id in self._held):
            raise AssertionError(f"put(replacing={replacing}) for a clinic that is "
                                 f"{'' if snapshot.clinic_id in self._held else 'not '}held")
        self._held[snapshot.clinic_id] = snapshot
        self.puts.append((snapshot.version, replacing))


_directory: ClinicDirectory = FakeClinicDirectory()  # keeps the fake fitting the port


@pytest.fixture
def directory() -> FakeClinicDirectory:
    return FakeClinicDirectory()


CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")


@pytest.fixture
def snapshot() -> Callable[..., ClinicSnapshot]:
    """A snapshot of one clinic at `version` (its name and time follow the version)."""
    base = ClinicSnapshot(
        clinic_id=CLINIC_ID, slug="dental-care-cluj", name="Dental Care Cluj", timezone="Europe/Bucharest",
        currency="RON", locale="ro-RO", version=1, archived=False,
        updated_at=datetime(2026, 3, 14, 9, 0, tzinfo=UTC),
    )

    def at(version: int, **changes) -> ClinicSnapshot:
        following = {"name": f"Dental Care Cluj v{version}", "updated_at": base.updated_at + timedelta(minutes=version)}
        return replace(base, version=version, **{**following, **changes})

    return at
