"""A clinic's public routes: what anyone may do at /v1/clinics/<clinic_slug>/ without signing in.

Each is rate limited per client network instead of protected: the sign-up, which mails a link,
as tightly as a password reset.
"""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, Field

from clinic_runtime.problems import not_found
from clinic_runtime.web import idempotent, json_body
from gateway.entrypoints.access import access_control
from gateway.entrypoints.admin import invalid_account
from gateway.entrypoints.authentication import request_uow
from gateway.entrypoints.rate_limits import client_address, rate_limited
from gateway.service_layer import accounts
from gateway.service_layer import clinic_administration as administration

clinics = Blueprint("clinics", __name__, url_prefix="/v1/clinics/<clinic_slug>")

SECRET_LENGTH = 1024


class PatientRegistrationBody(BaseModel):
    email: str = Field(max_length=320)
    display_name: str = Field(max_length=200)
    password: str = Field(max_length=SECRET_LENGTH)


@clinics.post("/patients/accounts")
@rate_limited("password_reset")
@idempotent
def register_patient(clinic_slug: str):
    """202 whether or not the address had an account: nobody learns who is registered. The
    account signs in once its address is confirmed (POST /v1/auth/registration/confirm)."""
    clinic = access_control().clinics.by_slug(clinic_slug)
    if clinic is None or clinic.archived:
        raise not_found("clinic")
    body = json_body(PatientRegistrationBody)
    try:
        administration.register_patient(request_uow(), clinic.id, body.email, body.display_name, body.password,
                                        client_address())
    except accounts.InvalidAccount as invalid:
        raise invalid_account(invalid) from None
    return {"detail": "A link to confirm the address is on its way: follow it and give your password to sign in. "
                      "If the address already had an account, a link to choose a new password was sent to it "
                      "instead."}, 202
