"""The events entitlements consumes (its queue is `<namespace>.entitlements`).

Each handler maps only the fields entitlements keeps: producers may add fields at any time.
Snapshots (`.upserted` / `.archived`) are kept by highest version, whatever the order of arrival.
Appointment events settle the enrollment sessions bookings reserved: a confirmation commits,
a reschedule moves the reservation to the new appointment, an expiry or a cancellation releases.
"""

from __future__ import annotations

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


@handlers.on(scheduling.AppointmentConfirmedV1)
def on_appointment_confirmed(session: Session, event: scheduling.AppointmentConfirmedV1, _envelope: Envelope) -> None:
    appointment = event.appointment
    enrollments.commit(SqlCareUnitOfWork(session), event.clinic_id, appointment.appointment_id,
                       appointment.enrollment_id, appointment.patient_id, appointment.service_id,
                       event.occurred_at)


@handlers.on(scheduling.AppointmentRescheduledV1)
def on_appointment_rescheduled(session: Session, event: scheduling.AppointmentRescheduledV1,
                               _envelope: Envelope) -> None:
    appointment = event.appointment
    if appointment.rescheduled_from is not None:
        enrollments.move(SqlCareUnitOfWork(session), event.clinic_id, appointment.rescheduled_from,
                         appointment.appointment_id, event.occurred_at)


@handlers.on(scheduling.AppointmentExpiredV1)
def on_appointment_expired(session: Session, event: scheduling.AppointmentExpiredV1, _envelope: Envelope) -> None:
    enrollments.release(SqlCareUnitOfWork(session), event.clinic_id, event.appointment.appointment_id,
                        ReleaseReason.APPOINTMENT_EXPIRED, event.occurred_at)


@handlers.on(scheduling.AppointmentCanceledV1)
def on_appointment_canceled(session: Session, event: scheduling.AppointmentCanceledV1, _envelope: Envelope) -> None:
    appointment = event.appointment
    enrollments.release(SqlCareUnitOfWork(session), event.clinic_id, appointment.appointment_id,
                        ReleaseReason.APPOINTMENT_CANCELED, event.occurred_at,
                        enrollment_id=appointment.enrollment_id, patient_id=appointment.patient_id)


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
