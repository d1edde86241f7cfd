"""Runs a service's Flask app under gunicorn, with prometheus-client in multiprocess mode."""

from __future__ import annotations

import os
import shutil

from gunicorn.app.base import BaseApplication

from clinic_runtime.settings import ServiceSettings


class _Gunicorn(BaseApplication):
    def __init__(self, app_import: str, options: dict[str, object]) -> None:
        self._app_import = app_import
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        from gunicorn.util import import_app

        return import_app(self._app_import)


def _child_exit(_server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def serve_web(settings: ServiceSettings, app_import: str) -> None:
    """Start gunicorn for `app_import` (e.g. "catalog.entrypoints.web:create_app()")."""
    metrics_dir = settings.resolved_metrics_dir()
    # Files left by a previous run would be summed into this run's counters.
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    _Gunicorn(
        app_import,
        {
            "bind": f"{settings.http_host}:{settings.http_port}",
            "workers": settings.web_concurrency,
            "worker_class": "gthread",
            "threads": 4,
            "timeout": 30,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": None,
            "child_exit": _child_exit,
        },
    ).run()
