"""Routes of a clinic's locations. A location is part of its clinic: every change takes the
clinic's ETag in If-Match and answers with the clinic's new one."""

from __future__ import annotations

import uuid

from flask import Blueprint
from pydantic import BaseModel, Field

from catalog.domain.clinic import Location, LocationDetails
from catalog.entrypoints.http import reference
from catalog.service_layer import clinics as use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from clinic_runtime.db import utcnow
from clinic_runtime.refusals import NotFound
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body

blueprint = Blueprint("locations", __name__)


class LocationBody(BaseModel):
    name: str = Field(max_length=200)
    address: str = Field(max_length=500)
    timezone: str = Field(max_length=64)

    def details(self) -> LocationDetails:
        return LocationDetails(self.name.strip(), self.address.strip(), self.timezone)


@blueprint.post("/clinics/<uuid:clinic_id>/locations")
@idempotent
def add_location(clinic_id: uuid.UUID):
    expected = expected_version()
    body = json_body(LocationBody)
    clinic, location_id = use_cases.add_location(SqlUnitOfWork(db()), clinic_id, body.details(), expected,
                                                 reference, utcnow())
    return representation(clinic.location(location_id)), 201, {
        "Location": f"/clinics/{clinic_id}/locations/{location_id}", "ETag": etag(clinic.version)}


@blueprint.get("/clinics/<uuid:clinic_id>/locations/<uuid:location_id>")
def read_location(clinic_id: uuid.UUID, location_id: uuid.UUID):
    clinic = use_cases.clinic(SqlUnitOfWork(db()), clinic_id)
    location = clinic.location(location_id)
    if location is None:
        raise NotFound("location")
    return representation(location), 200, {"ETag": etag(clinic.version)}


@blueprint.put("/clinics/<uuid:clinic_id>/locations/<uuid:location_id>")
def change_location(clinic_id: uuid.UUID, location_id: uuid.UUID):
    expected = expected_version()
    body = json_body(LocationBody)
    clinic = use_cases.change_location(SqlUnitOfWork(db()), clinic_id, location_id, body.details(), expected,
                                       reference, utcnow())
    return representation(clinic.location(location_id)), 200, {"ETag": etag(clinic.version)}


@blueprint.post("/clinics/<uuid:clinic_id>/locations/<uuid:location_id>/archive")
def archive_location(clinic_id: uuid.UUID, location_id: uuid.UUID):
    clinic = use_cases.archive_location(SqlUnitOfWork(db()), clinic_id, location_id, expected_version(), utcnow())
    return representation(clinic.location(location_id)), 200, {"ETag": etag(clinic.version)}


def representation(location: Location) -> dict[str, object]:
    d = location.details
    return {"id": str(location.id), "name": d.name, "address": d.address, "timezone": d.timezone,
            "archived": location.archived}
