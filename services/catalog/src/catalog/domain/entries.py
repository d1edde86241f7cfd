"""What every entry of a clinic's catalog shares: identity, tenancy, a version for optimistic
concurrency, and archiving instead of deletion (history keeps referring to archived entries)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar, Generic, Self, TypeVar

from catalog.domain.errors import RuleBroken

Details = TypeVar("Details")


@dataclass(frozen=True)
class CatalogEntry(Generic[Details]):
    id: uuid.UUID
    clinic_id: uuid.UUID
    details: Details
    version: int
    updated_at: datetime
    archived: bool = False

    # What staff call it, in messages and as the field a refused change is reported against.
    noun: ClassVar[str]

    @classmethod
    def create(cls, entry_id: uuid.UUID, clinic_id: uuid.UUID, details: Details, now: datetime) -> Self:
        return cls(id=entry_id, clinic_id=clinic_id, details=details, version=1, updated_at=now)

    def change(self, details: Details, now: datetime) -> Self:
        """The entry with `details`, one version on; itself when nothing changes."""
        self.refuse_if_archived()
        if details == self.details:
            return self
        return replace(self, details=details, version=self.version + 1, updated_at=now)

    def archive(self, now: datetime) -> Self:
        """Archived, one version on; archiving again changes nothing."""
        if self.archived:
            return self
        return replace(self, archived=True, version=self.version + 1, updated_at=now)

    def refuse_if_archived(self) -> None:
        if self.archived:
            raise RuleBroken(self.noun, f"an archived {self.noun} cannot be changed")
