"""Booking, for patients: the design's public contract.

    GET  /v1/clinics/<slug>/services/<service_id>/slots?from=YYYY-MM-DD&to=YYYY-MM-DD&tz=ZONE[&provider_id=][&calendar_id=]
         -> {"slots": [{"start", "end", "provider_id"}]}, times in `tz` (scheduling's slot engine)
    POST /v1/clinics/<slug>/bookings            (Idempotency-Key honoured)
         -> 201 {"booking_id", "status", "hold_expires_at", "price", "payment", "access_token", ...}
    GET  /v1/bookings/<booking_id>              (Authorization: Bearer <the booking's access_token>)

No login is needed to book. A patient signed in to this clinic always books as the patient record
linked to their account: the gateway looks it up first and, when there is one, books for it by id
(contact details in the body then change nothing, and only that record's enrollments can be
used); when there is none yet, the details are sent and scheduling registers a new record linked
to the account. Any other signed-in principal is refused here (staff book by phone through the
admin route). Each route is rate limited per client address.

A guest's booking answer carries no `patient_id`: it would tell anyone whether a person with
given details is a patient of the clinic. Signed-in patients (their own record) and staff get it.

`access_token` is a booking token (gateway.domain.tokens): it names the booking and its clinic,
reads that booking (and the appointments it was rescheduled to) only, and expires 30 days after
the booked appointment ends. It is no login token and a login token is no booking token. A token
for another booking is answered 404, exactly as a booking that does not exist.

`payment` is `{"status": "awaiting_billing", "amount": <price>}` until billing exists; billing
will fill it in. `notifications` is `[]` until the notifications service has an API to read
deliveries from.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState
from pydantic import AwareDatetime, BaseModel, Field, StrictBool

from clinic_runtime.problems import FieldError, Problem, not_found, validation_problem
from clinic_runtime.web import SAFE_ID, db, idempotent, json_body
from gateway.adapters.access_tables import SqlAccessGenerations
from gateway.adapters.scheduling import EntitlementsReservations, Reservations, Scheduling, SchedulingClient
from gateway.adapters.upstream import JsonService, Refused, Reply
from gateway.domain import bookings as rules
from gateway.domain.principal import AccountKind, Principal
from gateway.domain.tokens import TokenExpired, TokenRefused
from gateway.entrypoints.access import access_control
from gateway.entrypoints.admin import query
from gateway.entrypoints.authentication import REALM, identity_tools, optional_principal
from gateway.entrypoints.catalog_admin import install_offer, offer
from gateway.entrypoints.catalog_public import clinic_id as public_clinic_id
from gateway.entrypoints.problems import ProblemWithHeaders
from gateway.entrypoints.rate_limits import rate_limited
from gateway.service_layer import bookings as use_cases

bookings = Blueprint("bookings", __name__)

SLOT_PARAMETERS = ("from", "to", "tz", "provider_id", "calendar_id")
RESCHEDULES_FOLLOWED = 10


def install_scheduling(state: BlueprintSetupState) -> None:
    """Scheduling's client and entitlements' reservations for the app's web process (the admin
    scheduling routes share them)."""
    settings = state.app.config["settings"]
    timeout = settings.upstream_timeout_seconds
    state.app.extensions.setdefault("scheduling", SchedulingClient(
        JsonService("scheduling", settings.scheduling_url, timeout)))
    state.app.extensions.setdefault("reservations", EntitlementsReservations(
        JsonService("entitlements", settings.entitlements_url, timeout)))
    state.app.extensions.setdefault("room_for_patients", use_cases.RoomForPatients(
        settings.access_decision_cache_seconds))


bookings.record_once(install_scheduling)
bookings.record_once(install_offer)


def scheduling() -> Scheduling:
    return current_app.extensions["scheduling"]


def reservations() -> Reservations:
    return current_app.extensions["reservations"]


# -- bodies -----------------------------------------------------------------------------------
# Shapes only: scheduling checks names, addresses, mobile numbers, times and consent texts.


class PatientBody(BaseModel):
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    mobile: str | None = Field(default=None, max_length=32)


class SmsConsentBody(BaseModel):
    given: StrictBool
    text_version: str = Field(min_length=1, max_length=64)


class BookingBody(BaseModel):
    service_id: uuid.UUID
    start: AwareDatetime
    provider_id: uuid.UUID | None = None
    calendar_id: uuid.UUID | None = None
    patient: PatientBody | None = None
    sms_consent: SmsConsentBody | None = None
    enrollment_id: uuid.UUID | None = None


# -- routes -----------------------------------------------------------------------------------


@bookings.get("/v1/clinics/<clinic_slug>/services/<uuid:service_id>/slots")
@rate_limited("public")
def offered_slots(clinic_slug: str, service_id: uuid.UUID):
    reply = scheduling().read(public_clinic_id(clinic_slug), f"/services/{service_id}/slots", query(*SLOT_PARAMETERS))
    return {"slots": [{"start": s["start"], "end": s["end"], "provider_id": s["provider_id"]}
                      for s in reply.body["slots"]]}


@bookings.post("/v1/clinics/<clinic_slug>/bookings")
@rate_limited("public")
@idempotent
def book(clinic_slug: str):
    clinic_id = public_clinic_id(clinic_slug)
    patient = _booking_patient(clinic_id)
    body = json_body(BookingBody)
    if patient is None and body.patient is None:
        raise validation_problem([FieldError("patient", "give the patient's name, email and mobile")])
    if patient is None and body.enrollment_id is not None:
        raise validation_problem([FieldError("enrollment_id", "sign in to book with your plan's sessions")])
    # A guest is a patient without an account: scheduling finds or makes the patient record.
    actor = {"kind": "patient", "account_id": str(patient.account_id) if patient else None}
    patient_id = None
    if patient is not None:
        # The account's own record, whatever details are sent (see the module's description).
        patient_id = patient_of_account(clinic_id, patient.account_id)
        if patient_id is None and body.patient is None:
            raise validation_problem([FieldError("patient", "give your name, email and mobile for your first booking")])
        if patient_id is None and body.enrollment_id is not None:
            raise validation_problem([FieldError("enrollment_id", "this plan is not yours")])
    answer, status, headers = place_booking(clinic_id, body, actor, str(patient.account_id) if patient else "",
                                            patient_id=patient_id, booking_patient_id=patient_id)
    if patient is None:
        del answer["patient_id"]
    return answer, status, headers


@bookings.get("/v1/bookings/<uuid:booking_id>")
@rate_limited("public")
def read_booking(booking_id: uuid.UUID):
    claims = _booking_claims()
    appointment = _booking_of(claims.clinic_id, booking_id)
    if appointment is None or not _same_booking(claims.clinic_id, claims.booking_id, appointment):
        raise not_found("booking")
    service = scheduling().read(claims.clinic_id, f"/services/{appointment['service_id']}").body
    provider = scheduling().read(claims.clinic_id, f"/providers/{appointment['provider_id']}").body
    return {
        "booking_id": str(booking_id),
        "status": appointment["status"],
        "service": {"id": appointment["service_id"], "name": service["name"]},
        "provider": {"id": appointment["provider_id"], "name": provider["name"]},
        "start": appointment["start"], "end": appointment["end"], "timezone": appointment.get("timezone"),
        "hold_expires_at": appointment.get("hold_expires_at"),
        "price": appointment.get("price"),
        "payment": rules.payment_of(appointment),
        "video": rules.video_for_patient(appointment),
        "cancellation_policy": _cancellation_policy(claims.clinic_id, service),
        "rescheduled_from": appointment.get("rescheduled_from"),
        "rescheduled_to": appointment.get("rescheduled_to"),
        "notifications": [],
    }


# -- booking, shared with the staff's route ---------------------------------------------------


def place_booking(clinic_id: uuid.UUID, body: BookingBody, actor: dict[str, Any], caller: str, *,
                  patient_id: uuid.UUID | None, booking_patient_id: uuid.UUID | None):
    """Reserve (with an enrollment), hold, and answer 201 with the booking and its token.
    `patient_id` is the enrollment's patient; `booking_patient_id` names an existing patient
    record to book for instead of `body.patient`. `caller` scopes the Idempotency-Key."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not SAFE_ID.match(key):
        raise validation_problem([FieldError("Idempotency-Key", "use 1-100 letters, digits or . _ : -")])
    appointment_id = rules.appointment_id_for(clinic_id, caller, key)
    hold = {
        "appointment_id": str(appointment_id), "service_id": str(body.service_id), "start": body.start.isoformat(),
        "provider_id": _text(body.provider_id), "calendar_id": _text(body.calendar_id),
        "enrollment_id": _text(body.enrollment_id), "actor": actor,
        "sms_consent": body.sms_consent.model_dump() if body.sms_consent else None,
    }
    no_room = None
    if booking_patient_id is not None:
        hold["patient_id"] = str(booking_patient_id)
    elif body.patient is not None:
        hold["patient"] = body.patient.model_dump(exclude_none=True)
        control = access_control()
        no_room = current_app.extensions["room_for_patients"].refusal(
            control.entitlements, clinic_id, SqlAccessGenerations(db()).current(clinic_id), control.clock())
        hold["new_patient_allowed"] = no_room is None
    forwarded = None if key is None else hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()
    try:
        reply = use_cases.book(scheduling(), reservations(), use_cases.Hold(
            clinic_id, appointment_id, {k: v for k, v in hold.items() if v is not None}, forwarded,
            body.enrollment_id, patient_id or booking_patient_id))
    except Refused as refused:
        if no_room is not None and refused.reply.body.get("type", "").endswith("/new-patient-not-allowed"):
            raise no_room from None
        raise
    return booking_answer(clinic_id, reply)


