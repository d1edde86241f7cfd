"""Enrolling an authenticator, confirming it, the recovery codes, and turning MFA off."""

from __future__ import annotations

import pytest

from gateway.domain import totp
from gateway.domain.principal import Principal
from gateway.service_layer import mfa, sessions
from gateway.service_layer.mfa import MfaAlreadyEnabled, MfaDisabled, MfaNotEnabled, NoPendingEnrolment, WrongCode
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.sessions import SecondFactorNeeded, Tokens

PASSWORD = "plum tree orchard at dawn"
ADDRESS = "203.0.113.7"


@pytest.fixture
def signed_in(uow):
    """An account without MFA, logged in: (account, principal)."""
    account = uow.add_account()
    tokens = sessions.log_in(uow, account.email, PASSWORD, ADDRESS)
    claims = uow.tools.tokens.read_access_token(tokens.access_token, uow.clock())
    return account, Principal(claims.account_id, claims.kind, claims.clinic_id, claims.session_id, False)


def enrol(uow, principal) -> tuple[bytes, list[str]]:
    enrolment = mfa.begin_totp_enrolment(uow, principal)
    secret = totp.decode_secret(enrolment.secret)
    return secret, mfa.confirm_totp_enrolment(uow, principal, uow.code(secret))


def test_enrolment_starts_with_a_secret_and_its_otpauth_uri_and_changes_nothing_yet(uow, signed_in):
    account, principal = signed_in

    enrolment = mfa.begin_totp_enrolment(uow, principal)

    assert len(totp.decode_secret(enrolment.secret)) == 20
    assert enrolment.otpauth_uri.startswith("otpauth://totp/Clinic%20platform%3A")
    assert f"secret={enrolment.secret}" in enrolment.otpauth_uri
    assert not uow.accounts.get(account.id).mfa_enabled
    assert isinstance(sessions.log_in(uow, account.email, PASSWORD, ADDRESS), Tokens)


def test_the_secret_is_kept_encrypted(uow, signed_in):
    account, principal = signed_in
    enrolment = mfa.begin_totp_enrolment(uow, principal)
    sealed = uow.mfa.credentials[account.id].secret_sealed
    assert enrolment.secret not in sealed
    assert uow.tools.secret_box.open(sealed) == enrolment.secret


def test_confirming_with_a_current_code_enables_mfa_and_shows_ten_recovery_codes(uow, signed_in):
    account, principal = signed_in

    _, codes = enrol(uow, principal)

    assert len(set(codes)) == 10
    assert uow.accounts.get(account.id).mfa_enabled
    assert isinstance(sessions.log_in(uow, account.email, PASSWORD, ADDRESS), SecondFactorNeeded)


def test_recovery_codes_are_kept_only_as_digests(uow, signed_in):
    account, principal = signed_in
    _, codes = enrol(uow, principal)
    stored = {digest for (owner, digest) in uow.mfa.recovery if owner == account.id}
    assert stored == {totp.recovery_code_digest(code) for code in codes}


def test_confirming_marks_this_session_as_verified_by_a_second_factor(uow, signed_in):
    _, principal = signed_in
    enrol(uow, principal)
    assert uow.sessions.get(principal.session_id).mfa_verified is True


def test_the_confirming_code_cannot_open_a_login_afterwards(uow, signed_in):
    account, principal = signed_in
    enrolment = mfa.begin_totp_enrolment(uow, principal)
    secret = totp.decode_secret(enrolment.secret)
    code = uow.code(secret)
    mfa.confirm_totp_enrolment(uow, principal, code)

    challenge = sessions.log_in(uow, account.email, PASSWORD, ADDRESS)
    outcome = sessions.log_in_second_step(uow, challenge.mfa_token, code, None, ADDRESS)

    assert outcome == Refused(Refusal.INVALID_SECOND_FACTOR)


def test_enrolment_is_audited_with_before_and_after(uow, signed_in):
    account, principal = signed_in
    enrol(uow, principal)
    entry = uow.audit.entries[-1]
    assert (entry.action, entry.actor_id, entry.subject_id, entry.before, entry.after) == (
        "mfa.enrolled", account.id, account.id, {"mfa_enabled": False}, {"mfa_enabled": True})


