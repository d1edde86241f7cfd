"""Notifications's worker: relays the outbox (it consumes no events yet)."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from clinic_runtime.db import make_engine
from clinic_runtime.worker import build_worker, run_worker
from notifications.entrypoints.migrate import MIGRATIONS
from notifications.settings import Settings


def create_worker(settings: Settings) -> AsgiFastStream:
    return build_worker(settings, make_engine(settings.resolved_database_url()), migrations=MIGRATIONS)


def main() -> None:
    settings = Settings()
    run_worker(create_worker(settings), settings)
