"""Scheduling's local knowledge of clinics, kept from catalog's events.

Events may arrive out of order (several relays, redeliveries), so a snapshot replaces the one
held only when its version is newer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ClinicSnapshot:
    clinic_id: uuid.UUID
    slug: str
    name: str
    timezone: str
    currency: str
    locale: str
    version: int
    archived: bool
    updated_at: datetime

    def supersedes(self, held: ClinicSnapshot | None) -> bool:
        return held is None or self.version > held.version
