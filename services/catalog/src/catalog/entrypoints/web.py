"""Catalog's web process: the internal HTTP surface the gateway calls."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, request
from pydantic import BaseModel, Field, StrictInt

from catalog.domain.clinic import SLUG, Clinic, ClinicProfile
from catalog.domain.values import DEFAULT_CANCELLATION_WINDOW_HOURS
from catalog.entrypoints import calendars, documents, locations, offer, plans, products, providers, services
from catalog.entrypoints.http import RefundPolicyBody, answer_refusals, reference, refund_policy
from catalog.entrypoints.migrate import MIGRATIONS
from catalog.service_layer import clinics as use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from catalog.settings import Settings
from clinic_runtime.db import utcnow
from clinic_runtime.problems import FieldError, Problem, conflict, not_found, validation_problem
from clinic_runtime.serve import serve_web
from clinic_runtime.web import create_web_app, db, expected_version, idempotent, json_body, web_engine

clinics = Blueprint("clinics", __name__)


class ClinicBody(BaseModel):
    slug: str = Field(max_length=63)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    locale: str = Field(max_length=35)
    cancellation_window_hours: StrictInt = DEFAULT_CANCELLATION_WINDOW_HOURS
    refund_policy: RefundPolicyBody = RefundPolicyBody(kind="full")

    def profile(self) -> ClinicProfile:
        return ClinicProfile(self.slug, self.name.strip(), self.timezone, self.currency, self.locale,
                             self.cancellation_window_hours, self.refund_policy.policy())


@clinics.post("/clinics")
@idempotent
def register_clinic():
    body = json_body(ClinicBody)
    try:
        clinic = use_cases.register_clinic(SqlUnitOfWork(db()), body.profile(), reference, utcnow())
    except use_cases.InvalidClinic as invalid:
        raise _invalid(invalid) from None
    except use_cases.SlugTaken:
        raise conflict("slug-taken", f"The slug {body.slug!r} belongs to another clinic.") from None
    return _representation(clinic), 201, {"Location": f"/clinics/{clinic.id}", "ETag": _etag(clinic)}


@clinics.get("/clinics")
def find_clinics():
    """The clinics whose slug is `?slug=`: none or one. How the gateway resolves a public slug."""
    slug = request.args.get("slug")
    if slug is None:
        raise validation_problem([FieldError("slug", "name the slug of the clinic to find")])
    # No clinic has a slug that breaks the rule (a NUL would not even reach PostgreSQL's text).
    clinic = SqlUnitOfWork(db()).clinics.by_slug(slug) if SLUG.fullmatch(slug) else None
    return {"clinics": [] if clinic is None else [_representation(clinic)]}


@clinics.get("/clinics/<uuid:clinic_id>")
def read_clinic(clinic_id: uuid.UUID):
    clinic = SqlUnitOfWork(db()).clinics.get(clinic_id)
    if clinic is None:
        raise not_found("clinic")
    return _representation(clinic), 200, {"ETag": _etag(clinic)}


@clinics.put("/clinics/<uuid:clinic_id>")
def change_clinic(clinic_id: uuid.UUID):
    expected = expected_version()
    body = json_body(ClinicBody)
    try:
        clinic = use_cases.change_clinic(
            SqlUnitOfWork(db()), clinic_id, use_cases.ClinicChange(body.profile(), expected), reference, utcnow()
        )
    except use_cases.InvalidClinic as invalid:
        raise _invalid(invalid) from None
    except use_cases.UnknownClinic:
        raise not_found("clinic") from None
    except use_cases.SlugTaken:
        raise conflict("slug-taken", f"The slug {body.slug!r} belongs to another clinic.") from None
    except use_cases.StaleVersion as stale:
        raise Problem(412, "stale-version", "The clinic changed since you read it.",
                      f"It is now at version {stale.current}; read it again and retry.") from None
    return _representation(clinic), 200, {"ETag": _etag(clinic)}


def _invalid(invalid: use_cases.InvalidClinic) -> Problem:
    return validation_problem([FieldError(p.field, p.message) for p in invalid.problems])


def _etag(clinic: Clinic) -> str:
    return f'"{clinic.version}"'


def _representation(clinic: Clinic) -> dict[str, object]:
    p = clinic.profile
    return {
        "id": str(clinic.id), "slug": p.slug, "name": p.name, "timezone": p.timezone,
        "currency": p.currency, "locale": p.locale, "version": clinic.version,
        "archived": clinic.archived, "updated_at": clinic.updated_at.isoformat(),
        "cancellation_window_hours": p.cancellation_window_hours, "refund_policy": refund_policy(p.refund_policy),
        "locations": [locations.representation(location) for location in clinic.locations],
    }


def create_app() -> Flask:
    settings = Settings()
    app = create_web_app(settings, web_engine(settings), [
        clinics, locations.blueprint, providers.blueprint, services.blueprint, documents.blueprint,
        calendars.blueprint, plans.blueprint, products.blueprint, offer.blueprint,
    ], migrations=MIGRATIONS)
    app.config["document_store"] = documents.store_from(settings)
    answer_refusals(app)
    return app


def main() -> None:
    serve_web(Settings(), "catalog.entrypoints.web:create_app()")
