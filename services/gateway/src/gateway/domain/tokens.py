"""The tokens a client holds: a signed access token, an opaque refresh token, and signed
single-use tokens for the links and steps that stand in for a password.

- Access token: a JWT (HS256), valid five minutes, naming the account, its kind and clinic, the
  session it belongs to and whether that session was opened with a second factor. Its `kid`
  header names the key that signed it, so a new key can be introduced while tokens signed with
  the previous one are still accepted.
- Refresh token: 32 random bytes, stored only as their SHA-256, valid 14 days and exchanged
  for a new one on every use.
- One-time tokens (login's second step, password reset, invitation, confirming a sign-up): JWTs
  whose audience names their purpose, so none is ever accepted where another kind is expected;
  their single use is recorded in the database by the caller.
- Booking token: a JWT of its own audience naming one booking (an appointment) and its clinic,
  given to whoever booked it so they can read that booking without an account. It is no login:
  its audience is never the API's, so neither token is accepted in the other's place.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from gateway.domain.principal import AccountKind

ALGORITHM = "HS256"
ISSUER = "clinic-platform/gateway"
API_AUDIENCE = "clinic-platform/api"
BOOKING_AUDIENCE = "clinic-platform/booking"
MIN_KEY_LENGTH = 32  # HS256 wants at least its output size of key material
ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
REFRESH_TOKEN_LIFETIME = timedelta(days=14)


class Purpose(enum.StrEnum):
    MFA_LOGIN = "mfa_login"  # the second step of a login
    PASSWORD_RESET = "password_reset"
    INVITATION = "invitation"  # an account created by someone else sets its first password
    REGISTRATION = "registration"  # a patient who signed up proves the address


LIFETIMES = {
    Purpose.MFA_LOGIN: timedelta(minutes=5),
    Purpose.PASSWORD_RESET: timedelta(minutes=30),
    Purpose.INVITATION: timedelta(days=3),
    Purpose.REGISTRATION: timedelta(days=2),
}


class TokenRefused(Exception):
    """Not a token this platform issued for this use: tampered, signed with an unknown key, of
    the wrong kind, or malformed."""


class TokenExpired(TokenRefused):
    pass


@dataclass(frozen=True)
class AccessClaims:
    account_id: uuid.UUID
    kind: AccountKind
    clinic_id: uuid.UUID | None
    session_id: uuid.UUID
    mfa_verified: bool
    expires_at: datetime


@dataclass(frozen=True)
class OneTimeClaims:
    token_id: uuid.UUID
    account_id: uuid.UUID
    purpose: Purpose
    expires_at: datetime


@dataclass(frozen=True)
class BookingClaims:
    booking_id: uuid.UUID
    clinic_id: uuid.UUID
    expires_at: datetime


def key_id(key: str) -> str:
    """A public name for a key: a prefix of its hash, useless for guessing the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of an opaque token: enough to recognise it, never to use it."""
    return hashlib.sha256(token.encode()).hexdigest()


def _audience(purpose: Purpose) -> str:
    return f"clinic-platform/{purpose}"


class TokenCodec:
    """Signs with `signing_key`; verifies with it or any of `previous_keys` (key rotation)."""

    def __init__(self, signing_key: str, previous_keys: Iterable[str] = ()) -> None:
        keys = [signing_key, *previous_keys]
        if any(len(key) < MIN_KEY_LENGTH for key in keys):
            raise ValueError(f"a token signing key must be at least {MIN_KEY_LENGTH} characters")
        self._signing = (key_id(signing_key), signing_key)
        self._keys = {key_id(key): key for key in keys}

    # -- access tokens ----------------------------------------------------------------------------

    def access_token(self, account_id: uuid.UUID, kind: AccountKind, clinic_id: uuid.UUID | None,
                     session_id: uuid.UUID, mfa_verified: bool, now: datetime) -> tuple[str, AccessClaims]:
        expires_at = now + ACCESS_TOKEN_LIFETIME
        token = self._sign({
            "sub": str(account_id), "kind": str(kind), "clinic_id": None if clinic_id is None else str(clinic_id),
            "sid": str(session_id), "mfa": mfa_verified, "aud": API_AUDIENCE,
            "iat": int(now.timestamp()), "exp": int(expires_at.timestamp()),
        })
        return token, AccessClaims(account_id, kind, clinic_id, session_id, mfa_verified, expires_at)

    def read_access_token(self, token: str, now: datetime) -> AccessClaims:
        claims = self._verify(token, [API_AUDIENCE], now)
        try:
            return AccessClaims(
                account_id=uuid.UUID(claims["sub"]),
                kind=AccountKind(claims["kind"]),
                clinic_id=None if claims["clinic_id"] is None else uuid.UUID(claims["clinic_id"]),
                session_id=uuid.UUID(claims["sid"]),
                mfa_verified=claims["mfa"] is True,
                expires_at=datetime.fromtimestamp(claims["exp"], now.tzinfo),
            )
        except (KeyError, TypeError, ValueError):
            raise TokenRefused("the token's claims are malformed") from None

    # -- one-time tokens --------------------------------------------------------------------------

    def one_time_token(self, token_id: uuid.UUID, account_id: uuid.UUID, purpose: Purpose,
                       now: datetime) -> tuple[str, OneTimeClaims]:
        expires_at = now + LIFETIMES[purpose]
        token = self._sign({
            "jti": str(token_id), "sub": str(account_id), "purpose": str(purpose), "aud": _audience(purpose),
            "iat": int(now.timestamp()), "exp": int(expires_at.timestamp()),
        })
        return token, OneTimeClaims(token_id, account_id, purpose, expires_at)

    def read_one_time_token(self, token: str, purposes: Iterable[Purpose], now: datetime) -> OneTimeClaims:
        claims = self._verify(token, [_audience(purpose) for purpose in purposes], now)
        try:
            purpose = Purpose(claims["purpose"])
            if claims["aud"] != _audience(purpose):
                raise ValueError("the purpose and the audience disagree")
            return OneTimeClaims(uuid.UUID(claims["jti"]), uuid.UUID(claims["sub"]), purpose,
                                 datetime.fromtimestamp(claims["exp"], now.tzinfo))
        except (KeyError, TypeError, ValueError):
            raise TokenRefused("the token's claims are malformed") from None

    # -- booking tokens ---------------------------------------------------------------------------

    def booking_token(self, booking_id: uuid.UUID, clinic_id: uuid.UUID, expires_at: datetime,
                      now: datetime) -> tuple[str, BookingClaims]:
        token = self._sign({
            "sub": str(booking_id), "clinic_id": str(clinic_id), "aud": BOOKING_AUDIENCE,
            "iat": int(now.timestamp()), "exp": int(expires_at.timestamp()),
        })
        return token, BookingClaims(booking_id, clinic_id, expires_at)

    def read_booking_token(self, token: str, now: datetime) -> BookingClaims:
        claims = self._verify(token, [BOOKING_AUDIENCE], now)
        try:
            return BookingClaims(uuid.UUID(claims["sub"]), uuid.UUID(claims["clinic_id"]),
                                 datetime.fromtimestamp(claims["exp"], now.tzinfo))
        except (KeyError, TypeError, ValueError):
            raise TokenRefused("the token's claims are malformed") from None

    # -- signing ----------------------------------------------------------------------------------

    def _sign(self, claims: dict[str, Any]) -> str:
        kid, key = self._signing
        return jwt.encode({**claims, "iss": ISSUER}, key, algorithm=ALGORITHM, headers={"kid": kid})

    def _verify(self, token: str, audiences: list[str], now: datetime) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefused("not a token") from None
        key = self._keys.get(header.get("kid", ""))
        if key is None or header.get("alg") != ALGORITHM:
            raise TokenRefused("signed with a key or algorithm this platform does not use")
        try:
            # Expiry is checked below against the caller's clock, the one every rule here uses.
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=audiences, issuer=ISSUER,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_exp": False,
                                         "verify_iat": False})
        except jwt.PyJWTError:
            raise TokenRefused("the signature or the claims do not verify") from None
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= now.timestamp():
            raise TokenExpired("the token expired")
        return claims
