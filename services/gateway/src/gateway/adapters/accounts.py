"""Where identity is kept: a small interface per concern, and its SQLAlchemy adapter.

Every "use once" rule (a refresh token, a one-time token, an authenticator step, a recovery
code) is a conditional UPDATE that only one of two racing requests can win.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.adapters.orm import (
    access_audit,
    accounts,
    clinic_security_policies,
    gateway_keys,
    login_failures,
    login_sessions,
    one_time_tokens,
    recovery_codes,
    refresh_tokens,
    sign_ups,
    totp_credentials,
    upsert,
)
from gateway.domain.audit import AuditAction, AuditEntry
from gateway.domain.identity import Account, AccountStatus, ClinicSecurityPolicy, SignUp
from gateway.domain.principal import AccountKind
from gateway.domain.sessions import LoginSession, RefreshOutcome, RefreshUse, RevocationReason
from gateway.domain.throttling import Tally
from gateway.domain.tokens import Purpose

TOKEN_SIGNING_KEY = "token_signing"
MFA_ENCRYPTION_KEY = "mfa_encryption"


@dataclass(frozen=True)
class TotpCredential:
    account_id: uuid.UUID
    secret_sealed: str
    confirmed: bool
    last_used_step: int | None


@dataclass(frozen=True)
class DueLink:
    """A link recorded to be mailed: what its token is signed from."""

    token_id: uuid.UUID
    account_id: uuid.UUID | None  # None: a sign-up's link
    purpose: Purpose
    issued_at: datetime
    expires_at: datetime

    @property
    def subject_id(self) -> uuid.UUID:
        """Whom the token names: the account, or the sign-up (whose id is the token's)."""
        return self.token_id if self.account_id is None else self.account_id


# -- interfaces -------------------------------------------------------------------------------


class AccountRepository(Protocol):
    def get(self, account_id: uuid.UUID) -> Account | None: ...
    def by_email(self, email_key: str) -> Account | None: ...
    def in_clinic(self, clinic_id: uuid.UUID | None, account_id: uuid.UUID) -> Account | None:
        """The account if it belongs to `clinic_id` (None: the platform's operators)."""
    def add(self, account: Account) -> bool:
        """False when another account has the address already."""
    def set_password(self, account_id: uuid.UUID, password_hash: str, now: datetime) -> None: ...
    def operator_exists(self) -> bool: ...


class SessionRepository(Protocol):
    def add(self, session: LoginSession) -> None: ...
    def get(self, session_id: uuid.UUID) -> LoginSession | None: ...
    def revoke(self, session_id: uuid.UUID, reason: RevocationReason, now: datetime) -> bool: ...
    def revoke_all(self, account_id: uuid.UUID, reason: RevocationReason, now: datetime,
                   keep: uuid.UUID | None = None) -> list[uuid.UUID]:
        """Revoke every active session of the account but `keep`; the ids revoked."""
    def mark_mfa_verified(self, session_id: uuid.UUID) -> None: ...
    def forget_second_factor(self, account_id: uuid.UUID) -> None:
        """Every session of the account counts as opened without a second factor."""
    def add_refresh_token(self, digest: str, session_id: uuid.UUID, clinic_id: uuid.UUID | None, now: datetime,
                          expires_at: datetime) -> None: ...
    def use_refresh_token(self, digest: str, now: datetime) -> RefreshUse: ...


class MfaRepository(Protocol):
    def totp(self, account_id: uuid.UUID) -> TotpCredential | None: ...
    def put_pending(self, account_id: uuid.UUID, clinic_id: uuid.UUID | None, secret_sealed: str,
                    now: datetime) -> bool:
        """Store (or replace) a pending enrolment; False when one is confirmed already."""
    def confirm(self, account_id: uuid.UUID, step: int, now: datetime) -> bool: ...
    def advance_step(self, account_id: uuid.UUID, step: int) -> bool:
        """Accept `step` if it is later than every step accepted before."""
    def remove(self, account_id: uuid.UUID) -> bool:
        """Forget the authenticator and recovery codes; True when MFA was enabled."""
    def replace_recovery_codes(self, account_id: uuid.UUID, clinic_id: uuid.UUID | None, digests: list[str],
                               now: datetime) -> None: ...
    def use_recovery_code(self, account_id: uuid.UUID, digest: str, now: datetime) -> bool: ...


class OneTimeTokenRepository(Protocol):
    def add(self, token_id: uuid.UUID, account_id: uuid.UUID | None, clinic_id: uuid.UUID | None,
            purpose: Purpose, now: datetime, expires_at: datetime, mail: bool = False) -> None:
        """`mail`: the token is a link, due to be mailed from now. `account_id` None: a sign-up's."""
    def consume(self, token_id: uuid.UUID, purpose: Purpose, now: datetime) -> bool: ...
    def consume_all(self, account_id: uuid.UUID, purposes: Iterable[Purpose], now: datetime) -> None: ...
    def drop_unmailable(self, now: datetime) -> list[DueLink]:
        """Stop mailing the due links that expired or were spent unsent; those links."""
    def claim_mail(self, now: datetime, lease: timedelta, claim: uuid.UUID) -> DueLink | None:
        """The longest-waiting due link no other claim holds, claimed under `claim` for `lease`."""
    def release_mail(self, token_id: uuid.UUID, claim: uuid.UUID) -> None:
        """End the claim and leave the link due, for the next run to try again."""
    def end_mail(self, token_id: uuid.UUID, claim: uuid.UUID, mailed_at: datetime | None) -> bool:
        """The link is no longer due (`mailed_at` None: dropped unsent); False when it is no
        longer under `claim` (its lease ran out)."""


class SignUpRepository(Protocol):
    def add(self, sign_up: SignUp) -> None:
        """After its link (`one_time_tokens.add` with the sign-up's id)."""
    def get(self, sign_up_id: uuid.UUID) -> SignUp | None: ...
    def remove(self, sign_up_id: uuid.UUID) -> None: ...
    def drop_expired(self, now: datetime) -> int:
        """Remove the sign-ups whose link ran out, with their links; how many."""


class ClinicPolicyRepository(Protocol):
    def get(self, clinic_id: uuid.UUID) -> ClinicSecurityPolicy | None: ...
    def save(self, policy: ClinicSecurityPolicy, expected_version: int) -> bool:
        """Store the policy if the stored one is still at `expected_version` (0: none stored)."""


class AccessAuditLog(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def newest(self, clinic_id: uuid.UUID | None, limit: int, before: datetime | None) -> list[AuditEntry]: ...


class LoginFailureCounter(Protocol):
    def record(self, subject: str, now: float, window_seconds: int) -> Tally:
        """Count one attempt, atomically; a window that ended starts again at `now`."""
    def take_back(self, subject: str) -> None:
        """Uncount an attempt `record` counted in this transaction: it was no failure."""
    def clear(self, subject: str) -> None: ...


# -- SQLAlchemy adapters ----------------------------------------------------------------------

MFA_ENABLED = (
    select(totp_credentials.c.account_id)
    .where(totp_credentials.c.account_id == accounts.c.id, totp_credentials.c.confirmed_at.is_not(None))
    .exists()
    .label("mfa_enabled")
)


def account_of(row) -> Account:
    """The account a row of `select(accounts, MFA_ENABLED)` holds."""
    return Account(row.id, AccountKind(row.kind), row.clinic_id, row.email, row.display_name,
                   AccountStatus(row.status), row.password_hash, row.created_at, bool(row.mfa_enabled))


def _same_clinic(column, clinic_id: uuid.UUID | None):
    return column.is_(None) if clinic_id is None else column == clinic_id


class SqlAccounts:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, account_id: uuid.UUID) -> Account | None:
        return self._one(accounts.c.id == account_id)

    def by_email(self, email_key: str) -> Account | None:
        return self._one(accounts.c.email_key == email_key)

    def in_clinic(self, clinic_id: uuid.UUID | None, account_id: uuid.UUID) -> Account | None:
        return self._one(accounts.c.id == account_id, _same_clinic(accounts.c.clinic_id, clinic_id))

    def add(self, account: Account) -> bool:
        try:
            with self._session.begin_nested():
                self._session.execute(insert(accounts).values(
                    id=account.id, clinic_id=account.clinic_id, kind=account.kind, email=account.email,
                    email_key=account.email_key, display_name=account.display_name,
                    password_hash=account.password_hash, status=account.status, created_at=account.created_at,
                    updated_at=account.created_at,
                ))
        except IntegrityError:
            return False
        return True

    def set_password(self, account_id: uuid.UUID, password_hash: str, now: datetime) -> None:
        self._session.execute(
            update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash, updated_at=now)
        )

    def operator_exists(self) -> bool:
        found = self._session.execute(
            select(accounts.c.id).where(accounts.c.kind == AccountKind.OPERATOR).limit(1)
        ).first()
        return found is not None

    def _one(self, *conditions) -> Account | None:
        row = self._session.execute(select(accounts, MFA_ENABLED).where(*conditions)).one_or_none()
        return None if row is None else account_of(row)


