"""A clinic's catalog, for its staff: everything the clinic offers, under
/v1/admin/clinics/<clinic_slug>/.

The routes mirror catalog's internal API below /clinics/<clinic_id>/ one to one (the clinic's
profile is catalog's clinic itself): the gateway checks who calls, then relays the request and
catalog's answer. Catalog owns every rule, so its answers come back unchanged: bodies, status,
`ETag` (send it back in `If-Match` to change or archive), `Location` (rewritten to the gateway's
path), `Idempotent-Replayed`, and its problems with their type and per-field errors. A creating
`POST` honours `Idempotency-Key` (made the caller's own before it reaches catalog). Lists take
`status=active|archived|all`, `limit` (up to 100), `cursor` (the previous page's `next_cursor`)
and the filters catalog knows.

Adding a specialist or a location is first admitted by entitlements against the clinic's plan
(`limits/<specialists|locations>/admissions`); when the plan has no room, entitlements' 409
`limit-reached` problem (the limit, allowed, used, the base plan) is the answer, unchanged, and
catalog is not called. The admission and the create are two steps: entitlements counts what
catalog has from catalog's events, so creates racing one another (or following one another
faster than the events) can overshoot the limit by that many; the meter is right again once the
events are in, and later additions are refused. Those two routes also keep their own
Idempotency-Key replays, so a retried create that succeeded replays its first answer rather
than being refused because it filled the last place.

Who may call: `clinic.settings.manage` for the profile and locations, `providers.manage` for the
specialists, `catalog.manage` for services, their documents and booking calendars, plans and
products. Reading needs the same permission as changing: these answers carry staff-only data
(specialists' contact details, policy overrides, versions). Receptionists and specialists see
the offer through the public routes (gateway.entrypoints.catalog_public), which carry everything
a booking needs.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from clinic_runtime.problems import Problem
from clinic_runtime.web import idempotent, json_body
from gateway.adapters.catalog import CatalogOffer, CatalogService, ClinicOffer, DocumentUpload
from gateway.adapters.upstream import RawReply
from gateway.entrypoints.access import Access, access_control, requires
from gateway.entrypoints.admin import JsonObject, forwarded_idempotency_key, query, relay_staff

catalog_admin = Blueprint("catalog_admin", __name__, url_prefix="/v1/admin/clinics/<clinic_slug>")

LISTING = ("status", "limit", "cursor")
# A relayed file keeps what tells the client how to treat it (catalog forbids sniffing its type).
FILE_HEADERS = ("Content-Type", "Content-Disposition", "ETag", "Cache-Control", "X-Content-Type-Options",
                "Last-Modified")
# What a document upload may name in its query when the body is the raw file.
UPLOAD_PARAMETERS = ("kind", "filename", "title")


def install_offer(state: BlueprintSetupState) -> None:
    """The catalog client of the app's web process (the public catalog routes share it)."""
    settings = state.app.config["settings"]
    state.app.extensions.setdefault("catalog_offer", CatalogOffer(
        CatalogService("catalog", settings.catalog_url, settings.upstream_timeout_seconds)))


catalog_admin.record_once(install_offer)


def offer() -> ClinicOffer:
    return current_app.extensions["catalog_offer"]


# -- the clinic's profile and locations -------------------------------------------------------


@catalog_admin.get("/profile")
@requires("clinic.settings.manage")
def read_profile(access: Access):
    return relay_staff(access, offer().read(access.clinic_id, ""))


@catalog_admin.put("/profile")
@requires("clinic.settings.manage")
def change_profile(access: Access):
    return change(access, "")


@catalog_admin.post("/locations")
@requires("clinic.settings.manage")
@idempotent
def add_location(access: Access):
    """A location is part of the clinic: If-Match takes the profile's ETag. Capped by the plan."""
    admit(access, "locations")
    return create(access, "/locations")


@catalog_admin.get("/locations/<uuid:location_id>")
@requires("clinic.settings.manage")
def read_location(access: Access, location_id: uuid.UUID):
    return read(access, f"/locations/{location_id}")


@catalog_admin.put("/locations/<uuid:location_id>")
@requires("clinic.settings.manage")
def change_location(access: Access, location_id: uuid.UUID):
    return change(access, f"/locations/{location_id}")


