"""The access audit over a whole account's life: every fact recorded once, with who acted on
whom, and never an email address, a password or a code."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict

from gateway.domain import totp
from gateway.domain.principal import AccountKind, Principal
from gateway.service_layer import accounts, mfa, passwords, sessions

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
ADMIN = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a61")
ADDRESS = "203.0.113.7"
FIRST, SECOND = "first long password here", "second long password here"


def principal_of(uow, tokens) -> Principal:
    claims = uow.tools.tokens.read_access_token(tokens.access_token, uow.clock())
    return Principal(claims.account_id, claims.kind, claims.clinic_id, claims.session_id, claims.mfa_verified)


def test_an_accounts_life_leaves_one_entry_per_fact_and_no_personal_contact_data(uow, clock):
    secrets_used: list[str] = [FIRST, SECOND]
    account = accounts.create_account(uow, "maria.ionescu@example.com", AccountKind.PROVIDER, CLINIC, "Maria",
                                      invited_by=ADMIN)
    uow.mail_links()
    passwords.set_password_with_link(uow, uow.mailer.link_token(), FIRST)
    sessions.log_in(uow, account.email, "a wrong password!!", ADDRESS)
    principal = principal_of(uow, sessions.log_in(uow, account.email, FIRST, ADDRESS))
    enrolment = mfa.begin_totp_enrolment(uow, principal)
    secret = totp.decode_secret(enrolment.secret)
    secrets_used.append(uow.code(secret))
    recovery_codes = mfa.confirm_totp_enrolment(uow, principal, secrets_used[-1])
    clock.advance(seconds=30)
    secrets_used.append(uow.code(secret))
    mfa.disable_mfa(uow, principal, FIRST, secrets_used[-1], None, ADDRESS)
    # Required from here on: turning it off would now be refused, an admin's reset is not.
    accounts.set_clinic_mfa_requirement(uow, CLINIC, True, ADMIN, expected_version=0)
    uow.enable_mfa(account)
    accounts.reset_mfa(uow, account.id, CLINIC, ADMIN)
    passwords.change_password(uow, principal, FIRST, SECOND, ADDRESS)
    sessions.log_out(uow, principal)

    assert uow.audit.actions() == [
        "account.created", "password.reset", "login.failed", "login.succeeded", "mfa.enrolled", "mfa.disabled",
        "clinic.mfa_policy.changed", "mfa.reset", "password.changed", "session.revoked",
    ]
    assert all(entry.clinic_id == CLINIC for entry in uow.audit.entries)
    written = json.dumps([asdict(entry) for entry in uow.audit.entries], default=str).lower()
    for personal in ["maria", "ionescu", "@", enrolment.secret.lower(), *secrets_used, *recovery_codes]:
        assert personal.lower() not in written


def test_who_acted_on_whom(uow):
    account = accounts.create_account(uow, "tom@example.com", AccountKind.STAFF, CLINIC, "Tom", invited_by=ADMIN)
    uow.mail_links()
    passwords.set_password_with_link(uow, uow.mailer.link_token(), FIRST)
    sessions.log_in(uow, account.email, "a wrong password!!", ADDRESS)
    sessions.log_in(uow, account.email, FIRST, ADDRESS)

    actors = [(str(e.action), e.actor_id, e.subject_id, e.client_address) for e in uow.audit.entries]

    assert actors == [
        ("account.created", ADMIN, account.id, None),
        ("password.reset", account.id, account.id, None),
        ("login.failed", None, account.id, ADDRESS),
        ("login.succeeded", account.id, account.id, ADDRESS),
    ]
