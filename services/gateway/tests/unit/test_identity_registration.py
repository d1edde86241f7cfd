"""A patient signs up at a clinic: no account is made until the link mailed to the address is
followed with the password chosen at sign-up. A sign-up keeps the address from nobody, tells
nobody anything about it, and is removed when its link runs out."""

from __future__ import annotations

import uuid

import pytest

from gateway.domain.identity import AccountStatus
from gateway.domain.principal import AccountKind
from gateway.service_layer import accounts, passwords, sessions
from gateway.service_layer import clinic_administration as administration
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.sessions import Tokens

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
OTHER_CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a70")
ADMIN = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a61")
EMAIL = "Petra.Patient@Example.com"
PASSWORD = "lantern over the quiet harbour"
STRANGERS_PASSWORD = "a stranger typed this address"
CLIENT = "203.0.113.7"


class FakeEntitlements:
    def __init__(self) -> None:
        self.grants: list[tuple[uuid.UUID, uuid.UUID, str, uuid.UUID | None]] = []

    def grant(self, clinic_id, principal_id, role_key, actor_id):
        self.grants.append((clinic_id, principal_id, role_key, actor_id))


@pytest.fixture
def entitlements() -> FakeEntitlements:
    return FakeEntitlements()


def sign_up(uow, email=EMAIL, password=PASSWORD, clinic_id=CLINIC, name="Petra"):
    administration.register_patient(uow, clinic_id, email, name, password, CLIENT)


def mailed_token(uow) -> str:
    uow.mail_links()
    return uow.mailer.link_token()


def confirm(uow, entitlements, token, password=PASSWORD):
    return administration.confirm_registration(uow, entitlements, token, password, CLIENT)


def the_account(uow, email=EMAIL):
    return uow.accounts.by_email(email.lower())


# -- signing up ---------------------------------------------------------------------------------


def test_a_sign_up_makes_no_account_and_is_mailed_a_link_valid_two_days_without_the_name(uow, entitlements):
    sign_up(uow, name="customer, your payment failed: pay again at https://pay.example")

    assert the_account(uow) is None
    assert entitlements.grants == []
    assert uow.mail_links() == 1
    [(to, subject, text)] = uow.mailer.sent
    assert (to, subject) == (EMAIL, "Confirm your address")
    assert "https://clinic.example/confirm-registration?token=" in text
    assert "48 hours" in text
    assert "pay.example" not in text and "customer" not in text


def test_until_confirmed_the_address_signs_in_nowhere_and_answers_as_one_nobody_has(uow):
    sign_up(uow)

    assert sessions.log_in(uow, EMAIL, PASSWORD, CLIENT) == Refused(Refusal.INVALID_CREDENTIALS)
    assert sessions.log_in(uow, "nobody@example.com", PASSWORD, CLIENT) == Refused(Refusal.INVALID_CREDENTIALS)


def test_an_address_with_an_account_is_mailed_a_reset_link_and_nothing_waits(uow):
    existing = uow.add_account(AccountKind.STAFF, OTHER_CLINIC, email=EMAIL)

    sign_up(uow)

    assert the_account(uow) == existing
    assert uow.sign_ups.stored == {}
    uow.mail_links()
    assert [subject for _, subject, _ in uow.mailer.sent] == ["Reset your password"]


def test_a_name_on_more_than_one_line_is_refused(uow):
    with pytest.raises(accounts.InvalidAccount) as refused:
        sign_up(uow, name="Petra\n\nYour payment failed")

    assert [p.field for p in refused.value.problems] == ["display_name"]


# -- confirming ---------------------------------------------------------------------------------


def test_the_link_and_the_password_make_the_account_sign_in_and_grant_the_patient_role(uow, entitlements):
    sign_up(uow)
    token = mailed_token(uow)

    outcome = confirm(uow, entitlements, token)

    account = the_account(uow)
    assert isinstance(outcome, Tokens)
    assert (account.kind, account.clinic_id, account.display_name, account.status) == (
        AccountKind.PATIENT, CLINIC, "Petra", AccountStatus.ACTIVE)
    assert entitlements.grants == [(CLINIC, account.id, "patient", account.id)]
    assert isinstance(sessions.log_in(uow, EMAIL, PASSWORD, CLIENT), Tokens)
    assert uow.sign_ups.stored == {}


