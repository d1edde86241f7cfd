"""What a clinic offers, for anyone: its services (the design's public contract), their booking
calendars, the plans that serve them, their documents' files, and its specialists' names.

No token is needed; each route is rate limited per client address (`rate_limited("public")`).
The answers are catalog's public reads (`/clinics/<clinic_id>/public/...`) as catalog gives
them: active entries only and none of the staff-only data (specialists' contact details,
versions, policy overrides, internal form keys). A clinic the slug does not name, or an
archived one, is 404; so is a service, calendar or document it does not offer.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, request

from clinic_runtime.problems import not_found
from gateway.entrypoints.access import access_control
from gateway.entrypoints.admin import query
from gateway.entrypoints.catalog_admin import LISTING, file_response, install_offer, offer
from gateway.entrypoints.rate_limits import rate_limited

catalog_public = Blueprint("catalog_public", __name__, url_prefix="/v1/clinics/<clinic_slug>")
catalog_public.record_once(install_offer)

# Patients see active entries only: catalog ignores any other status here.
PAGE = tuple(name for name in LISTING if name != "status")


@catalog_public.get("/services")
@rate_limited("public")
def offered_services(clinic_slug: str):
    """`?provider_id=` (the services that specialist delivers), `limit`, `cursor`."""
    return offered(clinic_slug, "/services", *PAGE, "provider_id")


@catalog_public.get("/services/<uuid:service_id>")
@rate_limited("public")
def offered_service(clinic_slug: str, service_id: uuid.UUID):
    return offered(clinic_slug, f"/services/{service_id}")


@catalog_public.get("/services/<uuid:service_id>/calendars")
@rate_limited("public")
def offered_calendars(clinic_slug: str, service_id: uuid.UUID):
    """Each with the price a patient pays through it (its own, else the service's)."""
    return offered(clinic_slug, f"/services/{service_id}/calendars", *PAGE)


@catalog_public.get("/services/<uuid:service_id>/plans")
@rate_limited("public")
def offered_plans(clinic_slug: str, service_id: uuid.UUID):
    """The plans whose sessions can be used for the service."""
    return offered(clinic_slug, f"/services/{service_id}/plans", *PAGE)


@catalog_public.get("/services/<uuid:service_id>/documents/<uuid:document_id>/content")
@rate_limited("public")
def offered_document(clinic_slug: str, service_id: uuid.UUID, document_id: uuid.UUID):
    return file_response(offer().offered_document_file(clinic_id(clinic_slug), service_id, document_id,
                                                       request.headers.get("If-None-Match")))


@catalog_public.get("/providers")
@rate_limited("public")
def offered_providers(clinic_slug: str):
    """Each specialist's id and name only."""
    return offered(clinic_slug, "/providers", *PAGE)


def offered(clinic_slug: str, entry: str, *parameters: str):
    return offer().offered(clinic_id(clinic_slug), entry, query(*parameters)).body


def clinic_id(slug: str) -> uuid.UUID:
    clinic = access_control().clinics.by_slug(slug)
    if clinic is None or clinic.archived:
        raise not_found("clinic")
    return clinic.id
