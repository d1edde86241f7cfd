"""Keeping the read models patient care needs from other services' events: the clinic's
patients (scheduling) and service plans (catalog). Newest version wins, whatever the order of
arrival; an older or repeated snapshot changes nothing."""

from __future__ import annotations

from entitlements.domain.care_patients import PatientRecord
from entitlements.domain.service_plans import ServicePlan
from entitlements.service_layer.care_unit_of_work import CareUnitOfWork


def record_patient(uow: CareUnitOfWork, patient: PatientRecord) -> bool:
    return uow.patients.record(patient)


def record_service_plan(uow: CareUnitOfWork, plan: ServicePlan) -> bool:
    return uow.service_plans.record(plan)
