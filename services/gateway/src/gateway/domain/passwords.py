"""Passwords: the policy a new one must meet, and how they are kept (argon2id hashes only).

The policy follows NIST SP 800-63B: length over composition rules, and no password that
attackers try first. zxcvbn estimates how many guesses that takes, from its lists of breached
passwords, words and names, and from keyboard rows, sequences, repeats, dates and
substitutions; the email's local part and the platform's name count as words too.
"""

from __future__ import annotations

import re
import threading
from functools import cached_property

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
# "            " and "bbbbbbbbbbbb" are long enough; spaces add no variety of their own.
MIN_DISTINCT_CHARACTERS = 5
# A local part this short ("al@…") would refuse too many good passwords by accident.
SHORTEST_LOCAL_PART_CHECKED = 3
# zxcvbn's score 3: about 10^8 guesses, beyond an online attack and slow against argon2 hashes.
MIN_SCORE = 3
# zxcvbn's cost grows with the square of the length, times the substitutions it tries: up to a
# second for 64 characters of "4@8(!1|$…". The first 32 cost at most about one argon2 hash
# (~0.2 s); a password whose start is hard to guess is hard to guess whole.
CHARACTERS_ESTIMATED = 32
PLATFORM_WORDS = ("clinic",)
COMMON_PASSWORD = "is one of the most common passwords; choose another"
YOUR_WORDS = "Words from your email address or the platform's name are easy to guess."

# zxcvbn keeps a call's user inputs in a module-level dictionary; the web process has threads.
_estimating = threading.Lock()


def password_problems(password: str, email: str) -> list[str]:
    """Why `password` may not be chosen by the account with address `email` (empty: it may)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return [f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long"]
    problems = []
    local_part = email.strip().lower().partition("@")[0]
    if len(local_part) >= SHORTEST_LOCAL_PART_CHECKED and local_part in password.lower():
        problems.append("must not contain your email address")
    if len({character for character in password if not character.isspace()}) < MIN_DISTINCT_CHARACTERS:
        problems.append(f"must use at least {MIN_DISTINCT_CHARACTERS} different characters besides spaces")
    elif guessable := _how_guessable(password, local_part):
        problems.append(guessable)
    return problems


def _how_guessable(password: str, local_part: str) -> str | None:
    """What makes `password` quick to guess, in zxcvbn's words (None: nothing does)."""
    words = [local_part, *re.split(r"[^a-z]+", local_part), *PLATFORM_WORDS]
    with _estimating:
        estimate = zxcvbn(password[:CHARACTERS_ESTIMATED],
                          user_inputs=[word for word in words if len(word) >= SHORTEST_LOCAL_PART_CHECKED])
    if estimate["score"] >= MIN_SCORE:
        return None
    if _is_a_listed_password(estimate["sequence"]):
        return COMMON_PASSWORD
    feedback = estimate["feedback"]
    # zxcvbn says nothing of its own about the words it was given.
    warning = feedback["warning"] or next(
        (YOUR_WORDS for match in estimate["sequence"] if match.get("dictionary_name") == "user_inputs"), "")
    return " ".join(filter(None, ["is too easy to guess.", warning, *feedback["suggestions"]]))


def _is_a_listed_password(sequence: list[dict]) -> bool:
    """The whole password is on zxcvbn's list of breached ones, as typed (any case)."""
    [match, *others] = sequence
    return not others and match.get("dictionary_name") == "passwords" and not (match["reversed"] or match["l33t"])


class PasswordHasher:
    """argon2id with tunable cost. A hash made with other parameters still verifies, and
    `needs_rehash` says when to store a fresh one (done at the next successful login)."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._argon2 = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism,
                                             type=argon2.Type.ID)

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon2.check_needs_rehash(password_hash)

    def verify_nothing(self, password: str) -> None:
        """Spend the time a real verification takes, so an unknown address answers no faster."""
        self.verify(self._dummy_hash, password)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._argon2.hash("no account has this password")
