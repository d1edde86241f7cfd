"""Outgoing email from the gateway: invitations and password-reset links.

`SmtpMailer` speaks SMTP with the standard library to SMTP_HOST:SMTP_PORT (the local run's
development sink by default). A message that cannot be handed over raises `MailNotSent`.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol


class MailNotSent(Exception):
    pass


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None: ...


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout

    def send(self, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            # The exception names the server's complaint, never the address.
            raise MailNotSent(f"the SMTP server at {self._host}:{self._port} did not take the message "
                              f"({type(error).__name__})") from None
