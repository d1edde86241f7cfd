"""Role assignments: which roles a principal (an account at the gateway) holds in a clinic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Assignment:
    clinic_id: uuid.UUID
    principal_id: uuid.UUID
    role_key: str
    granted_by: uuid.UUID | None  # None when the platform itself granted it
    granted_at: datetime