@catalog_admin.post("/locations/<uuid:location_id>/archive")
@requires("clinic.settings.manage")
def archive_location(access: Access, location_id: uuid.UUID):
    return archive(access, f"/locations/{location_id}")


# -- specialists ------------------------------------------------------------------------------


@catalog_admin.post("/providers")
@requires("providers.manage")
@idempotent
def add_provider(access: Access):
    """Capped by the plan's `specialists`."""
    admit(access, "specialists")
    return create(access, "/providers")


@catalog_admin.get("/providers")
@requires("providers.manage")
def list_providers(access: Access):
    return read(access, "/providers", *LISTING)


@catalog_admin.get("/providers/<uuid:provider_id>")
@requires("providers.manage")
def read_provider(access: Access, provider_id: uuid.UUID):
    return read(access, f"/providers/{provider_id}")


@catalog_admin.put("/providers/<uuid:provider_id>")
@requires("providers.manage")
def change_provider(access: Access, provider_id: uuid.UUID):
    return change(access, f"/providers/{provider_id}")


@catalog_admin.post("/providers/<uuid:provider_id>/archive")
@requires("providers.manage")
def archive_provider(access: Access, provider_id: uuid.UUID):
    return archive(access, f"/providers/{provider_id}")


# -- services ---------------------------------------------------------------------------------


@catalog_admin.post("/services")
@requires("catalog.manage")
def add_service(access: Access):
    return create(access, "/services")


@catalog_admin.get("/services")
@requires("catalog.manage")
def list_services(access: Access):
    """`?provider_id=`: the services that specialist delivers."""
    return read(access, "/services", *LISTING, "provider_id")


@catalog_admin.get("/services/<uuid:service_id>")
@requires("catalog.manage")
def read_service(access: Access, service_id: uuid.UUID):
    return read(access, f"/services/{service_id}")


@catalog_admin.put("/services/<uuid:service_id>")
@requires("catalog.manage")
def change_service(access: Access, service_id: uuid.UUID):
    return change(access, f"/services/{service_id}")


@catalog_admin.post("/services/<uuid:service_id>/archive")
@requires("catalog.manage")
def archive_service(access: Access, service_id: uuid.UUID):
    return archive(access, f"/services/{service_id}")


# -- documents attached to a service ----------------------------------------------------------


@catalog_admin.post("/services/<uuid:service_id>/documents")
@requires("catalog.manage")
def attach_document(access: Access, service_id: uuid.UUID):
    """A multipart form (`file`, `kind`, optional `title`) or the raw file with its own
    Content-Type and `?kind=&filename=&title=`; If-Match takes the service's ETag. The body is
    passed to catalog as it arrives, never held whole here: catalog's DOCUMENT_MAX_BYTES decides."""
    if request.content_length is None:
        raise Problem(411, "length-required", "Send Content-Length with the document.",
                      "Uploads are accepted with a known length only.")
    upload = DocumentUpload(request.content_type or "", request.content_length, request.stream,
                            {name: request.args[name] for name in UPLOAD_PARAMETERS if name in request.args})
    return relay_staff(access, offer().attach_document(access.clinic_id, service_id, upload,
                                                 forwarded_idempotency_key(access), request.headers.get("If-Match")))


@catalog_admin.get("/services/<uuid:service_id>/documents/<uuid:document_id>")
@requires("catalog.manage")
def read_document(access: Access, service_id: uuid.UUID, document_id: uuid.UUID):
    return read(access, f"/services/{service_id}/documents/{document_id}")


@catalog_admin.get("/services/<uuid:service_id>/documents/<uuid:document_id>/content")
@requires("catalog.manage")
def download_document(access: Access, service_id: uuid.UUID, document_id: uuid.UUID):
    """The file, archived or not (a signed consent may refer to an archived one)."""
    return file_response(offer().document_file(access.clinic_id, service_id, document_id,
                                               request.headers.get("If-None-Match")))


@catalog_admin.post("/services/<uuid:service_id>/documents/<uuid:document_id>/archive")
@requires("catalog.manage")
def archive_document(access: Access, service_id: uuid.UUID, document_id: uuid.UUID):
    return archive(access, f"/services/{service_id}/documents/{document_id}")


# -- booking calendars of a service -----------------------------------------------------------


@catalog_admin.post("/services/<uuid:service_id>/calendars")
@requires("catalog.manage")
def add_calendar(access: Access, service_id: uuid.UUID):
    return create(access, f"/services/{service_id}/calendars")


