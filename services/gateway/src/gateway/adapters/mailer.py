"""Outgoing email from the gateway: invitations, password-reset and sign-up links.

`SmtpMailer` speaks SMTP with the standard library to SMTP_HOST:SMTP_PORT. The links are as good
as a password, so by default the connection is upgraded with STARTTLS (certificate verified)
before anything else is said, and a relay that cannot do it gets nothing; with SMTP_USERNAME it
logs in, only over TLS. A message that cannot be handed over raises `MailNotSent`.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from clinic_runtime.settings import SmtpSecurity, SmtpSettings


class MailNotSent(Exception):
    pass


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None: ...


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0, *,
                 security: SmtpSecurity = SmtpSecurity.STARTTLS, username: str = "", password: str = "") -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout
        self._security = security
        self._login = (username, password) if username else None
        # The system's CAs (or SSL_CERT_FILE's), the relay's name checked.
        self._tls = ssl.create_default_context()

    @classmethod
    def relaying_to(cls, relay: SmtpSettings) -> SmtpMailer:
        return cls(relay.smtp_host, relay.smtp_port, relay.smtp_from, security=relay.smtp_security,
                   username=relay.smtp_username, password=relay.smtp_password_value)

    def send(self, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        try:
            with self._connect() as smtp:
                if self._security is SmtpSecurity.STARTTLS:
                    smtp.starttls(context=self._tls)  # SMTPNotSupportedError when not offered
                if self._login:
                    smtp.login(*self._login)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            # The exception names the server's complaint, never the address. TLS errors are OSErrors.
            raise MailNotSent(f"the SMTP server at {self._host}:{self._port} did not take the message "
                              f"({type(error).__name__})") from None

    def _connect(self) -> smtplib.SMTP:
        if self._security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=self._tls)
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)
