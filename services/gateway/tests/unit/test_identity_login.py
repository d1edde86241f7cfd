"""Logging in: one refusal for every wrong credential, the second step for MFA accounts, and
the session and tokens a successful login opens."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from gateway.domain import totp
from gateway.domain.identity import AccountStatus
from gateway.domain.passwords import PasswordHasher
from gateway.domain.principal import AccountKind
from gateway.service_layer import sessions
from gateway.service_layer.accounts import set_clinic_mfa_requirement
from gateway.service_layer.outcomes import Refusal, Refused
from gateway.service_layer.sessions import SecondFactorNeeded, Tokens

PASSWORD = "plum tree orchard at dawn"  # the fixtures' accounts use it
ADDRESS = "203.0.113.7"


def log_in(uow, email, password=PASSWORD):
    return sessions.log_in(uow, email, password, ADDRESS)


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=8, parallelism=1)
        self.verifications = 0

    def verify(self, password_hash, password):
        self.verifications += 1
        return super().verify(password_hash, password)


def test_the_right_password_opens_a_session_and_answers_tokens_for_it(uow, clock):
    account = uow.add_account(AccountKind.PROVIDER)

    outcome = log_in(uow, account.email)

    assert isinstance(outcome, Tokens)
    assert outcome.expires_in == 300
    claims = uow.tools.tokens.read_access_token(outcome.access_token, clock())
    assert (claims.account_id, claims.kind, claims.clinic_id, claims.session_id, claims.mfa_verified) == (
        account.id, AccountKind.PROVIDER, account.clinic_id, outcome.session_id, False)
    assert uow.sessions.get(outcome.session_id).active


def test_the_address_is_matched_in_any_case_and_with_surrounding_blanks(uow):
    account = uow.add_account(email="Ana.Pop@Example.com")
    assert isinstance(log_in(uow, "  ana.pop@EXAMPLE.com "), Tokens)
    assert account.email == "Ana.Pop@Example.com"


def test_a_wrong_password_and_an_unknown_address_get_the_same_refusal(uow):
    account = uow.add_account()
    assert log_in(uow, account.email, "not the password at all") == Refused(Refusal.INVALID_CREDENTIALS)
    assert log_in(uow, "nobody@example.com") == Refused(Refusal.INVALID_CREDENTIALS)


def test_an_unknown_address_still_costs_one_password_verification(uow):
    hasher = CountingHasher()
    uow.tools = replace(uow.tools, hasher=hasher)

    log_in(uow, "nobody@example.com")

    assert hasher.verifications == 1


def test_an_invited_account_without_a_password_cannot_log_in(uow):
    account = uow.add_account(password=None)
    assert log_in(uow, account.email) == Refused(Refusal.INVALID_CREDENTIALS)


def test_an_archived_account_cannot_log_in_even_with_the_right_password(uow):
    account = uow.add_account()
    uow.accounts.stored[account.id] = replace(account, status=AccountStatus.ARCHIVED)
    assert log_in(uow, account.email) == Refused(Refusal.INVALID_CREDENTIALS)
    assert uow.audit.entries[-1].after == {"reason": "account_archived"}


def test_a_login_rehashes_a_password_hashed_with_older_parameters(uow):
    old = PasswordHasher(time_cost=1, memory_kib=16, parallelism=1)
    account = uow.add_account(password=None)
    uow.accounts.set_password(account.id, old.hash(PASSWORD), uow.clock())

    assert isinstance(log_in(uow, account.email), Tokens)

    rehashed = uow.accounts.get(account.id).password_hash
    assert not uow.tools.hasher.needs_rehash(rehashed)
    assert uow.tools.hasher.verify(rehashed, PASSWORD)


def test_a_current_hash_is_left_as_it_is(uow):
    account = uow.add_account()
    log_in(uow, account.email)
    assert uow.accounts.get(account.id).password_hash == account.password_hash


# -- the audit of logins ----------------------------------------------------------------------


def test_a_success_is_audited_for_the_account_with_its_session_and_address(uow):
    account = uow.add_account()
    outcome = log_in(uow, account.email)

    [entry] = uow.audit.entries
    assert (entry.action, entry.clinic_id, entry.actor_id, entry.subject_id, entry.client_address) == (
        "login.succeeded", account.clinic_id, account.id, account.id, ADDRESS)
    assert entry.after == {"session_id": str(outcome.session_id), "mfa": False, "method": "password"}


def test_a_wrong_password_is_audited_with_the_reason_and_never_the_password(uow):
    account = uow.add_account()
    log_in(uow, account.email, "my secret guess 123")

    [entry] = uow.audit.entries
    assert (entry.action, entry.clinic_id, entry.actor_id, entry.subject_id) == (
        "login.failed", account.clinic_id, None, account.id)
    assert entry.after == {"reason": "wrong_password"}
    assert "my secret guess" not in repr(entry)


def test_an_unknown_address_is_audited_for_the_platform_without_the_address(uow):
    log_in(uow, "nobody@example.com")

    [entry] = uow.audit.entries
    assert (entry.action, entry.clinic_id, entry.subject_id, entry.after) == (
        "login.failed", None, None, {"reason": "unknown_account"})
    assert "nobody" not in repr(entry)


# -- accounts with MFA ------------------------------------------------------------------------


def test_an_account_with_mfa_gets_a_five_minute_mfa_token_instead_of_a_session(uow):
    account = uow.add_account()
    uow.enable_mfa(account)

    outcome = log_in(uow, account.email)

    assert isinstance(outcome, SecondFactorNeeded)
    assert outcome.expires_in == 300
    assert uow.sessions.stored == {}
    assert uow.audit.entries == []


def test_the_current_code_finishes_the_login_with_an_mfa_verified_session(uow, clock):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    challenge = log_in(uow, account.email)

    outcome = sessions.log_in_second_step(uow, challenge.mfa_token, uow.code(secret), None, ADDRESS)

    assert isinstance(outcome, Tokens)
    assert uow.tools.tokens.read_access_token(outcome.access_token, clock()).mfa_verified is True
    assert uow.sessions.get(outcome.session_id).mfa_verified is True
    assert uow.audit.entries[-1].after["method"] == "totp"


def second_step(uow, account, *, code=None, recovery_code=None):
    challenge = log_in(uow, account.email)
    return sessions.log_in_second_step(uow, challenge.mfa_token, code, recovery_code, ADDRESS)


def test_a_wrong_code_is_refused_and_audited(uow):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    window = {uow.code(secret, steps) for steps in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)

    assert second_step(uow, account, code=wrong) == Refused(Refusal.INVALID_SECOND_FACTOR)
    assert uow.audit.entries[-1].after == {"reason": "wrong_second_factor"}


def test_a_replayed_code_is_refused(uow):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    code = uow.code(secret)
    assert isinstance(second_step(uow, account, code=code), Tokens)

    assert second_step(uow, account, code=code) == Refused(Refusal.INVALID_SECOND_FACTOR)


def test_a_code_two_steps_old_is_refused(uow):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    assert second_step(uow, account, code=uow.code(secret, -2)) == Refused(Refusal.INVALID_SECOND_FACTOR)


def test_after_a_code_is_used_the_previous_steps_code_is_refused_too(uow):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    assert isinstance(second_step(uow, account, code=uow.code(secret)), Tokens)
    assert second_step(uow, account, code=uow.code(secret, -1)) == Refused(Refusal.INVALID_SECOND_FACTOR)


def test_the_next_steps_code_works_after_the_clock_moves_on(uow, clock):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    assert isinstance(second_step(uow, account, code=uow.code(secret)), Tokens)
    clock.advance(seconds=30)
    assert isinstance(second_step(uow, account, code=uow.code(secret)), Tokens)


def test_a_recovery_code_finishes_a_login_once_and_never_again(uow):
    account = uow.add_account()
    uow.enable_mfa(account)
    uow.mfa.replace_recovery_codes(account.id, account.clinic_id, [totp.recovery_code_digest("aaaa-bbbb")],
                                   uow.clock())

    first = second_step(uow, account, recovery_code="AAAA-BBBB")
    again = second_step(uow, account, recovery_code="aaaa-bbbb")

    assert isinstance(first, Tokens)
    assert again == Refused(Refusal.INVALID_SECOND_FACTOR)
    assert uow.audit.entries[-2].after["method"] == "recovery_code"


def test_the_mfa_token_is_spent_by_any_attempt_right_or_wrong(uow):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    challenge = log_in(uow, account.email)
    sessions.log_in_second_step(uow, challenge.mfa_token, "000000", None, ADDRESS)

    again = sessions.log_in_second_step(uow, challenge.mfa_token, uow.code(secret), None, ADDRESS)

    assert again == Refused(Refusal.INVALID_MFA_TOKEN)


def test_an_mfa_token_older_than_five_minutes_is_refused(uow, clock):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    challenge = log_in(uow, account.email)
    clock.advance(minutes=5)

    outcome = sessions.log_in_second_step(uow, challenge.mfa_token, uow.code(secret), None, ADDRESS)

    assert outcome == Refused(Refusal.INVALID_MFA_TOKEN)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_a_forged_mfa_token_is_refused(uow, token):
    assert sessions.log_in_second_step(uow, token, "123456", None, ADDRESS) == Refused(Refusal.INVALID_MFA_TOKEN)


def test_an_access_token_is_not_an_mfa_token(uow):
    account = uow.add_account()
    tokens = log_in(uow, account.email)
    outcome = sessions.log_in_second_step(uow, tokens.access_token, "123456", None, ADDRESS)
    assert outcome == Refused(Refusal.INVALID_MFA_TOKEN)


def test_a_staff_member_of_a_clinic_requiring_mfa_without_it_still_logs_in_but_unverified(uow, clock):
    account = uow.add_account(AccountKind.STAFF)
    set_clinic_mfa_requirement(uow, account.clinic_id, True, uuid.uuid4(), 0)

    outcome = log_in(uow, account.email)

    assert uow.tools.tokens.read_access_token(outcome.access_token, clock()).mfa_verified is False
