"""Passwords: the policy a new one must meet, and how they are kept (argon2id hashes only).

The policy follows NIST SP 800-63B: length over composition rules, and no password that
attackers try first. Passwords shorter than the minimum are refused by length already, so the
list of common ones holds only those long enough to pass it.
"""

from __future__ import annotations

from functools import cached_property

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128
# A local part this short ("al@…") would refuse too many good passwords by accident.
SHORTEST_LOCAL_PART_CHECKED = 3

COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123456789123", "111111111111", "000000000000",
    "123123123123", "987654321098", "qwertyuiop123", "qwerty123456", "123456qwerty", "qwertyqwerty",
    "qwertyuiopasdf", "qwertyuiopasdfghjkl", "1q2w3e4r5t6y", "1qaz2wsx3edc", "zaq12wsxcde3",
    "1qazxsw23edc", "asdfghjkl123", "password1234", "password12345", "password123!", "passwordpassword",
    "p@ssw0rd1234", "p@ssword1234", "iloveyou1234", "letmeinletmein", "welcome12345", "welcome123456",
    "administrator", "changeme1234", "trustno1trustno1", "football1234", "baseball1234",
    "monkey123456", "abcdefghijkl", "abc123abc123", "aaaaaaaaaaaa", "sunshine1234", "princess1234",
    "superman1234", "starwars1234", "michael12345", "jennifer1234", "computer1234", "internet1234",
})


def password_problems(password: str, email: str) -> list[str]:
    """Why `password` may not be chosen by the account with address `email` (empty: it may)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return [f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long"]
    problems = []
    lowered = password.lower()
    local_part = email.strip().lower().partition("@")[0]
    if len(local_part) >= SHORTEST_LOCAL_PART_CHECKED and local_part in lowered:
        problems.append("must not contain your email address")
    if lowered in COMMON_PASSWORDS:
        problems.append("is one of the most common passwords; choose another")
    return problems


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
