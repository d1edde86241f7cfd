"""The platform operators' routes: registering clinics and appointing their first admin.

Under /v1/platform/; each declares a platform permission with `requires`, which only operators
hold (entitlements decides). A `<clinic_slug>` here is resolved after that decision.
"""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, Field

from clinic_runtime.web import idempotent, json_body
from gateway.entrypoints.access import Access, access_control, requires
from gateway.entrypoints.admin import (
    JsonObject,
    account_representation,
    email_taken,
    forwarded_idempotency_key,
    invalid_account,
)
from gateway.entrypoints.authentication import request_uow
from gateway.service_layer import accounts
from gateway.service_layer import clinic_administration as administration

platform = Blueprint("platform", __name__, url_prefix="/v1/platform")


class ClinicAdminBody(BaseModel):
    email: str = Field(max_length=320)
    display_name: str = Field(max_length=200)


@platform.post("/clinics")
@requires("platform.clinics.manage")
def register_clinic(access: Access):
    """Catalog registers the clinic and validates its profile; a repeated Idempotency-Key is
    replayed by catalog."""
    profile = json_body(JsonObject).root
    reply = access_control().clinics.register(profile, forwarded_idempotency_key(access))
    headers = {"Location": f"/v1/platform/clinics/{reply.body['slug']}"}
    for name in ("ETag", "Idempotent-Replayed"):
        if name in reply.headers:
            headers[name] = reply.headers[name]
    return reply.body, reply.status, headers


@platform.get("/clinics/<clinic_slug>")
@requires("platform.clinics.manage")
def read_clinic(access: Access):
    return access.clinic.representation


@platform.post("/clinics/<clinic_slug>/admins")
@requires("platform.accounts.manage")
@idempotent
def appoint_clinic_admin(access: Access):
    body = json_body(ClinicAdminBody)
    try:
        opened = administration.appoint_clinic_admin(request_uow(), access_control().entitlements, access.clinic_id,
                                                     body.email, body.display_name, access.principal.account_id)
    except accounts.InvalidAccount as invalid:
        raise invalid_account(invalid) from None
    except accounts.EmailTaken:
        raise email_taken() from None
    location = f"/v1/admin/clinics/{access.clinic.slug}/accounts/{opened.account.id}"
    return {**account_representation(opened.account), "roles": opened.roles}, 201, {"Location": location}
