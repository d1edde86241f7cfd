"""Routes of patients, appointments and the audit trail (internal: the gateway calls them), all
under `/clinics/<clinic_id>`. Times are RFC 3339; an appointment's are given in UTC, with its
`timezone` (the clinic's) to show them in. Money is `{"amount_minor", "currency"}`. Errors are
RFC 9457 problems; a refused request writes nothing.

Actor (who acts; recorded on events, and in the audit trail for staff and specialists):
    {"kind": "patient" | "staff" | "provider" | "system", "account_id": uuid | null}

Patients
- `POST /patients` (Idempotency-Key honoured) `{"name", "email", "mobile" (optional; E.164 or
  national, read in the clinic's country), "account_id" (optional), "sms_consent": {"given",
  "text_version"} (optional), "actor" (optional)}` -> 201 patient, ETag, Location.
- `GET /patients?query=&account_id=&limit=1..100&cursor=` -> `{"patients": [...], "next_cursor"}`;
  `query` finds part of a name, email or mobile number.
- `GET /patients/<id>` -> patient, ETag. `PUT /patients/<id>` (If-Match required) with the same
  body as POST -> patient. `POST /patients/<id>/archive` (If-Match optional) -> patient.
- A patient: `{"patient_id", "clinic_id", "account_id", "name", "email", "mobile", "sms_consent":
  {"given", "recorded_at", "text_version"} | null, "archived", "version", "created_at",
  "updated_at"}`.

Appointments
- `POST /appointments` (Idempotency-Key honoured) `{"appointment_id" (optional), "service_id",
  "start", "provider_id" (optional: the first free), "calendar_id" (optional), "patient": {"name",
  "email", "mobile"} or "patient_id", "sms_consent": {"given", "text_version"} (optional),
  "enrollment_id" (optional), "actor"}` -> 201 appointment (pending_payment, hold_expires_at),
  ETag, Location; 409 `slot-taken` when the time is not free; 422 for bad input, including a start
  that is not a slot of the service; 404 for an unknown service, specialist or patient.
- `GET /appointments/<id>` -> appointment, ETag.
- `GET /appointments?from=&to=&tz=&service_id=&provider_id=&patient_id=&status=&limit=&cursor=`
  -> `{"appointments": [...], "next_cursor"}` by start. `from`/`to` are instants (RFC 3339) or
  days (YYYY-MM-DD, in `tz`, by default the clinic's zone; `to` included); `status` may list
  several, comma-separated.
- Commands, each with If-Match optional (412 `stale-version` when it changed since) and
  Idempotency-Key honoured (a command sent again after a lost answer gets the first one, not a
  409 for its own change), 409 `invalid-transition` when the appointment's status does not allow it:
  `POST /appointments/<id>/cancel` `{"reason", "actor"}` -> 200 appointment;
  `POST /appointments/<id>/reschedule` `{"start", "actor"}` -> 201 the
  new appointment (its `rescheduled_from` names the old); 409 `slot-taken`, 422 not a slot;
  `POST /appointments/<id>/provider` `{"provider_id", "actor"}` -> 200; 409 `slot-taken`;
  `POST /appointments/<id>/complete` and `/no-show`, body `{"actor"}` optional (staff by
  default) -> 200;
  `POST /appointments/<id>/settle` body `{"actor"}` optional: a pending booking with nothing to
  pay (an `enrollment_id`, or a price of zero) goes on as paid without a payment (then confirmed
  with its meeting, `payment_id` null); 409 `invalid-transition` when a payment is due, 409
  `hold-expired` when its hold is over.
- An appointment: `{"appointment_id", "clinic_id", "status", "start", "end", "timezone",
  "hold_expires_at", "service_id", "provider_id", "patient_id", "calendar_id", "location_id",
  "price", "enrollment_id", "payment_id", "rescheduled_from", "rescheduled_to", "confirmed_at",
  "video": {"provider", "meeting_id", "join_url", "host_url"} | null, "cancellation": {"reason",
  "actor", "within_policy"} | null, "expired_reason", "booked_by", "sms_consent", "version",
  "created_at", "updated_at"}`. The host link is for the specialist only: the gateway must not
  show it to the patient.

Audit: `GET /audit?appointment_id=&patient_id=&provider_id=&limit=1..100 (50)&cursor=` ->
`{"entries": [{"entry_id", "appointment_id", "patient_id", "provider_id", "actor", "action",
"before", "after", "occurred_at"}], "next_cursor"}`, oldest first; `next_cursor` (null on the
last page) fetches the next page. Changes of appointments and patients name those; changes of a
specialist's availability (`availability.*`) name the specialist as `provider_id`.

Bad parameters are 422: a `from`/`to` day or instant outside the years 1-9999 once in UTC, a
cursor not given back as received (one whose time lost its offset), a booking start before now or
past the booking horizon, control characters in a patient's details, a consent's text_version or
a cancel reason, and a reason or text_version that is blank once trimmed.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from flask import Blueprint, current_app, request
from pydantic import AwareDatetime, BaseModel, Field, StrictBool, StringConstraints

from clinic_contracts.zones import is_time_zone
from clinic_runtime.db import utcnow
from clinic_runtime.problems import FieldError, validation_problem
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body, page_limit
from scheduling.adapters.appointments import AppointmentFilter, AuditEntry
from scheduling.domain.appointments import STATUSES, Actor, Appointment
from scheduling.domain.patients import Patient
from scheduling.domain.text import has_control_characters
from scheduling.domain.wall_clock import zone
from scheduling.service_layer import appointments as use_cases
from scheduling.service_layer import patients as patient_cases
from scheduling.service_layer.unit_of_work import SqlUnitOfWork
from scheduling.settings import Settings

blueprint = Blueprint("appointments", __name__)
CLINIC = "/clinics/<uuid:clinic_id>"
APPOINTMENT = f"{CLINIC}/appointments/<uuid:appointment_id>"
DEFAULT_PAGE = 50
MAX_PAGE = 100
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# -- bodies -----------------------------------------------------------------------------------


class ActorBody(BaseModel):
    kind: Literal["patient", "staff", "provider", "system"]
    account_id: uuid.UUID | None = None

    def actor(self) -> Actor:
        return Actor(self.kind, self.account_id)


# Who acts when a command that may leave it out does: staff (the gateway always names them).
BY_STAFF = ActorBody(kind="staff")


# Trimmed before the length is checked: "   " is no reason and no wording version.
Trimmed = Annotated[str, StringConstraints(strip_whitespace=True)]


class ConsentBody(BaseModel):
    given: StrictBool  # JSON true or false: "yes" or 1 is no consent anyone gave
    text_version: Trimmed = Field(min_length=1, max_length=64)


class PatientBody(BaseModel):
    name: str = Field(max_length=1000)
    email: str = Field(max_length=1000)
    mobile: str | None = Field(default=None, max_length=100)

    def details(self) -> patient_cases.PatientDetails:
        return patient_cases.PatientDetails(self.name, self.email, self.mobile)


class PatientRecordBody(PatientBody):
    account_id: uuid.UUID | None = None
    sms_consent: ConsentBody | None = None
    actor: ActorBody = BY_STAFF


class BookingBody(BaseModel):
    appointment_id: uuid.UUID | None = None
    service_id: uuid.UUID
    start: AwareDatetime
    provider_id: uuid.UUID | None = None
    calendar_id: uuid.UUID | None = None
    patient: PatientBody | None = None
    patient_id: uuid.UUID | None = None
    sms_consent: ConsentBody | None = None
    enrollment_id: uuid.UUID | None = None
    actor: ActorBody = ActorBody(kind="patient")
    # False when the clinic has no room for another patient (entitlements said so to the caller).
    new_patient_allowed: bool = True


class CancelBody(BaseModel):
    reason: Trimmed = Field(min_length=1, max_length=2000)
    actor: ActorBody


class RescheduleBody(BaseModel):
    start: AwareDatetime
    actor: ActorBody


class ProviderBody(BaseModel):
    provider_id: uuid.UUID
    actor: ActorBody


class ActorOnlyBody(BaseModel):
    actor: ActorBody = BY_STAFF


def _consent(body: ConsentBody | None) -> tuple[bool, str] | None:
    return (body.given, body.text_version) if body else None


# -- patients ---------------------------------------------------------------------------------


@blueprint.post(f"{CLINIC}/patients")
@idempotent
def register_patient(clinic_id: uuid.UUID):
    body = json_body(PatientRecordBody)
    patient = patient_cases.register_patient(SqlUnitOfWork(db()), clinic_id, body.details(),
                                             account_id=body.account_id, consent=_consent(body.sms_consent),
                                             actor=body.actor.actor(), now=utcnow())
    return patient_json(patient), 201, {"ETag": etag(patient.version),
                                        "Location": f"/clinics/{clinic_id}/patients/{patient.patient_id}"}


@blueprint.get(f"{CLINIC}/patients")
def list_patients(clinic_id: uuid.UUID):
    errors: list[FieldError] = []
    limit = page_limit(errors, default=DEFAULT_PAGE, most=MAX_PAGE)
    after = _uuid_cursor(errors)
    account_id = _id_arg("account_id", errors)
    query = request.args.get("query", "").strip()
    if len(query) > 200:
        errors.append(FieldError("query", "at most 200 characters"))
    if has_control_characters(query):
        errors.append(FieldError("query", "must not contain control characters"))
    if errors:
        raise validation_problem(errors)
    rows = SqlUnitOfWork(db()).patients.page(clinic_id, query=query or None, account_id=account_id, after=after,
                                              limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"patients": [patient_json(patient) for patient in rows],
            "next_cursor": _encode(rows[-1].patient_id.bytes) if more else None}


@blueprint.get(f"{CLINIC}/patients/<uuid:patient_id>")
def read_patient(clinic_id: uuid.UUID, patient_id: uuid.UUID):
    patient = patient_cases.read_patient(SqlUnitOfWork(db()), clinic_id, patient_id)
    return patient_json(patient), 200, {"ETag": etag(patient.version)}


@blueprint.put(f"{CLINIC}/patients/<uuid:patient_id>")
def change_patient(clinic_id: uuid.UUID, patient_id: uuid.UUID):
    expected = expected_version()
    body = json_body(PatientRecordBody)
    patient = patient_cases.change_patient(SqlUnitOfWork(db()), clinic_id, patient_id, body.details(),
                                           account_id=body.account_id, consent=_consent(body.sms_consent),
                                           expected_version=expected, actor=body.actor.actor(), now=utcnow())
    return patient_json(patient), 200, {"ETag": etag(patient.version)}


@blueprint.post(f"{CLINIC}/patients/<uuid:patient_id>/archive")
def archive_patient(clinic_id: uuid.UUID, patient_id: uuid.UUID):
    body = _optional_body(ActorOnlyBody)
    patient = patient_cases.archive_patient(SqlUnitOfWork(db()), clinic_id, patient_id,
                                            expected_version=_optional_version(), actor=body.actor.actor(),
                                            now=utcnow())
    return patient_json(patient), 200, {"ETag": etag(patient.version)}


def patient_json(patient: Patient) -> dict[str, object]:
    consent = patient.sms_consent
    return {
        "patient_id": str(patient.patient_id), "clinic_id": str(patient.clinic_id),
        "account_id": _str(patient.account_id), "name": patient.name, "email": patient.email,
        "mobile": patient.mobile,
        "sms_consent": {"given": consent.given, "recorded_at": consent.recorded_at.isoformat(),
                        "text_version": consent.text_version} if consent else None,
        "archived": patient.archived, "version": patient.version, "created_at": patient.created_at.isoformat(),
        "updated_at": patient.updated_at.isoformat(),
    }


# -- appointments -----------------------------------------------------------------------------


@blueprint.post(f"{CLINIC}/appointments")
@idempotent
def book(clinic_id: uuid.UUID):
    body = json_body(BookingBody)
    if (body.patient is None) == (body.patient_id is None):
        raise validation_problem([FieldError("patient", "give either the patient's details or a patient_id")])
    settings: Settings = current_app.config["settings"]
    try:
        appointment = use_cases.book(SqlUnitOfWork(db()), use_cases.Booking(
            clinic_id=clinic_id, service_id=body.service_id, start=body.start, actor=body.actor.actor(),
            provider_id=body.provider_id, calendar_id=body.calendar_id, patient_id=body.patient_id,
            patient=body.patient.details() if body.patient else None, sms_consent=_consent(body.sms_consent),
            enrollment_id=body.enrollment_id, appointment_id=body.appointment_id,
            new_patient_allowed=body.new_patient_allowed,
        ), hold=timedelta(minutes=settings.hold_minutes), now=utcnow())
    except use_cases.RetriedBooking as retried:
        db().rollback()
        appointment = retried.appointment
    return _created(appointment)


@blueprint.get(APPOINTMENT)
def read_appointment(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    appointment = use_cases.read_appointment(SqlUnitOfWork(db()), clinic_id, appointment_id)
    return _ok(appointment)


@blueprint.get(f"{CLINIC}/appointments")
def list_appointments(clinic_id: uuid.UUID):
    uow = SqlUnitOfWork(db())
    errors: list[FieldError] = []
    limit = page_limit(errors, default=DEFAULT_PAGE, most=MAX_PAGE)
    after = _time_cursor(errors)
    ids = {name: _id_arg(name, errors) for name in ("service_id", "provider_id", "patient_id")}
    statuses = tuple(status for status in request.args.get("status", "").split(",") if status)
    errors.extend(FieldError("status", f"{status!r} is not one of {', '.join(STATUSES)}")
                  for status in statuses if status not in STATUSES)
    clinic = uow.clinics.get(clinic_id)
    tz = request.args.get("tz") or (clinic.timezone if clinic else "UTC")
    if not is_time_zone(tz):
        errors.append(FieldError("tz", f"{tz!r} is not an IANA time zone"))
        tz = "UTC"
    start_from = _bound("from", tz, errors, day_end=False)
    start_before = _bound("to", tz, errors, day_end=True)
    if errors:
        raise validation_problem(errors)
    rows, more = use_cases.list_appointments(uow, clinic_id, AppointmentFilter(
        start_from=start_from, start_before=start_before, statuses=statuses, **ids), after=after, limit=limit)
    cursor = _next_time_cursor(rows[-1].start, rows[-1].appointment_id) if more else None
    return {"appointments": [appointment_json(appointment) for appointment in rows], "next_cursor": cursor}


@blueprint.post(f"{APPOINTMENT}/cancel")
@idempotent
def cancel(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    version = _optional_version()
    body = json_body(CancelBody)
    appointment = use_cases.cancel(SqlUnitOfWork(db()), clinic_id, appointment_id, reason=body.reason,
                                   actor=body.actor.actor(), expected_version=version, now=utcnow())
    return _ok(appointment)


@blueprint.post(f"{APPOINTMENT}/reschedule")
@idempotent
def reschedule(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    version = _optional_version()
    body = json_body(RescheduleBody)
    _, new = use_cases.reschedule(SqlUnitOfWork(db()), clinic_id, appointment_id, start=body.start,
                                  actor=body.actor.actor(), expected_version=version, now=utcnow())
    return _created(new)


@blueprint.post(f"{APPOINTMENT}/provider")
@idempotent
def change_provider(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    version = _optional_version()
    body = json_body(ProviderBody)
    appointment = use_cases.change_provider(SqlUnitOfWork(db()), clinic_id, appointment_id,
                                            provider_id=body.provider_id, actor=body.actor.actor(),
                                            expected_version=version, now=utcnow())
    return _ok(appointment)


@blueprint.post(f"{APPOINTMENT}/complete")
@idempotent
def complete(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    return _staff_command(use_cases.complete, clinic_id, appointment_id)


@blueprint.post(f"{APPOINTMENT}/no-show")
@idempotent
def no_show(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    return _staff_command(use_cases.no_show, clinic_id, appointment_id)


@blueprint.post(f"{APPOINTMENT}/settle")
@idempotent
def settle(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    return _staff_command(use_cases.settle_without_payment, clinic_id, appointment_id)


def _staff_command(use_case, clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    """A command whose body is only an optional actor (staff by default)."""
    version = _optional_version()
    appointment = use_case(SqlUnitOfWork(db()), clinic_id, appointment_id,
                           actor=_optional_body(ActorOnlyBody).actor.actor(), expected_version=version, now=utcnow())
    return _ok(appointment)


def appointment_json(appointment: Appointment) -> dict[str, object]:
    a = appointment
    video = a.video
    return {
        "appointment_id": str(a.appointment_id), "clinic_id": str(a.clinic_id), "status": a.status,
        "start": a.start.isoformat(), "end": a.end.isoformat(), "timezone": a.timezone,
        "hold_expires_at": _instant(a.hold_expires_at) if a.status == "pending_payment" else None,
        "service_id": str(a.service_id), "provider_id": str(a.provider_id), "patient_id": str(a.patient_id),
        "calendar_id": _str(a.calendar_id), "location_id": _str(a.location_id),
        "price": {"amount_minor": a.price.amount_minor, "currency": a.price.currency},
        "enrollment_id": _str(a.enrollment_id), "payment_id": _str(a.payment_id),
        "rescheduled_from": _str(a.rescheduled_from), "rescheduled_to": _str(a.rescheduled_to),
        "confirmed_at": _instant(a.confirmed_at),
        "video": {"provider": video.provider, "meeting_id": video.meeting_id, "join_url": video.join_url,
                  "host_url": video.host_url} if video else None,
        "cancellation": {"reason": a.cancellation_reason, "actor": _actor(a.canceled_by),
                         "within_policy": a.canceled_within_policy} if a.status == "canceled" else None,
        "expired_reason": a.expired_reason, "booked_by": _actor(a.booked_by), "sms_consent": a.sms_consent,
        "version": a.version, "created_at": a.created_at.isoformat(), "updated_at": a.updated_at.isoformat(),
    }


def _ok(appointment: Appointment):
    return appointment_json(appointment), 200, {"ETag": etag(appointment.version)}


def _created(appointment: Appointment):
    return appointment_json(appointment), 201, {
        "ETag": etag(appointment.version),
        "Location": f"/clinics/{appointment.clinic_id}/appointments/{appointment.appointment_id}"}


# -- audit ------------------------------------------------------------------------------------


@blueprint.get(f"{CLINIC}/audit")
def read_audit(clinic_id: uuid.UUID):
    errors: list[FieldError] = []
    ids = {name: _id_arg(name, errors) for name in ("appointment_id", "patient_id", "provider_id")}
    limit = page_limit(errors, default=DEFAULT_PAGE, most=MAX_PAGE)
    after = _time_cursor(errors)
    if errors:
        raise validation_problem(errors)
    entries = SqlUnitOfWork(db()).appointments.audit(clinic_id, **ids, after=after, limit=limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    cursor = _next_time_cursor(entries[-1].occurred_at, entries[-1].entry_id) if more else None
    return {"entries": [_entry(entry) for entry in entries], "next_cursor": cursor}


def _entry(entry: AuditEntry) -> dict[str, object]:
    return {"entry_id": str(entry.entry_id), "appointment_id": _str(entry.appointment_id),
            "patient_id": _str(entry.patient_id), "provider_id": _str(entry.provider_id),
            "actor": _actor(entry.actor), "action": entry.action,
            "before": entry.before, "after": entry.after, "occurred_at": entry.occurred_at.isoformat()}


# -- parameters -------------------------------------------------------------------------------


def _optional_version() -> int | None:
    return expected_version() if "If-Match" in request.headers else None


def _optional_body(model):
    return json_body(model) if request.get_data() else model()


def _id_arg(name: str, errors: list[FieldError]) -> uuid.UUID | None:
    if name not in request.args:
        return None
    try:
        return uuid.UUID(request.args[name])
    except ValueError:
        errors.append(FieldError(name, "must be an id (a UUID)"))
        return None


def _bound(name: str, tz: str, errors: list[FieldError], *, day_end: bool) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        if DAY.fullmatch(value):
            day = date.fromisoformat(value) + timedelta(days=1 if day_end else 0)
            return datetime.combine(day, time(), zone(tz)).astimezone(UTC)
        instant = datetime.fromisoformat(value)
        if instant.tzinfo is not None:
            return instant.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: a day past 9999-12-31 or before year 1 in UTC
        pass
    errors.append(FieldError(name, "must be a day YYYY-MM-DD or an instant with its offset (RFC 3339)"))
    return None


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        return None


def _next_time_cursor(instant: datetime, row_id: uuid.UUID) -> str:
    """The cursor `_time_cursor` reads back: the last row's time and id."""
    return _encode(f"{instant.isoformat()}|{row_id}".encode())


def _uuid_cursor(errors: list[FieldError]) -> uuid.UUID | None:
    if "cursor" not in request.args:
        return None
    raw = _decode(request.args["cursor"])
    if raw is None or len(raw) != 16:
        errors.append(FieldError("cursor", "send the next_cursor of the previous page as it was given"))
        return None
    return uuid.UUID(bytes=raw)


def _time_cursor(errors: list[FieldError]) -> tuple[datetime, uuid.UUID] | None:
    if "cursor" not in request.args:
        return None
    raw = _decode(request.args["cursor"])
    try:
        start, appointment_id = raw.decode().split("|")
        instant = datetime.fromisoformat(start)
        if instant.tzinfo is not None:  # a start without its offset cannot be compared with stored ones
            return instant.astimezone(UTC), uuid.UUID(appointment_id)
    except (AttributeError, UnicodeDecodeError, ValueError, OverflowError):
        pass
    errors.append(FieldError("cursor", "send the next_cursor of the previous page as it was given"))
    return None


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def _instant(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _actor(actor: Actor | None) -> dict[str, object] | None:
    return {"kind": actor.kind, "account_id": _str(actor.account_id)} if actor else None
