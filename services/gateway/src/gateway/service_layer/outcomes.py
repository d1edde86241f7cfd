"""Refusals a use case returns instead of raising, because they must be remembered.

A failed login attempt counts towards the throttle and is audited, a reused refresh token
revokes its session: those effects are committed even though the client is refused. Use cases
raise for every other refusal, and then nothing they did is kept.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Refusal(enum.StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"  # unknown address or wrong password: one answer
    INVALID_MFA_TOKEN = "invalid_mfa_token"  # expired, used or forged: log in again
    INVALID_SECOND_FACTOR = "invalid_second_factor"  # wrong, replayed or stale code, spent recovery code
    INVALID_REFRESH_TOKEN = "invalid_refresh_token"
    WRONG_PASSWORD = "wrong_password"  # a signed-in account's current password, when changing things


@dataclass(frozen=True)
class Refused:
    refusal: Refusal


@dataclass(frozen=True)
class Throttled:
    retry_after_seconds: int
