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
    """Keeps snapshots in memory by the domain's rule; `stored` lists the versions it stored."""

    def __init__(self) -> None:
        self._held: dict[uuid.UUID, ClinicSnapshot] = {}
        self.stored: list[int] = []

    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None:
        return self._held.get(clinic_id)

    def keep_newest(self, snapshot: ClinicSnapshot) -> bool:
        if not snapshot.supersedes(self._held.get(snapshot.clinic_id)):
            return False
        self._held[snapshot.clinic_id] = snapshot
        self.stored.append(snapshot.version)
        return True


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
