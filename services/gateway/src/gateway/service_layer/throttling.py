"""Throttling: failed logins, and how often a link is mailed to one address.

Failed logins: after too many failures for an email address or from a client network, attempts
are refused for the rest of the window without looking at the password. Each attempt is counted
before it is checked and taken back when it turns out not to be a failure, in the caller's
transaction: what is committed is the number of failures.

Links: an address is mailed at most one reset link every LINK_INTERVAL_SECONDS, whoever asks from
wherever, and at most one sign-up confirmation per client network in that time, so nobody floods
a mailbox.

An address is counted by a hash of it, whether or not an account has it, so the throttle answers
exactly the same, and writes the same, for addresses that exist and addresses that do not.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime

from gateway.domain.tokens import Purpose
from gateway.service_layer.unit_of_work import UnitOfWork

LINK_INTERVAL_SECONDS = 300
IPV6_SUBSCRIBER_PREFIX = 64  # what a provider gives one subscriber, who may use any address in it


def client_network(client_address: str) -> str:
    """What a client is counted by: an IPv6 address's /64 (else rotating addresses within it
    would each be a fresh client), an IPv4-mapped IPv6 address as its IPv4 address, an IPv4
    address as it is; anything else as given. Audit records keep the full address."""
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return client_address
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, IPV6_SUBSCRIBER_PREFIX), strict=False))


def address_digest(email_key: str) -> str:
    return hashlib.sha256(email_key.encode()).hexdigest()[:40]


def account_subject(email_key: str) -> str:
    return "email:" + address_digest(email_key)


def address_subject(client_address: str) -> str:
    return "address:" + client_network(client_address)


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


def link_allowed(uow: UnitOfWork, email_key: str, purpose: Purpose, now: datetime) -> bool:
    """Count a request for a link of `purpose` to the address: True for the first in
    LINK_INTERVAL_SECONDS, the one that may be given a link; the others are to record nothing.
    Counted for every request, whether or not an account has the address, so every request
    writes and commits alike."""
    requests = uow.link_requests.record(address_digest(email_key), purpose, now.timestamp(), LINK_INTERVAL_SECONDS)
    return requests == 1


def sign_up_allowed(uow: UnitOfWork, email_key: str, client_address: str, now: datetime) -> bool:
    """`link_allowed` for a sign-up's confirmation, counted per address and client network: a
    sign-up's link is confirmed only with its own signer's password, so a cap on the address alone
    would let a stranger signing it up every few minutes hold off its owner's own sign-up."""
    return link_allowed(uow, f"{email_key} from {client_network(client_address)}", Purpose.REGISTRATION, now)