class SqlSessions:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, session: LoginSession) -> None:
        self._session.execute(insert(login_sessions).values(
            id=session.id, account_id=session.account_id, clinic_id=session.clinic_id,
            mfa_verified=session.mfa_verified, created_at=session.created_at,
        ))

    def get(self, session_id: uuid.UUID) -> LoginSession | None:
        row = self._session.execute(select(login_sessions).where(login_sessions.c.id == session_id)).one_or_none()
        if row is None:
            return None
        return LoginSession(row.id, row.account_id, row.clinic_id, row.mfa_verified, row.created_at, row.revoked_at)

    def revoke(self, session_id: uuid.UUID, reason: RevocationReason, now: datetime) -> bool:
        result = self._session.execute(
            update(login_sessions)
            .where(login_sessions.c.id == session_id, login_sessions.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return result.rowcount == 1

    def revoke_all(self, account_id: uuid.UUID, reason: RevocationReason, now: datetime,
                   keep: uuid.UUID | None = None) -> list[uuid.UUID]:
        conditions = [login_sessions.c.account_id == account_id, login_sessions.c.revoked_at.is_(None)]
        if keep is not None:
            conditions.append(login_sessions.c.id != keep)
        revoked = self._session.execute(
            update(login_sessions).where(*conditions).values(revoked_at=now, revoked_reason=reason)
            .returning(login_sessions.c.id)
        ).scalars().all()
        return sorted(revoked)

    def mark_mfa_verified(self, session_id: uuid.UUID) -> None:
        self._session.execute(update(login_sessions).where(login_sessions.c.id == session_id).values(mfa_verified=True))

    def forget_second_factor(self, account_id: uuid.UUID) -> None:
        self._session.execute(update(login_sessions).where(
            login_sessions.c.account_id == account_id, login_sessions.c.mfa_verified).values(mfa_verified=False))

    def add_refresh_token(self, digest: str, session_id: uuid.UUID, clinic_id: uuid.UUID | None, now: datetime,
                          expires_at: datetime) -> None:
        self._session.execute(insert(refresh_tokens).values(
            token_hash=digest, session_id=session_id, clinic_id=clinic_id, issued_at=now, expires_at=expires_at,
        ))

    def use_refresh_token(self, digest: str, now: datetime) -> RefreshUse:
        spent = self._session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == digest, refresh_tokens.c.used_at.is_(None),
                   refresh_tokens.c.expires_at > now)
            .values(used_at=now)
            .returning(refresh_tokens.c.session_id)
        ).scalar_one_or_none()
        if spent is not None:
            return RefreshUse(RefreshOutcome.ROTATED, spent)
        row = self._session.execute(
            select(refresh_tokens.c.session_id, refresh_tokens.c.used_at).where(refresh_tokens.c.token_hash == digest)
        ).one_or_none()
        if row is None:
            return RefreshUse(RefreshOutcome.UNKNOWN)
        if row.used_at is not None:
            return RefreshUse(RefreshOutcome.REUSED, row.session_id)
        return RefreshUse(RefreshOutcome.EXPIRED, row.session_id)