@catalog_admin.get("/services/<uuid:service_id>/calendars")
@requires("catalog.manage")
def list_calendars(access: Access, service_id: uuid.UUID):
    return read(access, f"/services/{service_id}/calendars", *LISTING)


@catalog_admin.get("/services/<uuid:service_id>/calendars/<uuid:calendar_id>")
@requires("catalog.manage")
def read_calendar(access: Access, service_id: uuid.UUID, calendar_id: uuid.UUID):
    return read(access, f"/services/{service_id}/calendars/{calendar_id}")


@catalog_admin.put("/services/<uuid:service_id>/calendars/<uuid:calendar_id>")
@requires("catalog.manage")
def change_calendar(access: Access, service_id: uuid.UUID, calendar_id: uuid.UUID):
    return change(access, f"/services/{service_id}/calendars/{calendar_id}")


@catalog_admin.post("/services/<uuid:service_id>/calendars/<uuid:calendar_id>/archive")
@requires("catalog.manage")
def archive_calendar(access: Access, service_id: uuid.UUID, calendar_id: uuid.UUID):
    return archive(access, f"/services/{service_id}/calendars/{calendar_id}")


# -- service plans ----------------------------------------------------------------------------


@catalog_admin.post("/plans")
@requires("catalog.manage")
def add_plan(access: Access):
    return create(access, "/plans")


@catalog_admin.get("/plans")
@requires("catalog.manage")
def list_plans(access: Access):
    """`?service_id=` (plans whose sessions serve it), `?product_id=` (plans bundling it)."""
    return read(access, "/plans", *LISTING, "service_id", "product_id")


@catalog_admin.get("/plans/<uuid:plan_id>")
@requires("catalog.manage")
def read_plan(access: Access, plan_id: uuid.UUID):
    return read(access, f"/plans/{plan_id}")


@catalog_admin.put("/plans/<uuid:plan_id>")
@requires("catalog.manage")
def change_plan(access: Access, plan_id: uuid.UUID):
    return change(access, f"/plans/{plan_id}")


@catalog_admin.post("/plans/<uuid:plan_id>/archive")
@requires("catalog.manage")
def archive_plan(access: Access, plan_id: uuid.UUID):
    return archive(access, f"/plans/{plan_id}")


# -- products ---------------------------------------------------------------------------------


@catalog_admin.post("/products")
@requires("catalog.manage")
def add_product(access: Access):
    return create(access, "/products")


@catalog_admin.get("/products")
@requires("catalog.manage")
def list_products(access: Access):
    return read(access, "/products", *LISTING)


@catalog_admin.get("/products/<uuid:product_id>")
@requires("catalog.manage")
def read_product(access: Access, product_id: uuid.UUID):
    return read(access, f"/products/{product_id}")


@catalog_admin.put("/products/<uuid:product_id>")
@requires("catalog.manage")
def change_product(access: Access, product_id: uuid.UUID):
    return change(access, f"/products/{product_id}")


@catalog_admin.post("/products/<uuid:product_id>/archive")
@requires("catalog.manage")
def archive_product(access: Access, product_id: uuid.UUID):
    return archive(access, f"/products/{product_id}")


# -- relaying ---------------------------------------------------------------------------------


def admit(access: Access, limit: str) -> None:
    """Room for one more under the clinic's plan, or entitlements' `limit-reached` problem."""
    access_control().entitlements.admit(access.clinic_id, limit)


def read(access: Access, entry: str, *parameters: str):
    return relay_staff(access, offer().read(access.clinic_id, entry, query(*parameters)))


def create(access: Access, entry: str):
    body = json_body(JsonObject).root
    return relay_staff(access, offer().create(access.clinic_id, entry, body, forwarded_idempotency_key(access),
                                        request.headers.get("If-Match")))


def change(access: Access, entry: str):
    body = json_body(JsonObject).root
    return relay_staff(access, offer().change(access.clinic_id, entry, body, request.headers.get("If-Match")))


def archive(access: Access, entry: str):
    return relay_staff(access, offer().archive(access.clinic_id, entry, request.headers.get("If-Match")))


def file_response(reply: RawReply) -> Response:
    return Response(reply.content, reply.status,
                    {name: reply.headers[name] for name in FILE_HEADERS if name in reply.headers})
