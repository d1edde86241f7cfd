"""Accounts created by staff (with an invitation), read per clinic, the first operator, MFA
resets, and each clinic's MFA requirement."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from gateway.domain.identity import AccountStatus, ClinicSecurityPolicy
from gateway.domain.principal import AccountKind
from gateway.service_layer import accounts, mfa, passwords, sessions
from gateway.service_layer.accounts import EmailTaken, InvalidAccount, StaleVersion, UnknownAccount
from gateway.service_layer.sessions import SecondFactorNeeded, Tokens

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
ADMIN = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a61")
NEW_PASSWORD = "lantern by the river bend"


def invite(uow, email="Rita.Reception@Example.com", kind=AccountKind.STAFF, clinic_id=CLINIC, name="Rita"):
    return accounts.create_account(uow, email, kind, clinic_id, name, invited_by=ADMIN)


# -- creating accounts ------------------------------------------------------------------------


def test_a_created_account_is_active_has_no_password_yet_and_belongs_to_the_clinic(uow):
    account = invite(uow)
    assert (account.kind, account.clinic_id, account.email, account.display_name, account.status) == (
        AccountKind.STAFF, CLINIC, "Rita.Reception@Example.com", "Rita", AccountStatus.ACTIVE)
    assert account.password_hash is None
    assert uow.accounts.get(account.id) == account


def test_the_new_account_is_mailed_an_invitation_link_valid_three_days(uow):
    invite(uow)
    assert uow.mailer.sent == []  # the worker mails it once the creation commits

    assert uow.mail_links() == 1
    [(to, subject, text)] = uow.mailer.sent
    assert (to, subject) == ("Rita.Reception@Example.com", "You are invited to the clinic platform")
    assert "https://clinic.example/accept-invitation?token=" in text
    assert "72 hours" in text


def test_the_invitation_link_sets_the_first_password_once_and_then_the_account_logs_in(uow):
    account = invite(uow)
    uow.mail_links()
    token = uow.mailer.link_token()

    passwords.set_password_with_link(uow, token, NEW_PASSWORD)

    assert isinstance(sessions.log_in(uow, account.email, NEW_PASSWORD, "203.0.113.7"), Tokens)
    with pytest.raises(passwords.InvalidLink):
        passwords.set_password_with_link(uow, token, "another fine long password")
    assert uow.audit.entries[-2].after == {"via": "invitation"}


def test_an_invitation_expires_after_three_days(uow, clock):
    invite(uow)
    uow.mail_links()
    clock.advance(days=3)
    with pytest.raises(passwords.InvalidLink):
        passwords.set_password_with_link(uow, uow.mailer.link_token(), NEW_PASSWORD)


def test_creating_an_account_is_audited_with_the_inviter_and_without_the_address(uow):
    account = invite(uow)
    [entry] = uow.audit.entries
    assert (entry.action, entry.clinic_id, entry.actor_id, entry.subject_id) == (
        "account.created", CLINIC, ADMIN, account.id)
    assert entry.after == {"kind": "staff", "status": "active"}
    assert "rita" not in repr(entry).lower()


def test_an_address_is_one_account_across_the_platform_whatever_its_case(uow):
    invite(uow, email="rita@example.com")
    with pytest.raises(EmailTaken):
        invite(uow, email="RITA@example.COM", clinic_id=uuid.uuid4())


@pytest.mark.parametrize(("changes", "field"), [
    ({"email": "not-an-address"}, "email"),
    ({"email": "a@b"}, "email"),
    ({"name": "   "}, "display_name"),
    ({"name": "n" * 201}, "display_name"),
    ({"kind": "janitor"}, "kind"),
    ({"kind": AccountKind.OPERATOR}, "clinic_id"),
    ({"kind": AccountKind.PATIENT, "clinic_id": None}, "clinic_id"),
])
def test_invalid_details_are_refused_per_field_and_nothing_is_kept(uow, changes, field):
    with pytest.raises(InvalidAccount) as invalid:
        invite(uow, **changes)
    assert [p.field for p in invalid.value.problems] == [field]
    assert uow.accounts.stored == {} and uow.mailer.sent == []


def test_an_invitation_the_mail_server_refuses_stays_due_and_the_creation_stands(uow):
    uow.mailer.broken = True
    account = invite(uow)

    assert uow.mail_links() == 0
    assert uow.accounts.get(account.id) == account
    [link] = uow.one_time_tokens.due()
    assert (link.account_id, link.purpose) == (account.id, "invitation")


# -- reading accounts per clinic --------------------------------------------------------------


def test_an_account_is_read_within_its_own_clinic(uow):
    account = invite(uow)
    assert accounts.get_account(uow, CLINIC, account.id) == account


def test_an_account_of_another_clinic_is_not_found(uow):
    account = invite(uow)
    assert accounts.get_account(uow, uuid.uuid4(), account.id) is None
    assert accounts.get_account(uow, None, account.id) is None


def test_operators_are_read_as_the_platforms_own(uow):
    operator = uow.add_account(AccountKind.OPERATOR)
    assert accounts.get_account(uow, None, operator.id) == operator
    assert accounts.get_account(uow, CLINIC, operator.id) is None


# -- the first operator -----------------------------------------------------------------------


def test_the_first_operator_is_created_with_a_password_that_logs_in(uow):
    operator = accounts.bootstrap_operator(uow, "ops@example.com", NEW_PASSWORD)

    assert (operator.kind, operator.clinic_id) == (AccountKind.OPERATOR, None)
    outcome = sessions.log_in(uow, "ops@example.com", NEW_PASSWORD, "127.0.0.1")
    assert isinstance(outcome, Tokens)
    assert uow.audit.entries[0].action == "account.created"


def test_bootstrapping_again_creates_nothing(uow):
    accounts.bootstrap_operator(uow, "ops@example.com", NEW_PASSWORD)
    assert accounts.bootstrap_operator(uow, "ops@example.com", NEW_PASSWORD) is None
    assert accounts.bootstrap_operator(uow, "other@example.com", NEW_PASSWORD) is None
    assert len(uow.accounts.stored) == 1


def test_the_first_operators_password_must_meet_the_policy(uow):
    with pytest.raises(InvalidAccount) as invalid:
        accounts.bootstrap_operator(uow, "ops@example.com", "password1234")
    assert [p.field for p in invalid.value.problems] == ["password"]


# -- resetting MFA ----------------------------------------------------------------------------


def test_an_admin_reset_removes_the_authenticator_so_the_next_login_needs_no_code(uow):
    account = uow.add_account(clinic_id=CLINIC)
    uow.enable_mfa(account)
    assert isinstance(sessions.log_in(uow, account.email, "plum tree orchard at dawn", "1.2.3.4"), SecondFactorNeeded)

    assert accounts.reset_mfa(uow, account.id, CLINIC, ADMIN) is True

    assert isinstance(sessions.log_in(uow, account.email, "plum tree orchard at dawn", "1.2.3.4"), Tokens)


def test_an_mfa_reset_is_audited_with_the_admin_as_actor_and_before_and_after(uow):
    account = uow.add_account(clinic_id=CLINIC)
    uow.enable_mfa(account)

    accounts.reset_mfa(uow, account.id, CLINIC, ADMIN)

    entry = uow.audit.entries[-1]
    assert (entry.action, entry.clinic_id, entry.actor_id, entry.subject_id, entry.before, entry.after) == (
        "mfa.reset", CLINIC, ADMIN, account.id, {"mfa_enabled": True}, {"mfa_enabled": False})


def test_resetting_an_account_without_mfa_changes_and_audits_nothing(uow):
    account = uow.add_account(clinic_id=CLINIC)
    assert accounts.reset_mfa(uow, account.id, CLINIC, ADMIN) is False
    assert uow.audit.entries == []


def test_an_mfa_reset_of_another_clinics_account_is_refused_as_unknown(uow):
    account = uow.add_account(clinic_id=uuid.uuid4())
    uow.enable_mfa(account)
    with pytest.raises(UnknownAccount):
        accounts.reset_mfa(uow, account.id, CLINIC, ADMIN)
    assert uow.mfa.enabled(account.id)


# -- the clinic's MFA requirement -------------------------------------------------------------


def test_a_clinic_that_never_chose_does_not_require_mfa_and_is_at_version_0(uow):
    assert mfa.mfa_required_for(uow, CLINIC) is False
    assert accounts.security_policy(uow, CLINIC) == ClinicSecurityPolicy.default(CLINIC)


def test_requiring_mfa_moves_the_policy_to_the_next_version_and_is_audited(uow, clock):
    policy = accounts.set_clinic_mfa_requirement(uow, CLINIC, True, ADMIN, expected_version=0)

    assert (policy.mfa_required_for_staff, policy.version, policy.updated_at, policy.updated_by) == (
        True, 1, clock(), ADMIN)
    assert mfa.mfa_required_for(uow, CLINIC) is True
    [entry] = uow.audit.entries
    assert (entry.action, entry.clinic_id, entry.actor_id, entry.before, entry.after) == (
        "clinic.mfa_policy.changed", CLINIC, ADMIN, {"mfa_required_for_staff": False},
        {"mfa_required_for_staff": True})


def test_the_requirement_can_be_lifted_again_from_the_version_read(uow):
    accounts.set_clinic_mfa_requirement(uow, CLINIC, True, ADMIN, expected_version=0)
    policy = accounts.set_clinic_mfa_requirement(uow, CLINIC, False, ADMIN, expected_version=1)
    assert (policy.mfa_required_for_staff, policy.version) == (False, 2)


def test_a_change_based_on_an_old_version_is_refused_with_the_current_one(uow):
    accounts.set_clinic_mfa_requirement(uow, CLINIC, True, ADMIN, expected_version=0)
    with pytest.raises(StaleVersion) as stale:
        accounts.set_clinic_mfa_requirement(uow, CLINIC, False, ADMIN, expected_version=0)
    assert stale.value.current == 1


def test_a_change_racing_another_writer_is_refused(uow, clock):
    uow.policies.concurrent_write = ClinicSecurityPolicy(CLINIC, True, 1, clock(), uuid.uuid4())
    with pytest.raises(StaleVersion) as stale:
        accounts.set_clinic_mfa_requirement(uow, CLINIC, True, ADMIN, expected_version=0)
    assert stale.value.current == 1
    assert uow.audit.entries == []


def test_setting_the_value_it_already_has_changes_nothing(uow):
    policy = accounts.set_clinic_mfa_requirement(uow, CLINIC, False, ADMIN, expected_version=0)
    assert policy.version == 0 and uow.audit.entries == []


def test_the_requirement_applies_to_staff_and_providers_never_to_patients(uow):
    staff = uow.add_account(AccountKind.STAFF, CLINIC)
    provider = uow.add_account(AccountKind.PROVIDER, CLINIC)
    patient = uow.add_account(AccountKind.PATIENT, CLINIC)
    assert (staff.mfa_policy_applies, provider.mfa_policy_applies, patient.mfa_policy_applies) == (True, True, False)


# -- reading the audit ------------------------------------------------------------------------


def test_the_audit_is_read_newest_first_for_one_clinic_only(uow, clock):
    mine = [uow.add_account(clinic_id=CLINIC) for _ in range(3)]
    theirs = uow.add_account(clinic_id=uuid.uuid4())
    for account in [mine[0], theirs, mine[1], mine[2]]:
        uow.enable_mfa(account)
        clock.advance(seconds=1)
        accounts.reset_mfa(uow, account.id, account.clinic_id, ADMIN)

    entries = accounts.access_audit(uow, CLINIC, limit=10, before=None)

    assert [e.subject_id for e in entries] == [a.id for a in reversed(mine)]
    assert all(e.clinic_id == CLINIC for e in entries)


def test_the_audit_pages_by_limit_and_before(uow, clock):
    account = uow.add_account(clinic_id=CLINIC)
    times = []
    for _ in range(4):
        uow.enable_mfa(account)
        clock.advance(seconds=1)
        times.append(clock())
        accounts.reset_mfa(uow, account.id, CLINIC, ADMIN)

    first_page = accounts.access_audit(uow, CLINIC, limit=2, before=None)
    second_page = accounts.access_audit(uow, CLINIC, limit=2, before=first_page[-1].at)

    assert [e.at for e in first_page] == [times[3], times[2]]
    assert [e.at for e in second_page] == [times[1], times[0]]
    assert accounts.access_audit(uow, CLINIC, limit=2, before=times[0] - timedelta(seconds=1)) == []
