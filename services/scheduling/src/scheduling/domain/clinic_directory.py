"""Scheduling's local knowledge of clinics, kept from catalog's events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from scheduling.domain.offerings import RefundPolicy
from scheduling.domain.snapshots import Snapshot


@dataclass(frozen=True)
class ClinicSnapshot(Snapshot):
    clinic_id: uuid.UUID
    slug: str
    name: str
    timezone: str
    currency: str
    locale: str
    version: int
    archived: bool
    updated_at: datetime
    # The defaults of the clinic's services (a service's own policy, when it has one, wins).
    cancellation_window_hours: int
    refund_policy: RefundPolicy
