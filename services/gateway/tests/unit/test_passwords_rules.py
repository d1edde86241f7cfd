"""The password policy (length, not the email's local part, not a common password) and how
passwords are kept (argon2id, rehashed when the parameters change)."""

from __future__ import annotations

import pytest

from gateway.domain.passwords import COMMON_PASSWORDS, MIN_LENGTH, PasswordHasher, password_problems

EMAIL = "ana.popescu@example.com"


def test_a_long_uncommon_password_is_accepted():
    assert password_problems("copper kettle on a quiet hill", EMAIL) == []


@pytest.mark.parametrize("length", [MIN_LENGTH - 1, 0, 129])
def test_a_password_shorter_than_12_or_longer_than_128_characters_is_refused(length):
    assert password_problems("k" * length, EMAIL) == ["must be 12 to 128 characters long"]


@pytest.mark.parametrize("length", [12, 128])
def test_the_length_limits_themselves_are_allowed(length):
    assert password_problems("qz7" * (length // 3) + "q" * (length % 3), EMAIL) == []


def test_length_counts_characters_not_bytes():
    assert password_problems("ăîșțâăîșțâăî", EMAIL) == []


@pytest.mark.parametrize("password", ["ana.popescu-2026!", "my ANA.POPESCU secret"])
def test_a_password_containing_the_emails_local_part_in_any_case_is_refused(password):
    assert password_problems(password, EMAIL) == ["must not contain your email address"]


def test_a_very_short_local_part_is_not_held_against_the_password():
    assert password_problems("jo's garden party", "jo@example.com") == []


@pytest.mark.parametrize("password", ["password1234", "Password1234", "QWERTY123456", "1q2w3e4r5t6y"])
def test_one_of_the_most_common_passwords_is_refused_in_any_case(password):
    assert password_problems(password, EMAIL) == ["is one of the most common passwords; choose another"]


def test_every_listed_common_password_is_long_enough_to_need_the_list():
    assert all(len(password) >= MIN_LENGTH for password in COMMON_PASSWORDS)


CHEAP = PasswordHasher(time_cost=1, memory_kib=8, parallelism=1)


def test_a_password_is_kept_as_an_argon2id_hash_that_verifies_only_that_password():
    stored = CHEAP.hash("copper kettle on a quiet hill")
    assert stored.startswith("$argon2id$")
    assert "copper" not in stored
    assert CHEAP.verify(stored, "copper kettle on a quiet hill")
    assert not CHEAP.verify(stored, "copper kettle on a quiet hilL")


def test_two_hashes_of_one_password_differ_by_their_salt():
    assert CHEAP.hash("copper kettle on a quiet hill") != CHEAP.hash("copper kettle on a quiet hill")


def test_something_that_is_not_a_hash_never_verifies():
    assert not CHEAP.verify("not-a-hash", "copper kettle on a quiet hill")


def test_a_hash_made_with_other_parameters_still_verifies_but_needs_rehashing():
    old = PasswordHasher(time_cost=1, memory_kib=8, parallelism=1).hash("copper kettle on a quiet hill")
    stronger = PasswordHasher(time_cost=2, memory_kib=16, parallelism=1)
    assert stronger.verify(old, "copper kettle on a quiet hill")
    assert stronger.needs_rehash(old)
    assert not stronger.needs_rehash(stronger.hash("copper kettle on a quiet hill"))

