"""Whom throttles count: a client by its network (an IPv6 address by its /64), and how often an
address is mailed a link of each kind: a reset link whoever asks, a sign-up's per client network."""

from __future__ import annotations

import uuid

import pytest

from gateway.domain.principal import AccountKind
from gateway.service_layer import clinic_administration as administration
from gateway.service_layer import passwords, sessions, throttling
from gateway.service_layer.outcomes import Refused, Throttled

PASSWORD = "plum tree orchard at dawn"
WRONG = "definitely not it"
CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")


# -- the client's network ---------------------------------------------------------------------


@pytest.mark.parametrize(("address", "network"), [
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("2001:DB8:1:3:ffff:ffff:ffff:ffff", "2001:db8:1:3::/64"),
    ("2001:db8:1:4::1", "2001:db8:1:4::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("::1", "::/64"),
    ("::ffff:198.51.100.9", "198.51.100.9"),
    ("198.51.100.9", "198.51.100.9"),
    ("unknown", "unknown"),
    ("198.51.100.999", "198.51.100.999"),
])
def test_a_client_is_counted_by_its_ipv6_64_or_its_ipv4_address_and_anything_else_as_given(address, network):
    assert throttling.client_network(address) == network


def test_failed_logins_from_addresses_rotating_within_one_64_are_counted_together(uow):
    outcomes = [sessions.log_in(uow, f"guess-{n}@example.com", WRONG, f"2001:db8:1:3::{n + 1:x}") for n in range(21)]

    assert all(isinstance(outcome, Refused) for outcome in outcomes[:20])
    assert isinstance(outcomes[20], Throttled)
    assert isinstance(sessions.log_in(uow, "guess@example.com", WRONG, "2001:db8:1:4::1"), Refused)


def test_an_ipv4_mapped_address_is_counted_as_its_ipv4_address(uow):
    for n in range(20):
        sessions.log_in(uow, f"guess-{n}@example.com", WRONG, "::ffff:198.51.100.9" if n % 2 else "198.51.100.9")

    assert isinstance(sessions.log_in(uow, "guess@example.com", WRONG, "198.51.100.9"), Throttled)


def test_the_audit_keeps_the_full_address_the_throttle_counted_by_its_network(uow):
    account = uow.add_account()

    sessions.log_in(uow, account.email, WRONG, "2001:db8:1:3::3c")

    assert uow.audit.entries[-1].client_address == "2001:db8:1:3::3c"


# -- links mailed to an address ---------------------------------------------------------------


def reset_links(uow) -> int:
    return [record.purpose for record in uow.one_time_tokens.stored.values()].count("password_reset")


def test_an_address_is_given_one_reset_link_in_five_minutes_however_often_it_is_asked(uow, clock):
    uow.add_account(email="Ana@Example.com")

    answers = [passwords.request_password_reset(uow, email) for email in ("ana@example.com", " ANA@example.com") * 5]
    clock.advance(minutes=4, seconds=59)
    passwords.request_password_reset(uow, "ana@example.com")

    assert answers == [None] * 10
    assert reset_links(uow) == 1
    assert uow.mail_links() == 1


def test_five_minutes_after_the_link_another_request_is_given_another(uow, clock):
    account = uow.add_account()
    passwords.request_password_reset(uow, account.email)
    clock.advance(minutes=3)
    passwords.request_password_reset(uow, account.email)  # within five minutes of the first: nothing
    clock.advance(minutes=2)

    passwords.request_password_reset(uow, account.email)

    assert reset_links(uow) == 2


def test_every_reset_request_is_counted_whether_or_not_an_account_has_the_address(uow):
    """So both write alike, and the throttle keeps no address: only a hash of it."""
    account = uow.add_account()

    passwords.request_password_reset(uow, account.email)
    passwords.request_password_reset(uow, "nobody@example.com")
    passwords.request_password_reset(uow, "nobody@example.com")

    counts = sorted(requests for requests, _ in uow.link_requests.stored.values())
    assert counts == [1, 2]
    assert not any("@" in digest for digest, _ in uow.link_requests.stored)


def test_a_stranger_signing_up_an_address_does_not_hold_off_its_owner_signing_up_from_another_network(uow):
    """A sign-up's link is confirmed only with its own signer's password: the owner needs their own."""
    administration.register_patient(uow, CLINIC, "petra@example.com", "Petra", "a stranger typed this address",
                                    "198.51.100.66")
    administration.register_patient(uow, CLINIC, "petra@example.com", "Petra", PASSWORD, "2001:db8:1:3::1")

    assert len(uow.sign_ups.stored) == 2
    assert uow.mail_links() == 2
    owners_link = uow.mailer.link_token()
    assert isinstance(administration.confirm_registration(uow, _NoEntitlements(), owners_link, PASSWORD,
                                                          "2001:db8:1:3::1"), sessions.Tokens)


def test_an_address_is_given_one_sign_up_link_in_five_minutes_and_later_sign_ups_record_nothing(uow, clock):
    for password in (PASSWORD, "a stranger typed this address", PASSWORD):
        administration.register_patient(uow, CLINIC, "petra@example.com", "Petra", password, "203.0.113.7")

    assert len(uow.sign_ups.stored) == 1
    assert uow.mail_links() == 1

    clock.advance(minutes=5)
    administration.register_patient(uow, CLINIC, "petra@example.com", "Petra", PASSWORD, "203.0.113.7")
    assert len(uow.sign_ups.stored) == 2
    assert uow.mail_links() == 1


def test_signing_up_with_an_accounts_address_again_and_again_mails_one_reset_link(uow):
    staff = uow.add_account(AccountKind.STAFF, CLINIC)

    for _ in range(40):
        administration.register_patient(uow, CLINIC, staff.email, "Petra", PASSWORD, "203.0.113.7")
    passwords.request_password_reset(uow, staff.email)

    assert uow.mail_links() == 1
    assert [subject for _, subject, _ in uow.mailer.sent] == ["Reset your password"]


def test_each_kind_of_link_has_its_own_allowance(uow, clock):
    """A patient who just confirmed a sign-up may still ask for a reset link at once."""
    administration.register_patient(uow, CLINIC, "petra@example.com", "Petra", PASSWORD, "203.0.113.7")
    uow.mail_links()
    administration.confirm_registration(uow, _NoEntitlements(), uow.mailer.link_token(), PASSWORD, "203.0.113.7")

    passwords.request_password_reset(uow, "petra@example.com")

    assert reset_links(uow) == 1


class _NoEntitlements:
    def grant(self, clinic_id, principal_id, role_key, actor_id):
        pass
