"""The identity routes: login, tokens, passwords, the signed-in account and its MFA.

Token-bearing answers are never cached (Cache-Control: no-store). None of these POSTs honours
Idempotency-Key: a replay would have to store the tokens or secrets it answered with.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from pydantic import BaseModel, Field, model_validator

from clinic_runtime.problems import FieldError, Problem, conflict, validation_problem
from clinic_runtime.web import json_body
from gateway.domain.identity import Account
from gateway.entrypoints.access import access_control
from gateway.entrypoints.authentication import REALM, committed_uow, current_principal, request_uow
from gateway.entrypoints.problems import ProblemWithHeaders, too_many_requests
from gateway.entrypoints.rate_limits import client_address, rate_limited
from gateway.service_layer import clinic_administration as administration
from gateway.service_layer import mfa, passwords, sessions
from gateway.service_layer.outcomes import Refusal, Refused, Throttled

auth = Blueprint("identity", __name__)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
SECRET_LENGTH = 1024  # generous for any password, small enough that hashing it stays cheap
TOKEN_LENGTH = 4096


class LoginBody(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=SECRET_LENGTH)


class SecondFactorBody(BaseModel):
    code: str | None = Field(default=None, max_length=16)
    recovery_code: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_proof(self) -> SecondFactorBody:
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("send either code (from the authenticator) or recovery_code")
        return self


class SecondStepBody(SecondFactorBody):
    mfa_token: str = Field(max_length=TOKEN_LENGTH)


class RefreshBody(BaseModel):
    refresh_token: str = Field(max_length=200)


class PasswordChangeBody(BaseModel):
    current_password: str = Field(max_length=SECRET_LENGTH)
    new_password: str = Field(max_length=SECRET_LENGTH)


class ResetRequestBody(BaseModel):
    email: str = Field(max_length=320)


class ResetConfirmBody(BaseModel):
    token: str = Field(max_length=TOKEN_LENGTH)
    new_password: str = Field(max_length=SECRET_LENGTH)


class RegistrationConfirmBody(BaseModel):
    token: str = Field(max_length=TOKEN_LENGTH)
    password: str = Field(max_length=SECRET_LENGTH)


class ConfirmTotpBody(BaseModel):
    code: str = Field(max_length=16)


class DisableMfaBody(SecondFactorBody):
    password: str = Field(max_length=SECRET_LENGTH)


# -- signing in and out -----------------------------------------------------------------------


@auth.post("/v1/auth/login")
@rate_limited("login")
def login():
    body = json_body(LoginBody)
    with committed_uow() as uow:
        outcome = sessions.log_in(uow, body.email, body.password, client_address())
    if isinstance(outcome, sessions.SecondFactorNeeded):
        return {"mfa_required": True, "mfa_token": outcome.mfa_token, "expires_in": outcome.expires_in}, 200, NO_STORE
    return _tokens_or_refusal(outcome)


@auth.post("/v1/auth/login/mfa")
@rate_limited("login")
def login_second_step():
    body = json_body(SecondStepBody)
    with committed_uow() as uow:
        outcome = sessions.log_in_second_step(uow, body.mfa_token, body.code, body.recovery_code, client_address())
    return _tokens_or_refusal(outcome)


@auth.post("/v1/auth/refresh")
@rate_limited("public")
def refresh():
    body = json_body(RefreshBody)
    with committed_uow() as uow:
        outcome = sessions.refresh(uow, body.refresh_token)
    return _tokens_or_refusal(outcome)


@auth.post("/v1/auth/logout")
def logout():
    sessions.log_out(request_uow(), current_principal())
    return "", 204


# -- passwords --------------------------------------------------------------------------------


@auth.post("/v1/auth/password")
def change_password():
    principal = current_principal()
    body = json_body(PasswordChangeBody)
    try:
        with committed_uow() as uow:
            outcome = passwords.change_password(uow, principal, body.current_password, body.new_password,
                                                client_address())
    except passwords.PasswordRejected as rejected:
        raise _rejected("new_password", rejected) from None
    if isinstance(outcome, passwords.PasswordChanged):
        return {"other_sessions_revoked": outcome.other_sessions_revoked}, 200
    raise _signed_in_refusal(outcome)


@auth.post("/v1/auth/password-reset")
@rate_limited("password_reset")
def request_password_reset():
    body = json_body(ResetRequestBody)
    passwords.request_password_reset(request_uow(), body.email)
    return {"detail": "If an account has this address, a link to choose a new password is on its way."}, 202


@auth.post("/v1/auth/password-reset/confirm")
@rate_limited("password_reset")
def confirm_password_reset():
    body = json_body(ResetConfirmBody)
    try:
        passwords.set_password_with_link(request_uow(), body.token, body.new_password)
    except passwords.InvalidLink:
        raise _invalid_link() from None
    except passwords.PasswordRejected as rejected:
        raise _rejected("new_password", rejected) from None
    return "", 204


@auth.post("/v1/auth/registration/confirm")
@rate_limited("login")
def confirm_registration():
    """A patient's sign-up confirmed with the mailed link and its password: signed in at once."""
    body = json_body(RegistrationConfirmBody)
    try:
        with committed_uow() as uow:
            outcome = administration.confirm_registration(uow, access_control().entitlements, body.token,
                                                          body.password, client_address())
    except passwords.InvalidLink:
        raise _invalid_link() from None
    return _tokens_or_refusal(outcome)


