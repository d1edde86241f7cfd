"""An address is kept twice, as given and lower-cased (the key it is looked up by), each in at
most 254 characters. Lower-casing lengthens some letters ("İ" becomes "i̇", two characters), so an
address whose key would not fit is refused like any other bad address, before anything is kept."""

from __future__ import annotations

import uuid

import pytest

from gateway.domain.identity import MAX_EMAIL_LENGTH, check_new_account, email_key
from gateway.domain.principal import AccountKind
from gateway.service_layer import accounts
from gateway.service_layer import clinic_administration as administration

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
DOMAIN = "@example.ro"
LENGTHENED_BY_LOWER_CASE = "İ" * 200 + DOMAIN  # 211 characters, 411 once lower-cased


def email_problems(email: str) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in check_new_account(email, AccountKind.PATIENT, CLINIC, "Ioana")]


def test_an_address_whose_lower_cased_key_outgrows_the_column_is_refused():
    assert len(LENGTHENED_BY_LOWER_CASE) <= MAX_EMAIL_LENGTH < len(email_key(LENGTHENED_BY_LOWER_CASE))

    assert email_problems(LENGTHENED_BY_LOWER_CASE) == [
        ("email", f"must be at most {MAX_EMAIL_LENGTH} characters, also once lower-cased")]


def test_an_address_longer_than_the_column_as_given_is_refused_the_same_way():
    assert email_problems("a" * (MAX_EMAIL_LENGTH - len(DOMAIN) + 1) + DOMAIN) == [
        ("email", f"must be at most {MAX_EMAIL_LENGTH} characters, also once lower-cased")]


@pytest.mark.parametrize("address", ["Ș" * (MAX_EMAIL_LENGTH - len(DOMAIN)) + DOMAIN,
                                     "İ" * 121 + "a" + DOMAIN])
def test_an_address_whose_key_fills_the_column_exactly_is_accepted(address):
    assert len(email_key(address)) == MAX_EMAIL_LENGTH

    assert email_problems(address) == []


def test_a_sign_up_with_such_an_address_is_refused_and_keeps_nothing(uow):
    with pytest.raises(accounts.InvalidAccount) as refused:
        administration.register_patient(uow, CLINIC, LENGTHENED_BY_LOWER_CASE, "Ioana Vasilescu",
                                        "lantern over the quiet harbour", "203.0.113.7")

    assert [p.field for p in refused.value.problems] == ["email"]
    assert uow.sign_ups.stored == {} and uow.one_time_tokens.stored == {}
