"""Patient tiers and service-plan enrollments through the gateway, in front of entitlements' real
web app: a clinic's staff define tiers, put patients on them and enrol them in plans under
/v1/admin/clinics/<slug>/; a patient reads their own tier, enrollments and sessions left at
/v1/clinics/<slug>/me/care, and nobody else's.

Entitlements learns the clinic's patients (scheduling's) and service plans (catalog's) from
events; no broker runs here, so each test records them in entitlements' read model directly, as
its consumers would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from clinic_contracts import uuid7
from clinic_runtime.db import transaction
from entitlements.domain.care_patients import PatientRecord
from entitlements.domain.service_plans import PeriodUnit, PlanPeriod, ServicePlan, ServicePlanKind
from entitlements.service_layer.care_records import record_patient, record_service_plan
from entitlements.service_layer.care_unit_of_work import SqlCareUnitOfWork

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class CareClinic:
    """A fresh clinic whose patient login (`clinic.patient`) is the patient record `paula`, with a
    second patient (`other_patient`, no login) and two service plans (4 consultations, 10
    treatment sessions)."""

    clinic: Any
    paula: uuid.UUID
    other_patient: uuid.UUID
    consultations: uuid.UUID
    treatments: uuid.UUID

    @property
    def path(self) -> str:
        return self.clinic.admin_path

    @property
    def my_care(self) -> str:
        return f"/v1/clinics/{self.clinic.slug}/me/care"


def record(platform, clinic_id: uuid.UUID, *facts: PatientRecord | ServicePlan) -> None:
    """What entitlements' consumers record from scheduling's and catalog's events."""
    with transaction(platform.entitlements.app.extensions["sessions"]) as session:
        uow = SqlCareUnitOfWork(session)
        for fact in facts:
            if isinstance(fact, PatientRecord):
                record_patient(uow, fact)
            else:
                record_service_plan(uow, fact)


def service_plan(clinic_id: uuid.UUID, name: str, sessions: int) -> ServicePlan:
    return ServicePlan(clinic_id, uuid7(), name, ServicePlanKind.SESSION_PACKAGE, sessions,
                       PlanPeriod(1, PeriodUnit.YEAR), None, None, (uuid7(),), (), 1, False)


@pytest.fixture
def care(platform, fresh_clinic) -> CareClinic:
    clinic = fresh_clinic()
    paula, other_patient = uuid7(), uuid7()
    consultations = service_plan(clinic.id, "Consultations", 4)
    treatments = service_plan(clinic.id, "Treatment plan sessions", 10)
    record(platform, clinic.id, PatientRecord(clinic.id, paula, clinic.patient.account_id, 1, False),
           PatientRecord(clinic.id, other_patient, None, 1, False), consultations, treatments)
    return CareClinic(clinic, paula, other_patient, consultations.plan_id, treatments.plan_id)


def premium(care: CareClinic, key: str = "annual-premium") -> dict[str, Any]:
    return {"key": key, "name": "Annual Premium", "role_key": "patient", "period": {"count": 1, "unit": "year"},
            "price": {"amount_minor": 120000, "currency": "RON"},
            "inclusions": [{"plan_id": str(care.consultations), "sessions": 4},
                           {"plan_id": str(care.treatments), "sessions": 4}]}


def create_premium(platform, care: CareClinic) -> dict[str, Any]:
    return platform.call("POST", f"{care.path}/tiers", care.clinic.admin, json=premium(care), expect=201)


def enrol(platform, care: CareClinic, patient_id: uuid.UUID, plan_id: uuid.UUID) -> dict[str, Any]:
    return platform.call("POST", f"{care.path}/enrollments", care.clinic.admin, expect=201,
                         json={"patient_id": str(patient_id), "plan_id": str(plan_id)})


# -- tiers ------------------------------------------------------------------------------------


def test_the_clinic_admin_defines_a_tier_and_changes_it_with_its_etag(platform, care, problem_of):
    created = platform.client.post(f"{care.path}/tiers", headers=care.clinic.admin.headers, json=premium(care))

    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"] == f"{care.path}/tiers/annual-premium"
    assert created.headers["ETag"] == '"1"'
    assert platform.call("GET", created.headers["Location"], care.clinic.admin) == created.get_json()
    assert [t["key"] for t in platform.call("GET", f"{care.path}/tiers", care.clinic.admin)["tiers"]] == [
        "annual-premium"]

    terms = {k: v for k, v in premium(care).items() if k != "key"} | {"name": "Annual Premium+"}
    stale = platform.client.put(f"{care.path}/tiers/annual-premium", json=terms,
                                headers={**care.clinic.admin.headers, "If-Match": '"9"'})
    changed = platform.client.put(f"{care.path}/tiers/annual-premium", json=terms,
                                  headers={**care.clinic.admin.headers, "If-Match": created.headers["ETag"]})

    assert stale.status_code == 412
    assert problem_of(stale)["type"].endswith("/stale-version")
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert (changed.headers["ETag"], changed.get_json()["name"]) == ('"2"', "Annual Premium+")


