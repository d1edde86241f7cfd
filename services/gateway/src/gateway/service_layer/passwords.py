"""Passwords: changing one, and setting one through a link mailed to the account (a password
reset, or the invitation of an account someone else created); and mailing every link, a
sign-up's confirmation too.

A link carries a signed, expiring token that works once; using it also spends every other
link of the account still outstanding. A request only records the link; the worker mails it
(`mail_due_links`), so no request waits for the mail server, and a link is mailed only once the
transaction that made it has committed, and again until the mail server takes it.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from clinic_contracts import uuid7
from gateway.adapters.accounts import DueLink
from gateway.adapters.mailer import MailNotSent
from gateway.domain.audit import AuditAction
from gateway.domain.identity import Account, AccountStatus, SignUp, email_key
from gateway.domain.passwords import password_problems
from gateway.domain.principal import Principal
from gateway.domain.sessions import RevocationReason
from gateway.domain.tokens import LIFETIMES, Purpose, TokenRefused
from gateway.service_layer import audit, throttling
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.sessions import revoke_sessions
from gateway.service_layer.unit_of_work import IdentityTools, UnitOfWork

log = logging.getLogger(__name__)

LINK_PURPOSES = (Purpose.PASSWORD_RESET, Purpose.INVITATION)
LINK_PAGES = {Purpose.PASSWORD_RESET: "/reset-password", Purpose.INVITATION: "/accept-invitation",
              Purpose.REGISTRATION: "/confirm-registration"}
MAIL_LEASE = timedelta(minutes=1)  # well over one SMTP exchange (the mailer gives up after 10 s)
MAIL_BATCH = 50


class PasswordRejected(Exception):
    """The new password breaks the policy; `problems` says how."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class InvalidLink(Exception):
    """The link's token is forged, expired, already used, or its account is gone."""


@dataclass(frozen=True)
class PasswordChanged:
    other_sessions_revoked: int


def change_password(uow: UnitOfWork, principal: Principal, current_password: str, new_password: str,
                    client_address: str) -> PasswordChanged | Refused | Throttled:
    """Every other session of the account is revoked; the one changing the password stays."""
    account = uow.accounts.get(principal.account_id)
    if account is None:
        raise LookupError(f"the signed-in account {principal.account_id} does not exist")
    now = uow.tools.clock()
    wait = throttling.count_attempt(uow, account.email_key, client_address, now)
    if wait is not None:
        return Throttled(wait)
    if account.password_hash is None or not uow.tools.hasher.verify(account.password_hash, current_password):
        audit.record(uow, AuditAction.LOGIN_FAILED, clinic_id=account.clinic_id, actor_id=account.id,
                     subject_id=account.id, after={"reason": "wrong_password", "while": "changing_password"},
                     client_address=client_address)
        return Refused(Refusal.WRONG_PASSWORD)
    throttling.take_back(uow, account.email_key, client_address)
    _check_policy(new_password, account)
    uow.accounts.set_password(account.id, uow.tools.hasher.hash(new_password), now)
    uow.one_time_tokens.consume_all(account.id, LINK_PURPOSES, now)
    revoked = revoke_sessions(uow, account, RevocationReason.PASSWORD_CHANGED, actor_id=account.id,
                              keep=principal.session_id)
    audit.record(uow, AuditAction.PASSWORD_CHANGED, clinic_id=account.clinic_id, actor_id=account.id,
                 subject_id=account.id, after={"other_sessions_revoked": len(revoked)}, client_address=client_address)
    return PasswordChanged(len(revoked))


def request_password_reset(uow: UnitOfWork, email: str) -> None:
    """Record a reset link, for the worker to mail, if an active account has this address and
    no reset was asked for it in the last few minutes (`throttling.link_allowed`: one link, not a
    mailbox flooded). The caller answers the same either way; every request writes its count and
    none waits for a mail, so neither the answer nor its timing tells which addresses have
    accounts (but for the one request in a few minutes given a link, which also writes it)."""
    key = email_key(email)
    allowed = throttling.link_allowed(uow, key, Purpose.PASSWORD_RESET, uow.tools.clock())
    account = uow.accounts.by_email(key)
    if not allowed or account is None or account.status is not AccountStatus.ACTIVE:
        return
    issue_link(uow, account, Purpose.PASSWORD_RESET)


