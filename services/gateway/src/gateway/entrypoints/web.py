"""The gateway's web process: the public API's front door.

Its `/readyz` summarises every service's readiness. The gateway itself stays in rotation while
a service is down (status `degraded`), so the parts of the API that still work keep working.
"""

from __future__ import annotations

from flask import Flask

from clinic_runtime.serve import serve_web
from clinic_runtime.web import Readiness, create_web_app
from gateway.adapters.services import readiness_checks
from gateway.settings import Settings


def create_app() -> Flask:
    settings = Settings()
    services = Readiness({}, readiness_checks(settings.service_urls(), settings.upstream_timeout_seconds))
    return create_web_app(settings, None, [], readiness=services)


def main() -> None:
    serve_web(Settings(), "gateway.entrypoints.web:create_app()")
