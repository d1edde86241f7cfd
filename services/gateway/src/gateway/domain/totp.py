"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) and recovery codes.

Authenticator apps agree on HMAC-SHA1, 30-second steps and 6 digits. A code is accepted for the
current step and one step either side (clock drift), and never twice: the caller remembers the
last step it accepted and no step at or before it is accepted again, so a code seen over a
shoulder is worthless once used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 block the RFC recommends
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 4, 4  # 16 characters: ~79 bits, so a bare SHA-256 is enough


def hotp(secret: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 section 5.3: dynamic truncation of HMAC-SHA1(secret, counter)."""
    mac = hmac.new(secret, struct.pack(">Q", counter), "sha1").digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def totp(secret: bytes, unix_time: float, digits: int = DIGITS) -> str:
    return hotp(secret, time_step(unix_time), digits)


def accepted_step(secret: bytes, code: str, unix_time: float, last_used_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is within the drift window and newer than
    `last_used_step`; None when it is not acceptable."""
    candidate = code.strip().replace(" ", "")
    # isdigit() alone takes other scripts' digits too ("١٢٣٤٥٦"), which compare_digest refuses to compare.
    if len(candidate) != DIGITS or not (candidate.isascii() and candidate.isdigit()):
        return None
    now = time_step(unix_time)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(hotp(secret, step), candidate):
            return step
    return None


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def encode_secret(secret: bytes) -> str:
    """Base32 without padding: what authenticator apps expect to be typed or scanned."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def decode_secret(encoded: str) -> bytes:
    return base64.b32decode(encoded + "=" * (-len(encoded) % 8))


def otpauth_uri(secret: bytes, account_name: str, issuer: str) -> str:
    """The Key Uri Format authenticator apps scan from a QR code."""
    label = quote(f"{issuer}:{account_name}", safe="")
    parameters = urlencode({"secret": encode_secret(secret), "issuer": issuer, "algorithm": "SHA1",
                            "digits": DIGITS, "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{parameters}"


def new_recovery_codes() -> list[str]:
    return ["-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
                     for _ in range(RECOVERY_GROUPS))
            for _ in range(RECOVERY_CODE_COUNT)]


def recovery_code_digest(code: str) -> str:
    """How a recovery code is stored and looked up: typed with or without dashes, any case."""
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalized.encode()).hexdigest()
