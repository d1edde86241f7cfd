"""Passwords: changing one, and setting one through a link mailed to the account (a password
reset, or the invitation of an account someone else created).

A link carries a signed, expiring token that works once; using it also spends every other
link of the account still outstanding.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from clinic_contracts import uuid7
from gateway.adapters.mailer import MailNotSent
from gateway.domain.audit import AuditAction
from gateway.domain.identity import Account, AccountStatus, email_key
from gateway.domain.passwords import password_problems
from gateway.domain.principal import Principal
from gateway.domain.sessions import RevocationReason
from gateway.domain.tokens import Purpose, TokenRefused
from gateway.service_layer import audit, throttling
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.sessions import revoke_sessions
from gateway.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

LINK_PURPOSES = (Purpose.PASSWORD_RESET, Purpose.INVITATION)
LINK_PAGES = {Purpose.PASSWORD_RESET: "/reset-password", Purpose.INVITATION: "/accept-invitation"}


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
    """Mail a reset link if an active account has this address. The caller answers the same
    either way, so nobody learns which addresses have accounts."""
    account = uow.accounts.by_email(email_key(email))
    if account is None or account.status is not AccountStatus.ACTIVE:
        return
    try:
        send_link(uow, account, Purpose.PASSWORD_RESET)
    except MailNotSent as error:
        # Answering differently would tell the caller the address has an account.
        log.warning("password reset link not sent: %s", error, extra={"account_id": str(account.id)})


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


def send_link(uow: UnitOfWork, account: Account, purpose: Purpose) -> None:
    """Mail the account a single-use link for `purpose` (raises MailNotSent)."""
    now = uow.tools.clock()
    token_id = uuid7()
    token, claims = uow.tools.tokens.one_time_token(token_id, account.id, purpose, now)
    uow.one_time_tokens.add(token_id, account.id, account.clinic_id, purpose, now, claims.expires_at)
    link = f"{uow.tools.public_base_url.rstrip('/')}{LINK_PAGES[purpose]}?{urlencode({'token': token})}"
    minutes = int((claims.expires_at - now).total_seconds() // 60)
    if purpose is Purpose.INVITATION:
        subject = "You are invited to the clinic platform"
        text = (f"Hello {account.display_name},\n\nan account was created for you. Choose your password here "
                f"(the link works once, for {minutes // 60} hours):\n\n{link}\n")
    else:
        subject = "Reset your password"
        text = (f"Hello {account.display_name},\n\nsomeone asked to reset your password. If it was you, choose a "
                f"new one here (the link works once, for {minutes} minutes):\n\n{link}\n\n"
                f"If it was not you, ignore this message: your password stays as it is.\n")
    uow.tools.mailer.send(account.email, subject, text)
    log.info("%s link sent", purpose, extra={"account_id": str(account.id)})


def _check_policy(new_password: str, account: Account) -> None:
    problems = password_problems(new_password, account.email)
    if problems:
        raise PasswordRejected(problems)
