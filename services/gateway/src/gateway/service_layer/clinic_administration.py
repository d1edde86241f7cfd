"""What the admin, platform and public routes compose: an account here (identity's use cases)
and its roles in entitlements, and the access audit of both.

No transaction spans the two services. Each use case writes the gateway's account in the
request's transaction and then asks entitlements; when entitlements refuses or is down, the
exception rolls the account back. Assignments are idempotent, so a retry after a failure
between the two is safe; at worst a grant remains for an account id that never committed, which
nobody can sign in as.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinic_contracts import uuid7
from gateway.adapters.entitlements import AuditEntry as RoleAuditEntry
from gateway.adapters.entitlements import Entitlements
from gateway.domain.audit import AuditAction
from gateway.domain.audit import AuditEntry as IdentityAuditEntry
from gateway.domain.identity import Account, AccountRuleBroken, SignUp, check_new_account, email_key
from gateway.domain.passwords import password_problems
from gateway.domain.principal import AccountKind
from gateway.domain.tokens import LIFETIMES, Purpose, TokenRefused
from gateway.service_layer import accounts, audit, passwords, sessions, throttling
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.unit_of_work import UnitOfWork

CLINIC_ADMIN = "clinic_admin"
PATIENT = "patient"
STAFF_KINDS = (AccountKind.STAFF, AccountKind.PROVIDER)


class UnknownRoles(Exception):
    """Roles the clinic does not have, or has archived: nothing was created."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys


@dataclass(frozen=True)
class OpenedAccount:
    account: Account
    roles: list[str]


def appoint_clinic_admin(uow: UnitOfWork, entitlements: Entitlements, clinic_id: uuid.UUID, email: str,
                         display_name: str, operator_id: uuid.UUID) -> OpenedAccount:
    """A staff account (invited by email to choose its password) holding clinic_admin."""
    account = accounts.create_account(uow, email, AccountKind.STAFF, clinic_id, display_name, operator_id)
    entitlements.grant(clinic_id, account.id, CLINIC_ADMIN, operator_id)
    return OpenedAccount(account, [CLINIC_ADMIN])


def open_staff_account(uow: UnitOfWork, entitlements: Entitlements, clinic_id: uuid.UUID, kind: AccountKind,
                       email: str, display_name: str, roles: list[str], actor_id: uuid.UUID) -> OpenedAccount:
    """A staff or provider account with its first roles. The roles are checked before the
    account is created, so an invitation is never mailed for an account that then fails."""
    if kind not in STAFF_KINDS:
        raise accounts.InvalidAccount([AccountRuleBroken("kind", "must be staff or provider")])
    assignable = {role["key"] for role in entitlements.roles(clinic_id).body["roles"] if not role["archived"]}
    unknown = sorted(set(roles) - assignable)
    if unknown:
        raise UnknownRoles(unknown)
    account = accounts.create_account(uow, email, kind, clinic_id, display_name, actor_id)
    for role_key in dict.fromkeys(roles):
        entitlements.grant(clinic_id, account.id, role_key, actor_id)
    return OpenedAccount(account, list(dict.fromkeys(roles)))


def register_patient(uow: UnitOfWork, clinic_id: uuid.UUID, email: str, display_name: str, password: str,
                     client_address: str) -> None:
    """A patient signs up with a password: a sign-up, and a link to confirm the address that the
    worker mails. Following it with the same password (`confirm_registration`) makes the account.

    The caller answers the same whether or not the address had an account (one address, one
    account, across every clinic), so nobody learns who is registered anywhere: the address's
    owner is mailed a link to choose a new password instead. A sign-up keeps the address from
    nobody, so someone who types another's address holds nothing. Only the first sign-up for an
    address from a client network in a few minutes (`throttling.sign_up_allowed`) is recorded and
    mailed: the others record nothing, so nobody floods a mailbox from one network. Raises
    InvalidAccount for a bad address, name or password, which says nothing about other accounts.
    """
    problems = check_new_account(email, AccountKind.PATIENT, clinic_id, display_name)
    problems += [AccountRuleBroken("password", p) for p in password_problems(password, email)]
    if problems:
        raise accounts.InvalidAccount(problems)
    # Hashed before the address is looked up, so both answers take about as long.
    password_hash = uow.tools.hasher.hash(password)
    key = email_key(email)
    if uow.accounts.by_email(key) is not None:
        passwords.request_password_reset(uow, email)
        return
    now = uow.tools.clock()
    if not throttling.sign_up_allowed(uow, key, client_address, now):
        return
    sign_up = SignUp(uuid7(), clinic_id, email.strip(), display_name.strip(), password_hash)
    uow.one_time_tokens.add(sign_up.id, None, clinic_id, Purpose.REGISTRATION, now,
                            now + LIFETIMES[Purpose.REGISTRATION], mail=True)
    uow.sign_ups.add(sign_up)


