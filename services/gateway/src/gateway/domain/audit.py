"""The access audit: who did what to whose access, when, and what it was before and after.

Entries never carry an email address, a phone number, a password or a code: only account ids,
the client address and small before/after facts.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class AuditAction(enum.StrEnum):
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_THROTTLED = "login.throttled"
    MFA_ENROLLED = "mfa.enrolled"
    MFA_DISABLED = "mfa.disabled"
    MFA_RESET = "mfa.reset"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET = "password.reset"
    SESSION_REVOKED = "session.revoked"
    ACCOUNT_CREATED = "account.created"
    CLINIC_MFA_POLICY_CHANGED = "clinic.mfa_policy.changed"


@dataclass(frozen=True)
class AuditEntry:
    id: uuid.UUID
    clinic_id: uuid.UUID | None  # None: the platform's own accounts, or an address no account has
    at: datetime
    actor_id: uuid.UUID | None  # who acted; None when nobody was signed in
    subject_id: uuid.UUID | None  # whose access it was about
    action: AuditAction
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    client_address: str | None