def test_a_wrong_code_does_not_confirm(uow, signed_in):
    account, principal = signed_in
    enrolment = mfa.begin_totp_enrolment(uow, principal)
    secret = totp.decode_secret(enrolment.secret)
    with pytest.raises(WrongCode):
        mfa.confirm_totp_enrolment(uow, principal, uow.code(secret, steps_from_now=-3))
    assert not uow.accounts.get(account.id).mfa_enabled


def test_confirming_without_starting_is_refused(uow, signed_in):
    with pytest.raises(NoPendingEnrolment):
        mfa.confirm_totp_enrolment(uow, signed_in[1], "123456")


def test_starting_again_replaces_a_pending_secret(uow, signed_in):
    _, principal = signed_in
    first = totp.decode_secret(mfa.begin_totp_enrolment(uow, principal).secret)
    second = totp.decode_secret(mfa.begin_totp_enrolment(uow, principal).secret)
    with pytest.raises(WrongCode):
        mfa.confirm_totp_enrolment(uow, principal, uow.code(first))
    assert mfa.confirm_totp_enrolment(uow, principal, uow.code(second))


def test_an_account_with_mfa_cannot_start_or_confirm_another_enrolment(uow, signed_in):
    _, principal = signed_in
    secret, _ = enrol(uow, principal)
    with pytest.raises(MfaAlreadyEnabled):
        mfa.begin_totp_enrolment(uow, principal)
    with pytest.raises(MfaAlreadyEnabled):
        mfa.confirm_totp_enrolment(uow, principal, uow.code(secret, 1))


# -- turning MFA off --------------------------------------------------------------------------


def test_mfa_is_turned_off_with_the_password_and_a_current_code(uow, signed_in, clock):
    account, principal = signed_in
    secret, _ = enrol(uow, principal)
    clock.advance(seconds=30)

    assert mfa.disable_mfa(uow, principal, PASSWORD, uow.code(secret), None, ADDRESS) == MfaDisabled()

    entry = uow.audit.entries[-1]
    assert (entry.action, entry.before, entry.after) == ("mfa.disabled", {"mfa_enabled": True},
                                                         {"mfa_enabled": False})
    assert not uow.accounts.get(account.id).mfa_enabled
    assert isinstance(sessions.log_in(uow, account.email, PASSWORD, ADDRESS), Tokens)


def test_mfa_is_turned_off_with_a_recovery_code_too(uow, signed_in):
    _, principal = signed_in
    _, codes = enrol(uow, principal)
    assert mfa.disable_mfa(uow, principal, PASSWORD, None, codes[3], ADDRESS) == MfaDisabled()
    assert uow.mfa.recovery == {}


def test_a_wrong_password_keeps_mfa_on_and_counts_as_a_failure(uow, signed_in, clock):
    account, principal = signed_in
    secret, _ = enrol(uow, principal)
    clock.advance(seconds=30)

    outcome = mfa.disable_mfa(uow, principal, "not my password!", uow.code(secret), None, ADDRESS)

    assert outcome == Refused(Refusal.WRONG_PASSWORD)
    assert uow.accounts.get(account.id).mfa_enabled
    assert uow.audit.entries[-1].after == {"reason": "wrong_password", "while": "disabling_mfa"}


def test_a_replayed_code_keeps_mfa_on(uow, signed_in):
    account, principal = signed_in
    secret, _ = enrol(uow, principal)
    outcome = mfa.disable_mfa(uow, principal, PASSWORD, uow.code(secret), None, ADDRESS)
    assert outcome == Refused(Refusal.INVALID_SECOND_FACTOR)
    assert uow.accounts.get(account.id).mfa_enabled


def test_guessing_is_throttled(uow, signed_in):
    _, principal = signed_in
    enrol(uow, principal)
    for _ in range(5):
        mfa.disable_mfa(uow, principal, "not my password!", "000000", None, ADDRESS)
    assert isinstance(mfa.disable_mfa(uow, principal, PASSWORD, "000000", None, ADDRESS), Throttled)


def test_turning_off_mfa_that_is_not_on_is_refused(uow, signed_in):
    with pytest.raises(MfaNotEnabled):
        mfa.disable_mfa(uow, signed_in[1], PASSWORD, "123456", None, ADDRESS)