def test_a_tier_breaking_the_rules_is_refused_field_by_field(platform, care, problem_of):
    response = platform.client.post(f"{care.path}/tiers", headers=care.clinic.admin.headers,
                                    json={**premium(care), "role_key": "no-such-role",
                                          "inclusions": [{"plan_id": str(uuid7()), "sessions": 4}]})

    assert response.status_code == 422
    body = problem_of(response)
    assert body["errors"] and body["instance"] == f"{care.path}/tiers"


def test_a_tier_with_patients_on_it_cannot_be_archived(platform, care, problem_of):
    tier = platform.client.post(f"{care.path}/tiers", headers=care.clinic.admin.headers, json=premium(care))
    platform.call("PUT", f"{care.path}/patients/{care.paula}/tier", care.clinic.admin,
                  json={"tier_key": "annual-premium"})

    response = platform.client.post(f"{care.path}/tiers/annual-premium/archive",
                                    headers={**care.clinic.admin.headers, "If-Match": tier.headers["ETag"]})

    assert response.status_code == 409
    assert problem_of(response)["type"].endswith("/tier-in-use")


# -- a patient's tier, and their own view of it ------------------------------------------------


def test_a_patient_made_premium_sees_the_tier_and_its_sessions_in_their_own_care(platform, care):
    create_premium(platform, care)

    moved = platform.call("PUT", f"{care.path}/patients/{care.paula}/tier", care.clinic.admin,
                          json={"tier_key": "annual-premium"})

    assert moved["tier"]["tier_key"] == "annual-premium"
    assert sorted((e["plan_name"], e["sessions_remaining"]) for e in moved["granted"]) == [
        ("Consultations", 4), ("Treatment plan sessions", 4)]
    mine = platform.call("GET", care.my_care, care.clinic.patient)
    assert mine["patient_id"] == str(care.paula)
    assert (mine["tier"]["tier_name"], mine["tier"]["role_key"]) == ("Annual Premium", "patient")
    assert sorted((e["plan_name"], e["source"], e["sessions_remaining"]) for e in mine["enrollments"]) == [
        ("Consultations", "tier", 4), ("Treatment plan sessions", "tier", 4)]
    assert platform.call("GET", f"{care.path}/patients/{care.paula}/care", care.clinic.admin) == mine


def test_cancelling_the_tier_soft_expires_its_enrollments(platform, care):
    create_premium(platform, care)
    platform.call("PUT", f"{care.path}/patients/{care.paula}/tier", care.clinic.admin,
                  json={"tier_key": "annual-premium"})

    cancelled = platform.call("PUT", f"{care.path}/patients/{care.paula}/tier", care.clinic.admin,
                              json={"tier_key": None})

    assert cancelled["tier"] is None
    mine = platform.call("GET", care.my_care, care.clinic.patient)
    assert mine["tier"] is None
    assert {e["status"] for e in mine["enrollments"]} == {"canceled"}


def test_a_patient_sees_only_their_own_care(platform, care):
    create_premium(platform, care)
    platform.call("PUT", f"{care.path}/patients/{care.other_patient}/tier", care.clinic.admin,
                  json={"tier_key": "annual-premium"})
    theirs = enrol(platform, care, care.other_patient, care.treatments)
    mine = enrol(platform, care, care.paula, care.consultations)

    response = platform.client.get(care.my_care, headers=care.clinic.patient.headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["tier"] is None
    assert [e["enrollment_id"] for e in body["enrollments"]] == [mine["enrollment_id"]]
    assert str(care.other_patient) not in response.get_data(as_text=True)
    assert theirs["enrollment_id"] not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/patients/{other}/care", "/enrollments/{enrollment}",
                                  "/enrollments?patient_id={other}"])
def test_a_patient_cannot_read_another_patients_care_through_the_staff_routes(platform, care, problem_of, path):
    enrollment = enrol(platform, care, care.other_patient, care.treatments)["enrollment_id"]

    response = platform.client.get(care.path + path.format(other=care.other_patient, enrollment=enrollment),
                                   headers=care.clinic.patient.headers)

    assert response.status_code == 403
    problem = problem_of(response)
    assert (problem["permission"], problem["reason_code"]) == ("enrollments.read", "own_scope_only")
    assert care.my_care in problem["detail"]


