"""Signing in and out: login (with its second step when the account has MFA), refreshing the
access token, logging out, and revoking sessions.

Every refusal of a login is the same for an address nobody has and for a wrong password, and
costs the same time (an unknown address still verifies a password against a dummy hash).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from clinic_contracts import uuid7
from gateway.domain.audit import AuditAction
from gateway.domain.identity import Account, AccountStatus, email_key
from gateway.domain.principal import Principal
from gateway.domain.sessions import LoginSession, RefreshOutcome, RevocationReason
from gateway.domain.tokens import (
    ACCESS_TOKEN_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    Purpose,
    TokenRefused,
    new_refresh_token,
    token_digest,
)
from gateway.service_layer import audit, throttling
from gateway.service_layer.mfa import verify_second_factor
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int  # seconds
    refresh_token: str
    session_id: uuid.UUID


@dataclass(frozen=True)
class SecondFactorNeeded:
    mfa_token: str
    expires_in: int


def log_in(uow: UnitOfWork, email: str, password: str,
           client_address: str) -> Tokens | SecondFactorNeeded | Refused | Throttled:
    now = uow.tools.clock()
    key = email_key(email)
    account = uow.accounts.by_email(key)
    wait = throttling.count_attempt(uow, key, client_address, now)
    if wait is not None:
        audit.record(uow, AuditAction.LOGIN_THROTTLED, clinic_id=_clinic_of(account), actor_id=None,
                     subject_id=_id_of(account), after={"retry_after_seconds": wait}, client_address=client_address)
        return Throttled(wait)
    reason = _why_not(uow, account, password)
    if account is None or account.password_hash is None or reason is not None:
        audit.record(uow, AuditAction.LOGIN_FAILED, clinic_id=_clinic_of(account), actor_id=None,
                     subject_id=_id_of(account), after={"reason": reason}, client_address=client_address)
        return Refused(Refusal.INVALID_CREDENTIALS)
    throttling.take_back(uow, key, client_address)
    if uow.tools.hasher.needs_rehash(account.password_hash):
        uow.accounts.set_password(account.id, uow.tools.hasher.hash(password), now)
    if account.mfa_enabled:
        # The account's failure count is kept until the second factor is proven too, so a known
        # password cannot be used to reset the count while guessing codes.
        token_id = uuid7()
        mfa_token, claims = uow.tools.tokens.one_time_token(token_id, account.id, Purpose.MFA_LOGIN, now)
        uow.one_time_tokens.add(token_id, account.id, account.clinic_id, Purpose.MFA_LOGIN, now, claims.expires_at)
        return SecondFactorNeeded(mfa_token, int((claims.expires_at - now).total_seconds()))
    throttling.forget_failures(uow, key)
    return open_session(uow, account, mfa_verified=False, client_address=client_address, method="password")


def log_in_second_step(uow: UnitOfWork, mfa_token: str, code: str | None, recovery_code: str | None,
                       client_address: str) -> Tokens | Refused | Throttled:
    """Finish a login with a code from the authenticator or a recovery code. The mfa_token is
    spent by any attempt, right or wrong: a wrong code means logging in again from the start."""
    now = uow.tools.clock()
    try:
        claims = uow.tools.tokens.read_one_time_token(mfa_token, [Purpose.MFA_LOGIN], now)
    except TokenRefused:
        return Refused(Refusal.INVALID_MFA_TOKEN)
    account = uow.accounts.get(claims.account_id)
    if (account is None or not account.may_sign_in
            or not uow.one_time_tokens.consume(claims.token_id, Purpose.MFA_LOGIN, now)):
        return Refused(Refusal.INVALID_MFA_TOKEN)
    wait = throttling.count_attempt(uow, account.email_key, client_address, now)
    if wait is not None:
        audit.record(uow, AuditAction.LOGIN_THROTTLED, clinic_id=account.clinic_id, actor_id=None,
                     subject_id=account.id, after={"retry_after_seconds": wait}, client_address=client_address)
        return Throttled(wait)
    method = verify_second_factor(uow, account, code, recovery_code)
    if method is None:
        audit.record(uow, AuditAction.LOGIN_FAILED, clinic_id=account.clinic_id, actor_id=None,
                     subject_id=account.id, after={"reason": "wrong_second_factor"}, client_address=client_address)
        return Refused(Refusal.INVALID_SECOND_FACTOR)
    throttling.take_back(uow, account.email_key, client_address)
    throttling.forget_failures(uow, account.email_key)
    return open_session(uow, account, mfa_verified=True, client_address=client_address, method=method)


def refresh(uow: UnitOfWork, refresh_token: str) -> Tokens | Refused:
    """A new access token and a new refresh token for the old one, which is spent.

    A refresh token presented again after it was exchanged means two parties hold it (one of
    them a thief, and we cannot tell which): the whole session is revoked.
    """
    now = uow.tools.clock()
    use = uow.sessions.use_refresh_token(token_digest(refresh_token), now)
    if use.outcome is RefreshOutcome.REUSED and use.session_id is not None:
        session = uow.sessions.get(use.session_id)
        if session is not None and uow.sessions.revoke(session.id, RevocationReason.REFRESH_TOKEN_REUSED, now):
            _audit_revocation(uow, session.account_id, session.clinic_id, actor_id=None, sessions=[session.id],
                              reason=RevocationReason.REFRESH_TOKEN_REUSED)
        return Refused(Refusal.INVALID_REFRESH_TOKEN)
    if use.outcome is not RefreshOutcome.ROTATED or use.session_id is None:
        return Refused(Refusal.INVALID_REFRESH_TOKEN)
    session = uow.sessions.get(use.session_id)
    account = None if session is None else uow.accounts.get(session.account_id)
    if session is None or not session.active or account is None or account.status is not AccountStatus.ACTIVE:
        return Refused(Refusal.INVALID_REFRESH_TOKEN)
    return _issue(uow, account, session.id, session.mfa_verified)


def log_out(uow: UnitOfWork, principal: Principal) -> None:
    if uow.sessions.revoke(principal.session_id, RevocationReason.LOGOUT, uow.tools.clock()):
        _audit_revocation(uow, principal.account_id, principal.clinic_id, actor_id=principal.account_id,
                          sessions=[principal.session_id], reason=RevocationReason.LOGOUT)


def revoke_sessions(uow: UnitOfWork, account: Account, reason: RevocationReason, actor_id: uuid.UUID | None,
                    keep: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Revoke every session of the account but `keep`: their access tokens stop working now."""
    revoked = uow.sessions.revoke_all(account.id, reason, uow.tools.clock(), keep=keep)
    if revoked:
        _audit_revocation(uow, account.id, account.clinic_id, actor_id=actor_id, sessions=revoked, reason=reason)
    return revoked


