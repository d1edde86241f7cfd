"""The password policy (NIST SP 800-63B: length, variety, not the email's local part, not quick
to guess by zxcvbn's estimate) and how passwords are kept (argon2id, rehashed when the
parameters change)."""

from __future__ import annotations

import secrets

import pytest

from gateway.domain import passwords
from gateway.domain.passwords import (
    CHARACTERS_ESTIMATED,
    COMMON_PASSWORD,
    MIN_LENGTH,
    YOUR_WORDS,
    PasswordHasher,
    password_problems,
)

EMAIL = "ana.popescu@example.com"
TOO_EASY = "is too easy to guess."


def test_a_long_uncommon_password_is_accepted():
    assert password_problems("copper kettle on a quiet hill", EMAIL) == []


@pytest.mark.parametrize("length", [MIN_LENGTH - 1, 0, 129])
def test_a_password_shorter_than_12_or_longer_than_128_characters_is_refused(length):
    assert password_problems("k" * length, EMAIL) == ["must be 12 to 128 characters long"]


@pytest.mark.parametrize("password", ["tq8vz3mw5rkx", ("copper kettle on a quiet hill, lantern by the river bend; " * 3)[:128]])
def test_the_length_limits_themselves_are_allowed(password):
    assert password_problems(password, EMAIL) == []


def test_length_counts_characters_not_bytes():
    assert password_problems("știu că merg", EMAIL) == []  # 12 characters, 15 bytes
    assert password_problems(("știu că merg pe munte, " * 6)[:128], EMAIL) == []  # 128 characters, 148 bytes


@pytest.mark.parametrize("password", ["ana.popescu-2026!", "my ANA.POPESCU secret"])
def test_a_password_containing_the_emails_local_part_in_any_case_is_refused(password):
    assert password_problems(password, EMAIL) == ["must not contain your email address"]


def test_a_very_short_local_part_is_not_held_against_the_password():
    assert password_problems("jo's garden party", "jo@example.com") == []


@pytest.mark.parametrize("password", [" " * 12, "\t \u00a0" * 4, "bbbbbbbbbbbb", "111111111112", "abababababab",
                                      "a b c d a b c d"])
def test_a_password_of_fewer_than_5_different_characters_besides_spaces_is_refused(password):
    assert password_problems(password, EMAIL) == ["must use at least 5 different characters besides spaces"]


@pytest.mark.parametrize("password", ["password1234", "QWERTY123456", "1q2w3e4r5t6y", "qazwsxedcrfv"])
def test_one_of_the_most_common_passwords_is_refused_in_any_case(password):
    assert password_problems(password, EMAIL) == [COMMON_PASSWORD]


@pytest.mark.parametrize("password", ["passw0rd1234", "Password1234", "drowssap1234", "qwerty1234567",
                                      "iloveyou1234"])
def test_a_common_password_disguised_by_substitutions_capitals_reversal_or_digits_is_refused(password):
    [problem] = password_problems(password, EMAIL)
    assert problem.startswith(f"{TOO_EASY} This is similar to a commonly used password.")


@pytest.mark.parametrize(("password", "because"), [
    ("abcdefghijkl", 'Sequences like "abc" or "6543" are easy to guess.'),
    ("zyxwvutsrqpo", 'Sequences like "abc" or "6543" are easy to guess.'),
    ("!@#$%^&*()_+", "Straight rows of keys are easy to guess."),
    ("asdfghjkl;'\\", "Straight rows of keys are easy to guess."),
    ("19871987abcd", 'Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    ("12/05/1987abc", "Dates are often easy to guess."),
])
def test_a_keyboard_row_sequence_repeat_or_date_is_refused_saying_why(password, because):
    [problem] = password_problems(password, EMAIL)
    assert problem.startswith(f"{TOO_EASY} {because}")


@pytest.mark.parametrize("password", ["popescu12345", "clinic123456"])
def test_a_password_built_on_the_emails_words_or_the_platforms_name_is_refused(password):
    [problem] = password_problems(password, EMAIL)
    assert problem.startswith(f"{TOO_EASY} {YOUR_WORDS}")


def test_a_problem_never_repeats_the_password():
    for password in ["passw0rd1234", "abcdefghijkl", "popescu12345", "bbbbbbbbbbbb", "password1234"]:
        assert all(password.lower() not in problem.lower() for problem in password_problems(password, EMAIL))


def test_a_random_token_like_the_devstacks_operator_password_is_accepted():
    for _ in range(200):
        assert password_problems(secrets.token_urlsafe(18), "operator@example.com") == []


def test_only_the_first_32_characters_are_estimated_so_a_long_password_is_judged_quickly(monkeypatch):
    # zxcvbn tries every substitution of these against every word list: seconds at 128 characters.
    estimated: list[str] = []
    real = passwords.zxcvbn
    monkeypatch.setattr(passwords, "zxcvbn", lambda password, **kwargs: estimated.append(password) or real(
        password, **kwargs))
    substituted = ("4@8({[<3#6!1|70$5+%2" * 7)[:128]

    assert password_problems(substituted, EMAIL) == []
    assert estimated == [substituted[:CHARACTERS_ESTIMATED]]


def test_a_password_starting_with_32_guessable_characters_is_refused_whatever_follows():
    start = "abcdefghijklmnopqrstuvwxyz123456"
    assert len(start) == CHARACTERS_ESTIMATED
    [problem] = password_problems(start + "copper kettle on a quiet hill", EMAIL)
    assert problem.startswith(f'{TOO_EASY} Sequences like "abc"')


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

