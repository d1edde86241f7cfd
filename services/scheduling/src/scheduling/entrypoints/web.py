"""Scheduling's web process: the internal HTTP surface the gateway calls."""

from __future__ import annotations

import uuid
from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Flask

from clinic_runtime.problems import not_found
from clinic_runtime.serve import serve_web
from clinic_runtime.web import create_web_app, db, web_engine
from scheduling.adapters.clinic_directory import SqlClinicDirectory
from scheduling.adapters.offerings import SqlCalendarDirectory, SqlProviderDirectory, SqlServiceDirectory
from scheduling.entrypoints import appointments, availability
from scheduling.entrypoints.migrate import MIGRATIONS
from scheduling.entrypoints.refusals import answer_refusals
from scheduling.settings import Settings

# What scheduling knows of catalog (its read models, kept from catalog's events), served so that
# the read models can be checked. Each lookup is within the clinic in the path: another clinic's
# provider or service is not found.
read_models = Blueprint("read_models", __name__)


@read_models.get("/clinics/<uuid:clinic_id>")
def read_clinic(clinic_id: uuid.UUID):
    snapshot = SqlClinicDirectory(db()).get(clinic_id)
    if snapshot is None:
        raise not_found("clinic")
    return _plain(snapshot)


@read_models.get("/clinics/<uuid:clinic_id>/providers/<uuid:provider_id>")
def read_provider(clinic_id: uuid.UUID, provider_id: uuid.UUID):
    snapshot = SqlProviderDirectory(db()).get(clinic_id, provider_id)
    if snapshot is None:
        raise not_found("provider")
    return _plain(snapshot)


@read_models.get("/clinics/<uuid:clinic_id>/services/<uuid:service_id>")
def read_service(clinic_id: uuid.UUID, service_id: uuid.UUID):
    snapshot = SqlServiceDirectory(db()).get(clinic_id, service_id)
    if snapshot is None:
        raise not_found("service")
    return _plain(snapshot)


@read_models.get("/clinics/<uuid:clinic_id>/services/<uuid:service_id>/calendars")
def read_service_calendars(clinic_id: uuid.UUID, service_id: uuid.UUID):
    """Every calendar of a known service, archived ones included."""
    if SqlServiceDirectory(db()).get(clinic_id, service_id) is None:
        raise not_found("service")
    return {"calendars": [_plain(calendar) for calendar in SqlCalendarDirectory(db()).of_service(clinic_id, service_id)]}


def _plain(value: Any) -> Any:
    """A snapshot as JSON: its fields by name, ids as strings, days and instants in ISO 8601."""
    if is_dataclass(value):
        return {field.name: _plain(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def create_app() -> Flask:
    settings = Settings()
    app = create_web_app(settings, web_engine(settings),
                         [read_models, availability.blueprint, appointments.blueprint], migrations=MIGRATIONS)
    answer_refusals(app)
    return app


def main() -> None:
    serve_web(Settings(), "scheduling.entrypoints.web:create_app()")
