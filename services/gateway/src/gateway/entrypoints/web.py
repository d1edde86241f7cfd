"""The gateway's web process: the public API's front door.

Its `/readyz` summarises every service's readiness. The gateway itself stays in rotation while
a service is down (status `degraded`), so the parts of the API that still work keep working.
"""

from __future__ import annotations

from flask import Flask

from clinic_runtime.serve import serve_web
from clinic_runtime.web import create_web_app, web_engine
from gateway.adapters.services import readiness_checks
from gateway.entrypoints.access import install_access
from gateway.entrypoints.admin import admin
from gateway.entrypoints.auth import auth
from gateway.entrypoints.authentication import install_identity
from gateway.entrypoints.bookings import bookings
from gateway.entrypoints.care_admin import care_admin
from gateway.entrypoints.catalog_admin import catalog_admin
from gateway.entrypoints.catalog_public import catalog_public
from gateway.entrypoints.clinics import clinics
from gateway.entrypoints.commercial_admin import commercial_admin
from gateway.entrypoints.commercial_platform import commercial_platform
from gateway.entrypoints.migrate import MIGRATIONS
from gateway.entrypoints.patient_care import patient_care
from gateway.entrypoints.platform import platform
from gateway.entrypoints.scheduling_admin import scheduling_admin
from gateway.settings import Settings


def create_app() -> Flask:
    settings = Settings()
    engine = web_engine(settings)
    # Without its database the gateway can authenticate nobody: that takes it out of rotation.
    # A service that is down only degrades it; the routes of the others keep working.
    app = create_web_app(settings, engine, [auth, admin, platform, clinics, catalog_admin, catalog_public,
                                            commercial_platform, commercial_admin, care_admin, patient_care, bookings,
                                            scheduling_admin],
                         migrations=MIGRATIONS,
                         informational=readiness_checks(settings.service_urls(), settings.upstream_timeout_seconds))
    install_identity(app, settings, engine)
    install_access(app, settings)
    return app


def main() -> None:
    serve_web(Settings(), "gateway.entrypoints.web:create_app()")
