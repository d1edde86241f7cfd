"""The clinic's patients, as entitlements keeps them from scheduling's events: enough to answer
for a patient's login (their account) in decisions. Scheduling owns them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class PatientRecord:
    clinic_id: uuid.UUID
    patient_id: uuid.UUID
    account_id: uuid.UUID | None  # their login at the gateway, when they have one
    version: int
    archived: bool
