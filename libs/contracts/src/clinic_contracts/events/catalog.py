"""Events published by the catalog service."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, Field

from clinic_contracts.envelope import Event


class ClinicUpsertedV1(Event):
    """A clinic was created or its profile changed. Carries the full snapshot so consumers can
    keep a read model without calling back."""

    event_type: ClassVar[str] = "catalog.clinic.upserted.v1"
    producer: ClassVar[str] = "catalog"

    clinic_id: uuid.UUID
    slug: str = Field(description="URL-safe handle used in public paths.")
    name: str
    timezone: str = Field(description="IANA time zone name, e.g. Europe/Bucharest.")
    currency: str = Field(description="ISO 4217 code, e.g. RON.")
    locale: str = Field(description="BCP 47 language tag, e.g. ro-RO.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool = False
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.clinic_id)
