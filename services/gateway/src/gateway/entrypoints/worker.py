"""The gateway's worker: consumes entitlements' events so cached access decisions follow role
changes, and forgets throttling records once their windows have ended."""

from __future__ import annotations

import time

from faststream.asgi import AsgiFastStream
from sqlalchemy import Engine

from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.worker import Timer, build_worker, run_worker
from gateway.adapters.accounts import SqlLoginFailures
from gateway.adapters.rate_limits import SqlRateLimiter
from gateway.entrypoints.consumers import handlers
from gateway.settings import Settings

THROTTLE_PURGE_SECONDS = 600.0


def create_worker(settings: Settings) -> AsgiFastStream:
    engine = make_engine(settings.resolved_database_url())
    purge = Timer("throttle-purge", THROTTLE_PURGE_SECONDS, lambda: purge_throttles(engine, settings))
    return build_worker(settings, engine, handlers=handlers, timers=[purge])


def purge_throttles(engine: Engine, settings: Settings) -> None:
    now = time.time()
    SqlRateLimiter(engine).purge(now)
    with transaction(make_session_factory(engine)) as session:
        SqlLoginFailures(session).purge(now, settings.login_failure_window_seconds)


def main() -> None:
    settings = Settings()
    run_worker(create_worker(settings), settings)
