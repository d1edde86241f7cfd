"""Catalog's worker: relays the outbox (catalog consumes no events yet)."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from catalog.entrypoints.migrate import MIGRATIONS
from catalog.settings import Settings
from clinic_runtime.db import make_engine
from clinic_runtime.worker import build_worker, run_worker


def create_worker(settings: Settings) -> AsgiFastStream:
    return build_worker(settings, make_engine(settings.resolved_database_url()), migrations=MIGRATIONS)


def main() -> None:
    settings = Settings()
    run_worker(create_worker(settings), settings)
