"""Accounts in the real database: one per address whatever its case, what is read back, and
sign-ups nobody confirmed giving way."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from clinic_runtime.db import transaction
from gateway.domain import totp
from gateway.domain.identity import AccountStatus
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


def test_an_unconfirmed_sign_up_gives_way_with_its_links_and_a_confirmed_account_does_not(identity):
    clinic = uuid.uuid4()
    with transaction(identity.sessions) as session:
        uow = SqlUnitOfWork(session, identity.tools)
        administration.register_patient(uow, clinic, "petra@example.com", "Petra", PASSWORD, "203.0.113.7")
        administration.register_patient(uow, clinic, "paul@example.com", "Paul", PASSWORD, "203.0.113.7")
        paul = uow.accounts.by_email("paul@example.com")
        assert uow.accounts.confirm(paul.id, identity.tools.clock())
        assert not uow.accounts.confirm(paul.id, identity.tools.clock())

        staff = accounts.create_account(uow, "Petra@Example.com", AccountKind.STAFF, clinic, "Petra", None)
        with pytest.raises(accounts.EmailTaken):
            accounts.create_account(uow, "paul@example.com", AccountKind.STAFF, clinic, "Paul", None)

        assert uow.accounts.by_email("petra@example.com") == staff
        assert uow.accounts.by_email("paul@example.com").status is AccountStatus.ACTIVE
    # Petra's sign-up link went with it; Paul's and the invitation remain.
    assert (identity.count("accounts"), identity.count("one_time_tokens")) == (2, 2)


def test_sign_ups_past_their_link_are_removed_with_their_links(identity):
    clinic = uuid.uuid4()
    with transaction(identity.sessions) as session:
        uow = SqlUnitOfWork(session, identity.tools)
        administration.register_patient(uow, clinic, "old@example.com", "Old", PASSWORD, "203.0.113.7")
    with transaction(identity.sessions) as session:
        uow = SqlUnitOfWork(session, identity.tools)
        kept = accounts.drop_expired_registrations(uow)
        cutoff = uow.accounts.by_email("old@example.com").created_at + LIFETIMES[Purpose.REGISTRATION]
        dropped = uow.accounts.drop_unconfirmed(registered_before=cutoff + timedelta(seconds=1))
    assert (kept, [a.email for a in dropped]) == (0, ["old@example.com"])
    assert (identity.count("accounts"), identity.count("one_time_tokens")) == (0, 0)
