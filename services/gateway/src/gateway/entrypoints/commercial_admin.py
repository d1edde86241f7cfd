"""What a clinic holds on the platform, for its staff: read-only, under
/v1/admin/clinics/<clinic_slug>/.

`GET /entitlements` (features and limits in force, with the sales overrides; `?at=`),
`GET /subscription` (the base plan, add-ons and usage packs with their frozen terms),
`GET /bill` (`?period=YYYY-MM`), `GET /usage` (each metered limit: used and allowed, and the base plan) and
`GET /capabilities` (`?at=`; each capability on or off, and which of plan, clearance or pause
keeps it off). Only operators change any of it (gateway.entrypoints.commercial_platform).

The answers are entitlements' own, relayed unchanged (status, body, `ETag`, problems). Every
route declares `clinic.settings.manage`: what the clinic pays and may use is its administrators'
business, not the front desk's or a patient's.
"""

from __future__ import annotations

from flask import Blueprint

from gateway.entrypoints.access import Access, requires
from gateway.entrypoints.admin import query, relay_staff
from gateway.entrypoints.commercial_platform import clinic_entry, commercial, install_commercial

commercial_admin = Blueprint("commercial_admin", __name__, url_prefix="/v1/admin/clinics/<clinic_slug>")
commercial_admin.record_once(install_commercial)


@commercial_admin.get("/entitlements")
@requires("clinic.settings.manage")
def read_entitlements(access: Access):
    return staff_read(access, "/entitlements", "at")


@commercial_admin.get("/subscription")
@requires("clinic.settings.manage")
def read_subscription(access: Access):
    return staff_read(access, "/subscription")


@commercial_admin.get("/bill")
@requires("clinic.settings.manage")
def read_bill(access: Access):
    return staff_read(access, "/bill", "period")


@commercial_admin.get("/usage")
@requires("clinic.settings.manage")
def read_usage(access: Access):
    return staff_read(access, "/usage")


@commercial_admin.get("/capabilities")
@requires("clinic.settings.manage")
def read_capabilities(access: Access):
    return staff_read(access, "/capabilities", "at")


def staff_read(access: Access, entry: str, *parameters: str):
    return relay_staff(access, commercial().read(clinic_entry(access, entry), query(*parameters)))

