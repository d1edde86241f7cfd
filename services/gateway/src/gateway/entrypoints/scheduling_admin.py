"""A clinic's scheduling, for its staff and specialists, under /v1/admin/clinics/<clinic_slug>/.

    availability   /providers/<provider_id>/availability (GET, PUT with If-Match),
                   .../away and .../overrides (POST, Idempotency-Key; DELETE /<id>)
                   availability.read / availability.manage
    patients       /patients (GET ?query&limit&cursor, POST), /patients/<id> (GET, PUT with If-Match)
                   patients.read / patients.manage; a record's `account_id` is not staff's to set
                   (it links when the patient books signed in)
    appointments   /appointments (GET ?from&to&service_id&provider_id&status&patient_id&limit&cursor)
                   appointments.read; POST (a booking by phone, the public booking's path with the
                   staff member as actor) appointments.book; /appointments/<id> (GET)
                   appointments.read; /appointments/<id>/{cancel,reschedule,provider,complete,no-show}
                   (POST, If-Match optional, Idempotency-Key) appointments.manage
    my schedule    /my/schedule (GET ?from&to&status&limit&cursor): the caller's own appointments
                   as a specialist, appointments.read
    audit          /scheduling-audit (GET ?appointment_id&patient_id&provider_id): scheduling's
                   trail of staff and specialists' changes (appointments, patients, availability),
                   audit.read (never an own grant: it shows every specialist's changes)

Scheduling owns every rule: the gateway checks who calls, names the actor, relays the request and
scheduling's answer (bodies, status, ETag, Location rewritten to these paths, problems), with one
exception: an appointment's host video link (`video.host_url`) is shown only to the appointment's
own specialist (the caller who is its provider, as below); every other caller, whatever their
permissions, gets the video without it, in every answer that carries appointments (lists, a read,
the commands, my schedule).

"Own" grants (a specialist's): a specialist is the catalog provider of the clinic whose email is
their account's email (exactly one such active provider; none or several and they own nothing).
With an own grant they reach that provider's availability and appointments, and the patients
who have a paid appointment with them (an unpaid hold anyone can make does not count); lists are narrowed to theirs (a list of patients is refused:
it needs the grant for every patient, and a provider change too: it changes another
specialist's schedule). Anything else, including something that does not exist,
is 403 naming the permission. Patients use the public booking routes, not these: an own grant
of a patient is refused here.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, g, request

from clinic_runtime.problems import FieldError, Problem, validation_problem
from clinic_runtime.web import idempotent, json_body
from gateway.adapters.upstream import Refused, Reply
from gateway.domain import bookings as rules
from gateway.domain.principal import AccountKind
from gateway.entrypoints.access import Access, access_control, requires
from gateway.entrypoints.admin import JsonObject, forwarded_idempotency_key, query, relay_staff
from gateway.entrypoints.authentication import request_uow
from gateway.entrypoints.bookings import BookingBody, install_scheduling, place_booking, scheduling
from gateway.entrypoints.catalog_admin import install_offer, offer
from gateway.service_layer import accounts

scheduling_admin = Blueprint("scheduling_admin", __name__, url_prefix="/v1/admin/clinics/<clinic_slug>")
scheduling_admin.record_once(install_scheduling)
scheduling_admin.record_once(install_offer)

AVAILABILITY = "/providers/<uuid:provider_id>/availability"
APPOINTMENT = "/appointments/<uuid:appointment_id>"
LISTING = ("limit", "cursor")
APPOINTMENT_FILTERS = ("from", "to", "service_id", "provider_id", "status", "patient_id", *LISTING)
PROVIDERS_PAGE = "100"
VISITS = "paid,completed,no_show"  # the appointments that make a patient a specialist's own


class StaffBookingBody(BookingBody):
    patient_id: uuid.UUID | None = None


# -- availability -----------------------------------------------------------------------------


@scheduling_admin.get(AVAILABILITY)
@requires("availability.read")
def read_availability(access: Access, provider_id: uuid.UUID):
    _own_provider(access, provider_id)
    return relay_staff(access, scheduling().read(access.clinic_id, _availability(provider_id)))


@scheduling_admin.put(AVAILABILITY)
@requires("availability.manage")
def replace_availability(access: Access, provider_id: uuid.UUID):
    _own_provider(access, provider_id)
    body = json_body(JsonObject).root
    body["actor"] = _actor(access)
    return relay_staff(access, scheduling().change(access.clinic_id, _availability(provider_id), body,
                                             request.headers.get("If-Match")))


@scheduling_admin.post(f"{AVAILABILITY}/away")
@requires("availability.manage")
def add_away(access: Access, provider_id: uuid.UUID):
    return _add_to_availability(access, provider_id, "/away")


@scheduling_admin.delete(f"{AVAILABILITY}/away/<uuid:away_id>")
@requires("availability.manage")
def remove_away(access: Access, provider_id: uuid.UUID, away_id: uuid.UUID):
    return _remove_from_availability(access, provider_id, f"/away/{away_id}")


@scheduling_admin.post(f"{AVAILABILITY}/overrides")
@requires("availability.manage")
def add_override(access: Access, provider_id: uuid.UUID):
    return _add_to_availability(access, provider_id, "/overrides")


@scheduling_admin.delete(f"{AVAILABILITY}/overrides/<uuid:override_id>")
@requires("availability.manage")
def remove_override(access: Access, provider_id: uuid.UUID, override_id: uuid.UUID):
    return _remove_from_availability(access, provider_id, f"/overrides/{override_id}")


# -- patients ---------------------------------------------------------------------------------


@scheduling_admin.get("/patients")
@requires("patients.read")
def list_patients(access: Access):
    _refuse_own(access)
    return relay_staff(access, scheduling().read(access.clinic_id, "/patients", query("query", *LISTING)))


@scheduling_admin.post("/patients")
@requires("patients.manage")
def add_patient(access: Access):
    """A new patient record, if the clinic's plan has room for one more patient (409
    `limit-reached` from entitlements otherwise)."""
    _refuse_own(access)
    body = _patient_body()
    access_control().entitlements.admit(access.clinic_id, "patients")
    body["actor"] = _actor(access)
    return relay_staff(access, scheduling().create(access.clinic_id, "/patients", body, forwarded_idempotency_key(access)))


@scheduling_admin.get("/patients/<uuid:patient_id>")
@requires("patients.read")
def read_patient(access: Access, patient_id: uuid.UUID):
    if access.only_own:
        _own_patient(access, patient_id)
    return relay_staff(access, scheduling().read(access.clinic_id, f"/patients/{patient_id}"))


@scheduling_admin.put("/patients/<uuid:patient_id>")
@requires("patients.manage")
def change_patient(access: Access, patient_id: uuid.UUID):
    _refuse_own(access)
    body = _patient_body()
    body["actor"] = _actor(access)
    return relay_staff(access, scheduling().change(access.clinic_id, f"/patients/{patient_id}", body,
                                             request.headers.get("If-Match")))


# -- appointments -----------------------------------------------------------------------------


@scheduling_admin.get("/appointments")
@requires("appointments.read")
def list_appointments(access: Access):
    filters = query(*APPOINTMENT_FILTERS)
    if access.only_own:
        own = _specialist(access)
        if own is None or filters.get("provider_id", str(own)) != str(own):
            return {"appointments": [], "next_cursor": None}
        filters["provider_id"] = str(own)
    return relay_staff(access, _shown(access, scheduling().read(access.clinic_id, "/appointments", filters)))


@scheduling_admin.post("/appointments")
@requires("appointments.book")
@idempotent
def book_by_phone(access: Access):
    """The public booking's path (reservation, hold, booking token), with the staff member as
    actor; `patient_id` names an existing patient instead of `patient`."""
    _refuse_own(access)
    body = json_body(StaffBookingBody)
    if (body.patient is None) == (body.patient_id is None):
        raise validation_problem([FieldError("patient", "give either the patient's details or patient_id")])
    if body.enrollment_id is not None and body.patient_id is None:
        raise validation_problem([FieldError("enrollment_id", "name the enrollment's patient by patient_id")])
    answer, status, headers = place_booking(access.clinic_id, body, _actor(access), str(access.principal.account_id),
                                            patient_id=body.patient_id, booking_patient_id=body.patient_id)
    headers["Location"] = f"/v1/admin/clinics/{access.clinic.slug}/appointments/{answer['booking_id']}"
    return answer, status, headers


@scheduling_admin.get(APPOINTMENT)
@requires("appointments.read")
def read_appointment(access: Access, appointment_id: uuid.UUID):
    reply = (_own_appointment(access, appointment_id) if access.only_own
             else scheduling().read(access.clinic_id, f"/appointments/{appointment_id}"))
    return relay_staff(access, _shown(access, reply))


@scheduling_admin.post(f"{APPOINTMENT}/cancel")
@requires("appointments.manage")
def cancel_appointment(access: Access, appointment_id: uuid.UUID):
    return _command(access, appointment_id, "cancel")


@scheduling_admin.post(f"{APPOINTMENT}/reschedule")
@requires("appointments.manage")
def reschedule_appointment(access: Access, appointment_id: uuid.UUID):
    return _command(access, appointment_id, "reschedule")


@scheduling_admin.post(f"{APPOINTMENT}/provider")
@requires("appointments.manage")
def change_appointment_provider(access: Access, appointment_id: uuid.UUID):
    if access.only_own:
        # Their own appointment is theirs already: the only change left would put it into
        # another specialist's schedule, which is not theirs to change.
        raise _not_yours(access)
    return _command(access, appointment_id, "provider")


@scheduling_admin.post(f"{APPOINTMENT}/complete")
@requires("appointments.manage")
def complete_appointment(access: Access, appointment_id: uuid.UUID):
    return _command(access, appointment_id, "complete")


@scheduling_admin.post(f"{APPOINTMENT}/no-show")
@requires("appointments.manage")
def record_no_show(access: Access, appointment_id: uuid.UUID):
    return _command(access, appointment_id, "no-show")


@scheduling_admin.get("/my/schedule")
@requires("appointments.read")
def my_schedule(access: Access):
    """The caller's own appointments as a specialist (none for an account that is no provider)."""
    _refuse_patient(access)
    own = _specialist(access)
    if own is None:
        return {"appointments": [], "next_cursor": None}
    filters = {**query("from", "to", "status", *LISTING), "provider_id": str(own)}
    return relay_staff(access, _shown(access, scheduling().read(access.clinic_id, "/appointments", filters)))


