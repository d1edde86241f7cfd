"""Scheduling's web process: the internal HTTP surface the gateway calls."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask

from clinic_runtime.db import make_engine
from clinic_runtime.problems import not_found
from clinic_runtime.serve import serve_web
from clinic_runtime.web import create_web_app, db
from scheduling.adapters.clinic_directory import SqlClinicDirectory
from scheduling.settings import Settings

directory = Blueprint("clinic_directory", __name__)


@directory.get("/clinics/<uuid:clinic_id>")
def read_clinic(clinic_id: uuid.UUID):
    """What scheduling knows of a clinic (its read model, kept from catalog's events)."""
    snapshot = SqlClinicDirectory(db()).get(clinic_id)
    if snapshot is None:
        raise not_found("clinic")
    return {
        "clinic_id": str(snapshot.clinic_id), "slug": snapshot.slug, "name": snapshot.name,
        "timezone": snapshot.timezone, "currency": snapshot.currency, "locale": snapshot.locale,
        "version": snapshot.version, "archived": snapshot.archived,
        "updated_at": snapshot.updated_at.isoformat(),
    }


def create_app() -> Flask:
    settings = Settings()
    return create_web_app(settings, make_engine(settings.resolved_database_url()), [directory])


def main() -> None:
    serve_web(Settings(), "scheduling.entrypoints.web:create_app()")
