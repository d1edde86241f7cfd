"""gunicorn settings shared by every web process (bind and workers come from the command line)."""

import os

from prometheus_client import multiprocess

from clinic_runtime.logging import QUIET_LOGGERS

worker_class = "gthread"
threads = 4
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None
# The web app logs one JSON line per request itself; gunicorn's own lines are JSON as well. This
# holds until the app configures its logging, so while its modules are imported too.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "clinic_runtime.logging.JsonFormatter", "service": os.environ.get("SERVICE_NAME", "web")}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
control_socket_disable = True


def child_exit(_server, worker) -> None:
    # A dead worker's gauges must stop counting in /metrics.
    multiprocess.mark_process_dead(worker.pid)