@scheduling_admin.get("/scheduling-audit")
@requires("audit.read")
def read_scheduling_audit(access: Access):
    return relay_staff(access, scheduling().read(access.clinic_id, "/audit", query(
        "appointment_id", "patient_id", "provider_id", *LISTING)))


# -- who owns what ----------------------------------------------------------------------------


def _command(access: Access, appointment_id: uuid.UUID, command: str):
    if access.only_own:
        _own_appointment(access, appointment_id)
    body = json_body(JsonObject).root if request.content_length else {}
    body["actor"] = _actor(access)
    return relay_staff(access, _shown(access, scheduling().create(
        access.clinic_id, f"/appointments/{appointment_id}/{command}", body, forwarded_idempotency_key(access),
        request.headers.get("If-Match"))))


def _shown(access: Access, reply: Reply) -> Reply:
    """Scheduling's appointment, or page of them, as the caller may see it: the host link only on
    their own appointments as a specialist."""
    if not isinstance(reply.body, dict):
        return reply
    listed = reply.body.get("appointments")
    appointments = [reply.body] if listed is None else listed
    if not any(rules.hosted(appointment) for appointment in appointments):
        return reply
    own = None if access.principal.kind is AccountKind.PATIENT else _specialist(access)
    shown = [rules.shown_to(appointment, own) for appointment in appointments]
    return Reply(reply.status, shown[0] if listed is None else {**reply.body, "appointments": shown}, reply.headers)