def set_password_with_link(uow: UnitOfWork, token: str, new_password: str) -> Account:
    """Set the password of the account a reset or invitation link names; every session of the
    account is revoked (whoever had them may not know the new password)."""
    now = uow.tools.clock()
    try:
        claims = uow.tools.tokens.read_one_time_token(token, LINK_PURPOSES, now)
    except TokenRefused:
        raise InvalidLink() from None
    account = uow.accounts.get(claims.account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        raise InvalidLink()
    _check_policy(new_password, account)
    if not uow.one_time_tokens.consume(claims.token_id, claims.purpose, now):
        raise InvalidLink()
    uow.one_time_tokens.consume_all(account.id, LINK_PURPOSES, now)
    uow.accounts.set_password(account.id, uow.tools.hasher.hash(new_password), now)
    revoke_sessions(uow, account, RevocationReason.PASSWORD_RESET, actor_id=account.id)
    # Whoever holds the mailbox proved it: the failed attempts before no longer count against it.
    throttling.forget_failures(uow, account.email_key)
    audit.record(uow, AuditAction.PASSWORD_RESET, clinic_id=account.clinic_id, actor_id=account.id,
                 subject_id=account.id, after={"via": claims.purpose})
    return account


def issue_link(uow: UnitOfWork, account: Account, purpose: Purpose) -> None:
    """Record a single-use link for `purpose`, due to be mailed by `mail_due_links` once the
    caller's transaction commits. Its token is not stored: the same claims sign the same token."""
    now = uow.tools.clock()
    uow.one_time_tokens.add(uuid7(), account.id, account.clinic_id, purpose, now, now + LIFETIMES[purpose], mail=True)


def mail_due_links(unit: Callable[[], AbstractContextManager[UnitOfWork]]) -> int:
    """Mail the links due now, one at a time (at most MAIL_BATCH); the number mailed.

    Each link is claimed in a short transaction (a lease; PostgreSQL skips links another run
    holds), mailed with no transaction open, and marked mailed if still under this run's claim.
    A send that fails leaves the link due for the next run and ends this one (the mail server is
    likely down for the others too); a link that expired or was spent unsent is dropped.
    """
    with unit() as uow:
        for link in uow.one_time_tokens.drop_unmailable(uow.tools.clock()):
            log.warning("%s link dropped unsent: it expired or was used first", link.purpose,
                        extra={"subject_id": str(link.subject_id)})
    claim = uuid.uuid4()
    mailed = 0
    for _ in range(MAIL_BATCH):
        with unit() as uow:
            tools = uow.tools
            link = uow.one_time_tokens.claim_mail(tools.clock(), MAIL_LEASE, claim)
            if link is None:
                break
            recipient = _recipient(uow, link)
            if recipient is None:
                uow.one_time_tokens.end_mail(link.token_id, claim, None)
                log.info("%s link dropped unsent: its account or sign-up is gone", link.purpose,
                         extra={"subject_id": str(link.subject_id)})
                continue
        try:
            tools.mailer.send(recipient.email, *_message(tools, recipient, link))
        except MailNotSent as error:
            log.warning("%s link not mailed, tried again next run: %s", link.purpose, error,
                        extra={"subject_id": str(link.subject_id)})
            with unit() as uow:
                uow.one_time_tokens.release_mail(link.token_id, claim)
            break
        with unit() as uow:
            if not uow.one_time_tokens.end_mail(link.token_id, claim, uow.tools.clock()):
                log.warning("%s link mailed after its lease ran out: it may be mailed twice", link.purpose,
                            extra={"subject_id": str(link.subject_id)})
        log.info("%s link mailed", link.purpose, extra={"subject_id": str(link.subject_id)})
        mailed += 1
    return mailed


def _recipient(uow: UnitOfWork, link: DueLink) -> Account | SignUp | None:
    """Whom `link` is mailed to: its active account, or its sign-up; None when gone."""
    if link.account_id is None:
        return uow.sign_ups.get(link.token_id)
    account = uow.accounts.get(link.account_id)
    return account if account is not None and account.status is AccountStatus.ACTIVE else None


def _message(tools: IdentityTools, recipient: Account | SignUp, link: DueLink) -> tuple[str, str]:
    """The subject and text of the mail carrying `link`."""
    token, _ = tools.tokens.one_time_token(link.token_id, link.subject_id, link.purpose, link.issued_at)
    url = f"{tools.public_base_url.rstrip('/')}{LINK_PAGES[link.purpose]}?{urlencode({'token': token})}"
    # What is left of the link's life when it is mailed, rounded up: a retried mail says less.
    minutes = math.ceil((link.expires_at - tools.clock()).total_seconds() / 60)
    if link.purpose is Purpose.REGISTRATION:
        # No name: whoever signs up chooses it, and it would be their text in anyone's mailbox.
        return ("Confirm your address",
                f"Hello,\n\nthis address was used to sign up as a patient. If it was you, confirm it here with "
                f"the password you chose (the link works once, for {math.ceil(minutes / 60)} hours):\n\n{url}\n\n"
                f"If it was not you, ignore this message: no account is made unless the link is followed with "
                f"that password, and the sign-up is removed when the link runs out.\n")
    if link.purpose is Purpose.INVITATION:
        return ("You are invited to the clinic platform",
                f"Hello {recipient.display_name},\n\nan account was created for you. Choose your password here "
                f"(the link works once, for {math.ceil(minutes / 60)} hours):\n\n{url}\n")
    return ("Reset your password",
            f"Hello {recipient.display_name},\n\nsomeone asked to reset your password. If it was you, choose a "
            f"new one here (the link works once, for {minutes} minutes):\n\n{url}\n\n"
            f"If it was not you, ignore this message: your password stays as it is.\n")


def _check_policy(new_password: str, account: Account) -> None:
    problems = password_problems(new_password, account.email)
    if problems:
        raise PasswordRejected(problems)
