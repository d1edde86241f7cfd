"""A login session: what a refresh token keeps alive and an access token points back to.

Revoking the session (logout, a changed or reset password, a refresh token used twice) makes
every access token of it refused at once, and its refresh tokens worthless.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime


class RevocationReason(enum.StrEnum):
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"


@dataclass(frozen=True)
class LoginSession:
    id: uuid.UUID
    account_id: uuid.UUID
    clinic_id: uuid.UUID | None
    mfa_verified: bool
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class RefreshOutcome(enum.Enum):
    ROTATED = "rotated"  # first use of a current token: it is spent now
    REUSED = "reused"  # a token already exchanged: someone else may hold it
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RefreshUse:
    outcome: RefreshOutcome
    session_id: uuid.UUID | None = None
