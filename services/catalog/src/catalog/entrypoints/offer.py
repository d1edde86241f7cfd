"""What a clinic offers, as patients may see it: active entries only, and none of the staff-only
data (specialists' contact details, versions, policy overrides, internal form keys).

The gateway exposes these publicly (`GET /v1/clinics/{clinic_slug}/services` and below) after
resolving the slug to the clinic's id.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from flask import Blueprint, current_app

from catalog.entrypoints import calendars, plans, providers, services
from catalog.entrypoints.documents import file_response
from catalog.entrypoints.http import listing, page_body
from catalog.service_layer import calendars as calendar_use_cases
from catalog.service_layer import clinics
from catalog.service_layer import documents as document_use_cases
from catalog.service_layer import plans as plan_use_cases
from catalog.service_layer import providers as provider_use_cases
from catalog.service_layer import services as service_use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from clinic_runtime.web import db

blueprint = Blueprint("offer", __name__)
OFFER = "/clinics/<uuid:clinic_id>/public"


def _active(*filters: str):
    listed, ids = listing(*filters)
    return replace(listed, status="active"), ids


@blueprint.get(f"{OFFER}/services")
def offered_services(clinic_id: uuid.UUID):
    """`?provider_id=&limit=&cursor=`"""
    listed, filters = _active("provider_id")
    uow = SqlUnitOfWork(db())
    page = service_use_cases.list_services(uow, clinic_id, listed, **filters)
    profile = clinics.clinic(uow, clinic_id).profile
    return page_body("services", page, lambda service: services.public_representation(service, profile))


@blueprint.get(f"{OFFER}/services/<uuid:service_id>")
def offered_service(clinic_id: uuid.UUID, service_id: uuid.UUID):
    uow = SqlUnitOfWork(db())
    service = service_use_cases.offered_service(uow, clinic_id, service_id)
    return services.public_representation(service, clinics.clinic(uow, clinic_id).profile)


@blueprint.get(f"{OFFER}/services/<uuid:service_id>/calendars")
def offered_calendars(clinic_id: uuid.UUID, service_id: uuid.UUID):
    uow = SqlUnitOfWork(db())
    service, page = calendar_use_cases.offered_calendars(uow, clinic_id, service_id, _active()[0])
    return page_body("calendars", page, lambda calendar: calendars.public_representation(calendar, service))


@blueprint.get(f"{OFFER}/services/<uuid:service_id>/plans")
def offered_plans(clinic_id: uuid.UUID, service_id: uuid.UUID):
    page = plan_use_cases.offered_plans(SqlUnitOfWork(db()), clinic_id, service_id, _active()[0])
    return page_body("plans", page, plans.public_representation)


@blueprint.get(f"{OFFER}/services/<uuid:service_id>/documents/<uuid:document_id>/content")
def offered_document(clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID):
    document, content = document_use_cases.offered_document_file(
        SqlUnitOfWork(db()), current_app.config["document_store"], clinic_id, service_id, document_id)
    return file_response(document.content_type, document.filename, document.sha256, content)


@blueprint.get(f"{OFFER}/providers")
def offered_providers(clinic_id: uuid.UUID):
    page = provider_use_cases.list_providers(SqlUnitOfWork(db()), clinic_id, _active()[0])
    return page_body("providers", page, providers.public_representation)