def _actor(access: Access) -> dict[str, str]:
    """Who acts, as scheduling records it (events, audit trail): staff or a specialist."""
    return {"kind": str(access.principal.kind), "account_id": str(access.principal.account_id)}


def _add_to_availability(access: Access, provider_id: uuid.UUID, part: str):
    _own_provider(access, provider_id)
    body = json_body(JsonObject).root
    body["actor"] = _actor(access)
    return relay_staff(access, scheduling().create(access.clinic_id, _availability(provider_id) + part, body,
                                             forwarded_idempotency_key(access)))


def _remove_from_availability(access: Access, provider_id: uuid.UUID, part: str):
    """A DELETE has no body: scheduling reads its actor from the query."""
    _own_provider(access, provider_id)
    actor = {f"actor_{name}": value for name, value in _actor(access).items()}
    return relay_staff(access, scheduling().remove(access.clinic_id, f"{_availability(provider_id)}{part}", actor))


def _availability(provider_id: uuid.UUID) -> str:
    return f"/providers/{provider_id}/availability"


def _own_provider(access: Access, provider_id: uuid.UUID) -> None:
    if access.only_own and _specialist(access) != provider_id:
        raise _not_yours(access)


def _own_appointment(access: Access, appointment_id: uuid.UUID) -> Reply:
    """Scheduling's appointment when it is the caller's own as a specialist (read once: the
    route relays it), else 403."""
    own = _specialist(access)
    if own is None:
        raise _not_yours(access)
    try:
        reply = scheduling().read(access.clinic_id, f"/appointments/{appointment_id}")
    except Refused as refused:
        if refused.reply.status == 404:
            raise _not_yours(access) from None
        raise
    if reply.body.get("provider_id") != str(own):
        raise _not_yours(access)
    return reply


