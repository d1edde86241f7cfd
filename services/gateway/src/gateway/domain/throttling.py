"""Limits on how often something may be tried: failed logins, and requests to public routes.

Failed logins are counted per account (by email address, so an address with no account is
counted exactly like one with an account, and the answers reveal nothing) and per client
address, in a window that starts at the first failure. Public routes are limited per client
address in fixed windows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour|day)\s*")


@dataclass(frozen=True)
class RateLimit:
    requests: int
    period_seconds: int

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """`"10/minute"`: at most 10 requests per minute (second, minute, hour or day)."""
        match = RATE.fullmatch(text)
        if match is None or int(match.group(1)) < 1:
            raise ValueError(f"{text!r} is not a rate like 10/minute")
        return cls(int(match.group(1)), PERIODS[match.group(2)])


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


def fixed_window(hits_in_window: int, limit: RateLimit, now: float) -> Verdict:
    """The answer for the `hits_in_window`-th request of the window `now` falls in."""
    if hits_in_window <= limit.requests:
        return Verdict(True)
    window_end = (window_index(limit, now) + 1) * limit.period_seconds
    return Verdict(False, max(math.ceil(window_end - now), 1))


def window_index(limit: RateLimit, now: float) -> int:
    return int(now // limit.period_seconds)


@dataclass(frozen=True)
class LoginThrottle:
    failures_per_account: int
    failures_per_address: int
    window_seconds: int


@dataclass(frozen=True)
class Tally:
    """Attempts counted since `started_at` (Unix seconds), the one being made included."""

    failures: int
    started_at: float

    def retry_after(self, limit: int, window_seconds: int, now: float) -> int | None:
        """Seconds until attempts are allowed again when the attempt being made is over `limit`,
        or None when it may go ahead."""
        if self.failures <= limit:
            return None
        return max(math.ceil(self.started_at + window_seconds - now), 1)
