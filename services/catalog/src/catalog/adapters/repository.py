"""Where clinics are kept: an interface, its SQLAlchemy adapter."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from catalog.adapters.orm import clinics
from catalog.domain.clinic import Clinic, ClinicProfile


class ClinicRepository(Protocol):
    def get(self, clinic_id: uuid.UUID) -> Clinic | None: ...
    def by_slug(self, slug: str) -> Clinic | None: ...
    def add(self, clinic: Clinic) -> None: ...
    def save(self, clinic: Clinic, expected_version: int) -> bool:
        """Store a changed clinic if it is still at `expected_version`; False otherwise."""


class SqlClinicRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID) -> Clinic | None:
        row = self._session.execute(select(clinics).where(clinics.c.id == clinic_id)).one_or_none()
        return _to_clinic(row) if row else None

    def by_slug(self, slug: str) -> Clinic | None:
        row = self._session.execute(select(clinics).where(clinics.c.slug == slug)).one_or_none()
        return _to_clinic(row) if row else None

    def add(self, clinic: Clinic) -> None:
        self._session.execute(insert(clinics).values(id=clinic.id, **_columns(clinic)))

    def save(self, clinic: Clinic, expected_version: int) -> bool:
        result = self._session.execute(
            update(clinics)
            .where(clinics.c.id == clinic.id, clinics.c.version == expected_version)
            .values(**_columns(clinic))
        )
        return result.rowcount == 1


def _columns(clinic: Clinic) -> dict[str, object]:
    p = clinic.profile
    return dict(slug=p.slug, name=p.name, timezone=p.timezone, currency=p.currency, locale=p.locale,
                version=clinic.version, archived=clinic.archived, updated_at=clinic.updated_at)


def _to_clinic(row) -> Clinic:
    return Clinic(
        id=row.id,
        profile=ClinicProfile(row.slug, row.name, row.timezone, row.currency, row.locale),
        version=row.version,
        updated_at=row.updated_at,
        archived=row.archived,
    )
