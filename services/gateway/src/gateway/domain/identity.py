"""Accounts: who may sign in, and each clinic's rule on second factors.

One account per email address across the whole platform (compared case-insensitively): a
person who works for two clinics needs two addresses. Operators belong to no clinic; every
other account belongs to exactly one.
"""

from __future__ import annotations

import enum
import re
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from gateway.domain.principal import AccountKind

MAX_EMAIL_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 200
# Deliberately loose: the address is proven by the link mailed to it, not by its spelling.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# The kinds a clinic's "MFA required" setting applies to; patients are never required.
MFA_POLICY_KINDS = frozenset({AccountKind.STAFF, AccountKind.PROVIDER})


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class AccountRuleBroken(ValueError):
    """A detail of a new account that breaks a rule; `field` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def email_key(email: str) -> str:
    """The form an address is compared and looked up in: unique across the platform."""
    return email.strip().lower()


def check_new_account(email: str, kind: AccountKind, clinic_id: uuid.UUID | None,
                      display_name: str) -> list[AccountRuleBroken]:
    problems = []
    address = email.strip()
    # Lower-casing may lengthen an address ("İ" becomes two characters), and the key is stored too.
    if max(len(address), len(email_key(address))) > MAX_EMAIL_LENGTH:
        problems.append(AccountRuleBroken("email", f"must be at most {MAX_EMAIL_LENGTH} characters, "
                                                   "also once lower-cased"))
    elif not EMAIL.fullmatch(address):
        problems.append(AccountRuleBroken("email", "must be an email address"))
    name = display_name.strip()
    if not name or len(name) > MAX_DISPLAY_NAME_LENGTH:
        problems.append(AccountRuleBroken("display_name", f"must be 1 to {MAX_DISPLAY_NAME_LENGTH} characters"))
    elif any(unicodedata.category(character) == "Cc" for character in name):
        # A name is printed in mails and pages: line breaks would let it pass for their text.
        problems.append(AccountRuleBroken("display_name", "must be one line, without control characters"))
    if kind is AccountKind.OPERATOR and clinic_id is not None:
        problems.append(AccountRuleBroken("clinic_id", "a platform operator belongs to no clinic"))
    if kind is not AccountKind.OPERATOR and clinic_id is None:
        problems.append(AccountRuleBroken("clinic_id", f"a {kind} account belongs to a clinic"))
    return problems


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    kind: AccountKind
    clinic_id: uuid.UUID | None
    email: str
    display_name: str
    status: AccountStatus
    password_hash: str | None  # None until an invited account sets its password
    created_at: datetime
    mfa_enabled: bool = False  # a confirmed authenticator (kept in its own table)

    @classmethod
    def open(cls, account_id: uuid.UUID, email: str, kind: AccountKind, clinic_id: uuid.UUID | None,
             display_name: str, now: datetime, password_hash: str | None = None) -> Account:
        problems = check_new_account(email, kind, clinic_id, display_name)
        if problems:
            raise problems[0]
        return cls(account_id, kind, clinic_id, email.strip(), display_name.strip(), AccountStatus.ACTIVE,
                   password_hash, now)

    @property
    def email_key(self) -> str:
        return email_key(self.email)

    @property
    def may_sign_in(self) -> bool:
        return self.status is AccountStatus.ACTIVE and self.password_hash is not None

    @property
    def mfa_policy_applies(self) -> bool:
        return self.kind in MFA_POLICY_KINDS


@dataclass(frozen=True)
class SignUp:
    """A patient's sign-up at a clinic, waiting for its address to be confirmed by the link mailed
    to it, followed with the password chosen here. It is no account: it signs in nowhere and keeps
    the address from nobody. Several may wait for one address (each with the password its maker
    chose); the first confirmed becomes the account, and the others then lead nowhere."""

    id: uuid.UUID  # its link's token id too
    clinic_id: uuid.UUID
    email: str
    display_name: str
    password_hash: str

    @property
    def email_key(self) -> str:
        return email_key(self.email)

    def account(self, account_id: uuid.UUID, now: datetime) -> Account:
        """The patient's account the confirmed sign-up becomes."""
        return Account.open(account_id, self.email, AccountKind.PATIENT, self.clinic_id, self.display_name, now,
                            self.password_hash)


@dataclass(frozen=True)
class ClinicSecurityPolicy:
    """A clinic's security settings. Version 0 is a clinic that never changed them."""

    clinic_id: uuid.UUID
    mfa_required_for_staff: bool
    version: int
    updated_at: datetime | None
    updated_by: uuid.UUID | None

    @classmethod
    def default(cls, clinic_id: uuid.UUID) -> ClinicSecurityPolicy:
        return cls(clinic_id, False, 0, None, None)

    def require_mfa(self, required: bool, actor: uuid.UUID | None, now: datetime) -> ClinicSecurityPolicy:
        if required == self.mfa_required_for_staff:
            return self
        return replace(self, mfa_required_for_staff=required, version=self.version + 1, updated_at=now,
                       updated_by=actor)
