"""The events entitlements consumes (its queue is `<namespace>.entitlements`).

Each handler maps only the fields entitlements keeps: producers may add fields at any time.
Snapshots (`.upserted` / `.archived`) are kept by highest version, whatever the order of arrival.
Appointment events settle the enrollment sessions bookings reserved, each on the reservation of
the visit (kept under the appointment it was booked as): a payment (`paid`, or `confirmed`)
commits, an expiry or a cancellation releases.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_contracts.events import catalog, scheduling
from clinic_runtime.messaging.consumers import EventHandlers
from entitlements.domain.care_patients import PatientRecord
from entitlements.domain.enrollments import ReleaseReason
from entitlements.domain.service_plans import AccessGrant, PeriodUnit, PlanPeriod, ServicePlan, ServicePlanKind
from entitlements.entrypoints.usage_consumers import register_usage_meters
from entitlements.service_layer import enrollments
from entitlements.service_layer.care_records import record_patient, record_service_plan
from entitlements.service_layer.care_unit_of_work import SqlCareUnitOfWork

handlers = EventHandlers("entitlements")
register_usage_meters(handlers)  # specialists, locations and video minutes (usage meters)


@handlers.on(scheduling.PatientUpsertedV1, scheduling.PatientArchivedV1)
def on_patient(session: Session, event: scheduling.PatientSnapshot, _envelope: Envelope) -> None:
    record_patient(SqlCareUnitOfWork(session), PatientRecord(
        event.clinic_id, event.patient_id, event.account_id, event.version, event.archived))


@handlers.on(catalog.PlanUpsertedV1, catalog.PlanArchivedV1)
def on_service_plan(session: Session, event: catalog.PlanSnapshot, _envelope: Envelope) -> None:
    record_service_plan(SqlCareUnitOfWork(session), service_plan(event))


@handlers.on(scheduling.AppointmentPaidV1, scheduling.AppointmentConfirmedV1)
def on_appointment_paid(session: Session, event: scheduling.AppointmentPaidV1 | scheduling.AppointmentConfirmedV1,
                        _envelope: Envelope) -> None:
    # `paid` comes at once; `confirmed` (after the video meeting) commits too, for appointments
    # paid before `paid` was published, and changes nothing after it.
    appointment = event.appointment
    enrollments.commit(SqlCareUnitOfWork(session), event.clinic_id, booked_as(appointment),
                       appointment.enrollment_id, appointment.patient_id, appointment.service_id,
                       event.occurred_at)


@handlers.on(scheduling.AppointmentRescheduledV1)
def on_appointment_rescheduled(session: Session, event: scheduling.AppointmentRescheduledV1,
                               _envelope: Envelope) -> None:
    appointment = event.appointment
    visit = booked_as(appointment)
    if appointment.rescheduled_from is not None and appointment.rescheduled_from != visit:
        # A reservation kept under the previous appointment of the chain (before scheduling named
        # the first one, reservations moved along the chain) goes on under the visit's key.
        enrollments.move(SqlCareUnitOfWork(session), event.clinic_id, appointment.rescheduled_from, visit,
                         event.occurred_at)


@handlers.on(scheduling.AppointmentExpiredV1)
def on_appointment_expired(session: Session, event: scheduling.AppointmentExpiredV1, _envelope: Envelope) -> None:
    enrollments.release(SqlCareUnitOfWork(session), event.clinic_id, booked_as(event.appointment),
                        ReleaseReason.APPOINTMENT_EXPIRED, event.occurred_at)


@handlers.on(scheduling.AppointmentCanceledV1)
def on_appointment_canceled(session: Session, event: scheduling.AppointmentCanceledV1, _envelope: Envelope) -> None:
    appointment = event.appointment
    enrollments.release(SqlCareUnitOfWork(session), event.clinic_id, booked_as(appointment),
                        ReleaseReason.APPOINTMENT_CANCELED, event.occurred_at,
                        enrollment_id=appointment.enrollment_id, patient_id=appointment.patient_id)


def booked_as(appointment: scheduling.AppointmentSnapshot) -> uuid.UUID:
    """The appointment a visit's reservation is kept under: the one it was booked as, which every
    appointment of its reschedule chain names; the appointment itself when the event names none
    (the appointment as booked, or an event from before scheduling named it)."""
    return appointment.original_appointment_id or appointment.appointment_id


def service_plan(event: catalog.PlanSnapshot) -> ServicePlan:
    return ServicePlan(
        clinic_id=event.clinic_id, plan_id=event.plan_id, name=event.name, kind=ServicePlanKind(event.kind),
        sessions=event.sessions, session_validity=_period(event.session_validity), period=_period(event.period),
        access_window=_period(event.access_window), service_ids=tuple(event.service_ids),
        access_grants=tuple(AccessGrant(g) for g in event.access_grants), version=event.version,
        archived=event.archived,
    )


def _period(period: catalog.Period | None) -> PlanPeriod | None:
    return None if period is None else PlanPeriod(period.count, PeriodUnit(period.unit))