def test_the_link_works_once(uow, entitlements):
    sign_up(uow)
    token = mailed_token(uow)
    confirm(uow, entitlements, token)

    with pytest.raises(passwords.InvalidLink):
        confirm(uow, entitlements, token)
    assert len(entitlements.grants) == 1


def test_a_wrong_password_is_refused_counted_and_the_link_still_works(uow, entitlements):
    sign_up(uow)
    token = mailed_token(uow)

    refused = confirm(uow, entitlements, token, STRANGERS_PASSWORD)

    assert refused == Refused(Refusal.INVALID_CREDENTIALS)
    assert the_account(uow) is None and entitlements.grants == []
    assert uow.audit.entries[-1].after == {"reason": "wrong_password", "while": "confirming_sign_up"}
    assert isinstance(confirm(uow, entitlements, token), Tokens)


def test_guessing_the_password_with_the_link_is_throttled_like_a_login(uow, entitlements):
    sign_up(uow)
    token = mailed_token(uow)

    outcomes = [confirm(uow, entitlements, token, f"guess number {n} of many") for n in range(6)]

    assert outcomes[:5] == [Refused(Refusal.INVALID_CREDENTIALS)] * 5
    assert isinstance(outcomes[5], Throttled)
    assert isinstance(confirm(uow, entitlements, token), Throttled)


def test_the_owner_of_the_address_cannot_confirm_a_sign_up_a_stranger_made(uow, entitlements):
    """Else the owner, following a link they did not ask for, would open an account whose
    password the stranger knows."""
    sign_up(uow, password=STRANGERS_PASSWORD)
    token = mailed_token(uow)

    assert confirm(uow, entitlements, token, PASSWORD) == Refused(Refusal.INVALID_CREDENTIALS)
    assert the_account(uow) is None


def test_only_a_sign_up_link_confirms_and_a_sign_up_link_sets_no_password(uow, entitlements):
    staff = uow.add_account(AccountKind.STAFF, CLINIC)
    passwords.request_password_reset(uow, staff.email)
    reset_token = mailed_token(uow)
    sign_up(uow)
    sign_up_token = mailed_token(uow)

    with pytest.raises(passwords.InvalidLink):
        confirm(uow, entitlements, reset_token)
    with pytest.raises(passwords.InvalidLink):
        passwords.set_password_with_link(uow, sign_up_token, "a password chosen through the wrong link")
    assert the_account(uow) is None


def test_a_link_that_ran_out_confirms_nothing(uow, entitlements, clock):
    sign_up(uow)
    token = mailed_token(uow)
    clock.advance(days=2)

    with pytest.raises(passwords.InvalidLink):
        confirm(uow, entitlements, token)


# -- keeping the address from nobody --------------------------------------------------------------


def test_a_stranger_s_sign_up_keeps_the_owner_from_nothing(uow, entitlements, clock):
    sign_up(uow, password=STRANGERS_PASSWORD, clinic_id=OTHER_CLINIC)
    strangers_token = mailed_token(uow)
    clock.advance(minutes=5)
    sign_up(uow)
    owners_token = mailed_token(uow)
    clock.advance(minutes=5)
    sign_up(uow, password=STRANGERS_PASSWORD, clinic_id=OTHER_CLINIC)

    assert isinstance(confirm(uow, entitlements, owners_token), Tokens)
    with pytest.raises(passwords.InvalidLink):
        confirm(uow, entitlements, strangers_token, STRANGERS_PASSWORD)
    assert the_account(uow).clinic_id == CLINIC


def test_a_clinic_may_invite_an_address_a_sign_up_waits_for_and_the_sign_up_then_leads_nowhere(uow, entitlements):
    sign_up(uow)
    token = mailed_token(uow)

    staff = accounts.create_account(uow, EMAIL, AccountKind.STAFF, OTHER_CLINIC, "Petra", invited_by=ADMIN)

    with pytest.raises(passwords.InvalidLink):
        confirm(uow, entitlements, token)
    assert the_account(uow) == staff and entitlements.grants == []


def test_sign_ups_are_removed_when_their_link_runs_out(uow, clock):
    sign_up(uow, email="forgotten@example.com")
    clock.advance(days=1)
    sign_up(uow, email="recent@example.com")
    clock.advance(days=1)

    removed = accounts.drop_expired_sign_ups(uow)

    assert removed == 1
    assert [s.email for s in uow.sign_ups.stored.values()] == ["recent@example.com"]
