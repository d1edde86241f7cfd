"""Rate limits on public routes: `@rate_limited(bucket)`, per client network (an IPv6 address's
/64, else the address: `throttling.client_network`).

    @auth.post("/v1/auth/login")
    @rate_limited("login")
    def login(): ...

Buckets and their limits come from settings (RATE_LIMIT_LOGIN, RATE_LIMIT_PASSWORD_RESET,
RATE_LIMIT_PUBLIC). Over the limit the route answers 429 with Retry-After, before the view runs.
Put it above every other decorator of the view: the database limiter counts in a transaction of
its own, which on SQLite must not start while the request's own (`db()`) is open.
Counters live in Redis when REDIS_URL is set, else in the gateway's database, so every
gunicorn worker shares them. If Redis does not answer, requests are let through (and a warning
logged): failed-login throttling still guards the login itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app, request
from sqlalchemy import Engine

from gateway.adapters.rate_limits import LimiterUnavailable, RateLimiter, RedisRateLimiter, SqlRateLimiter
from gateway.domain.throttling import RateLimit
from gateway.entrypoints.problems import too_many_requests
from gateway.service_layer.throttling import client_network
from gateway.settings import Settings

log = logging.getLogger(__name__)

BUCKETS = ("login", "password_reset", "public")


@dataclass(frozen=True)
class RateLimits:
    limiter: RateLimiter
    limits: dict[str, RateLimit]
    trusted_proxy_count: int


def install_rate_limits(app: Flask, settings: Settings, engine: Engine) -> None:
    limiter: RateLimiter = (RedisRateLimiter.from_url(settings.redis_url, settings.redis_key_prefix)
                            if settings.redis_url else SqlRateLimiter(engine))
    app.extensions["rate_limits"] = RateLimits(limiter, settings.rate_limits(), settings.trusted_proxy_count)


def rate_limited(bucket: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    if bucket not in BUCKETS:
        raise ValueError(f"unknown rate-limit bucket {bucket!r}; one of {', '.join(BUCKETS)}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            rate_limits: RateLimits = current_app.extensions["rate_limits"]
            try:
                verdict = rate_limits.limiter.hit(f"{bucket}:{client_network(client_address())}",
                                                  rate_limits.limits[bucket], time.time())
            except LimiterUnavailable as error:
                log.warning("rate limit not applied: %s", error, extra={"bucket": bucket})
                return view(*args, **kwargs)
            if not verdict.allowed:
                raise too_many_requests("rate-limited", "Too many requests.", verdict.retry_after_seconds)
            return view(*args, **kwargs)

        return limited

    return decorate


def client_address() -> str:
    """The caller's address, in full (what audit records keep; limits count its network): the
    TCP peer's, or, behind TRUSTED_PROXY_COUNT proxies, the one the outermost proxy saw
    (X-Forwarded-For entries further left are the client's own say)."""
    trusted = current_app.extensions["rate_limits"].trusted_proxy_count
    if trusted:
        forwarded = [part.strip() for header in request.headers.getlist("X-Forwarded-For")
                     for part in header.split(",") if part.strip()]
        if len(forwarded) >= trusted:
            return forwarded[-trusted][:64]
    return request.remote_addr or "unknown"