def booking_answer(clinic_id: uuid.UUID, reply: Reply) -> tuple[dict[str, Any], int, dict[str, str]]:
    appointment = reply.body
    booking_id = uuid.UUID(appointment["appointment_id"])
    tools = identity_tools()
    token, claims = tools.tokens.booking_token(
        booking_id, clinic_id, rules.booking_token_expiry(datetime.fromisoformat(appointment["end"])), tools.clock())
    answer = {
        "booking_id": str(booking_id), "status": appointment["status"],
        "hold_expires_at": appointment.get("hold_expires_at"), "start": appointment["start"],
        "end": appointment["end"], "timezone": appointment.get("timezone"), "service_id": appointment["service_id"],
        "provider_id": appointment["provider_id"], "patient_id": appointment.get("patient_id"),
        "enrollment_id": appointment.get("enrollment_id"), "price": appointment.get("price"),
        "payment": rules.payment_of(appointment),
        "access_token": token, "access_token_expires_at": claims.expires_at.isoformat(),
    }
    return answer, 201, {"Location": f"/v1/bookings/{booking_id}"}


def patient_of_account(clinic_id: uuid.UUID, account_id: uuid.UUID) -> uuid.UUID | None:
    """The clinic's patient record of a patient's account, if it has one yet."""
    found = scheduling().read(clinic_id, "/patients", {"account_id": str(account_id)}).body["patients"]
    return uuid.UUID(found[0]["patient_id"]) if found else None


