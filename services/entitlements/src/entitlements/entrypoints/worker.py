"""Entitlements's worker: relays the outbox, keeps its read models from other services' events and
runs the lifecycle timers of tiers, enrollments and reservations."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from clinic_runtime.db import make_engine, make_session_factory, utcnow
from clinic_runtime.worker import Timer, build_worker, run_worker
from entitlements.entrypoints.consumers import handlers
from entitlements.entrypoints.migrate import MIGRATIONS
from entitlements.service_layer.lifecycle import run_lifecycle
from entitlements.settings import Settings


def create_worker(settings: Settings) -> AsgiFastStream:
    engine = make_engine(settings.resolved_database_url())
    sessions = make_session_factory(engine)
    care = Timer("care-lifecycle", settings.care_timer_seconds, lambda: run_lifecycle(sessions, utcnow))
    return build_worker(settings, engine, handlers=handlers, timers=[care], migrations=MIGRATIONS)


def main() -> None:
    settings = Settings()
    run_worker(create_worker(settings), settings)