def confirm_registration(uow: UnitOfWork, entitlements: Entitlements, token: str, password: str,
                         client_address: str) -> sessions.Tokens | Refused | Throttled:
    """The patient's account, from a sign-up confirmed with the link mailed to its address and the
    password chosen when signing up; signed in. Both are needed: the link proves the mailbox, the
    password that its owner is who signed up (so the owner cannot confirm an account whose
    password a stranger chose, by following a link they did not ask for).

    A wrong password is refused, counted like a failed login, and leaves the link usable. Raises
    passwords.InvalidLink for a link that is forged, expired or used, and for one whose address
    has had an account made since (another sign-up confirmed first, or an invitation).
    """
    now = uow.tools.clock()
    try:
        claims = uow.tools.tokens.read_one_time_token(token, [Purpose.REGISTRATION], now)
    except TokenRefused:
        raise passwords.InvalidLink() from None
    sign_up = uow.sign_ups.get(claims.token_id)
    if sign_up is None:
        raise passwords.InvalidLink()
    wait = throttling.count_attempt(uow, sign_up.email_key, client_address, now)
    if wait is not None:
        return Throttled(wait)
    if not uow.tools.hasher.verify(sign_up.password_hash, password):
        audit.record(uow, AuditAction.LOGIN_FAILED, clinic_id=sign_up.clinic_id, actor_id=None, subject_id=None,
                     after={"reason": "wrong_password", "while": "confirming_sign_up"},
                     client_address=client_address)
        return Refused(Refusal.INVALID_CREDENTIALS)
    account = sign_up.account(uuid7(), now)
    if not uow.one_time_tokens.consume(sign_up.id, Purpose.REGISTRATION, now) or not uow.accounts.add(account):
        raise passwords.InvalidLink()
    uow.sign_ups.remove(sign_up.id)
    throttling.take_back(uow, sign_up.email_key, client_address)
    throttling.forget_failures(uow, sign_up.email_key)
    audit.record(uow, AuditAction.ACCOUNT_CREATED, clinic_id=account.clinic_id, actor_id=account.id,
                 subject_id=account.id, after={"kind": account.kind, "status": account.status, "registered": "self"},
                 client_address=client_address)
    entitlements.grant(account.clinic_id, account.id, PATIENT, account.id)
    return sessions.open_session(uow, account, mfa_verified=False, client_address=client_address,
                                 method="sign_up")


# -- the access audit -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    """One entry of a clinic's access audit, from either service."""

    id: str
    at: datetime
    source: str  # "gateway" (sign-ins, MFA, accounts) or "entitlements" (roles, assignments)
    actor_id: uuid.UUID | None
    action: str
    subject: str | None
    before: Any
    after: Any
    client_address: str | None = None


def access_audit(uow: UnitOfWork, entitlements: Entitlements, clinic_id: uuid.UUID, limit: int,
                 before: datetime | None) -> list[AuditLine]:
    """The clinic's access audit from both services, newest first: at most `limit` entries
    older than `before`."""
    return merge_audit(accounts.access_audit(uow, clinic_id, limit, before),
                       entitlements.audit(clinic_id, limit, before), limit)


def merge_audit(identity: list[IdentityAuditEntry], roles: list[RoleAuditEntry], limit: int) -> list[AuditLine]:
    """Each source's newest `limit` entries merged: the newest `limit` of their union are
    among them."""
    lines = [AuditLine(str(e.id), e.at, "gateway", e.actor_id, str(e.action),
                       None if e.subject_id is None else str(e.subject_id), e.before, e.after, e.client_address)
             for e in identity]
    lines += [AuditLine(e.id, e.at, "entitlements", e.actor_id, e.action, e.subject, e.before, e.after)
              for e in roles]
    return sorted(lines, key=lambda line: (line.at, line.id), reverse=True)[:limit]
