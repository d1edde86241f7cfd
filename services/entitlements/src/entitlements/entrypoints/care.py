"""Entitlements's internal API of patient care: the clinic's patient tiers, the tier each patient
is on, service-plan enrollments and the session reservations bookings make. The gateway calls it;
writes name the acting account in `X-Actor-Id` (absent: the platform itself).

Every route is under `/clinics/<clinic_id>`. Times are RFC 3339 with offset; errors are RFC 9457
problems (`type` https://problems.clinic-platform.dev/<kind>).

Tiers (versioned: `ETag` is the version, changes need `If-Match`)
    GET  /tiers                        -> 200 {"tiers": [Tier]}
    POST /tiers          TierBody      -> 201 Tier  (Idempotency-Key honoured; 409 tier-exists; 422 bad fields)
    GET  /tiers/<key>                  -> 200 Tier  (404)
    PUT  /tiers/<key>    TierTerms     -> 200 Tier  (412 stale-version, 409 tier-archived, 428 without If-Match)
    POST /tiers/<key>/archive          -> 200 Tier  (409 tier-in-use while patients are on it)
  TierTerms = {"name", "role_key" (patient, or a live clinic role granting only what a patient may
      hold: the patient role's grants, library and telerehab access), "period": {"count" (up to 100
      years), "unit": day|week|month|year}, "price": {"amount_minor" (0..2^63-1), "currency"} | null
      (informational),
      "inclusions": [{"plan_id" (catalog service plan), "sessions" (per period),
      "on_renewal": "drop" (default, use it or lose it) | "carry",
      "on_upgrade": "full" (default) | "prorated"}]}
  TierBody = TierTerms + {"key"}
  Tier = TierBody + {"version", "archived", "updated_at"}

A patient's tier (patient_id is scheduling's patient id)
    PUT /patients/<patient_id>/tier  {"tier_key": str | null}
        -> 200 {"patient_id", "tier": Membership | null, "granted": [Enrollment]}
        null cancels the tier (its enrollments end softly). Moving to another tier expires the old
        tier's enrollments and grants the new tier's inclusions; back on a tier within a period it
        was granted for, that grant is restored as it was. 404 (type not-found) unknown tier, or a
        patient the clinic does not have or archived (one registered moments ago: retry),
        409 tier-archived, 409 tier-change-conflict when changed concurrently.
  Membership = {"tier_key", "tier_name", "role_key", "period_start", "period_end", "since"}

A patient's care (their own view, and the gateway's patient view by login)
    GET /patients/<patient_id>/care              -> 200 Care
    GET /patients/by-account/<account_id>/care   -> 200 Care (404 when no patient of the clinic has that login)
  Care = {"patient_id", "tier": Membership | null, "enrollments": [Enrollment] (newest first),
          "access": [{"grant": "telerehab" | "library", "until": time | null}] (open now)}

Enrollments
    POST /enrollments  {"patient_id", "plan_id"} -> 201 Enrollment (a direct purchase; Idempotency-Key
         honoured; 422 when plan_id is not a live service plan of the clinic; 404 not-found when
         the clinic has no such live patient)
    GET  /enrollments?patient_id=<id>            -> 200 {"enrollments": [Enrollment]}
    GET  /enrollments/<enrollment_id>            -> 200 Enrollment (404)
    POST /enrollments/<enrollment_id>/cancel     -> 200 Enrollment (409 enrollment-ended)
  Enrollment = {"enrollment_id", "patient_id", "plan_id", "plan_name", "source": purchase|tier,
      "tier_key", "service_ids", "access_grants", "sessions_granted", "sessions_reserved",
      "sessions_used", "sessions_remaining", "starts_at", "sessions_until", "access_until",
      "status": active|expired|canceled, "ended_at", "created_at", "version"}

Reservations (one per visit, under the appointment it was booked as: a rescheduled visit's
reservation stays under its first appointment's id)
    POST /enrollments/<enrollment_id>/reservations  {"appointment_id", "patient_id", "service_id" (optional)}
        -> 201 Reservation; the same again for the same appointment -> 200 (unchanged) while it is
        reserved or committed; once released, a session is taken again (201, a new expires_at)
        404 unknown enrollment; 409 no-sessions-left; 409 enrollment-not-usable ("reason": other_patient,
        ended, not_started, sessions_expired, other_service); 409 reserved-elsewhere
    GET  /reservations/<appointment_id>          -> 200 Reservation (404)
    POST /reservations/<appointment_id>/release  -> 200 Reservation (status released; the same again -> 200;
         404 when none; 409 reservation-committed once the appointment was paid: cancel it instead)
  Reservation = {"reservation_id", "enrollment_id", "appointment_id", "patient_id",
                 "status": reserved|committed|released, "expires_at"}
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, request
from pydantic import BaseModel, Field

from clinic_runtime.db import utcnow
from clinic_runtime.problems import FieldError, Problem, conflict, not_found, validation_problem
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body
from entitlements.domain.enrollments import Enrollment, ReleaseReason, Reservation, ReservationStatus
from entitlements.domain.plans import Money
from entitlements.domain.service_plans import PeriodUnit, PlanPeriod
from entitlements.domain.tiers import Inclusion, OnRenewal, OnUpgrade, Tier, TierArchived, TierTerms
from entitlements.entrypoints.actors import acting_account
from entitlements.service_layer import care, tiers
from entitlements.service_layer import enrollments as enrollment_cases
from entitlements.service_layer.care_unit_of_work import SqlCareUnitOfWork

patient_care = Blueprint("patient_care", __name__, url_prefix="/clinics/<uuid:clinic_id>")


# -- tiers ----------------------------------------------------------------------------------------


class PeriodBody(BaseModel):
    count: int
    unit: PeriodUnit


class PriceBody(BaseModel):
    amount_minor: int
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class InclusionBody(BaseModel):
    plan_id: uuid.UUID
    sessions: int
    on_renewal: OnRenewal = OnRenewal.DROP
    on_upgrade: OnUpgrade = OnUpgrade.FULL


class TierTermsBody(BaseModel):
    name: str
    role_key: str
    period: PeriodBody
    price: PriceBody | None = None
    inclusions: list[InclusionBody] = Field(default_factory=list)

    def terms(self) -> TierTerms:
        price = None if self.price is None else Money(self.price.amount_minor, self.price.currency)
        return TierTerms(self.name, self.role_key, PlanPeriod(self.period.count, self.period.unit), price,
                         tuple(Inclusion(i.plan_id, i.sessions, i.on_renewal, i.on_upgrade) for i in self.inclusions))


class TierBody(TierTermsBody):
    key: str


@patient_care.get("/tiers")
def list_tiers(clinic_id: uuid.UUID):
    return {"tiers": [_tier(t) for t in SqlCareUnitOfWork(db()).tiers.list(clinic_id)]}


@patient_care.post("/tiers")
@idempotent
def create_tier(clinic_id: uuid.UUID):
    actor = acting_account()
    body = json_body(TierBody)
    with _refusals_as_problems():
        tier = tiers.create_tier(SqlCareUnitOfWork(db()), clinic_id, body.key, body.terms(), actor, utcnow())
    return _tier(tier), 201, {"Location": f"/clinics/{clinic_id}/tiers/{tier.key}", "ETag": etag(tier.version)}


@patient_care.get("/tiers/<key>")
def read_tier(clinic_id: uuid.UUID, key: str):
    with _refusals_as_problems():
        tier = tiers.existing_tier(SqlCareUnitOfWork(db()), clinic_id, key)
    return _tier(tier), 200, {"ETag": etag(tier.version)}


@patient_care.put("/tiers/<key>")
def change_tier(clinic_id: uuid.UUID, key: str):
    expected = expected_version()
    actor = acting_account()
    body = json_body(TierTermsBody)
    with _refusals_as_problems():
        tier = tiers.change_tier(SqlCareUnitOfWork(db()), clinic_id, key, body.terms(), expected, actor, utcnow())
    return _tier(tier), 200, {"ETag": etag(tier.version)}


@patient_care.post("/tiers/<key>/archive")
def archive_tier(clinic_id: uuid.UUID, key: str):
    expected = expected_version()
    actor = acting_account()
    with _refusals_as_problems():
        tier = tiers.archive_tier(SqlCareUnitOfWork(db()), clinic_id, key, expected, actor, utcnow())
    return _tier(tier), 200, {"ETag": etag(tier.version)}


# -- a patient's tier and care --------------------------------------------------------------------


class PatientTierBody(BaseModel):
    tier_key: str | None


@patient_care.put("/patients/<uuid:patient_id>/tier")
def set_patient_tier(clinic_id: uuid.UUID, patient_id: uuid.UUID):
    actor = acting_account()
    body = json_body(PatientTierBody)
    with _refusals_as_problems():
        change = tiers.set_patient_tier(SqlCareUnitOfWork(db()), clinic_id, patient_id, body.tier_key, actor,
                                        utcnow())
    membership = None
    if change.membership is not None and change.tier is not None:
        membership = care.MembershipView(change.membership, change.tier)
    return {"patient_id": str(patient_id), "tier": _membership(membership),
            "granted": [_enrollment(e) for e in change.granted]}


@patient_care.get("/patients/<uuid:patient_id>/care")
def patient_care_view(clinic_id: uuid.UUID, patient_id: uuid.UUID):
    return _care(care.care_of(SqlCareUnitOfWork(db()), clinic_id, patient_id, utcnow()))


@patient_care.get("/patients/by-account/<uuid:account_id>/care")
def account_care_view(clinic_id: uuid.UUID, account_id: uuid.UUID):
    uow = SqlCareUnitOfWork(db())
    patient = uow.patients.by_account(clinic_id, account_id)
    if patient is None:
        raise not_found("patient of this clinic with that account")
    return _care(care.care_of(uow, clinic_id, patient.patient_id, utcnow()))


# -- enrollments ----------------------------------------------------------------------------------


class EnrollmentBody(BaseModel):
    patient_id: uuid.UUID
    plan_id: uuid.UUID


@patient_care.post("/enrollments")
@idempotent
def enroll(clinic_id: uuid.UUID):
    actor = acting_account()
    body = json_body(EnrollmentBody)
    with _refusals_as_problems():
        enrollment = enrollment_cases.enroll_patient(SqlCareUnitOfWork(db()), clinic_id, body.patient_id,
                                                     body.plan_id, actor, utcnow())
    return _enrollment(enrollment), 201, {"Location": f"/clinics/{clinic_id}/enrollments/{enrollment.id}",
                                          "ETag": etag(enrollment.version)}


@patient_care.get("/enrollments")
def list_enrollments(clinic_id: uuid.UUID):
    try:
        patient_id = uuid.UUID(request.args.get("patient_id", ""))
    except ValueError:
        raise validation_problem([FieldError("patient_id", "name the patient, a UUID")]) from None
    held = SqlCareUnitOfWork(db()).enrollments.of_patient(clinic_id, patient_id)
    return {"enrollments": [_enrollment(e) for e in reversed(held)]}


@patient_care.get("/enrollments/<uuid:enrollment_id>")
def read_enrollment(clinic_id: uuid.UUID, enrollment_id: uuid.UUID):
    with _refusals_as_problems():
        enrollment = enrollment_cases.existing_enrollment(SqlCareUnitOfWork(db()), clinic_id, enrollment_id)
    return _enrollment(enrollment), 200, {"ETag": etag(enrollment.version)}


@patient_care.post("/enrollments/<uuid:enrollment_id>/cancel")
def cancel_enrollment(clinic_id: uuid.UUID, enrollment_id: uuid.UUID):
    actor = acting_account()
    with _refusals_as_problems():
        enrollment = enrollment_cases.cancel_enrollment(SqlCareUnitOfWork(db()), clinic_id, enrollment_id, actor,
                                                        utcnow())
    return _enrollment(enrollment), 200, {"ETag": etag(enrollment.version)}


# -- reservations ---------------------------------------------------------------------------------


class ReservationBody(BaseModel):
    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    service_id: uuid.UUID | None = None


@patient_care.post("/enrollments/<uuid:enrollment_id>/reservations")
def reserve(clinic_id: uuid.UUID, enrollment_id: uuid.UUID):
    body = json_body(ReservationBody)
    hold = timedelta(minutes=current_app.config["settings"].reservation_expiry_minutes)
    with _refusals_as_problems():
        reservation, new = enrollment_cases.reserve(SqlCareUnitOfWork(db()), clinic_id, enrollment_id,
                                                    body.appointment_id, body.patient_id, body.service_id,
                                                    utcnow(), hold)
    return _reservation(reservation), 201 if new else 200


@patient_care.get("/reservations/<uuid:appointment_id>")
def read_reservation(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    reservation = SqlCareUnitOfWork(db()).reservations.get(clinic_id, appointment_id)
    if reservation is None:
        raise not_found("reservation for this appointment")
    return _reservation(reservation)


@patient_care.post("/reservations/<uuid:appointment_id>/release")
def release(clinic_id: uuid.UUID, appointment_id: uuid.UUID):
    uow = SqlCareUnitOfWork(db())
    held = uow.reservations.get(clinic_id, appointment_id)
    if held is None:
        raise not_found("reservation for this appointment")
    if held.status is ReservationStatus.COMMITTED:
        # A paid appointment gives its session back only by being cancelled (at scheduling).
        raise conflict("reservation-committed", "The appointment was paid; cancel it to give the session back.")
    enrollment_cases.release(uow, clinic_id, appointment_id, ReleaseReason.UNDONE, utcnow())
    return _reservation(uow.reservations.get(clinic_id, appointment_id))  # type: ignore[arg-type]


# -- problems -------------------------------------------------------------------------------------


@contextmanager
def _refusals_as_problems() -> Iterator[None]:
    try:
        yield
    except TierArchived as archived:
        raise conflict("tier-archived", f"Tier {archived} is archived: it no longer changes or takes patients.") \
            from None
    except tiers.TierInUse as in_use:
        raise conflict("tier-in-use", f"{in_use.members} patient(s) are on this tier; move them first.") from None
    except tiers.ConcurrentTierChange:
        raise conflict("tier-change-conflict", "The patient's tier was changed at the same time; read it again.") \
            from None
    except enrollment_cases.UnknownPatient:
        raise Problem(404, "not-found", "Not found.",
                      "No patient with this id here (or the patient is archived). A patient registered moments ago "
                      "may not have reached entitlements yet: retry shortly.") from None
    except enrollment_cases.EnrollmentEnded as ended:
        raise conflict("enrollment-ended", f"The enrollment is already {ended.enrollment.status}.") from None
    except enrollment_cases.NoSessionsLeft as empty:
        raise Problem(409, "no-sessions-left", "No session left.",
                      "Every session of this enrollment is used or held by another booking.",
                      extensions={"enrollment_id": str(empty.enrollment.id),
                                  "sessions_granted": empty.enrollment.sessions_granted}) from None
    except enrollment_cases.EnrollmentNotUsable as refused:
        raise Problem(409, "enrollment-not-usable", "This enrollment cannot be used for this booking.",
                      _NOT_USABLE[refused.reason], extensions={"reason": str(refused.reason)}) from None
    except enrollment_cases.ReservedElsewhere:
        raise conflict("reserved-elsewhere", "The appointment already holds a session of another enrollment.") \
            from None


_NOT_USABLE = {
    "other_patient": "The enrollment belongs to another patient.",
    "ended": "The enrollment has ended (expired or cancelled); its leftover sessions cannot be used.",
    "not_started": "The enrollment has not started yet.",
    "sessions_expired": "The enrollment's sessions have lapsed.",
    "other_service": "The enrollment does not cover this service.",
}


# -- representations ------------------------------------------------------------------------------


def _time(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def _tier(tier: Tier) -> dict[str, Any]:
    return {**tiers.tier_state(tier), "updated_at": _time(tier.updated_at)}


def _membership(view: care.MembershipView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    membership = view.membership
    return {"tier_key": membership.tier_key, "tier_name": view.tier.terms.name,
            "role_key": view.tier.terms.role_key, "period_start": _time(membership.period_start),
            "period_end": _time(membership.period_end), "since": _time(membership.since)}


def _enrollment(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "enrollment_id": str(enrollment.id), "patient_id": str(enrollment.patient_id),
        "plan_id": str(enrollment.plan_id), "plan_name": enrollment.plan_name, "source": str(enrollment.source),
        "tier_key": enrollment.tier_key, "service_ids": [str(s) for s in enrollment.service_ids],
        "access_grants": [str(g) for g in enrollment.access_grants],
        "sessions_granted": enrollment.sessions_granted, "sessions_reserved": enrollment.sessions_reserved,
        "sessions_used": enrollment.sessions_used, "sessions_remaining": enrollment.sessions_remaining,
        "starts_at": _time(enrollment.starts_at), "sessions_until": _time(enrollment.sessions_until),
        "access_until": _time(enrollment.access_until), "status": str(enrollment.status),
        "ended_at": _time(enrollment.ended_at), "created_at": _time(enrollment.created_at),
        "version": enrollment.version,
    }


def _reservation(reservation: Reservation) -> dict[str, Any]:
    return {"reservation_id": str(reservation.id), "enrollment_id": str(reservation.enrollment_id),
            "appointment_id": str(reservation.appointment_id), "patient_id": str(reservation.patient_id),
            "status": str(reservation.status), "expires_at": _time(reservation.expires_at)}


def _care(view: care.CareView) -> dict[str, Any]:
    return {"patient_id": str(view.patient_id), "tier": _membership(view.membership),
            "enrollments": [_enrollment(e) for e in view.enrollments],
            "access": [{"grant": str(grant), "until": _time(until)} for grant, until in view.access]}
