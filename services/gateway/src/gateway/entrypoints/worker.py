"""The gateway's worker: consumes entitlements' events so cached access decisions follow role
changes, mails the links requests recorded (resets, invitations, sign-ups' confirmations),
removes sign-ups nobody confirmed in time, and forgets throttling records (rate limits, failed
logins, links asked for) once their windows have ended."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cache

from faststream.asgi import AsgiFastStream
from sqlalchemy import Engine

from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.worker import Timer, build_worker, run_worker
from gateway.adapters.accounts import SqlLoginFailures
from gateway.adapters.link_requests import SqlLinkRequests
from gateway.adapters.rate_limits import SqlRateLimiter
from gateway.entrypoints.authentication import build_tools
from gateway.entrypoints.consumers import handlers
from gateway.entrypoints.migrate import MIGRATIONS
from gateway.service_layer.accounts import drop_expired_sign_ups
from gateway.service_layer.passwords import mail_due_links
from gateway.service_layer.throttling import LINK_INTERVAL_SECONDS
from gateway.service_layer.unit_of_work import SqlUnitOfWork
from gateway.settings import Settings

THROTTLE_PURGE_SECONDS = 600.0
LINK_MAIL_SECONDS = 1.0  # a requested link should be in the mailbox within seconds
SIGN_UP_PURGE_SECONDS = 600.0  # a sign-up outlives its two-day link by at most this


def create_worker(settings: Settings) -> AsgiFastStream:
    engine = make_engine(settings.resolved_database_url())
    purge = Timer("throttle-purge", THROTTLE_PURGE_SECONDS, lambda: purge_throttles(engine, settings))
    mail = Timer("link-mail", LINK_MAIL_SECONDS, link_mailer(engine, settings))
    sign_ups = Timer("sign-up-purge", SIGN_UP_PURGE_SECONDS, sign_up_purger(engine, settings))
    return build_worker(settings, engine, handlers=handlers, timers=[purge, mail, sign_ups], migrations=MIGRATIONS)


def purge_throttles(engine: Engine, settings: Settings) -> None:
    now = time.time()
    SqlRateLimiter(engine).purge(now)
    with transaction(make_session_factory(engine)) as session:
        SqlLoginFailures(session).purge(now, settings.login_failure_window_seconds)
        SqlLinkRequests(session).purge(now, LINK_INTERVAL_SECONDS)


def link_mailer(engine: Engine, settings: Settings) -> Callable[[], int]:
    """The mail job: one run mails the links due (each in transactions of its own)."""
    units = _units(engine, settings)
    return lambda: mail_due_links(units)


def sign_up_purger(engine: Engine, settings: Settings) -> Callable[[], int]:
    """The job removing sign-ups nobody confirmed in time, in one transaction a run."""
    unit = _units(engine, settings)

    def run() -> int:
        with unit() as uow:
            return drop_expired_sign_ups(uow)

    return run


def _units(engine: Engine, settings: Settings) -> Callable[[], AbstractContextManager[SqlUnitOfWork]]:
    """Units of work for a job; their tools are built on the first, once gateway-migrate has made the keys."""
    sessions = make_session_factory(engine)
    tools = cache(lambda: build_tools(settings, engine))

    @contextmanager
    def unit() -> Iterator[SqlUnitOfWork]:
        with transaction(sessions) as session:
            yield SqlUnitOfWork(session, tools())

    return unit


def main() -> None:
    settings = Settings()
    run_worker(create_worker(settings), settings)
