"""Who is calling: the authenticated principal every protected route acts for."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class AccountKind(enum.StrEnum):
    OPERATOR = "operator"  # runs the platform; belongs to no clinic
    STAFF = "staff"  # clinic admins, receptionists and other office roles
    PROVIDER = "provider"  # a specialist who treats patients
    PATIENT = "patient"


@dataclass(frozen=True)
class Principal:
    account_id: uuid.UUID
    kind: AccountKind
    clinic_id: uuid.UUID | None  # None only for platform operators
    session_id: uuid.UUID
    mfa_verified: bool  # this session was opened with a second factor
