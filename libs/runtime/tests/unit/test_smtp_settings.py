"""The SMTP relay settings a mailing service mixes in: encrypted with STARTTLS unless told
otherwise, a login given whole, and a relay password never configured for a plain connection."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clinic_runtime.settings import ServiceSettings, SmtpSecurity, SmtpSettings


class MailingSettings(ServiceSettings, SmtpSettings):
    pass


def settings(**fields) -> MailingSettings:
    return MailingSettings(service_name="mailing", http_port=1, **fields)


def test_mail_goes_over_starttls_without_a_login_by_default(monkeypatch):
    for name in ("SMTP_SECURITY", "SMTP_USERNAME", "SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    defaults = settings()
    assert (defaults.smtp_security, defaults.smtp_username, defaults.smtp_password) == (SmtpSecurity.STARTTLS, "", None)


def test_the_relay_and_its_login_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMTP_SECURITY", "tls")
    monkeypatch.setenv("SMTP_USERNAME", "clinic")
    monkeypatch.setenv("SMTP_PASSWORD", "relay secret")
    configured = settings()
    assert (configured.smtp_security, configured.smtp_username) == (SmtpSecurity.TLS, "clinic")
    assert configured.smtp_password.get_secret_value() == "relay secret"
    assert "relay secret" not in repr(configured)


@pytest.mark.parametrize("login", [{"smtp_username": "clinic"}, {"smtp_password": "relay secret"}])
def test_half_a_login_is_refused(login):
    with pytest.raises(ValidationError, match="SMTP_USERNAME and SMTP_PASSWORD together"):
        settings(**login)


def test_a_password_for_a_plain_connection_is_refused_without_repeating_it():
    with pytest.raises(ValidationError, match="never sent unencrypted") as refused:
        settings(smtp_security="none", smtp_username="clinic", smtp_password="relay secret")
    assert "relay secret" not in str(refused.value)


def test_an_unknown_kind_of_security_is_refused():
    with pytest.raises(ValidationError):
        settings(smtp_security="ssl")