class SqlMfa:
    def __init__(self, session: Session) -> None:
        self._session = session

    def totp(self, account_id: uuid.UUID) -> TotpCredential | None:
        row = self._session.execute(
            select(totp_credentials).where(totp_credentials.c.account_id == account_id)
        ).one_or_none()
        if row is None:
            return None
        return TotpCredential(row.account_id, row.secret_sealed, row.confirmed_at is not None, row.last_used_step)

    def put_pending(self, account_id: uuid.UUID, clinic_id: uuid.UUID | None, secret_sealed: str,
                    now: datetime) -> bool:
        statement = upsert(self._session.get_bind().dialect.name, totp_credentials).values(
            account_id=account_id, clinic_id=clinic_id, secret_sealed=secret_sealed, created_at=now,
        )
        stored = self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[totp_credentials.c.account_id],
                set_={"secret_sealed": secret_sealed, "created_at": now},
                where=totp_credentials.c.confirmed_at.is_(None),
            ).returning(totp_credentials.c.account_id)
        ).first()
        return stored is not None

    def confirm(self, account_id: uuid.UUID, step: int, now: datetime) -> bool:
        result = self._session.execute(
            update(totp_credentials)
            .where(totp_credentials.c.account_id == account_id, totp_credentials.c.confirmed_at.is_(None))
            .values(confirmed_at=now, last_used_step=step)
        )
        return result.rowcount == 1

    def advance_step(self, account_id: uuid.UUID, step: int) -> bool:
        result = self._session.execute(
            update(totp_credentials)
            .where(totp_credentials.c.account_id == account_id, totp_credentials.c.confirmed_at.is_not(None),
                   or_(totp_credentials.c.last_used_step.is_(None), totp_credentials.c.last_used_step < step))
            .values(last_used_step=step)
        )
        return result.rowcount == 1

    def remove(self, account_id: uuid.UUID) -> bool:
        self._session.execute(delete(recovery_codes).where(recovery_codes.c.account_id == account_id))
        removed = self._session.execute(
            delete(totp_credentials).where(totp_credentials.c.account_id == account_id)
            .returning(totp_credentials.c.confirmed_at)
        ).first()
        return removed is not None and removed.confirmed_at is not None

    def replace_recovery_codes(self, account_id: uuid.UUID, clinic_id: uuid.UUID | None, digests: list[str],
                               now: datetime) -> None:
        self._session.execute(delete(recovery_codes).where(recovery_codes.c.account_id == account_id))
        self._session.execute(insert(recovery_codes), [
            {"account_id": account_id, "code_hash": digest, "clinic_id": clinic_id, "created_at": now}
            for digest in digests
        ])

    def use_recovery_code(self, account_id: uuid.UUID, digest: str, now: datetime) -> bool:
        result = self._session.execute(
            update(recovery_codes)
            .where(recovery_codes.c.account_id == account_id, recovery_codes.c.code_hash == digest,
                   recovery_codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1


class SqlOneTimeTokens:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, token_id: uuid.UUID, account_id: uuid.UUID | None, clinic_id: uuid.UUID | None,
            purpose: Purpose, now: datetime, expires_at: datetime, mail: bool = False) -> None:
        self._session.execute(insert(one_time_tokens).values(
            id=token_id, account_id=account_id, clinic_id=clinic_id, purpose=purpose, created_at=now,
            expires_at=expires_at, mail_due_at=now if mail else None,
        ))

    def consume(self, token_id: uuid.UUID, purpose: Purpose, now: datetime) -> bool:
        result = self._session.execute(
            update(one_time_tokens)
            .where(one_time_tokens.c.id == token_id, one_time_tokens.c.purpose == purpose,
                   one_time_tokens.c.used_at.is_(None), one_time_tokens.c.expires_at > now)
            .values(used_at=now)
        )
        return result.rowcount == 1

    def consume_all(self, account_id: uuid.UUID, purposes: Iterable[Purpose], now: datetime) -> None:
        self._session.execute(
            update(one_time_tokens)
            .where(one_time_tokens.c.account_id == account_id, one_time_tokens.c.purpose.in_(list(purposes)),
                   one_time_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )

    def drop_unmailable(self, now: datetime) -> list[DueLink]:
        c = one_time_tokens.c
        rows = self._session.execute(
            update(one_time_tokens)
            .where(c.mail_due_at.is_not(None), or_(c.expires_at <= now, c.used_at.is_not(None)))
            .values(mail_due_at=None, mail_claimed_until=None, mail_claim=None)
            .returning(c.id, c.account_id, c.purpose, c.created_at, c.expires_at)
        ).all()
        return [_due_link(row) for row in rows]

    def claim_mail(self, now: datetime, lease: timedelta, claim: uuid.UUID) -> DueLink | None:
        c = one_time_tokens.c
        row = self._session.execute(
            select(c.id, c.account_id, c.purpose, c.created_at, c.expires_at)
            .where(c.mail_due_at.is_not(None), c.used_at.is_(None), c.expires_at > now,
                   or_(c.mail_claimed_until.is_(None), c.mail_claimed_until <= now))
            .order_by(c.mail_due_at).limit(1).with_for_update(skip_locked=True)
        ).one_or_none()
        if row is None:
            return None
        self._session.execute(update(one_time_tokens).where(c.id == row.id)
                              .values(mail_claimed_until=now + lease, mail_claim=claim))
        return _due_link(row)

    def release_mail(self, token_id: uuid.UUID, claim: uuid.UUID) -> None:
        self._session.execute(
            update(one_time_tokens)
            .where(one_time_tokens.c.id == token_id, one_time_tokens.c.mail_claim == claim)
            .values(mail_claimed_until=None, mail_claim=None)
        )

    def end_mail(self, token_id: uuid.UUID, claim: uuid.UUID, mailed_at: datetime | None) -> bool:
        result = self._session.execute(
            update(one_time_tokens)
            .where(one_time_tokens.c.id == token_id, one_time_tokens.c.mail_claim == claim)
            .values(mail_due_at=None, mail_claimed_until=None, mail_claim=None, mailed_at=mailed_at)
        )
        return result.rowcount == 1


class SqlSignUps:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, sign_up: SignUp) -> None:
        self._session.execute(insert(sign_ups).values(
            id=sign_up.id, clinic_id=sign_up.clinic_id, email=sign_up.email, display_name=sign_up.display_name,
            password_hash=sign_up.password_hash,
        ))

    def get(self, sign_up_id: uuid.UUID) -> SignUp | None:
        row = self._session.execute(select(sign_ups).where(sign_ups.c.id == sign_up_id)).one_or_none()
        return None if row is None else SignUp(row.id, row.clinic_id, row.email, row.display_name, row.password_hash)

    def remove(self, sign_up_id: uuid.UUID) -> None:
        self._session.execute(delete(sign_ups).where(sign_ups.c.id == sign_up_id))

    def drop_expired(self, now: datetime) -> int:
        expired = select(one_time_tokens.c.id).where(
            one_time_tokens.c.account_id.is_(None), one_time_tokens.c.purpose == Purpose.REGISTRATION,
            one_time_tokens.c.expires_at <= now)
        ids = list(self._session.execute(expired).scalars())
        if ids:
            self._session.execute(delete(sign_ups).where(sign_ups.c.id.in_(ids)))
            self._session.execute(delete(one_time_tokens).where(one_time_tokens.c.id.in_(ids)))
        return len(ids)


def _due_link(row) -> DueLink:
    return DueLink(row.id, row.account_id, Purpose(row.purpose), row.created_at, row.expires_at)


class SqlClinicPolicies:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID) -> ClinicSecurityPolicy | None:
        row = self._session.execute(
            select(clinic_security_policies).where(clinic_security_policies.c.clinic_id == clinic_id)
        ).one_or_none()
        if row is None:
            return None
        return ClinicSecurityPolicy(row.clinic_id, row.mfa_required_for_staff, row.version, row.updated_at,
                                    row.updated_by)

    def save(self, policy: ClinicSecurityPolicy, expected_version: int) -> bool:
        values = dict(mfa_required_for_staff=policy.mfa_required_for_staff, version=policy.version,
                      updated_at=policy.updated_at, updated_by=policy.updated_by)
        if expected_version == 0:
            try:
                with self._session.begin_nested():
                    self._session.execute(
                        insert(clinic_security_policies).values(clinic_id=policy.clinic_id, **values)
                    )
            except IntegrityError:
                return False
            return True
        result = self._session.execute(
            update(clinic_security_policies)
            .where(clinic_security_policies.c.clinic_id == policy.clinic_id,
                   clinic_security_policies.c.version == expected_version)
            .values(**values)
        )
        return result.rowcount == 1


