"""The shared settings: retentions default to a day for idempotency keys and a month for the
inbox, and an inbox kept shorter than the outbox is refused; a web request's statements are
bounded, by a usable length."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from clinic_runtime.messaging.outbox import OUTBOX_RETENTION
from clinic_runtime.settings import ServiceSettings


def settings(**fields) -> ServiceSettings:
    return ServiceSettings(service_name="retention", http_port=1, **fields)


def test_idempotency_keys_are_kept_a_day_and_the_inbox_a_month_by_default():
    defaults = settings()
    assert defaults.idempotency_key_retention() == timedelta(hours=24)
    assert defaults.inbox_retention() == timedelta(days=30)


def test_the_retentions_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("IDEMPOTENCY_KEY_RETENTION_HOURS", "48")
    monkeypatch.setenv("INBOX_RETENTION_DAYS", "90")
    configured = settings()
    assert configured.idempotency_key_retention() == timedelta(hours=48)
    assert configured.inbox_retention() == timedelta(days=90)


def test_an_inbox_kept_as_long_as_the_outbox_is_accepted():
    assert settings(inbox_retention_days=OUTBOX_RETENTION.days).inbox_retention() == OUTBOX_RETENTION


def test_an_inbox_kept_shorter_than_the_outbox_is_refused():
    with pytest.raises(ValidationError, match="at least as long as the outbox"):
        settings(inbox_retention_days=OUTBOX_RETENTION.days - 1)


def test_idempotency_keys_must_be_kept_some_time():
    with pytest.raises(ValidationError):
        settings(idempotency_key_retention_hours=0)


@pytest.mark.parametrize("field", ["idempotency_key_retention_hours", "inbox_retention_days"])
@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e9])
def test_a_retention_without_a_usable_length_is_refused(field, value):
    with pytest.raises(ValidationError, match=field):
        settings(**{field: value})


def test_a_web_request_statement_is_bounded_to_five_seconds_by_default_and_from_the_environment(monkeypatch):
    assert settings().web_statement_timeout_seconds == 5
    monkeypatch.setenv("WEB_STATEMENT_TIMEOUT_SECONDS", "2.5")
    assert settings().web_statement_timeout_seconds == 2.5


@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan"), 3600])
def test_a_statement_bound_that_bounds_nothing_is_refused(value):
    with pytest.raises(ValidationError, match="web_statement_timeout_seconds"):
        settings(web_statement_timeout_seconds=value)
