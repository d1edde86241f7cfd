"""A patient signs up at a clinic: the account waits, unable to sign in and holding no role,
until the link mailed to the address is followed with the password chosen at sign-up. Until then
it gives way to anyone else who claims the address, and it is removed when the link runs out."""

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


def sign_up(uow, email=EMAIL, password=PASSWORD, clinic_id=CLINIC):
    administration.register_patient(uow, clinic_id, email, "Petra", password, CLIENT)


def mailed_token(uow) -> str:
    uow.mail_links()
    return uow.mailer.link_token()


def confirm(uow, entitlements, token, password=PASSWORD):
    return administration.confirm_registration(uow, entitlements, token, password, CLIENT)


def the_account(uow, email=EMAIL):
    return uow.accounts.by_email(email.lower())


# -- signing up ---------------------------------------------------------------------------------


def test_a_sign_up_is_unconfirmed_holds_no_role_and_is_mailed_a_link_valid_two_days(uow, entitlements):
    sign_up(uow)

    account = the_account(uow)
    assert (account.kind, account.clinic_id, account.status) == (AccountKind.PATIENT, CLINIC,
                                                                 AccountStatus.UNCONFIRMED)
    assert entitlements.grants == []
    assert uow.mail_links() == 1
    [(to, subject, text)] = uow.mailer.sent
    assert (to, subject) == (EMAIL, "Confirm your address")
    assert "https://clinic.example/confirm-registration?token=" in text
    assert "48 hours" in text


def test_an_unconfirmed_sign_up_cannot_sign_in_and_only_its_password_learns_why(uow):
    sign_up(uow)

    right = sessions.log_in(uow, EMAIL, PASSWORD, CLIENT)
    wrong = sessions.log_in(uow, EMAIL, STRANGERS_PASSWORD, CLIENT)

    assert right == Refused(Refusal.ADDRESS_NOT_CONFIRMED)
    assert wrong == Refused(Refusal.INVALID_CREDENTIALS)


def test_an_address_with_an_account_is_mailed_a_reset_link_and_nothing_is_created(uow):
    existing = uow.add_account(AccountKind.STAFF, OTHER_CLINIC, email=EMAIL)

    sign_up(uow)

    assert the_account(uow) == existing
    uow.mail_links()
    assert [subject for _, subject, _ in uow.mailer.sent] == ["Reset your password"]


# -- confirming ---------------------------------------------------------------------------------


def test_the_link_and_the_password_confirm_the_address_sign_in_and_grant_the_patient_role(uow, entitlements):
    sign_up(uow)
    token = mailed_token(uow)

    outcome = confirm(uow, entitlements, token)

    account = the_account(uow)
    assert isinstance(outcome, Tokens)
    assert account.status is AccountStatus.ACTIVE
    assert entitlements.grants == [(CLINIC, account.id, "patient", account.id)]
    assert isinstance(sessions.log_in(uow, EMAIL, PASSWORD, CLIENT), Tokens)
    assert "account.confirmed" in uow.audit.actions()


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
    assert the_account(uow).status is AccountStatus.UNCONFIRMED
    assert entitlements.grants == []
    assert uow.audit.entries[-1].after == {"reason": "wrong_password", "while": "confirming_registration"}
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
    assert the_account(uow).status is AccountStatus.UNCONFIRMED


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
    assert the_account(uow).status is AccountStatus.UNCONFIRMED


def test_a_link_that_ran_out_confirms_nothing(uow, entitlements, clock):
    sign_up(uow)
    token = mailed_token(uow)
    clock.advance(days=2)

    with pytest.raises(passwords.InvalidLink):
        confirm(uow, entitlements, token)


# -- giving way -----------------------------------------------------------------------------------


def test_a_second_sign_up_replaces_an_unconfirmed_one_and_the_first_link_stops_working(uow, entitlements):
    sign_up(uow, password=STRANGERS_PASSWORD, clinic_id=OTHER_CLINIC)
    strangers_token = mailed_token(uow)

    sign_up(uow)
    owners_token = mailed_token(uow)

    with pytest.raises(passwords.InvalidLink):
        confirm(uow, entitlements, strangers_token, STRANGERS_PASSWORD)
    assert isinstance(confirm(uow, entitlements, owners_token), Tokens)
    assert the_account(uow).clinic_id == CLINIC
    assert "account.registration_dropped" in uow.audit.actions()


def test_an_invitation_takes_an_address_an_unconfirmed_sign_up_holds(uow, entitlements):
    sign_up(uow, password=STRANGERS_PASSWORD)

    staff = accounts.create_account(uow, EMAIL, AccountKind.STAFF, OTHER_CLINIC, "Petra", invited_by=ADMIN)

    assert the_account(uow) == staff
    dropped = [e for e in uow.audit.entries if e.action == "account.registration_dropped"]
    assert [(e.clinic_id, e.after) for e in dropped] == [(CLINIC, {"reason": "address_claimed"})]


def test_an_invitation_still_refuses_an_address_a_confirmed_account_holds(uow, entitlements):
    sign_up(uow)
    confirm(uow, entitlements, mailed_token(uow))

    with pytest.raises(accounts.EmailTaken):
        accounts.create_account(uow, EMAIL, AccountKind.STAFF, OTHER_CLINIC, "Petra", invited_by=ADMIN)


def test_sign_ups_not_confirmed_within_two_days_are_removed_and_confirmed_ones_kept(uow, entitlements, clock):
    sign_up(uow, email="confirmed@example.com")
    confirm(uow, entitlements, mailed_token(uow))
    sign_up(uow, email="forgotten@example.com")
    clock.advance(days=1)
    sign_up(uow, email="recent@example.com")
    clock.advance(days=1, seconds=1)

    removed = accounts.drop_expired_registrations(uow)

    assert removed == 1
    assert the_account(uow, "forgotten@example.com") is None
    assert the_account(uow, "recent@example.com").status is AccountStatus.UNCONFIRMED
    assert the_account(uow, "confirmed@example.com").status is AccountStatus.ACTIVE
