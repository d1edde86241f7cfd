"""Failed-login throttling per account and per address, and the fixed-window rate limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.domain.identity import email_key
from gateway.domain.passwords import PasswordHasher
from gateway.domain.throttling import RateLimit, Tally, Verdict, fixed_window, window_index
from gateway.service_layer import sessions, throttling
from gateway.service_layer.outcomes import Refusal, Refused, Throttled
from gateway.service_layer.sessions import Tokens

PASSWORD = "plum tree orchard at dawn"
WRONG = "definitely not it"


class RecordingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=8, parallelism=1)
        self.checked = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.checked += 1
        return super().verify(password_hash, password)

    def verify_nothing(self, password: str) -> None:
        self.checked += 1


def attempt(uow, email, password=PASSWORD, address="203.0.113.7"):
    return sessions.log_in(uow, email, password, address)


# -- per account ------------------------------------------------------------------------------


def test_after_five_failures_the_account_is_refused_with_429_even_with_the_right_password(uow):
    account = uow.add_account()
    for _ in range(5):
        assert attempt(uow, account.email, WRONG) == Refused(Refusal.INVALID_CREDENTIALS)

    assert attempt(uow, account.email) == Throttled(retry_after_seconds=900)


def test_while_throttled_the_password_is_not_even_checked(uow):
    account = uow.add_account()
    for _ in range(5):
        attempt(uow, account.email, WRONG)
    hasher = RecordingHasher()
    uow.tools = replace(uow.tools, hasher=hasher)

    attempt(uow, account.email)

    assert hasher.checked == 0


def test_the_refusal_says_how_long_is_left_of_the_window(uow, clock):
    account = uow.add_account()
    for _ in range(5):
        attempt(uow, account.email, WRONG)
        clock.advance(seconds=60)
    assert attempt(uow, account.email) == Throttled(retry_after_seconds=900 - 300)


def test_when_the_window_has_passed_the_account_may_try_again(uow, clock):
    account = uow.add_account()
    for _ in range(5):
        attempt(uow, account.email, WRONG)
    clock.advance(minutes=15)
    assert isinstance(attempt(uow, account.email), Tokens)


def test_a_success_starts_the_accounts_count_afresh(uow):
    account = uow.add_account()
    for _ in range(4):
        attempt(uow, account.email, WRONG)
    attempt(uow, account.email)
    for _ in range(4):
        attempt(uow, account.email, WRONG)
    assert isinstance(attempt(uow, account.email), Tokens)


def test_failures_from_many_addresses_add_up_for_the_account(uow):
    account = uow.add_account()
    for n in range(5):
        attempt(uow, account.email, WRONG, address=f"198.51.100.{n}")
    assert isinstance(attempt(uow, account.email, address="192.0.2.99"), Throttled)


def test_an_address_without_an_account_is_throttled_exactly_like_one_with_an_account(uow):
    for _ in range(5):
        attempt(uow, "nobody@example.com", WRONG)
    assert attempt(uow, "NOBODY@example.com", WRONG) == Throttled(retry_after_seconds=900)


def test_the_throttle_is_audited_against_the_account(uow):
    account = uow.add_account()
    for _ in range(5):
        attempt(uow, account.email, WRONG)
    attempt(uow, account.email)
    entry = uow.audit.entries[-1]
    assert (entry.action, entry.subject_id, entry.clinic_id, entry.after) == (
        "login.throttled", account.id, account.clinic_id, {"retry_after_seconds": 900})


def test_the_account_is_counted_by_a_hash_never_by_its_address(uow):
    attempt(uow, "ana@example.com", WRONG)
    assert not any("ana" in subject for subject in uow.login_failures.stored)
    assert throttling.account_subject("ana@example.com") in uow.login_failures.stored


# -- counting before checking -----------------------------------------------------------------


class CountSeeingHasher(PasswordHasher):
    """Notes what the account's count is while each password is being checked."""

    def __init__(self, uow, email_key: str) -> None:
        super().__init__(time_cost=1, memory_kib=8, parallelism=1)
        self.uow, self.subject, self.seen = uow, throttling.account_subject(email_key), []

    def verify(self, password_hash: str, password: str) -> bool:
        tally = self.uow.login_failures.stored.get(self.subject)
        self.seen.append(0 if tally is None else tally.failures)
        return super().verify(password_hash, password)


def test_an_attempt_is_counted_before_its_password_is_checked(uow):
    # Then attempts racing each other each see the others, and no more than the limit are checked.
    account = uow.add_account()
    hasher = CountSeeingHasher(uow, account.email_key)
    uow.tools = replace(uow.tools, hasher=hasher)

    attempt(uow, account.email, WRONG)
    attempt(uow, account.email, WRONG)
    attempt(uow, account.email)

    assert hasher.seen == [1, 2, 3]


