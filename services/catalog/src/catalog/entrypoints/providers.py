"""Routes of a clinic's providers (specialists)."""

from __future__ import annotations

import uuid

from flask import Blueprint
from pydantic import BaseModel, Field

from catalog.domain.providers import Provider, ProviderDetails
from catalog.entrypoints.http import listing, page_body, reference
from catalog.service_layer import providers as use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from clinic_runtime.db import utcnow
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body

blueprint = Blueprint("providers", __name__)


class ProviderBody(BaseModel):
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    mobile: str | None = Field(default=None, max_length=32)
    timezone: str = Field(max_length=64)
    location_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)

    def details(self) -> ProviderDetails:
        return ProviderDetails(self.name.strip(), self.email.strip(), self.mobile, self.timezone,
                               tuple(self.location_ids))


@blueprint.post("/clinics/<uuid:clinic_id>/providers")
@idempotent
def add_provider(clinic_id: uuid.UUID):
    body = json_body(ProviderBody)
    provider = use_cases.add_provider(SqlUnitOfWork(db()), clinic_id, body.details(), reference, utcnow())
    return representation(provider), 201, {
        "Location": f"/clinics/{clinic_id}/providers/{provider.id}", "ETag": etag(provider.version)}


@blueprint.get("/clinics/<uuid:clinic_id>/providers")
def list_providers(clinic_id: uuid.UUID):
    page = use_cases.list_providers(SqlUnitOfWork(db()), clinic_id, listing()[0])
    return page_body("providers", page, representation)


@blueprint.get("/clinics/<uuid:clinic_id>/providers/<uuid:provider_id>")
def read_provider(clinic_id: uuid.UUID, provider_id: uuid.UUID):
    provider = use_cases.read_provider(SqlUnitOfWork(db()), clinic_id, provider_id)
    return representation(provider), 200, {"ETag": etag(provider.version)}


@blueprint.put("/clinics/<uuid:clinic_id>/providers/<uuid:provider_id>")
def change_provider(clinic_id: uuid.UUID, provider_id: uuid.UUID):
    expected = expected_version()
    body = json_body(ProviderBody)
    provider = use_cases.change_provider(SqlUnitOfWork(db()), clinic_id, provider_id, body.details(), expected,
                                         reference, utcnow())
    return representation(provider), 200, {"ETag": etag(provider.version)}


@blueprint.post("/clinics/<uuid:clinic_id>/providers/<uuid:provider_id>/archive")
def archive_provider(clinic_id: uuid.UUID, provider_id: uuid.UUID):
    provider = use_cases.archive_provider(SqlUnitOfWork(db()), clinic_id, provider_id, expected_version(), utcnow())
    return representation(provider), 200, {"ETag": etag(provider.version)}


def representation(provider: Provider) -> dict[str, object]:
    """Staff only: it carries the specialist's contact details."""
    d = provider.details
    return {
        "id": str(provider.id), "name": d.name, "email": d.email, "mobile": d.mobile, "timezone": d.timezone,
        "location_ids": [str(i) for i in d.location_ids], "version": provider.version,
        "archived": provider.archived, "updated_at": provider.updated_at.isoformat(),
    }


def public_representation(provider: Provider) -> dict[str, object]:
    """What patients may see of a specialist: never their contact details."""
    return {"id": str(provider.id), "name": provider.details.name}
