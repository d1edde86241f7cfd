"""The gateway's worker: consumes entitlements' events so cached access decisions follow role changes."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from clinic_runtime.db import make_engine
from clinic_runtime.worker import build_worker, run_worker
from gateway.settings import Settings


def create_worker(settings: Settings) -> AsgiFastStream:
    return build_worker(settings, make_engine(settings.resolved_database_url()))


def main() -> None:
    settings = Settings()
    run_worker(create_worker(settings), settings)
