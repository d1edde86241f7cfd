"""Changing a password, and setting one through a mailed link (reset or invitation): single
use, expiring, never telling whether an address has an account."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.domain.identity import AccountStatus
from gateway.domain.principal import Principal
from gateway.domain.sessions import RevocationReason
from gateway.service_layer import passwords, sessions
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.passwords import InvalidLink, PasswordChanged, PasswordRejected

PASSWORD = "plum tree orchard at dawn"
NEW_PASSWORD = "lantern by the river bend"
ADDRESS = "203.0.113.7"


def log_in(uow, account, password=PASSWORD):
    return sessions.log_in(uow, account.email, password, ADDRESS)


def principal_of(uow, tokens) -> Principal:
    claims = uow.tools.tokens.read_access_token(tokens.access_token, uow.clock())
    return Principal(claims.account_id, claims.kind, claims.clinic_id, claims.session_id, claims.mfa_verified)


# -- changing the password --------------------------------------------------------------------


def test_a_changed_password_is_the_one_that_logs_in_afterwards(uow):
    account = uow.add_account()
    principal = principal_of(uow, log_in(uow, account))

    assert isinstance(passwords.change_password(uow, principal, PASSWORD, NEW_PASSWORD, ADDRESS), PasswordChanged)

    assert log_in(uow, account) == Refused(Refusal.INVALID_CREDENTIALS)
    assert log_in(uow, account, NEW_PASSWORD).access_token


def test_changing_the_password_revokes_every_other_session_but_keeps_this_one(uow):
    account = uow.add_account()
    here, elsewhere, third = (log_in(uow, account) for _ in range(3))

    outcome = passwords.change_password(uow, principal_of(uow, here), PASSWORD, NEW_PASSWORD, ADDRESS)

    assert outcome == PasswordChanged(other_sessions_revoked=2)
    assert uow.sessions.active_of(account.id) == [here.session_id]
    assert uow.sessions.reasons[elsewhere.session_id] is RevocationReason.PASSWORD_CHANGED
    assert uow.audit.actions()[-2:] == ["session.revoked", "password.changed"]


def test_a_wrong_current_password_is_refused_counted_and_audited(uow):
    account = uow.add_account()
    principal = principal_of(uow, log_in(uow, account))

    outcome = passwords.change_password(uow, principal, "not my password!", NEW_PASSWORD, ADDRESS)

    assert outcome == Refused(Refusal.WRONG_PASSWORD)
    assert uow.accounts.get(account.id).password_hash == account.password_hash
    assert uow.audit.entries[-1].after == {"reason": "wrong_password", "while": "changing_password"}
    assert sum(t.failures for t in uow.login_failures.stored.values()) == 2  # the account and the address


def test_guessing_the_current_password_is_throttled_like_a_login(uow):
    account = uow.add_account()
    principal = principal_of(uow, log_in(uow, account))
    for _ in range(5):
        passwords.change_password(uow, principal, "not my password!", NEW_PASSWORD, ADDRESS)

    outcome = passwords.change_password(uow, principal, PASSWORD, NEW_PASSWORD, ADDRESS)

    assert isinstance(outcome, Throttled)


def test_a_new_password_breaking_the_policy_is_rejected_with_the_reasons(uow):
    account = uow.add_account()
    principal = principal_of(uow, log_in(uow, account))

    with pytest.raises(PasswordRejected) as rejected:
        passwords.change_password(uow, principal, PASSWORD, "short", ADDRESS)

    assert rejected.value.problems == ["must be 12 to 128 characters long"]


# -- reset links ------------------------------------------------------------------------------


def test_a_reset_request_mails_a_link_to_the_accounts_address(uow):
    uow.add_account(email="Ana@Example.com")

    passwords.request_password_reset(uow, "ana@example.com")
    assert uow.mailer.sent == []  # the request only records the link: the worker mails it
    assert uow.mail_links() == 1
    assert uow.mail_links() == 0

    [(to, subject, text)] = uow.mailer.sent
    assert (to, subject) == ("Ana@Example.com", "Reset your password")
    assert "https://clinic.example/reset-password?token=" in text
    assert "30 minutes" in text


def test_a_reset_request_for_an_unknown_or_archived_address_mails_nothing_and_says_nothing(uow):
    archived = uow.add_account()
    uow.accounts.stored[archived.id] = replace(archived, status=AccountStatus.ARCHIVED)

    assert passwords.request_password_reset(uow, "nobody@example.com") is None
    assert passwords.request_password_reset(uow, archived.email) is None

    assert uow.one_time_tokens.stored == {}
    assert uow.mail_links() == 0 and uow.mailer.sent == []


def test_a_link_the_mail_server_refuses_stays_due_and_the_next_run_mails_it(uow, clock):
    account = uow.add_account()
    uow.mailer.broken = True
    assert passwords.request_password_reset(uow, account.email) is None

    assert uow.mail_links() == 0
    assert len(uow.one_time_tokens.due()) == 1
    uow.mailer.broken = False
    clock.advance(seconds=2)
    assert uow.mail_links() == 1

    passwords.set_password_with_link(uow, uow.mailer.link_token(), NEW_PASSWORD)
    assert uow.one_time_tokens.due() == []


def test_a_link_mailed_late_says_how_long_it_still_works(uow, clock):
    account = uow.add_account()
    passwords.request_password_reset(uow, account.email)
    clock.advance(minutes=20, seconds=30)
    uow.mail_links()
    assert "for 10 minutes" in uow.mailer.sent[-1][2]


def test_a_link_that_expired_or_was_spent_unsent_is_dropped(uow, clock):
    expiring, spent = uow.add_account(), uow.add_account()
    uow.mailer.broken = True
    passwords.request_password_reset(uow, expiring.email)
    passwords.request_password_reset(uow, spent.email)
    uow.one_time_tokens.consume_all(spent.id, passwords.LINK_PURPOSES, clock())
    clock.advance(minutes=30)
    uow.mailer.broken = False

    assert uow.mail_links() == 0
    assert uow.mailer.sent == [] and uow.one_time_tokens.due() == []


def test_the_link_sets_a_new_password_and_revokes_every_session(uow):
    account = uow.add_account()
    tokens = log_in(uow, account)
    passwords.request_password_reset(uow, account.email)
    uow.mail_links()

    passwords.set_password_with_link(uow, uow.mailer.link_token(), NEW_PASSWORD)

    assert log_in(uow, account, NEW_PASSWORD).access_token
    assert not uow.sessions.get(tokens.session_id).active
    assert uow.sessions.reasons[tokens.session_id] is RevocationReason.PASSWORD_RESET
    entry = uow.audit.entries[-2]
    assert (entry.action, entry.actor_id, entry.subject_id, entry.after) == (
        "password.reset", account.id, account.id, {"via": "password_reset"})


def test_a_reset_link_works_once(uow):
    account = uow.add_account()
    passwords.request_password_reset(uow, account.email)
    uow.mail_links()
    token = uow.mailer.link_token()
    passwords.set_password_with_link(uow, token, NEW_PASSWORD)

    with pytest.raises(InvalidLink):
        passwords.set_password_with_link(uow, token, "another fine long password")


def test_a_reset_link_expires_after_thirty_minutes(uow, clock):
    account = uow.add_account()
    passwords.request_password_reset(uow, account.email)
    uow.mail_links()
    clock.advance(minutes=30)

    with pytest.raises(InvalidLink):
        passwords.set_password_with_link(uow, uow.mailer.link_token(), NEW_PASSWORD)


def test_using_one_link_spends_the_accounts_other_outstanding_links(uow, clock):
    account = uow.add_account()
    passwords.request_password_reset(uow, account.email)
    uow.mail_links()
    older = uow.mailer.link_token()
    clock.advance(minutes=5)
    passwords.request_password_reset(uow, account.email)
    assert uow.mail_links() == 1
    passwords.set_password_with_link(uow, uow.mailer.link_token(), NEW_PASSWORD)

    with pytest.raises(InvalidLink):
        passwords.set_password_with_link(uow, older, "another fine long password")


def test_a_rejected_new_password_does_not_spend_the_link(uow):
    account = uow.add_account()
    passwords.request_password_reset(uow, account.email)
    uow.mail_links()
    token = uow.mailer.link_token()
    with pytest.raises(PasswordRejected):
        passwords.set_password_with_link(uow, token, "password1234")

    passwords.set_password_with_link(uow, token, NEW_PASSWORD)


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c"])
def test_a_forged_link_is_refused(uow, token):
    with pytest.raises(InvalidLink):
        passwords.set_password_with_link(uow, token, NEW_PASSWORD)


def test_an_mfa_token_is_not_a_reset_link(uow):
    account = uow.add_account()
    uow.enable_mfa(account)
    challenge = log_in(uow, account)
    with pytest.raises(InvalidLink):
        passwords.set_password_with_link(uow, challenge.mfa_token, NEW_PASSWORD)


def test_a_reset_clears_the_failed_logins_counted_against_the_address(uow):
    account = uow.add_account()
    for _ in range(5):
        log_in(uow, account, "a wrong guess here")
    assert isinstance(log_in(uow, account), Throttled)
    passwords.request_password_reset(uow, account.email)
    uow.mail_links()

    passwords.set_password_with_link(uow, uow.mailer.link_token(), NEW_PASSWORD)

    assert log_in(uow, account, NEW_PASSWORD).access_token


def test_a_link_for_an_account_archived_since_is_refused(uow):
    account = uow.add_account()
    passwords.request_password_reset(uow, account.email)
    uow.mail_links()
    uow.accounts.stored[account.id] = replace(account, status=AccountStatus.ARCHIVED)
    with pytest.raises(InvalidLink):
        passwords.set_password_with_link(uow, uow.mailer.link_token(), NEW_PASSWORD)

