"""Failed-login throttling: after too many failures for an email address or from a client
address, attempts are refused for the rest of the window without looking at the password.

Each attempt is counted before it is checked and taken back when it turns out not to be a
failure, in the caller's transaction: what is committed is the number of failures.

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


def count_attempt(uow: UnitOfWork, email_key: str, client_address: str, now: datetime) -> int | None:
    """Count an attempt at the account's password or second factor before it is checked, so
    concurrent attempts cannot all slip in under the limits: None to go ahead and check it, or
    the seconds until this account may be tried again from this client (the attempt is then
    taken back, being refused unchecked)."""
    limits = uow.tools.login_throttle
    waits = []
    for subject, limit in ((account_subject(email_key), limits.failures_per_account),
                           (address_subject(client_address), limits.failures_per_address)):
        tally = uow.login_failures.record(subject, now.timestamp(), limits.window_seconds)
        wait = tally.retry_after(limit, limits.window_seconds, now.timestamp())
        if wait is not None:
            waits.append(wait)
    if not waits:
        return None
    take_back(uow, email_key, client_address)
    return max(waits)


def take_back(uow: UnitOfWork, email_key: str, client_address: str) -> None:
    """Uncount the attempt `count_attempt` counted: it was no failure (the password or the code
    was right)."""
    uow.login_failures.take_back(account_subject(email_key))
    uow.login_failures.take_back(address_subject(client_address))


def forget_failures(uow: UnitOfWork, email_key: str) -> None:
    """A successful login starts the account's count afresh (the address keeps its own)."""
    uow.login_failures.clear(account_subject(email_key))
