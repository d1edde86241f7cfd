"""Per-request / per-message context: the correlation id that ties one user action together
across services, logs and events."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_log_fields: ContextVar[dict[str, str] | None] = ContextVar("log_fields", default=None)


def correlation_id() -> str:
    """The current correlation id; a fresh one when none is set (a timer, a CLI)."""
    value = _correlation_id.get()
    if value is None:
        value = str(uuid.uuid4())
        _correlation_id.set(value)
    return value


def bound_correlation_id() -> str | None:
    """The correlation id if one is set; unlike `correlation_id`, never makes one up."""
    return _correlation_id.get()


def set_correlation_id(value: str) -> None:
    _correlation_id.set(value)


def bind_log_fields(**fields: str) -> None:
    """Fields added to every log line of this request or message (clinic_id, appointment_id)."""
    _log_fields.set({**(_log_fields.get() or {}), **fields})


def log_fields() -> dict[str, str]:
    return _log_fields.get() or {}


def reset() -> None:
    _correlation_id.set(None)
    _log_fields.set(None)
