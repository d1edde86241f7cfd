"""Where scheduling keeps its clinic snapshots."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from scheduling.adapters.orm import clinic_directory
from scheduling.domain.clinic_directory import ClinicSnapshot


class ClinicDirectory(Protocol):
    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None: ...
    def put(self, snapshot: ClinicSnapshot, *, replacing: bool) -> None: ...


class SqlClinicDirectory:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None:
        row = self._session.execute(
            select(clinic_directory).where(clinic_directory.c.clinic_id == clinic_id)
        ).one_or_none()
        return ClinicSnapshot(**row._mapping) if row else None

    def put(self, snapshot: ClinicSnapshot, *, replacing: bool) -> None:
        values = asdict(snapshot)
        if replacing:
            self._session.execute(
                update(clinic_directory).where(clinic_directory.c.clinic_id == snapshot.clinic_id).values(**values)
            )
        else:
            self._session.execute(insert(clinic_directory).values(**values))