# -- the signed-in account --------------------------------------------------------------------


@auth.get("/v1/me")
def me():
    principal = current_principal()
    uow = request_uow()
    account = uow.accounts.get(principal.account_id)
    if account is None:
        raise LookupError(f"the signed-in account {principal.account_id} does not exist")
    return {**_account(account), "mfa_required": mfa.second_factor_required(uow, account),
            "mfa_verified": principal.mfa_verified}


@auth.post("/v1/me/mfa/totp")
def begin_totp_enrolment():
    principal = current_principal()
    try:
        enrolment = mfa.begin_totp_enrolment(request_uow(), principal)
    except mfa.MfaAlreadyEnabled:
        raise _mfa_already_enabled() from None
    return {"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri}, 200, NO_STORE


@auth.post("/v1/me/mfa/totp/confirm")
def confirm_totp_enrolment():
    principal = current_principal()
    body = json_body(ConfirmTotpBody)
    try:
        codes = mfa.confirm_totp_enrolment(request_uow(), principal, body.code)
    except mfa.NoPendingEnrolment:
        raise conflict("no-pending-enrolment", "Start with POST /v1/me/mfa/totp to get a secret.") from None
    except mfa.MfaAlreadyEnabled:
        raise _mfa_already_enabled() from None
    except mfa.WrongCode:
        raise validation_problem([FieldError("code", "is not the authenticator's current code")]) from None
    return {"recovery_codes": codes}, 200, NO_STORE


@auth.delete("/v1/me/mfa")
def disable_mfa():
    principal = current_principal()
    body = json_body(DisableMfaBody)
    try:
        with committed_uow() as uow:
            outcome = mfa.disable_mfa(uow, principal, body.password, body.code, body.recovery_code, client_address())
    except mfa.MfaNotEnabled:
        raise conflict("mfa-not-enabled", "This account has no second factor to turn off.") from None
    except mfa.MfaRequiredByClinic:
        raise conflict("mfa-required-by-clinic", "Your clinic requires a second factor, so it cannot be turned off; to "
                       "replace a lost authenticator, ask a clinic admin to reset it, then enrol again.") from None
    if isinstance(outcome, mfa.MfaDisabled):
        return "", 204
    raise _signed_in_refusal(outcome)


# -- answers ----------------------------------------------------------------------------------

# Refusals on the way in: 401, since the caller is not (yet) authenticated.
_LOGIN_REFUSALS = {
    Refusal.INVALID_CREDENTIALS: ("invalid-credentials", "The email address or the password is wrong."),
    Refusal.INVALID_MFA_TOKEN: ("invalid-mfa-token", "This login step expired or was used already: log in again."),
    Refusal.INVALID_SECOND_FACTOR: ("invalid-second-factor",
                                    "The code is wrong, too old or used already: log in again."),
    Refusal.INVALID_REFRESH_TOKEN: ("invalid-refresh-token", "The refresh token is not valid: log in again."),
}
# Refusals to a signed-in account proving itself again: 403, its token is fine.
_SIGNED_IN_REFUSALS = {
    Refusal.WRONG_PASSWORD: ("wrong-password", "The password is wrong."),
    Refusal.INVALID_SECOND_FACTOR: ("invalid-second-factor", "The code is wrong, too old or used already."),
}


def _tokens_or_refusal(outcome: sessions.Tokens | Refused | Throttled) -> tuple[dict[str, Any], int, dict[str, str]]:
    if isinstance(outcome, Throttled):
        raise _throttled(outcome)
    if isinstance(outcome, Refused):
        kind, title = _LOGIN_REFUSALS[outcome.refusal]
        raise ProblemWithHeaders(401, kind, title, headers={"WWW-Authenticate": REALM})
    return ({"access_token": outcome.access_token, "token_type": "Bearer", "expires_in": outcome.expires_in,
             "refresh_token": outcome.refresh_token}, 200, NO_STORE)


def _signed_in_refusal(outcome: Refused | Throttled) -> Problem:
    if isinstance(outcome, Throttled):
        return _throttled(outcome)
    kind, title = _SIGNED_IN_REFUSALS[outcome.refusal]
    return Problem(403, kind, title)


def _throttled(outcome: Throttled) -> ProblemWithHeaders:
    return too_many_requests("login-throttled", "Too many failed attempts.", outcome.retry_after_seconds)


def _rejected(field: str, rejected: passwords.PasswordRejected) -> Problem:
    return validation_problem([FieldError(field, problem) for problem in rejected.problems])


def _invalid_link() -> Problem:
    return validation_problem([FieldError("token", "is invalid, expired or used already: ask for a new link")])


def _mfa_already_enabled() -> Problem:
    return conflict("mfa-already-enabled", "This account has a second factor already; turn it off first to replace it.")


def _account(account: Account) -> dict[str, Any]:
    return {
        "id": str(account.id), "kind": account.kind, "clinic_id": None if account.clinic_id is None else
        str(account.clinic_id), "email": account.email, "display_name": account.display_name,
        "status": account.status, "mfa_enabled": account.mfa_enabled,
    }
