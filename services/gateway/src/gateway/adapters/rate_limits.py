"""Rate limiters shared by every gunicorn worker: Redis when REDIS_URL is set, else the
gateway's own database. Both count requests in fixed windows, atomically, so two processes
never both see the last allowed slot.
"""

from __future__ import annotations

from typing import Protocol

import redis
from sqlalchemy import Engine, delete, text

from gateway.adapters.orm import rate_limit_windows
from gateway.domain.throttling import RateLimit, Verdict, fixed_window, window_index

# INCR and EXPIRE together: a key never outlives its window, even if this process dies in between.
_HIT = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return hits
"""


class LimiterUnavailable(Exception):
    pass


class RateLimiter(Protocol):
    def hit(self, key: str, limit: RateLimit, now: float) -> Verdict:
        """Count one request for `key` in its current window and say whether it may proceed."""


class RedisRateLimiter:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._hit = client.register_script(_HIT)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisRateLimiter:
        return cls(redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5), prefix)

    def hit(self, key: str, limit: RateLimit, now: float) -> Verdict:
        window = window_index(limit, now)
        try:
            hits = int(self._hit(keys=[f"{self._prefix}rate:{key}:{window}"], args=[limit.period_seconds]))
        except redis.RedisError as error:
            raise LimiterUnavailable(f"Redis did not answer ({type(error).__name__})") from None
        return fixed_window(hits, limit, now)


# SQLAlchemy 2.0 never caches the compiled form of an ON CONFLICT insert, and compiling it on
# every hit cost more than the rest of the hit: as text it is compiled once. PostgreSQL and SQLite
# both take this form. A row still holding an earlier window starts again at 1 hit.
_HIT_ROW = text("""
INSERT INTO rate_limit_windows ("key", "window", hits, expires_at) VALUES (:key, :window, 1, :expires_at)
ON CONFLICT ("key") DO UPDATE SET
    hits = CASE WHEN rate_limit_windows."window" = excluded."window" THEN rate_limit_windows.hits + 1 ELSE 1 END,
    "window" = excluded."window",
    expires_at = excluded.expires_at
RETURNING hits
""")


class SqlRateLimiter:
    """One row per key holding its current window; each hit is one upsert, in a transaction of
    its own so the count stands whatever the request's outcome."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def hit(self, key: str, limit: RateLimit, now: float) -> Verdict:
        window = window_index(limit, now)
        with self._engine.begin() as connection:
            hits = connection.execute(_HIT_ROW, {
                "key": key, "window": window, "expires_at": float((window + 1) * limit.period_seconds),
            }).scalar_one()
        return fixed_window(hits, limit, now)

    def purge(self, now: float) -> int:
        """Forget windows that have ended (every address that ever called leaves a row)."""
        with self._engine.begin() as connection:
            return connection.execute(delete(rate_limit_windows).where(rate_limit_windows.c.expires_at <= now)).rowcount