def test_a_login_without_a_patient_record_has_no_tier_and_no_enrollments(platform, fresh_clinic):
    clinic = fresh_clinic()

    for member in (clinic.patient, clinic.admin):
        assert platform.call("GET", f"/v1/clinics/{clinic.slug}/me/care", member) == {
            "patient_id": None, "tier": None, "enrollments": [], "access": []}


def test_a_specialist_or_receptionist_has_no_care_of_their_own_to_read_here(platform, care, problem_of):
    for member in (care.clinic.specialist, care.clinic.receptionist):
        response = platform.client.get(care.my_care, headers=member.headers)

        assert response.status_code == 403
        assert problem_of(response)["permission"] == "enrollments.read"


def test_another_clinics_patient_finds_no_care_here(platform, care, fresh_clinic, leaked, problem_of):
    other = fresh_clinic("other")

    response = platform.client.get(care.my_care, headers=other.patient.headers)

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")
    assert leaked(response, care.clinic, care.my_care) == set()


# -- enrollments ------------------------------------------------------------------------------


def test_staff_enrol_a_patient_once_per_idempotency_key_and_cancel_it_softly(platform, care, problem_of):
    headers = {**care.clinic.admin.headers, "Idempotency-Key": "enrol-paula-1"}
    body = {"patient_id": str(care.paula), "plan_id": str(care.treatments)}

    first = platform.client.post(f"{care.path}/enrollments", headers=headers, json=body)
    again = platform.client.post(f"{care.path}/enrollments", headers=headers, json=body)

    assert (first.status_code, again.status_code) == (201, 201), first.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    enrollment = first.get_json()
    assert first.headers["Location"] == f"{care.path}/enrollments/{enrollment['enrollment_id']}"
    assert (enrollment["source"], enrollment["sessions_remaining"]) == ("purchase", 10)
    listed = platform.call("GET", f"{care.path}/enrollments?patient_id={care.paula}", care.clinic.admin)
    assert [e["enrollment_id"] for e in listed["enrollments"]] == [enrollment["enrollment_id"]]

    cancelled = platform.call("POST", f"{first.headers['Location']}/cancel", care.clinic.admin)
    twice = platform.client.post(f"{first.headers['Location']}/cancel", headers=care.clinic.admin.headers)

    assert cancelled["status"] == "canceled"
    assert twice.status_code == 409
    assert problem_of(twice)["type"].endswith("/enrollment-ended")
    assert platform.call("GET", first.headers["Location"], care.clinic.admin)["sessions_granted"] == 10


def test_an_enrollment_in_a_plan_the_clinic_does_not_offer_is_refused(platform, care, problem_of):
    response = platform.client.post(f"{care.path}/enrollments", headers=care.clinic.admin.headers,
                                    json={"patient_id": str(care.paula), "plan_id": str(uuid7())})

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["plan_id"]


def test_another_clinics_admin_finds_nothing_of_my_clinics_enrollments(platform, care, fresh_clinic, leaked):
    enrollment = enrol(platform, care, care.paula, care.consultations)["enrollment_id"]
    other = fresh_clinic("other")

    through_mine = platform.client.get(f"{care.path}/enrollments/{enrollment}", headers=other.admin.headers)
    through_theirs = platform.client.get(f"{other.admin_path}/enrollments/{enrollment}", headers=other.admin.headers)
    cancelled = platform.client.post(f"{other.admin_path}/enrollments/{enrollment}/cancel",
                                     headers=other.admin.headers)

    assert (through_mine.status_code, through_theirs.status_code, cancelled.status_code) == (404, 404, 404)
    assert leaked(through_mine, care.clinic, f"{care.path}/enrollments/{enrollment}") == set()
    assert platform.call("GET", f"{care.path}/enrollments/{enrollment}", care.clinic.admin)["status"] == "active"


def test_a_receptionist_may_not_enrol_patients_or_define_tiers(platform, care, problem_of):
    enrolled = platform.client.post(f"{care.path}/enrollments", headers=care.clinic.receptionist.headers,
                                    json={"patient_id": str(care.paula), "plan_id": str(care.treatments)})
    tier = platform.client.post(f"{care.path}/tiers", headers=care.clinic.receptionist.headers, json=premium(care))

    assert (enrolled.status_code, tier.status_code) == (403, 403)
    assert (problem_of(enrolled)["permission"], problem_of(tier)["permission"]) == ("enrollments.manage",
                                                                                    "tiers.manage")
    assert platform.call("GET", f"{care.path}/enrollments?patient_id={care.paula}", care.clinic.admin) == {
        "enrollments": []}
