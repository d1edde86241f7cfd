"""Runs a service's Flask app under gunicorn, with prometheus-client in multiprocess mode.

prometheus-client picks its storage when first imported, and the calling entrypoint has imported
it already; so this replaces the process with a fresh gunicorn whose environment names the
metrics directory before anything is imported.
"""

from __future__ import annotations

import os
import shutil
import sys

from clinic_runtime.settings import ServiceSettings


def serve_web(settings: ServiceSettings, app_import: str) -> None:
    """Become gunicorn serving `app_import` (e.g. "catalog.entrypoints.web:create_app()")."""
    metrics_dir = settings.resolved_metrics_dir()
    # Files left by a previous run would be summed into this run's counters.
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    # gunicorn's own log lines carry the service name too (see gunicorn_conf).
    os.environ["SERVICE_NAME"] = settings.service_name
    argv = [
        sys.executable, "-m", "gunicorn",
        "--config", "python:clinic_runtime.gunicorn_conf",
        "--bind", f"{settings.http_host}:{settings.http_port}",
        "--workers", str(settings.web_concurrency),
        app_import,
    ]
    os.execv(sys.executable, argv)
