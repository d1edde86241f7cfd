"""The unit of work identity's use cases run in: the repositories of one transaction, and the
tools those use cases need (clock, hasher, token codec, secret box, mailer).

The entrypoint owns the transaction, so use cases never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from gateway.adapters.accounts import (
    AccessAuditLog,
    AccountRepository,
    ClinicPolicyRepository,
    LoginFailureCounter,
    MfaRepository,
    OneTimeTokenRepository,
    SessionRepository,
    SignUpRepository,
    SqlAccessAudit,
    SqlAccounts,
    SqlClinicPolicies,
    SqlLoginFailures,
    SqlMfa,
    SqlOneTimeTokens,
    SqlSessions,
    SqlSignUps,
)
from gateway.adapters.link_requests import LinkRequestCounter, SqlLinkRequests
from gateway.adapters.mailer import Mailer
from gateway.domain.encryption import SecretBox
from gateway.domain.passwords import PasswordHasher
from gateway.domain.throttling import LoginThrottle
from gateway.domain.tokens import TokenCodec


@dataclass(frozen=True)
class IdentityTools:
    clock: Callable[[], datetime]
    hasher: PasswordHasher
    tokens: TokenCodec
    secret_box: SecretBox
    mailer: Mailer
    public_base_url: str  # where the links in emails point
    login_throttle: LoginThrottle


class UnitOfWork(Protocol):
    accounts: AccountRepository
    sessions: SessionRepository
    mfa: MfaRepository
    one_time_tokens: OneTimeTokenRepository
    sign_ups: SignUpRepository
    policies: ClinicPolicyRepository
    audit: AccessAuditLog
    login_failures: LoginFailureCounter
    link_requests: LinkRequestCounter
    tools: IdentityTools


class SqlUnitOfWork:
    def __init__(self, session: Session, tools: IdentityTools) -> None:
        self.accounts = SqlAccounts(session)
        self.sessions = SqlSessions(session)
        self.mfa = SqlMfa(session)
        self.one_time_tokens = SqlOneTimeTokens(session)
        self.sign_ups = SqlSignUps(session)
        self.policies = SqlClinicPolicies(session)
        self.audit = SqlAccessAudit(session)
        self.login_failures = SqlLoginFailures(session)
        self.link_requests = SqlLinkRequests(session)
        self.tools = tools