def _patient_body() -> dict[str, Any]:
    """A patient record as staff send it. Its `account_id` (the patient's own sign-in) is read
    only here: it is linked when the patient books signed in, never by staff, who could
    otherwise hand one patient's record, and bookings, to another's account."""
    body = json_body(JsonObject).root
    body.pop("account_id", None)
    return body


def _own_patient(access: Access, patient_id: uuid.UUID) -> None:
    """A specialist's patients are those with a paid visit with them (to come, or over). An unpaid
    hold does not count, nor a canceled or expired one: anyone can make one, the specialist too,
    with nothing but a patient's name and address."""
    own = _specialist(access)
    if own is None:
        raise _not_yours(access)
    found = scheduling().read(access.clinic_id, "/appointments", {
        "patient_id": str(patient_id), "provider_id": str(own), "status": VISITS, "limit": "1"}).body
    if not found["appointments"]:
        raise _not_yours(access)


def _specialist(access: Access) -> uuid.UUID | None:
    """The provider the caller is: the clinic's one active catalog provider with the email of
    the caller's account (see the module's description); looked up once per request."""
    _refuse_patient(access)
    if "specialist" not in g:
        g.specialist = _provider_of_account(access)
    return g.specialist


def _provider_of_account(access: Access) -> uuid.UUID | None:
    account = accounts.get_account(request_uow(), access.clinic_id, access.principal.account_id)
    if account is None:
        return None
    email = account.email.casefold()
    matches: list[uuid.UUID] = []
    params = {"limit": PROVIDERS_PAGE}
    while True:
        page = offer().read(access.clinic_id, "/providers", params).body
        matches += [uuid.UUID(p["id"]) for p in page["providers"] if str(p.get("email", "")).casefold() == email]
        if not page.get("next_cursor"):
            break
        params = {"limit": PROVIDERS_PAGE, "cursor": page["next_cursor"]}
    return matches[0] if len(matches) == 1 else None


def _refuse_own(access: Access) -> None:
    """Routes no own grant reaches: lists of everyone, and changes only the clinic's staff make."""
    if access.only_own:
        raise _not_yours(access)


def _refuse_patient(access: Access) -> None:
    if access.principal.kind is AccountKind.PATIENT:
        raise _not_yours(access)


def _not_yours(access: Access) -> Problem:
    return Problem(403, "forbidden", "You may not do this.",
                   f"This needs the permission {access.permission} for this resource: it is not yours.",
                   extensions={"permission": access.permission, "reason_code": "not_owner"})