def failures(uow, email: str, address: str = "203.0.113.7") -> tuple[int, int]:
    """The account's and the address's counts."""
    tallies = [uow.login_failures.stored.get(subject) for subject in
               (throttling.account_subject(email_key(email)), throttling.address_subject(address))]
    return tuple(0 if tally is None else tally.failures for tally in tallies)


def test_an_attempt_refused_unchecked_is_not_counted(uow):
    account = uow.add_account()
    for _ in range(5):
        attempt(uow, account.email, WRONG)

    assert isinstance(attempt(uow, account.email, WRONG), Throttled)
    assert isinstance(attempt(uow, account.email), Throttled)

    assert failures(uow, account.email) == (5, 5)


def test_a_right_password_is_not_counted_against_the_address(uow):
    account = uow.add_account()
    for _ in range(3):
        attempt(uow, account.email, WRONG)

    attempt(uow, account.email)

    assert failures(uow, account.email) == (0, 3)


def test_a_right_password_with_a_second_factor_to_come_leaves_both_counts_as_they_were(uow):
    account = uow.add_account()
    uow.enable_mfa(account)
    for _ in range(3):
        attempt(uow, account.email, WRONG)

    assert isinstance(attempt(uow, account.email), sessions.SecondFactorNeeded)

    assert failures(uow, account.email) == (3, 3)


def test_a_wrong_second_factor_is_counted_and_a_right_one_forgets_the_accounts_failures(uow):
    account = uow.add_account()
    secret = uow.enable_mfa(account)
    attempt(uow, account.email, WRONG)

    refused = sessions.log_in_second_step(uow, attempt(uow, account.email).mfa_token, None, "not-a-recovery-code",
                                          "203.0.113.7")
    assert refused == Refused(Refusal.INVALID_SECOND_FACTOR)
    assert failures(uow, account.email) == (2, 2)

    opened = sessions.log_in_second_step(uow, attempt(uow, account.email).mfa_token, uow.code(secret), None,
                                         "203.0.113.7")
    assert isinstance(opened, Tokens)
    assert failures(uow, account.email) == (0, 2)


# -- per client address -----------------------------------------------------------------------


def test_after_twenty_failures_from_one_address_every_account_is_refused_from_it(uow):
    account = uow.add_account()
    for n in range(20):
        attempt(uow, f"guess-{n}@example.com", WRONG, address="203.0.113.66")

    assert isinstance(attempt(uow, account.email, address="203.0.113.66"), Throttled)
    assert isinstance(attempt(uow, account.email, address="203.0.113.67"), Tokens)


def test_a_success_does_not_clear_the_addresss_count(uow):
    account = uow.add_account()
    for n in range(19):
        attempt(uow, f"guess-{n}@example.com", WRONG)
    attempt(uow, account.email)
    attempt(uow, "guess-19@example.com", WRONG)
    assert isinstance(attempt(uow, account.email), Throttled)


# -- tallies and rate limits ------------------------------------------------------------------


@pytest.mark.parametrize(("tally", "now", "expected"), [
    (Tally(5, 1000.0), 1000.0, None),  # the attempt counted is the limit's last
    (Tally(6, 1000.0), 1000.0, 900),
    (Tally(6, 1000.0), 1899.5, 1),  # rounded up, never 0
])
def test_a_tally_refuses_the_attempts_over_the_limit_until_its_window_ends(tally, now, expected):
    assert tally.retry_after(5, 900, now) == expected


@pytest.mark.parametrize(("text", "limit"), [
    ("10/minute", RateLimit(10, 60)), ("1/second", RateLimit(1, 1)), (" 5 / hour ", RateLimit(5, 3600)),
    ("1000/day", RateLimit(1000, 86400)),
])
def test_a_rate_is_written_as_requests_per_period(text, limit):
    assert RateLimit.parse(text) == limit


@pytest.mark.parametrize("text", ["10", "10/week", "0/minute", "-1/minute", "ten/minute", ""])
def test_anything_else_is_not_a_rate(text):
    with pytest.raises(ValueError):
        RateLimit.parse(text)


def test_a_fixed_window_allows_the_limit_and_refuses_until_the_window_ends():
    limit = RateLimit(3, 60)
    assert fixed_window(3, limit, 6000.0) == Verdict(True)
    assert fixed_window(4, limit, 6000.0) == Verdict(False, 60)
    assert fixed_window(4, limit, 6045.2) == Verdict(False, 15)


def test_windows_are_aligned_to_the_period():
    limit = RateLimit(3, 60)
    assert window_index(limit, 6000.0) == window_index(limit, 6059.9) != window_index(limit, 6060.0)
