"""Where scheduling keeps its clinic snapshots."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Protocol

from sqlalchemy import Boolean, Integer, String, Uuid, bindparam, select, text
from sqlalchemy.orm import Session

from clinic_runtime.db import UtcDateTime
from scheduling.adapters.orm import clinic_directory
from scheduling.domain.clinic_directory import ClinicSnapshot


class ClinicDirectory(Protocol):
    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None: ...

    def keep_newest(self, snapshot: ClinicSnapshot) -> bool:
        """Store `snapshot` unless the one held supersedes it (ClinicSnapshot.supersedes);
        True when it was stored."""


# One statement instead of read-then-write: this runs for every catalog event. The WHERE is
# ClinicSnapshot.supersedes in SQL; PostgreSQL and SQLite (3.35+) both speak it.
_KEEP_NEWEST = text(
    "INSERT INTO clinic_directory "
    "(clinic_id, slug, name, timezone, currency, locale, version, archived, updated_at) "
    "VALUES (:clinic_id, :slug, :name, :timezone, :currency, :locale, :version, :archived, :updated_at) "
    "ON CONFLICT (clinic_id) DO UPDATE SET slug = excluded.slug, name = excluded.name, "
    "timezone = excluded.timezone, currency = excluded.currency, locale = excluded.locale, "
    "version = excluded.version, archived = excluded.archived, updated_at = excluded.updated_at "
    "WHERE clinic_directory.version < excluded.version "
    "RETURNING clinic_id"
).bindparams(
    bindparam("clinic_id", type_=Uuid),
    bindparam("version", type_=Integer),
    bindparam("archived", type_=Boolean),
    bindparam("updated_at", type_=UtcDateTime),
    *(bindparam(name, type_=String) for name in ("slug", "name", "timezone", "currency", "locale")),
)


class SqlClinicDirectory:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None:
        row = self._session.execute(
            select(clinic_directory).where(clinic_directory.c.clinic_id == clinic_id)
        ).one_or_none()
        return ClinicSnapshot(**row._mapping) if row else None

    def keep_newest(self, snapshot: ClinicSnapshot) -> bool:
        return self._session.execute(_KEEP_NEWEST, asdict(snapshot)).first() is not None