class SqlAccessAudit:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, entry: AuditEntry) -> None:
        self._session.execute(insert(access_audit).values(
            id=entry.id, clinic_id=entry.clinic_id, at=entry.at, actor_id=entry.actor_id,
            subject_id=entry.subject_id, action=entry.action, before=entry.before, after=entry.after,
            client_address=entry.client_address,
        ))

    def newest(self, clinic_id: uuid.UUID | None, limit: int, before: datetime | None) -> list[AuditEntry]:
        query = select(access_audit).where(_same_clinic(access_audit.c.clinic_id, clinic_id))
        if before is not None:
            query = query.where(access_audit.c.at < before)
        rows = self._session.execute(query.order_by(access_audit.c.at.desc(), access_audit.c.id.desc()).limit(limit))
        return [AuditEntry(row.id, row.clinic_id, row.at, row.actor_id, row.subject_id, AuditAction(row.action),
                           row.before, row.after, row.client_address) for row in rows]


class SqlLoginFailures:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, subject: str, now: float, window_seconds: int) -> Tally:
        # One statement, so concurrent attempts in other processes are all counted. On PostgreSQL
        # it also locks the row until this transaction ends: the next attempt at the same subject
        # waits, then counts on top of this one and of its outcome (taken back or not).
        ended = login_failures.c.started_at <= now - window_seconds
        statement = upsert(self._session.get_bind().dialect.name, login_failures).values(
            subject=subject, failures=1, started_at=now,
        )
        row = self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[login_failures.c.subject],
                set_={"failures": case((ended, 1), else_=login_failures.c.failures + 1),
                      "started_at": case((ended, now), else_=login_failures.c.started_at)},
            ).returning(login_failures.c.failures, login_failures.c.started_at)
        ).one()
        return Tally(row.failures, row.started_at)

    def take_back(self, subject: str) -> None:
        self._session.execute(update(login_failures).where(login_failures.c.subject == subject)
                              .values(failures=login_failures.c.failures - 1))

    def clear(self, subject: str) -> None:
        self._session.execute(delete(login_failures).where(login_failures.c.subject == subject))

    def purge(self, now: float, window_seconds: int) -> int:
        """Forget tallies whose window has ended: they no longer throttle anyone."""
        ended = login_failures.c.started_at <= now - window_seconds
        return self._session.execute(delete(login_failures).where(ended)).rowcount


class SqlGatewayKeys:
    """The keys gateway-migrate generated (migration 0002); read when no setting gives one."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, name: str) -> str | None:
        return self._session.execute(select(gateway_keys.c.value).where(gateway_keys.c.name == name)).scalar_one_or_none()
