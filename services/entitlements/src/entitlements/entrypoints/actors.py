"""Who is acting on a write: the account in X-Actor-Id (the gateway sends it)."""

from __future__ import annotations

import uuid

from flask import request

from clinic_runtime.problems import FieldError, validation_problem


def acting_account() -> uuid.UUID | None:
    """The account acting, from X-Actor-Id; None when the platform itself acts."""
    header = request.headers.get("X-Actor-Id")
    if header is None:
        return None
    try:
        return uuid.UUID(header)
    except ValueError:
        raise validation_problem([FieldError("X-Actor-Id", "send the acting account's id, a UUID")]) from None
