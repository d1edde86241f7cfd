"""Refresh tokens rotate on every use; one used twice revokes its session. Logout revokes it."""

from __future__ import annotations

from dataclasses import replace

from gateway.domain.identity import AccountStatus
from gateway.domain.principal import Principal
from gateway.domain.sessions import RevocationReason
from gateway.service_layer import sessions
from gateway.service_layer.outcomes import Refusal, Refused
from gateway.service_layer.sessions import Tokens

PASSWORD = "plum tree orchard at dawn"
REFUSED = Refused(Refusal.INVALID_REFRESH_TOKEN)


def logged_in(uow, account=None) -> Tokens:
    account = account or uow.add_account()
    return sessions.log_in(uow, account.email, PASSWORD, "203.0.113.7")


def principal_of(uow, tokens: Tokens) -> Principal:
    claims = uow.tools.tokens.read_access_token(tokens.access_token, uow.clock())
    return Principal(claims.account_id, claims.kind, claims.clinic_id, claims.session_id, claims.mfa_verified)


def test_a_refresh_answers_a_new_pair_for_the_same_session(uow, clock):
    first = logged_in(uow)
    clock.advance(minutes=4)

    second = sessions.refresh(uow, first.refresh_token)

    assert isinstance(second, Tokens)
    assert second.session_id == first.session_id
    assert second.refresh_token != first.refresh_token
    assert uow.tools.tokens.read_access_token(second.access_token, clock()).expires_at > clock()


def test_the_new_access_token_keeps_the_sessions_mfa_state(uow, clock):
    account = uow.add_account()
    first = logged_in(uow, account)
    uow.sessions.mark_mfa_verified(first.session_id)

    second = sessions.refresh(uow, first.refresh_token)

    assert uow.tools.tokens.read_access_token(second.access_token, clock()).mfa_verified is True


def test_the_rotated_refresh_token_works_once_more(uow):
    first = logged_in(uow)
    second = sessions.refresh(uow, first.refresh_token)
    assert isinstance(sessions.refresh(uow, second.refresh_token), Tokens)


def test_reusing_a_spent_refresh_token_is_refused_and_revokes_the_whole_session(uow):
    first = logged_in(uow)
    second = sessions.refresh(uow, first.refresh_token)

    assert sessions.refresh(uow, first.refresh_token) == REFUSED

    assert not uow.sessions.get(first.session_id).active
    assert uow.sessions.reasons[first.session_id] is RevocationReason.REFRESH_TOKEN_REUSED
    assert sessions.refresh(uow, second.refresh_token) == REFUSED


def test_the_revocation_after_reuse_is_audited_without_an_actor(uow):
    account = uow.add_account()
    first = logged_in(uow, account)
    sessions.refresh(uow, first.refresh_token)
    sessions.refresh(uow, first.refresh_token)

    entry = uow.audit.entries[-1]
    assert (entry.action, entry.actor_id, entry.subject_id, entry.clinic_id) == (
        "session.revoked", None, account.id, account.clinic_id)
    assert entry.after == {"reason": "refresh_token_reused", "sessions": [str(first.session_id)]}


def test_reuse_leaves_the_accounts_other_sessions_alone(uow):
    account = uow.add_account()
    stolen, other = logged_in(uow, account), logged_in(uow, account)
    sessions.refresh(uow, stolen.refresh_token)
    sessions.refresh(uow, stolen.refresh_token)
    assert uow.sessions.get(other.session_id).active


def test_a_refresh_token_older_than_fourteen_days_is_refused(uow, clock):
    first = logged_in(uow)
    clock.advance(days=14)
    assert sessions.refresh(uow, first.refresh_token) == REFUSED


def test_a_refresh_token_still_works_just_before_fourteen_days(uow, clock):
    first = logged_in(uow)
    clock.advance(days=13, hours=23)
    assert isinstance(sessions.refresh(uow, first.refresh_token), Tokens)


def test_an_unknown_refresh_token_is_refused(uow):
    assert sessions.refresh(uow, "made-up") == REFUSED


def test_an_access_token_is_not_a_refresh_token(uow):
    assert sessions.refresh(uow, logged_in(uow).access_token) == REFUSED


def test_a_refresh_token_of_a_logged_out_session_is_refused(uow):
    tokens = logged_in(uow)
    sessions.log_out(uow, principal_of(uow, tokens))
    assert sessions.refresh(uow, tokens.refresh_token) == REFUSED


def test_an_archived_account_cannot_refresh(uow):
    account = uow.add_account()
    tokens = logged_in(uow, account)
    uow.accounts.stored[account.id] = replace(account, status=AccountStatus.ARCHIVED)
    assert sessions.refresh(uow, tokens.refresh_token) == REFUSED


def test_logout_revokes_only_this_session_and_is_audited(uow):
    account = uow.add_account()
    leaving, staying = logged_in(uow, account), logged_in(uow, account)

    sessions.log_out(uow, principal_of(uow, leaving))

    assert uow.sessions.active_of(account.id) == [staying.session_id]
    entry = uow.audit.entries[-1]
    assert (entry.action, entry.actor_id, entry.subject_id) == ("session.revoked", account.id, account.id)
    assert entry.after == {"reason": "logout", "sessions": [str(leaving.session_id)]}


def test_logging_out_twice_audits_once(uow):
    tokens = logged_in(uow)
    principal = principal_of(uow, tokens)
    sessions.log_out(uow, principal)
    sessions.log_out(uow, principal)
    assert uow.audit.actions().count("session.revoked") == 1
