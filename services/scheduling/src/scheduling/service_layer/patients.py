"""A clinic's patients: register, change, archive, find.

- Contact details follow scheduling.domain.patients (Invalid with every broken rule otherwise);
  numbers without a country prefix are read in the clinic's country (its locale's region).
- Every change publishes `scheduling.patient.upserted.v1` (archiving: `.archived.v1`) with the
  new version; a change that changes nothing publishes nothing.
- A change by staff (or a specialist) goes into the audit trail with before and after.
- A booking names its patient by id or by contact details. By contact details, who books decides
  (nobody may take over a record they have not proved is theirs):
  - a signed-in patient (actor `patient` with an account_id) books for the record linked to their
    account (its mobile and consent updated from the booking); with none linked, a NEW record
    linked to the account is registered: an unlinked record with the same name and email is
    never linked to the account, nor changed;
  - a guest (no account) whose details match a patient of the clinic (same email and name,
    ignoring case; not archived) books for that patient WITHOUT changing anything on the record
    (mobile, consent, account): the request is unverified; otherwise a new patient is registered;
  - staff (or a specialist) booking for a matching patient updates the mobile number and consent
    given with the booking, as they may edit the record anyway.
  Bookings by the same account (or, without one, the same email) wait for each other from the
  lookup until the first's transaction ends, so two at once never register the person twice.
  A new patient is refused when the caller said the clinic has no room for another (its plan's
  patient limit, which entitlements keeps): the booking is a Conflict `new-patient-not-allowed`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from clinic_contracts import uuid7
from clinic_contracts.events import scheduling as events
from clinic_runtime.refusals import Conflict, Invalid, NotFound, StaleVersion
from scheduling.adapters.appointments import AuditEntry
from scheduling.domain.appointments import Actor
from scheduling.domain.errors import RuleBroken
from scheduling.domain.patients import (
    Contact,
    Patient,
    check_consent,
    check_contact,
    new_patient,
    region_of,
    same_person,
)
from scheduling.service_layer import audit
from scheduling.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PatientDetails:
    name: str
    email: str
    mobile: str | None


def contact_of(uow: UnitOfWork, clinic_id: uuid.UUID, details: PatientDetails, prefix: str = "") -> Contact:
    clinic = uow.clinics.get(clinic_id)
    checked, problems = check_contact(details.name, details.email, details.mobile,
                                      region=region_of(clinic.locale if clinic else None), prefix=prefix)
    if problems:
        raise Invalid(problems)
    return checked


def _check_consent(consent: tuple[bool, str] | None) -> tuple[bool, str] | None:
    """The consent as kept (its wording version trimmed); Invalid when it breaks a rule."""
    if problems := check_consent(consent):
        raise Invalid(problems)
    return (consent[0], consent[1].strip()) if consent is not None else None


def register_patient(uow: UnitOfWork, clinic_id: uuid.UUID, details: PatientDetails, *,
                     account_id: uuid.UUID | None, consent: tuple[bool, str] | None, actor: Actor,
                     now: datetime) -> Patient:
    consent = _check_consent(consent)
    patient = new_patient(clinic_id, uuid7(), contact_of(uow, clinic_id, details), account_id=account_id,
                          consent=consent, now=now)
    uow.patients.add(patient)
    _announce(uow, None, patient, actor, now)
    return patient


def change_patient(uow: UnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID, details: PatientDetails, *,
                   account_id: uuid.UUID | None, consent: tuple[bool, str] | None, expected_version: int,
                   actor: Actor, now: datetime) -> Patient:
    consent = _check_consent(consent)
    held = _held(uow, clinic_id, patient_id)
    if held.version != expected_version:
        raise StaleVersion(held.version)
    if held.archived:
        raise Invalid([RuleBroken("patient", "the patient is archived: their details no longer change")])
    changed = held.changed(contact_of(uow, clinic_id, details), account_id=account_id, consent=consent, now=now)
    return _store(uow, held, changed, actor, now)


def archive_patient(uow: UnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID, *, expected_version: int | None,
                    actor: Actor, now: datetime) -> Patient:
    held = _held(uow, clinic_id, patient_id)
    if expected_version is not None and held.version != expected_version:
        raise StaleVersion(held.version)
    return _store(uow, held, held.archive(now), actor, now)


def read_patient(uow: UnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient:
    patient = uow.patients.get(clinic_id, patient_id)
    if patient is None:
        raise NotFound("patient")
    return patient


def patient_for_booking(uow: UnitOfWork, clinic_id: uuid.UUID, *, patient_id: uuid.UUID | None,
                        details: PatientDetails | None, consent: tuple[bool, str] | None, actor: Actor,
                        now: datetime, new_patient_allowed: bool = True) -> Patient:
    """The patient a booking is for (see the module's docstring)."""
    consent = _check_consent(consent)
    if patient_id is not None:
        held = uow.patients.held_for_change(clinic_id, patient_id)
        if held is None:
            raise NotFound("patient")
        if held.archived:
            raise Invalid([RuleBroken("patient_id", "the patient is archived: book for an active patient")])
        if consent is None:
            return held
        return _store(uow, held, held.changed(_contact(held), account_id=None, consent=consent, now=now), actor, now)
    if details is None:
        raise Invalid([RuleBroken("patient", "give the patient's name, email and mobile, or a patient_id")])
    wanted = contact_of(uow, clinic_id, details, prefix="patient.")
    if actor.kind == "patient" and actor.account_id is not None:
        uow.patients.hold_registration(clinic_id, account_id=actor.account_id)
        return _own_record(uow, clinic_id, wanted, consent=consent, actor=actor, now=now,
                           new_patient_allowed=new_patient_allowed)
    uow.patients.hold_registration(clinic_id, email=wanted.email)
    for known in uow.patients.with_email(clinic_id, wanted.email):
        if same_person(known, wanted):
            if actor.kind in audit.AUDITED:
                held = uow.patients.held_for_change(clinic_id, known.patient_id) or known
                changed = held.changed(Contact(held.name, held.email, wanted.mobile or held.mobile),
                                       account_id=None, consent=consent, now=now)
                return _store(uow, held, changed, actor, now)
            # An unverified request (a guest's) books for the record it names, but edits none of it.
            return known
    return _register_for_booking(uow, clinic_id, wanted, account_id=None, consent=consent, actor=actor, now=now,
                                 new_patient_allowed=new_patient_allowed)


def _own_record(uow: UnitOfWork, clinic_id: uuid.UUID, wanted: Contact, *, consent: tuple[bool, str] | None,
                actor: Actor, now: datetime, new_patient_allowed: bool) -> Patient:
    """A signed-in patient books for the record linked to their account, or a new one linked to it:
    never for an unlinked record found by name and email (that would hand someone's record over)."""
    linked = [patient for patient in uow.patients.page(clinic_id, query=None, account_id=actor.account_id,
                                                       after=None, limit=10) if not patient.archived]
    if not linked:
        return _register_for_booking(uow, clinic_id, wanted, account_id=actor.account_id, consent=consent,
                                     actor=actor, now=now, new_patient_allowed=new_patient_allowed)
    held = uow.patients.held_for_change(clinic_id, linked[0].patient_id) or linked[0]
    changed = held.changed(Contact(held.name, held.email, wanted.mobile or held.mobile), account_id=None,
                           consent=consent, now=now)
    return _store(uow, held, changed, actor, now)


def _register_for_booking(uow: UnitOfWork, clinic_id: uuid.UUID, wanted: Contact, *, account_id: uuid.UUID | None,
                          consent: tuple[bool, str] | None, actor: Actor, now: datetime,
                          new_patient_allowed: bool) -> Patient:
    if not new_patient_allowed:
        raise Conflict("new-patient-not-allowed", "the clinic has no room for another patient under its plan")
    return register_patient(uow, clinic_id, PatientDetails(wanted.name, wanted.email, wanted.mobile),
                            account_id=account_id, consent=consent, actor=actor, now=now)


def patient_event(patient: Patient) -> events.PatientSnapshot:
    model = events.PatientArchivedV1 if patient.archived else events.PatientUpsertedV1
    consent = patient.sms_consent
    return model(
        clinic_id=patient.clinic_id, patient_id=patient.patient_id, account_id=patient.account_id,
        name=patient.name, email=patient.email, mobile=patient.mobile,
        sms_consent=events.SmsConsent(given=consent.given, recorded_at=consent.recorded_at,
                                      text_version=consent.text_version) if consent else None,
        version=patient.version, archived=patient.archived, updated_at=patient.updated_at,
    )


def audit_view(patient: Patient) -> dict[str, object]:
    consent = patient.sms_consent
    return {"name": patient.name, "email": patient.email, "mobile": patient.mobile,
            "account_id": str(patient.account_id) if patient.account_id else None,
            "sms_consent": {"given": consent.given, "recorded_at": consent.recorded_at.isoformat(),
                            "text_version": consent.text_version} if consent else None,
            "archived": patient.archived, "version": patient.version}


def _contact(patient: Patient) -> Contact:
    return Contact(patient.name, patient.email, patient.mobile)


def _held(uow: UnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient:
    held = uow.patients.held_for_change(clinic_id, patient_id)
    if held is None:
        raise NotFound("patient")
    return held


def _store(uow: UnitOfWork, held: Patient, changed: Patient, actor: Actor, now: datetime) -> Patient:
    if changed is held:
        return held
    uow.patients.save(changed)
    _announce(uow, held, changed, actor, now)
    return changed


def _announce(uow: UnitOfWork, before: Patient | None, after: Patient, actor: Actor, now: datetime) -> None:
    uow.publish(patient_event(after), clinic_id=after.clinic_id)
    action = "patient.registered" if before is None else "patient.archived" if after.archived else "patient.changed"
    audit.record(uow, actor, lambda: AuditEntry(after.clinic_id, uuid7(), None, after.patient_id, actor, action,
                                                audit_view(before) if before else None, audit_view(after), now))