def open_session(uow: UnitOfWork, account: Account, *, mfa_verified: bool, client_address: str,
                 method: str) -> Tokens:
    """A new session of the account, audited, and its first tokens."""
    now = uow.tools.clock()
    session = LoginSession(uuid7(), account.id, account.clinic_id, mfa_verified, now)
    uow.sessions.add(session)
    audit.record(uow, AuditAction.LOGIN_SUCCEEDED, clinic_id=account.clinic_id, actor_id=account.id,
                 subject_id=account.id, after={"session_id": str(session.id), "mfa": mfa_verified, "method": method},
                 client_address=client_address)
    return _issue(uow, account, session.id, mfa_verified)


# -- helpers ----------------------------------------------------------------------------------


def _why_not(uow: UnitOfWork, account: Account | None, password: str) -> str | None:
    """Why these credentials do not open a session (for the audit only), or None."""
    if account is None or account.password_hash is None:
        uow.tools.hasher.verify_nothing(password)
        return "unknown_account" if account is None else "password_not_set"
    if not uow.tools.hasher.verify(account.password_hash, password):
        return "wrong_password"
    if account.status is not AccountStatus.ACTIVE:
        return "account_archived"
    return None


def _issue(uow: UnitOfWork, account: Account, session_id: uuid.UUID, mfa_verified: bool) -> Tokens:
    now = uow.tools.clock()
    access_token, _ = uow.tools.tokens.access_token(account.id, account.kind, account.clinic_id, session_id,
                                                    mfa_verified, now)
    refresh_token = new_refresh_token()
    uow.sessions.add_refresh_token(token_digest(refresh_token), session_id, account.clinic_id, now,
                                   now + REFRESH_TOKEN_LIFETIME)
    return Tokens(access_token, int(ACCESS_TOKEN_LIFETIME.total_seconds()), refresh_token, session_id)


def _audit_revocation(uow: UnitOfWork, account_id: uuid.UUID, clinic_id: uuid.UUID | None,
                      actor_id: uuid.UUID | None, sessions: list[uuid.UUID], reason: RevocationReason) -> None:
    audit.record(uow, AuditAction.SESSION_REVOKED, clinic_id=clinic_id, actor_id=actor_id, subject_id=account_id,
                 after={"reason": reason, "sessions": [str(s) for s in sessions]})


def _clinic_of(account: Account | None) -> uuid.UUID | None:
    return None if account is None else account.clinic_id


def _id_of(account: Account | None) -> uuid.UUID | None:
    return None if account is None else account.id
