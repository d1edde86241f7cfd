"""Second factors: enrolling an authenticator (TOTP), checking a code or a recovery code, and
turning MFA off again."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from gateway.domain import totp
from gateway.domain.audit import AuditAction
from gateway.domain.identity import Account
from gateway.domain.principal import Principal
from gateway.service_layer import audit, throttling
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MFA_ISSUER = "Clinic platform"  # how authenticator apps label the entry


class MfaAlreadyEnabled(Exception):
    pass


class MfaNotEnabled(Exception):
    pass


class MfaRequiredByClinic(Exception):
    """The account's clinic requires a second factor: it may be replaced (an admin resets it), never
    turned off by whoever holds a signed-in session."""


class NoPendingEnrolment(Exception):
    pass


class WrongCode(Exception):
    pass


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, to type into an authenticator app
    otpauth_uri: str  # the same, as the URI a QR code carries


@dataclass(frozen=True)
class MfaDisabled:
    pass


def begin_totp_enrolment(uow: UnitOfWork, principal: Principal) -> Enrolment:
    """A new pending secret; it takes effect only once a code from it is confirmed."""
    account = _account(uow, principal)
    if account.mfa_enabled:
        raise MfaAlreadyEnabled()
    secret = totp.new_secret()
    if not uow.mfa.put_pending(account.id, account.clinic_id, uow.tools.secret_box.seal(totp.encode_secret(secret)),
                               uow.tools.clock()):
        raise MfaAlreadyEnabled()
    return Enrolment(totp.encode_secret(secret), totp.otpauth_uri(secret, account.email, MFA_ISSUER))


def confirm_totp_enrolment(uow: UnitOfWork, principal: Principal, code: str) -> list[str]:
    """Turn MFA on with a code from the pending secret; the recovery codes, shown this once."""
    account = _account(uow, principal)
    credential = uow.mfa.totp(account.id)
    if credential is None:
        raise NoPendingEnrolment()
    if credential.confirmed:
        raise MfaAlreadyEnabled()
    now = uow.tools.clock()
    secret = totp.decode_secret(uow.tools.secret_box.open(credential.secret_sealed))
    step = totp.accepted_step(secret, code, now.timestamp(), None)
    if step is None:
        raise WrongCode()
    # The confirming code's step counts as used: it cannot open a login afterwards.
    if not uow.mfa.confirm(account.id, step, now):
        raise MfaAlreadyEnabled()
    codes = totp.new_recovery_codes()
    uow.mfa.replace_recovery_codes(account.id, account.clinic_id, [totp.recovery_code_digest(c) for c in codes], now)
    # This session has just proven the second factor: its next tokens say so.
    uow.sessions.mark_mfa_verified(principal.session_id)
    audit.record(uow, AuditAction.MFA_ENROLLED, clinic_id=account.clinic_id, actor_id=account.id,
                 subject_id=account.id, before={"mfa_enabled": False}, after={"mfa_enabled": True})
    return codes


def mfa_required_for(uow: UnitOfWork, clinic_id: uuid.UUID) -> bool:
    """Whether the clinic requires a second factor of its staff and providers (never of patients);
    a clinic that never changed its security settings does not."""
    policy = uow.policies.get(clinic_id)
    return policy is not None and policy.mfa_required_for_staff


def second_factor_required(uow: UnitOfWork, account: Account) -> bool:
    """Whether `account`'s clinic requires a second factor of it."""
    return account.mfa_policy_applies and account.clinic_id is not None and mfa_required_for(uow, account.clinic_id)


def disable_mfa(uow: UnitOfWork, principal: Principal, password: str, code: str | None, recovery_code: str | None,
                client_address: str) -> MfaDisabled | Refused | Throttled:
    """Turn MFA off, proven with the password and a second factor; every session of the account
    then counts as opened without one. Raises MfaRequiredByClinic when its clinic requires MFA:
    otherwise a stolen password could turn it off and enrol the thief's authenticator."""
    account = _account(uow, principal)
    if not account.mfa_enabled:
        raise MfaNotEnabled()
    if second_factor_required(uow, account):
        raise MfaRequiredByClinic()
    now = uow.tools.clock()
    wait = throttling.count_attempt(uow, account.email_key, client_address, now)
    if wait is not None:
        return Throttled(wait)
    refusal = None
    if account.password_hash is None or not uow.tools.hasher.verify(account.password_hash, password):
        refusal = Refusal.WRONG_PASSWORD
    elif verify_second_factor(uow, account, code, recovery_code) is None:
        refusal = Refusal.INVALID_SECOND_FACTOR
    if refusal is not None:
        audit.record(uow, AuditAction.LOGIN_FAILED, clinic_id=account.clinic_id, actor_id=account.id,
                     subject_id=account.id, after={"reason": refusal, "while": "disabling_mfa"},
                     client_address=client_address)
        return Refused(refusal)
    throttling.take_back(uow, account.email_key, client_address)
    uow.mfa.remove(account.id)
    uow.sessions.forget_second_factor(account.id)
    audit.record(uow, AuditAction.MFA_DISABLED, clinic_id=account.clinic_id, actor_id=account.id,
                 subject_id=account.id, before={"mfa_enabled": True}, after={"mfa_enabled": False},
                 client_address=client_address)
    return MfaDisabled()


def verify_second_factor(uow: UnitOfWork, account: Account, code: str | None, recovery_code: str | None) -> str | None:
    """How the account proved its second factor ("totp" or "recovery_code"), or None.

    Each proof is spent as it is accepted (the authenticator step, the recovery code), with a
    conditional update, so of two requests racing with the same proof only one succeeds.
    """
    now = uow.tools.clock()
    if code is not None:
        credential = uow.mfa.totp(account.id)
        if credential is None or not credential.confirmed:
            return None
        secret = totp.decode_secret(uow.tools.secret_box.open(credential.secret_sealed))
        step = totp.accepted_step(secret, code, now.timestamp(), credential.last_used_step)
        if step is None or not uow.mfa.advance_step(account.id, step):
            return None
        return "totp"
    if recovery_code is not None and uow.mfa.use_recovery_code(account.id, totp.recovery_code_digest(recovery_code),
                                                                 now):
        log.info("recovery code used", extra={"account_id": str(account.id)})
        return "recovery_code"
    return None


def _account(uow: UnitOfWork, principal: Principal) -> Account:
    account = uow.accounts.get(principal.account_id)
    if account is None:
        raise LookupError(f"the signed-in account {principal.account_id} does not exist")
    return account
