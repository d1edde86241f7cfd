"""Where clinics are kept: an interface, its SQLAlchemy adapter."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from catalog.adapters.locks import Lock, locked
from catalog.adapters.orm import clinics, locations
from catalog.domain.clinic import Clinic, ClinicProfile, Location, LocationDetails
from catalog.domain.values import RefundPolicy


class ClinicRepository(Protocol):
    def get(self, clinic_id: uuid.UUID, lock: Lock | None = None) -> Clinic | None:
        """With `lock`, its row is held so until the transaction ends (catalog.adapters.locks)."""
    def by_slug(self, slug: str) -> Clinic | None: ...
    def add(self, clinic: Clinic) -> None: ...
    def save(self, clinic: Clinic, expected_version: int) -> bool:
        """Store a changed clinic if it is still at `expected_version`; False otherwise."""


class SqlClinicRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, lock: Lock | None = None) -> Clinic | None:
        row = self._session.execute(locked(select(clinics).where(clinics.c.id == clinic_id), lock)).one_or_none()
        return self._to_clinic(row) if row else None

    def by_slug(self, slug: str) -> Clinic | None:
        row = self._session.execute(select(clinics).where(clinics.c.slug == slug)).one_or_none()
        return self._to_clinic(row) if row else None

    def add(self, clinic: Clinic) -> None:
        self._session.execute(insert(clinics).values(id=clinic.id, **_columns(clinic)))
        self._insert_locations(clinic, clinic.locations)

    def save(self, clinic: Clinic, expected_version: int) -> bool:
        result = self._session.execute(
            update(clinics)
            .where(clinics.c.id == clinic.id, clinics.c.version == expected_version)
            .values(**_columns(clinic))
        )
        if result.rowcount != 1:
            return False
        # Locations are never deleted (specialists refer to them): update the held, add the new.
        held = set(self._session.scalars(select(locations.c.id).where(locations.c.clinic_id == clinic.id)))
        for position, location in enumerate(clinic.locations):
            if location.id in held:
                self._session.execute(
                    update(locations)
                    .where(locations.c.clinic_id == clinic.id, locations.c.id == location.id)
                    .values(**_location_columns(location, position))
                )
        self._insert_locations(clinic, [location for location in clinic.locations if location.id not in held])
        return True

    def _insert_locations(self, clinic: Clinic, new: list[Location] | tuple[Location, ...]) -> None:
        positions = {location.id: position for position, location in enumerate(clinic.locations)}
        if new:
            self._session.execute(insert(locations), [
                {"id": location.id, "clinic_id": clinic.id, **_location_columns(location, positions[location.id])}
                for location in new
            ])

    def _to_clinic(self, row) -> Clinic:
        held = self._session.execute(
            select(locations).where(locations.c.clinic_id == row.id).order_by(locations.c.position)
        )
        return Clinic(
            id=row.id,
            profile=ClinicProfile(row.slug, row.name, row.timezone, row.currency, row.locale,
                                  row.cancellation_window_hours,
                                  RefundPolicy(row.refund_kind, row.refund_percent, row.refund_text)),
            version=row.version,
            updated_at=row.updated_at,
            archived=row.archived,
            locations=tuple(Location(loc.id, LocationDetails(loc.name, loc.address, loc.timezone), loc.archived)
                            for loc in held),
        )


def _columns(clinic: Clinic) -> dict[str, object]:
    p = clinic.profile
    return dict(slug=p.slug, name=p.name, timezone=p.timezone, currency=p.currency, locale=p.locale,
                version=clinic.version, archived=clinic.archived, updated_at=clinic.updated_at,
                cancellation_window_hours=p.cancellation_window_hours, refund_kind=p.refund_policy.kind,
                refund_percent=p.refund_policy.percent, refund_text=p.refund_policy.text)


def _location_columns(location: Location, position: int) -> dict[str, object]:
    d = location.details
    return dict(name=d.name, address=d.address, timezone=d.timezone, archived=location.archived, position=position)
