"""The access audit and clinic security on the real database: what admin routes call
(access_audit, reset_mfa, set_clinic_mfa_requirement, get_account) and what they read back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from clinic_runtime.db import transaction
from gateway.adapters.accounts import SqlClinicPolicies
from gateway.domain import totp
from gateway.domain.identity import ClinicSecurityPolicy
from gateway.domain.principal import AccountKind
from gateway.service_layer import accounts, mfa
from gateway.service_layer.unit_of_work import SqlUnitOfWork

pytestmark = pytest.mark.integration

PASSWORD = "plum tree orchard at dawn"
ADMIN = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a61")


@pytest.fixture
def use_case(identity) -> Callable[..., Any]:
    """Run a use case in a transaction of its own, as a route's request would."""

    def run(function, *args, **kwargs):
        with transaction(identity.sessions) as session:
            return function(SqlUnitOfWork(session, identity.tools), *args, **kwargs)

    return run


def test_logins_are_audited_for_the_accounts_clinic_with_address_and_reason(gateway_client, identity, use_case):
    account = identity.account()
    gateway_client.post("/v1/auth/login", json={"email": account.email, "password": "a wrong password!"},
                        environ_base={"REMOTE_ADDR": "198.51.100.4"})
    gateway_client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "198.51.100.4"})

    succeeded, failed = use_case(accounts.access_audit, account.clinic_id, 10, None)

    assert (failed.action, failed.actor_id, failed.subject_id, failed.client_address, failed.after) == (
        "login.failed", None, account.id, "198.51.100.4", {"reason": "wrong_password"})
    assert (succeeded.action, succeeded.actor_id, succeeded.subject_id) == ("login.succeeded", account.id, account.id)
    assert succeeded.after["mfa"] is False and succeeded.at >= failed.at


def test_the_audit_of_one_clinic_shows_nothing_of_another(gateway_client, identity, use_case):
    mine, theirs = identity.account(), identity.account()
    for account in (mine, theirs):
        identity.sign_in(gateway_client, account)

    entries = use_case(accounts.access_audit, mine.clinic_id, 100, None)

    assert [e.subject_id for e in entries] == [mine.id]


def test_the_audit_pages_backwards_with_before(gateway_client, identity, use_case):
    account = identity.account()
    for _ in range(3):
        identity.sign_in(gateway_client, account)

    newest = use_case(accounts.access_audit, account.clinic_id, 2, None)
    older = use_case(accounts.access_audit, account.clinic_id, 2, newest[-1].at)

    assert len(newest) == 2 and len(older) == 1
    assert newest[0].at >= newest[1].at > older[0].at


def test_an_mfa_reset_is_audited_with_the_admin_and_before_and_after(gateway_client, identity, use_case):
    account = identity.account()
    identity.enable_mfa(account)

    assert use_case(accounts.reset_mfa, account.id, account.clinic_id, ADMIN) is True

    [entry] = use_case(accounts.access_audit, account.clinic_id, 10, None)
    assert (entry.action, entry.actor_id, entry.subject_id, entry.before, entry.after) == (
        "mfa.reset", ADMIN, account.id, {"mfa_enabled": True}, {"mfa_enabled": False})
    login = gateway_client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD}).get_json()
    assert "access_token" in login


def test_after_an_mfa_reset_the_account_s_sessions_count_as_opened_without_it(gateway_client, identity, use_case):
    account = identity.account()
    identity.require_mfa(account.clinic_id)
    login = gateway_client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    secret = gateway_client.post("/v1/me/mfa/totp", headers=headers).get_json()["secret"]
    gateway_client.post("/v1/me/mfa/totp/confirm", headers=headers,
                        json={"code": totp.totp(totp.decode_secret(secret), time.time())})
    login = gateway_client.post("/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}).get_json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    assert gateway_client.get("/v1/me", headers=headers).get_json()["mfa_verified"] is True

    use_case(accounts.reset_mfa, account.id, account.clinic_id, ADMIN)

    assert gateway_client.get("/v1/me", headers=headers).get_json()["mfa_verified"] is False
    refreshed = gateway_client.post("/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}).get_json()
    me = gateway_client.get("/v1/me", headers={"Authorization": f"Bearer {refreshed['access_token']}"}).get_json()
    assert (me["mfa_required"], me["mfa_enabled"], me["mfa_verified"]) == (True, False, False)


def test_an_mfa_reset_across_clinics_is_refused(identity, use_case):
    account = identity.account()
    identity.enable_mfa(account)
    with pytest.raises(accounts.UnknownAccount):
        use_case(accounts.reset_mfa, account.id, uuid.uuid4(), ADMIN)


def test_an_account_is_read_only_within_its_clinic(identity, use_case):
    account = identity.account(AccountKind.PATIENT)
    assert use_case(accounts.get_account, account.clinic_id, account.id).id == account.id
    assert use_case(accounts.get_account, uuid.uuid4(), account.id) is None
    assert use_case(accounts.get_account, None, account.id) is None


def test_the_clinic_mfa_policy_is_versioned_and_audited(identity, use_case):
    clinic = uuid.uuid4()
    assert use_case(mfa.mfa_required_for, clinic) is False

    first = use_case(accounts.set_clinic_mfa_requirement, clinic, True, ADMIN, 0)
    second = use_case(accounts.set_clinic_mfa_requirement, clinic, False, ADMIN, 1)

    assert (first.version, second.version) == (1, 2)
    assert use_case(mfa.mfa_required_for, clinic) is False
    assert [(e.action, e.after) for e in use_case(accounts.access_audit, clinic, 10, None)] == [
        ("clinic.mfa_policy.changed", {"mfa_required_for_staff": False}),
        ("clinic.mfa_policy.changed", {"mfa_required_for_staff": True}),
    ]


@pytest.mark.parametrize("expected_version", [0, 2])
def test_a_policy_change_from_a_stale_version_is_refused(identity, use_case, expected_version):
    clinic = uuid.uuid4()
    use_case(accounts.set_clinic_mfa_requirement, clinic, True, ADMIN, 0)
    with pytest.raises(accounts.StaleVersion) as stale:
        use_case(accounts.set_clinic_mfa_requirement, clinic, False, ADMIN, expected_version)
    assert stale.value.current == 1


def test_a_first_policy_write_that_lost_the_race_to_another_is_refused_by_the_database(identity):
    clinic = uuid.uuid4()
    policy = ClinicSecurityPolicy.default(clinic).require_mfa(True, ADMIN, identity.tools.clock())
    with transaction(identity.sessions) as session:
        assert SqlClinicPolicies(session).save(policy, expected_version=0) is True

    with transaction(identity.sessions) as session:
        assert SqlClinicPolicies(session).save(policy, expected_version=0) is False
        assert SqlClinicPolicies(session).get(clinic) == policy  # the transaction goes on unharmed
