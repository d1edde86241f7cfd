"""Use cases on accounts and clinic security that admin and platform routes call.

    create_account(uow, email, kind, clinic_id, display_name, invited_by) -> Account
    get_account(uow, clinic_id, account_id) -> Account | None
    reset_mfa(uow, account_id, clinic_id, actor) -> bool
    security_policy(uow, clinic_id) -> ClinicSecurityPolicy
    set_clinic_mfa_requirement(uow, clinic_id, required, actor, expected_version) -> ClinicSecurityPolicy
    access_audit(uow, clinic_id, limit, before) -> list[AuditEntry]
    bootstrap_operator(uow, email, password) -> Account | None
    drop_expired_sign_ups(uow) -> int

`clinic_id` None means the platform itself: operators' accounts, entries about them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from clinic_contracts import uuid7
from gateway.domain.audit import AuditAction, AuditEntry
from gateway.domain.identity import Account, AccountRuleBroken, ClinicSecurityPolicy, check_new_account
from gateway.domain.passwords import password_problems
from gateway.domain.principal import AccountKind
from gateway.domain.tokens import Purpose
from gateway.service_layer import audit
from gateway.service_layer.passwords import issue_link
from gateway.service_layer.unit_of_work import UnitOfWork

MAX_AUDIT_PAGE = 500
BOOTSTRAP_OPERATOR_NAME = "Platform operator"


class InvalidAccount(Exception):
    def __init__(self, problems: list[AccountRuleBroken]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class EmailTaken(Exception):
    """Another account on the platform has this address (compared case-insensitively)."""


class UnknownAccount(Exception):
    pass


class StaleVersion(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(f"the policy is at version {current}")
        self.current = current


def create_account(uow: UnitOfWork, email: str, kind: AccountKind | str, clinic_id: uuid.UUID | None,
                   display_name: str, invited_by: uuid.UUID | None) -> Account:
    """An account without a password, and an invitation to choose one, which the worker mails
    once the caller's transaction commits.

    Raises InvalidAccount (per field) or EmailTaken.
    """
    try:
        kind = AccountKind(kind)
    except ValueError:
        raise InvalidAccount([AccountRuleBroken("kind", f"must be one of {', '.join(AccountKind)}")]) from None
    problems = check_new_account(email, kind, clinic_id, display_name)
    if problems:
        raise InvalidAccount(problems)
    account = Account.open(uuid7(), email, kind, clinic_id, display_name, uow.tools.clock())
    if not uow.accounts.add(account):
        raise EmailTaken()
    audit.record(uow, AuditAction.ACCOUNT_CREATED, clinic_id=clinic_id, actor_id=invited_by, subject_id=account.id,
                 after={"kind": kind, "status": account.status})
    issue_link(uow, account, Purpose.INVITATION)
    return account


def get_account(uow: UnitOfWork, clinic_id: uuid.UUID | None, account_id: uuid.UUID) -> Account | None:
    """The account if it belongs to `clinic_id`; None for an account of any other clinic."""
    return uow.accounts.in_clinic(clinic_id, account_id)


def reset_mfa(uow: UnitOfWork, account_id: uuid.UUID, clinic_id: uuid.UUID | None, actor: uuid.UUID | None) -> bool:
    """An admin removes an account's authenticator and recovery codes (a lost phone); the
    account enrols again after its next login. False when it had no MFA to reset.

    Raises UnknownAccount when the account is not one of `clinic_id`'s.
    """
    account = uow.accounts.in_clinic(clinic_id, account_id)
    if account is None:
        raise UnknownAccount()
    if not uow.mfa.remove(account.id):
        return False
    # Sessions opened with the removed factor proved nothing that still stands.
    uow.sessions.forget_second_factor(account.id)
    audit.record(uow, AuditAction.MFA_RESET, clinic_id=account.clinic_id, actor_id=actor, subject_id=account.id,
                 before={"mfa_enabled": True}, after={"mfa_enabled": False})
    return True


def security_policy(uow: UnitOfWork, clinic_id: uuid.UUID) -> ClinicSecurityPolicy:
    """The clinic's security settings; version 0 when they were never changed."""
    return uow.policies.get(clinic_id) or ClinicSecurityPolicy.default(clinic_id)


def set_clinic_mfa_requirement(uow: UnitOfWork, clinic_id: uuid.UUID, required: bool, actor: uuid.UUID | None,
                               expected_version: int) -> ClinicSecurityPolicy:
    """Require (or stop requiring) MFA of the clinic's staff and providers.

    `expected_version` is the version the caller read (0 for a clinic never changed); raises
    StaleVersion when the policy moved on since. Setting the value it has already changes nothing.
    """
    current = security_policy(uow, clinic_id)
    if current.version != expected_version:
        raise StaleVersion(current.version)
    changed = current.require_mfa(required, actor, uow.tools.clock())
    if changed is current:
        return current
    if not uow.policies.save(changed, expected_version):
        raise StaleVersion(security_policy(uow, clinic_id).version)
    audit.record(uow, AuditAction.CLINIC_MFA_POLICY_CHANGED, clinic_id=clinic_id, actor_id=actor, subject_id=None,
                 before={"mfa_required_for_staff": current.mfa_required_for_staff},
                 after={"mfa_required_for_staff": changed.mfa_required_for_staff})
    return changed


def access_audit(uow: UnitOfWork, clinic_id: uuid.UUID | None, limit: int, before: datetime | None) -> list[AuditEntry]:
    """The clinic's access audit, newest first: at most `limit` (capped at 500) entries older
    than `before`."""
    return uow.audit.newest(clinic_id, max(1, min(limit, MAX_AUDIT_PAGE)), before)


def bootstrap_operator(uow: UnitOfWork, email: str, password: str) -> Account | None:
    """The first platform operator, when there is none yet; None when one exists already."""
    if uow.accounts.operator_exists():
        return None
    problems = [AccountRuleBroken("password", problem) for problem in password_problems(password, email)]
    problems += check_new_account(email, AccountKind.OPERATOR, None, BOOTSTRAP_OPERATOR_NAME)
    if problems:
        raise InvalidAccount(problems)
    account = Account.open(uuid7(), email, AccountKind.OPERATOR, None, BOOTSTRAP_OPERATOR_NAME, uow.tools.clock(),
                           uow.tools.hasher.hash(password))
    if not uow.accounts.add(account):
        raise EmailTaken()
    audit.record(uow, AuditAction.ACCOUNT_CREATED, clinic_id=None, actor_id=None, subject_id=account.id,
                 after={"kind": account.kind, "status": account.status})
    return account



def drop_expired_sign_ups(uow: UnitOfWork) -> int:
    """Remove the sign-ups whose link ran out, with what they held (a name, an address, a
    password hash): nobody proved the address was theirs. The number removed."""
    return uow.sign_ups.drop_expired(uow.tools.clock())
