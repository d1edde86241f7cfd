"""Failed-login throttling: after too many failures for an email address or from a client
address, attempts are refused for the rest of the window without looking at the password.

The account is counted by a hash of its address, whether or not an account has it, so the
throttle answers exactly the same for addresses that exist and addresses that do not.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from gateway.service_layer.unit_of_work import UnitOfWork


def account_subject(email_key: str) -> str:
    return "email:" + hashlib.sha256(email_key.encode()).hexdigest()[:40]


def address_subject(client_address: str) -> str:
    return "address:" + client_address


def retry_after(uow: UnitOfWork, email_key: str, client_address: str, now: datetime) -> int | None:
    """Seconds until this address may be tried again from this client, or None: try now."""
    limits = uow.tools.login_throttle
    waits = []
    for subject, limit in ((account_subject(email_key), limits.failures_per_account),
                           (address_subject(client_address), limits.failures_per_address)):
        tally = uow.login_failures.tally(subject)
        wait = None if tally is None else tally.retry_after(limit, limits.window_seconds, now.timestamp())
        if wait is not None:
            waits.append(wait)
    return max(waits) if waits else None


def record_failure(uow: UnitOfWork, email_key: str, client_address: str, now: datetime) -> None:
    window = uow.tools.login_throttle.window_seconds
    uow.login_failures.record(account_subject(email_key), now.timestamp(), window)
    uow.login_failures.record(address_subject(client_address), now.timestamp(), window)


def forget_failures(uow: UnitOfWork, email_key: str) -> None:
    """A successful login starts the account's count afresh (the address keeps its own)."""
    uow.login_failures.clear(account_subject(email_key))
