"""Rate limiters shared by every gunicorn worker: Redis when REDIS_URL is set, else the
gateway's own database. Both count requests in fixed windows, atomically, so two processes
never both see the last allowed slot.
"""

from __future__ import annotations

from typing import Protocol

import redis
from sqlalchemy import Engine, case, delete

from gateway.adapters.orm import rate_limit_windows, upsert
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

class SqlRateLimiter:
    """One row per key holding its current window; each hit is one upsert, in a transaction of
    its own so the count stands whatever the request's outcome."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def hit(self, key: str, limit: RateLimit, now: float) -> Verdict:
        window = window_index(limit, now)
        current = rate_limit_windows.c.window == window
        expires_at = float((window + 1) * limit.period_seconds)
        statement = upsert(self._engine.dialect.name, rate_limit_windows).values(
            key=key, window=window, hits=1, expires_at=expires_at)
        with self._engine.begin() as connection:
            hits = connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[rate_limit_windows.c.key],
                    set_={"hits": case((current, rate_limit_windows.c.hits + 1), else_=1), "window": window,
                          "expires_at": expires_at},
                ).returning(rate_limit_windows.c.hits)
            ).scalar_one()
        return fixed_window(hits, limit, now)

    def purge(self, now: float) -> int:
        """Forget windows that have ended (every address that ever called leaves a row)."""
        with self._engine.begin() as connection:
            return connection.execute(delete(rate_limit_windows).where(rate_limit_windows.c.expires_at <= now)).rowcount
