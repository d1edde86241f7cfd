"""A patient's own care at a clinic: `GET /v1/clinics/<clinic_slug>/me/care`.

Their tier (name, role, current period), their service-plan enrollments newest first with the
sessions granted, reserved, used and remaining, and the access (telerehab, library) open to them
now: entitlements' care view of the clinic's patient whose login is the caller's account. Nothing
in the path names a patient, so no one reaches anyone else's care here.

It declares `enrollments.read`, which the patient role grants for the patient's own. A login of
the clinic with no patient record there (a patient who has not booked yet, or a staff member)
has no tier and no enrollments: the answer says so, with `patient_id` null.
"""

from __future__ import annotations

from flask import Blueprint

from clinic_runtime.problems import TYPE_BASE
from gateway.adapters.upstream import Refused
from gateway.entrypoints.access import Access, requires
from gateway.entrypoints.admin import relay_staff
from gateway.entrypoints.commercial_platform import clinic_entry, commercial, install_commercial

patient_care = Blueprint("patient_care", __name__, url_prefix="/v1/clinics/<clinic_slug>")
patient_care.record_once(install_commercial)

NO_CARE = {"patient_id": None, "tier": None, "enrollments": [], "access": []}


@patient_care.get("/me/care")
@requires("enrollments.read")
def my_care(access: Access):
    try:
        reply = commercial().read(clinic_entry(access, f"/patients/by-account/{access.principal.account_id}/care"))
    except Refused as refused:
        if refused.reply.status == 404 and _problem_type(refused) == "not-found":
            return NO_CARE
        raise
    return relay_staff(access, reply)


def _problem_type(refused: Refused) -> str:
    body = refused.reply.body if isinstance(refused.reply.body, dict) else {}
    return str(body.get("type", "")).removeprefix(TYPE_BASE)
