"""Scheduling's worker: relays the outbox and keeps the read models from other services' events."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from clinic_runtime.db import make_engine
from clinic_runtime.worker import build_worker, run_worker
from scheduling.entrypoints.consumers import handlers
from scheduling.settings import Settings


def create_worker(settings: Settings) -> AsgiFastStream:
    return build_worker(settings, make_engine(settings.resolved_database_url()), handlers=handlers)


def main() -> None:
    settings = Settings()
    run_worker(create_worker(settings), settings)
