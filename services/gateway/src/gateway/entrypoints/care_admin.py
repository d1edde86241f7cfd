"""A clinic's patient tiers and service-plan enrollments, for its staff, under
/v1/admin/clinics/<clinic_slug>/.

- tiers: `GET|POST /tiers`, `GET|PUT /tiers/<tier_key>` (If-Match), `POST /tiers/<tier_key>/archive`
  (If-Match). A tier maps to a role and to counted inclusions; changing it changes it for every
  patient on it;
- a patient's tier: `PUT /patients/<patient_id>/tier` with `{"tier_key": key | null}` ("this
  patient is now Premium"; the role and the inclusions follow at once);
- a patient's care: `GET /patients/<patient_id>/care` (their tier, enrollments, sessions left);
- enrollments: `POST /enrollments` (`{"patient_id", "plan_id"}`: enrol a patient in one of the
  clinic's service plans), `GET /enrollments?patient_id=`,
  `GET /enrollments/<enrollment_id>`, `POST /enrollments/<enrollment_id>/cancel`.

`patient_id` is scheduling's patient id (the clinic's patient record). The answers are
entitlements' own, relayed unchanged (status, body, `ETag`, `Location` rewritten to the gateway's
path, `Idempotent-Replayed`, problems); a creating `POST` honours `Idempotency-Key`, made the
caller's own. The acting account goes along in `X-Actor-Id`.

Who may call: `tiers.manage` defines what tiers are (and reads them: a tier carries prices and
inclusions); `enrollments.manage` puts a patient on a tier or in a plan, or cancels an enrollment
(both grant sessions); `enrollments.read` reads a patient's care and enrollments. A role that
grants `enrollments.read` for the principal's own only (the patient role) gets 403 here: these
routes serve every patient of the clinic, and a patient's own care is at
`GET /v1/clinics/<clinic_slug>/me/care` (gateway.entrypoints.patient_care).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, request

from clinic_runtime.problems import Problem
from clinic_runtime.web import json_body
from gateway.adapters.commercial import segment
from gateway.entrypoints.access import Access, requires
from gateway.entrypoints.admin import JsonObject, forwarded_idempotency_key, query, relay_staff
from gateway.entrypoints.commercial_platform import (
    clinic_entry,
    commercial,
    install_commercial,
    refuse_dot_segments,
)

care_admin = Blueprint("care_admin", __name__, url_prefix="/v1/admin/clinics/<clinic_slug>")
care_admin.record_once(install_commercial)
care_admin.url_value_preprocessor(refuse_dot_segments)

# -- tiers ------------------------------------------------------------------------------------


@care_admin.get("/tiers")
@requires("tiers.manage")
def list_tiers(access: Access):
    return read(access, "/tiers")


@care_admin.post("/tiers")
@requires("tiers.manage")
def create_tier(access: Access):
    return create(access, "/tiers")


@care_admin.get("/tiers/<tier_key>")
@requires("tiers.manage")
def read_tier(access: Access, tier_key: str):
    return read(access, f"/tiers/{segment(tier_key)}")


@care_admin.put("/tiers/<tier_key>")
@requires("tiers.manage")
def change_tier(access: Access, tier_key: str):
    return change(access, f"/tiers/{segment(tier_key)}", request.headers.get("If-Match"))


@care_admin.post("/tiers/<tier_key>/archive")
@requires("tiers.manage")
def archive_tier(access: Access, tier_key: str):
    """Refused while patients are on it."""
    return act(access, f"/tiers/{segment(tier_key)}/archive")


# -- a patient's tier and care ----------------------------------------------------------------


@care_admin.put("/patients/<uuid:patient_id>/tier")
@requires("enrollments.manage")
def set_patient_tier(access: Access, patient_id: uuid.UUID):
    """`{"tier_key": key}`, or null to cancel the tier (its enrollments end softly). Answers the
    patient's tier and the enrollments its inclusions granted."""
    return change(access, f"/patients/{patient_id}/tier", None)


@care_admin.get("/patients/<uuid:patient_id>/care")
@requires("enrollments.read")
def read_patient_care(access: Access, patient_id: uuid.UUID):
    return read(reaching_every_patient(access), f"/patients/{patient_id}/care")


# -- enrollments ------------------------------------------------------------------------------


@care_admin.post("/enrollments")
@requires("enrollments.manage")
def enroll(access: Access):
    return create(access, "/enrollments")


@care_admin.get("/enrollments")
@requires("enrollments.read")
def list_enrollments(access: Access):
    """`?patient_id=` (required): that patient's enrollments, newest first."""
    return read(reaching_every_patient(access), "/enrollments", "patient_id")


@care_admin.get("/enrollments/<uuid:enrollment_id>")
@requires("enrollments.read")
def read_enrollment(access: Access, enrollment_id: uuid.UUID):
    return read(reaching_every_patient(access), f"/enrollments/{enrollment_id}")


@care_admin.post("/enrollments/<uuid:enrollment_id>/cancel")
@requires("enrollments.manage")
def cancel_enrollment(access: Access, enrollment_id: uuid.UUID):
    """Soft expiry: the record and its history stay, what is left can no longer be used."""
    return act(access, f"/enrollments/{enrollment_id}/cancel")


# -- relaying ---------------------------------------------------------------------------------


def reaching_every_patient(access: Access) -> Access:
    """`access` when it reaches every patient's care; 403 for a grant of the principal's own only."""
    if access.only_own:
        raise Problem(403, "forbidden", "You may not do this.",
                      f"This needs the permission {access.permission} for every patient of the clinic; yours "
                      f"covers your own only, at /v1/clinics/{access.clinic.slug}/me/care.",
                      extensions={"permission": access.permission, "reason_code": "own_scope_only"})
    return access


def read(access: Access, entry: str, *parameters: str):
    return relay_staff(access, commercial().read(clinic_entry(access, entry), query(*parameters)))


def create(access: Access, entry: str):
    return relay_staff(access, commercial().create(clinic_entry(access, entry), json_body(JsonObject).root,
                                                   access.principal.account_id, forwarded_idempotency_key(access)))


def change(access: Access, entry: str, if_match: str | None):
    return relay_staff(access, commercial().change(clinic_entry(access, entry), json_body(JsonObject).root,
                                                   access.principal.account_id, if_match))


def act(access: Access, entry: str):
    return relay_staff(access, commercial().act(clinic_entry(access, entry), None, access.principal.account_id,
                                                request.headers.get("If-Match")))