def _booking_of(clinic_id: uuid.UUID, booking_id: uuid.UUID) -> dict[str, Any] | None:
    try:
        return scheduling().read(clinic_id, f"/appointments/{booking_id}").body
    except Refused as refused:
        if refused.reply.status == 404:
            return None
        raise


def _same_booking(clinic_id: uuid.UUID, token_booking_id: uuid.UUID, appointment: dict[str, Any]) -> bool:
    """The token's booking, or an appointment it was rescheduled to (a link in the patient's
    email keeps working after the clinic moves the visit)."""
    for _ in range(RESCHEDULES_FOLLOWED):
        if appointment["appointment_id"] == str(token_booking_id):
            return True
        earlier = appointment.get("rescheduled_from")
        if earlier is None:
            return False
        appointment = _booking_of(clinic_id, uuid.UUID(earlier))
        if appointment is None:
            return False
    return False


def _booking_patient(clinic_id: uuid.UUID) -> Principal | None:
    """The signed-in patient of this clinic who books, or None for a guest."""
    principal = optional_principal()
    if principal is None:
        return None
    if principal.kind is not AccountKind.PATIENT or principal.clinic_id != clinic_id:
        raise Problem(403, "forbidden", "Book as a patient of this clinic, or without signing in.",
                      "Staff book for patients through the clinic's admin routes.")
    return principal


def _booking_claims():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated("Send the booking's access token: Authorization: Bearer <access_token>.", REALM)
    tools = identity_tools()
    try:
        return tools.tokens.read_booking_token(token.strip(), tools.clock())
    except TokenExpired:
        raise _unauthenticated("The booking's access token expired.", f'{REALM}, error="invalid_token"') from None
    except TokenRefused:
        raise _unauthenticated("The access token is not this booking's.", f'{REALM}, error="invalid_token"') from None


def _cancellation_policy(clinic_id: uuid.UUID, service: dict[str, Any]) -> dict[str, Any]:
    """The policy catalog shows patients for the service (its own, else the clinic's). A service
    archived since the booking is no longer offered: then scheduling's last copy of it says."""
    try:
        shown = offer().offered(clinic_id, f"/services/{service['service_id']}").body
    except Refused:
        clinic = scheduling().read(clinic_id, "").body
        shown = {name: clinic.get(name) if service.get(name) is None else service[name]
                 for name in ("cancellation_window_hours", "refund_policy")}
    return {"cancellation_window_hours": shown.get("cancellation_window_hours"),
            "refund_policy": shown.get("refund_policy")}


def _unauthenticated(detail: str, challenge: str) -> ProblemWithHeaders:
    return ProblemWithHeaders(401, "unauthenticated", "Authentication required.", detail,
                              headers={"WWW-Authenticate": challenge})


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
