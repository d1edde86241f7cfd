"""Accounts in the real database: one per address whatever its case, what is read back, and
sign-ups, which wait apart from accounts and go when their links run out."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from clinic_runtime.db import transaction
from gateway.domain import totp
from gateway.domain.principal import AccountKind
from gateway.domain.tokens import LIFETIMES, Purpose
from gateway.service_layer import accounts
from gateway.service_layer import clinic_administration as administration
from gateway.service_layer.unit_of_work import SqlUnitOfWork

pytestmark = pytest.mark.integration

PASSWORD = "lantern over the quiet harbour"


def test_an_address_taken_in_another_case_is_refused_and_the_transaction_goes_on(mail_sink, identity, mail_links):
    clinic = uuid.uuid4()
    with transaction(identity.sessions) as session:
        uow = SqlUnitOfWork(session, identity.tools)
        first = accounts.create_account(uow, "rita@example.com", AccountKind.STAFF, clinic, "Rita", None)
        with pytest.raises(accounts.EmailTaken):
            accounts.create_account(uow, "RITA@Example.com", AccountKind.PATIENT, uuid.uuid4(), "Rita", None)
        assert accounts.get_account(uow, clinic, first.id) == first
    assert identity.count("accounts") == 1
    assert mail_links() == 1
    assert mail_sink.recipients() == ["rita@example.com"]


def test_mfa_is_read_as_enabled_only_once_confirmed(identity):
    account = identity.account()
    with transaction(identity.sessions) as session:
        uow = SqlUnitOfWork(session, identity.tools)
        uow.mfa.put_pending(account.id, account.clinic_id, identity.tools.secret_box.seal("SECRET"),
                            identity.tools.clock())
        pending = uow.accounts.get(account.id).mfa_enabled
        uow.mfa.confirm(account.id, totp.time_step(identity.tools.clock().timestamp()), identity.tools.clock())
        confirmed = uow.accounts.get(account.id).mfa_enabled
    assert (pending, confirmed) == (False, True)


def test_a_confirmed_authenticator_is_not_replaced_by_a_new_pending_one(identity):
    account = identity.account()
    identity.enable_mfa(account)
    with transaction(identity.sessions) as session:
        stored = SqlUnitOfWork(session, identity.tools).mfa.put_pending(
            account.id, account.clinic_id, identity.tools.secret_box.seal("OTHER"), identity.tools.clock())
    assert stored is False



def test_sign_ups_wait_apart_from_accounts_and_go_with_their_links_when_these_run_out(identity, mail_sink,
                                                                                      mail_links):
    clinic = uuid.uuid4()
    with transaction(identity.sessions) as session:
        uow = SqlUnitOfWork(session, identity.tools)
        for password in (PASSWORD, "another password of a stranger"):
            administration.register_patient(uow, clinic, "Petra@Example.com", "Petra", password, "203.0.113.7")
            # Five minutes pass: the address may be mailed another confirmation.
            session.execute(sa.text("UPDATE link_requests SET started_at = started_at - 300"))
    assert mail_links() == 2
    assert mail_sink.recipients() == ["Petra@Example.com"] * 2
    assert (identity.count("accounts"), identity.count("sign_ups")) == (0, 2)
    with transaction(identity.sessions) as session:
        uow = SqlUnitOfWork(session, identity.tools)
        kept = uow.sign_ups.drop_expired(identity.tools.clock())
        dropped = uow.sign_ups.drop_expired(identity.tools.clock() + LIFETIMES[Purpose.REGISTRATION])
    assert (kept, dropped) == (0, 2)
    assert (identity.count("sign_ups"), identity.count("one_time_tokens")) == (0, 0)
