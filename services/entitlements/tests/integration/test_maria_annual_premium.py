"""The seed's Annual Premium example, replayed on PostgreSQL and SQLite.

A telerehab-first clinic on Pro + Telerehab Pack offers Free (read-only patient access) and Annual
Premium (library access and self-assignment; 4 consultations and 4 specialist treatment plans a
year). Maria signs up: she holds the Premium role at once and two enrollments are granted; booking a
consultation decrements it; a year later the leftovers drop and 4 + 4 are granted afresh; moving to
a higher tier mid-period grants its inclusions in full; cancelling ends them softly.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clinic_contracts import uuid7
from clinic_contracts.events.catalog import Money, PlanUpsertedV1
from clinic_contracts.events.entitlements import (
    EnrollmentCanceledV1,
    EnrollmentExpiredV1,
    EnrollmentGrantedV1,
    EnrollmentRenewedV1,
    PatientTierChangedV1,
)
from clinic_contracts.events.scheduling import Actor, AppointmentConfirmedV1, AppointmentSnapshot, PatientUpsertedV1
from clinic_runtime.db import transaction, utcnow
from entitlements.service_layer import tiers
from entitlements.service_layer.care_unit_of_work import SqlCareUnitOfWork
from entitlements.service_layer.lifecycle import renew_tier_periods

pytestmark = pytest.mark.integration

MARIA = uuid.UUID("0193a5e0-0000-7000-8000-00000000a1a1")
MARIA_LOGIN = uuid.UUID("0193a5e0-0000-7000-8000-00000000a10a")
CONSULTATION = uuid.UUID("0193a5e0-0000-7000-8000-0000000091c1")
TREATMENT_PLAN = uuid.UUID("0193a5e0-0000-7000-8000-0000000091c2")
CONSULTATION_SERVICE = uuid.UUID("0193a5e0-0000-7000-8000-000000005e41")
UPDATED = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
PREMIUM_ROLE = {"key": "premium-patient", "name": "Premium patient", "grants": [
    {"permission": "appointments.book", "scope": "own"}, {"permission": "appointments.read", "scope": "own"},
    {"permission": "enrollments.read", "scope": "own"}, {"permission": "library.access", "scope": "any"},
    {"permission": "telerehab.access", "scope": "any"}]}


def service_plan(clinic_id, plan_id, name, service_ids, access_grants) -> PlanUpsertedV1:
    return PlanUpsertedV1(
        clinic_id=clinic_id, plan_id=plan_id, name=name, description="", kind="session_package",
        price=Money(amount_minor=0, currency="RON"), sessions=1, session_validity=None, period=None,
        access_window=None, service_ids=service_ids, access_grants=access_grants, products=[], version=1,
        archived=False, updated_at=UPDATED)


def tier(key, name, role_key, sessions) -> dict:
    return {"key": key, "name": name, "role_key": role_key, "period": {"count": 1, "unit": "year"},
            "price": {"amount_minor": 20000, "currency": "RON"},
            "inclusions": [{"plan_id": str(CONSULTATION), "sessions": sessions},
                           {"plan_id": str(TREATMENT_PLAN), "sessions": sessions}] if sessions else []}


@pytest.fixture
def telerehab_clinic(client, clinic_id, admin_id, deliver) -> None:
    """Pro + Telerehab Pack, telerehab cleared; the clinic's tiers, service plans and Maria."""
    assert client.post("/plans", json={"key": "pro", "kind": "base", "name": "Pro", "limits": {"patients": 1000},
                                       "price": {"amount_minor": 49000, "currency": "RON"},
                                       "period": "month"}).status_code == 201
    assert client.post("/plans", json={"key": "telerehab-pack", "kind": "add_on", "name": "Telerehab Pack",
                                       "features": ["telerehab"], "price": {"amount_minor": 29000, "currency": "RON"},
                                       "period": "month"}).status_code == 201
    assert client.post(f"/clinics/{clinic_id}/subscription", json={"plan_key": "pro"}).status_code == 201
    assert client.post(f"/clinics/{clinic_id}/subscription/items",
                       json={"plan_key": "telerehab-pack"}).status_code == 201
    assert client.put("/capabilities/telerehab/clearance", json={"cleared": True}).status_code == 200
    deliver(service_plan(clinic_id, CONSULTATION, "Consultation", [CONSULTATION_SERVICE], []))
    deliver(service_plan(clinic_id, TREATMENT_PLAN, "Specialist treatment plan", [], ["telerehab"]))
    deliver(PatientUpsertedV1(clinic_id=clinic_id, patient_id=MARIA, account_id=MARIA_LOGIN, name="Maria Pop",
                              email="maria@example.com", mobile=None, sms_consent=None, version=1, archived=False,
                              updated_at=UPDATED))
    staff = {"X-Actor-Id": str(admin_id)}
    assert client.post(f"/clinics/{clinic_id}/roles", json=PREMIUM_ROLE, headers=staff).status_code == 201
    for body in (tier("free", "Free", "patient", 0), tier("annual-premium", "Annual Premium", "premium-patient", 4),
                 tier("premium-plus", "Premium Plus", "premium-patient", 6)):
        response = client.post(f"/clinics/{clinic_id}/tiers", json=body, headers=staff)
        assert response.status_code == 201, response.get_data(as_text=True)


def may(client, clinic_id, action) -> dict:
    return client.post("/decisions", json={"principal": {"id": str(MARIA_LOGIN), "kind": "patient",
                                                         "clinic_id": str(clinic_id)},
                                           "clinic_id": str(clinic_id), "action": action}).get_json()


def enrollments(client, clinic_id) -> list[dict]:
    """Maria's enrollments, oldest first."""
    return list(reversed(client.get(f"/clinics/{clinic_id}/patients/{MARIA}/care").get_json()["enrollments"]))


def set_tier(sessions, clinic_id, tier_key, at) -> tiers.TierChange:
    with transaction(sessions) as session:
        return tiers.set_patient_tier(SqlCareUnitOfWork(session), clinic_id, MARIA, tier_key, None, at)


def counts(enrollment) -> tuple[str, str, int, int, int]:
    return (enrollment["plan_name"], enrollment["status"], enrollment["sessions_granted"], enrollment["sessions_used"],
            enrollment["sessions_remaining"])


def test_maria_on_annual_premium(client, clinic_id, admin_id, telerehab_clinic, sessions, deliver, stored):
    assert may(client, clinic_id, "library.access")["allowed"] is False

    # She signs up: the Premium role at once, 4 consultations and 4 treatment plans granted.
    response = client.put(f"/clinics/{clinic_id}/patients/{MARIA}/tier", json={"tier_key": "annual-premium"},
                          headers={"X-Actor-Id": str(admin_id)})
    assert response.status_code == 200, response.get_data(as_text=True)
    membership = response.get_json()["tier"]
    assert membership["role_key"] == "premium-patient"
    assert may(client, clinic_id, "library.access") == {
        "allowed": True, "scope": "any", "reason_code": "granted",
        "reason": "role premium-patient grants library.access (any)"}
    assert [counts(e) for e in enrollments(client, clinic_id)] == [
        ("Consultation", "active", 4, 0, 4), ("Specialist treatment plan", "active", 4, 0, 4)]
    consultation = enrollments(client, clinic_id)[0]

    # She books a consultation: same booking flow as a bought package, the counter decrements.
    appointment_id = uuid7()
    reserved = client.post(f"/clinics/{clinic_id}/enrollments/{consultation['enrollment_id']}/reservations",
                           json={"appointment_id": str(appointment_id), "patient_id": str(MARIA),
                                 "service_id": str(CONSULTATION_SERVICE)})
    assert reserved.status_code == 201, reserved.get_data(as_text=True)
    deliver(paid(clinic_id, appointment_id, uuid.UUID(consultation["enrollment_id"])))
    assert counts(enrollments(client, clinic_id)[-2]) == ("Consultation", "active", 4, 1, 3)

    # A year later the period rolls over: leftovers drop, 4 + 4 afresh. A second run grants nothing more.
    period_end = datetime.fromisoformat(membership["period_end"])
    a_year_later = period_end + timedelta(hours=1)
    assert renew_tier_periods(sessions, a_year_later) == 1
    assert renew_tier_periods(sessions, a_year_later) == 0
    after_renewal = enrollments(client, clinic_id)
    assert [counts(e) for e in after_renewal[-4:]] == [
        ("Consultation", "expired", 4, 1, 3), ("Specialist treatment plan", "expired", 4, 0, 4),
        ("Consultation", "active", 4, 0, 4), ("Specialist treatment plan", "active", 4, 0, 4)]
    care = client.get(f"/clinics/{clinic_id}/patients/{MARIA}/care").get_json()
    assert care["tier"]["period_start"] == membership["period_end"]

    # Mid-period she moves to a higher tier: its inclusions in full (6, not pro-rated), the old ones expire.
    upgraded = set_tier(sessions, clinic_id, "premium-plus", a_year_later + timedelta(days=180))
    assert [g.sessions_granted for g in upgraded.granted] == [6, 6]
    assert upgraded.membership is not None
    assert upgraded.membership.period_end == period_end.replace(year=period_end.year + 1)
    assert [counts(e) for e in enrollments(client, clinic_id)[-4:]] == [
        ("Consultation", "expired", 4, 0, 4), ("Specialist treatment plan", "expired", 4, 0, 4),
        ("Consultation", "active", 6, 0, 6), ("Specialist treatment plan", "active", 6, 0, 6)]

    # She cancels: the enrollments end softly (kept, counts intact), leftovers can no longer be booked.
    set_tier(sessions, clinic_id, None, a_year_later + timedelta(days=200))
    ended = enrollments(client, clinic_id)[-2:]
    assert [counts(e) for e in ended] == [("Consultation", "canceled", 6, 0, 6),
                                         ("Specialist treatment plan", "canceled", 6, 0, 6)]
    refused = client.post(f"/clinics/{clinic_id}/enrollments/{ended[0]['enrollment_id']}/reservations",
                          json={"appointment_id": str(uuid7()), "patient_id": str(MARIA)})
    assert refused.status_code == 409 and refused.get_json()["reason"] == "ended"
    assert may(client, clinic_id, "library.access")["reason_code"] == "no_role"
    assert client.get(f"/clinics/{clinic_id}/patients/{MARIA}/care").get_json()["tier"] is None

    published = stored.event_types()
    assert published.count(EnrollmentRenewedV1.event_type) == 2
    assert published.count(EnrollmentGrantedV1.event_type) == 4  # 2 at sign-up, 2 on upgrade
    assert published.count(EnrollmentExpiredV1.event_type) == 4  # 2 at renewal, 2 on upgrade
    assert published.count(EnrollmentCanceledV1.event_type) == 2
    assert published.count(PatientTierChangedV1.event_type) == 3
    assert [e["action"] for e in stored.audit() if e["action"].startswith("patient_tier")] == [
        "patient_tier.set", "patient_tier.set", "patient_tier.canceled"]


def test_telerehab_access_follows_the_clinics_capability(client, clinic_id, admin_id, telerehab_clinic):
    client.put(f"/clinics/{clinic_id}/patients/{MARIA}/tier", json={"tier_key": "annual-premium"})
    assert may(client, clinic_id, "telerehab.access")["allowed"] is True

    client.post(f"/clinics/{clinic_id}/capabilities/telerehab/pause", json={"reason": "Incident under review"},
                headers={"X-Actor-Id": str(admin_id)})

    assert may(client, clinic_id, "telerehab.access") == {
        "allowed": False, "scope": None, "reason_code": "capability_off",
        "reason": "telerehab is off in this clinic (paused)"}


def test_an_enrollment_that_grants_telerehab_opens_it_to_a_patient_without_the_role(client, clinic_id,
                                                                                     telerehab_clinic):
    client.put(f"/clinics/{clinic_id}/patients/{MARIA}/tier", json={"tier_key": "free"})
    assert may(client, clinic_id, "telerehab.access")["reason_code"] == "not_granted"

    client.post(f"/clinics/{clinic_id}/enrollments", json={"patient_id": str(MARIA), "plan_id": str(TREATMENT_PLAN)})

    assert may(client, clinic_id, "telerehab.access") == {
        "allowed": True, "scope": "any", "reason_code": "granted",
        "reason": "an open enrollment of the patient grants telerehab access"}
    assert may(client, clinic_id, "library.access")["reason_code"] == "not_granted"
    access = client.get(f"/clinics/{clinic_id}/patients/by-account/{MARIA_LOGIN}/care").get_json()["access"]
    assert access == [{"grant": "telerehab", "until": None}]


def paid(clinic_id, appointment_id, enrollment_id) -> AppointmentConfirmedV1:
    start = utcnow() + timedelta(days=3)
    return AppointmentConfirmedV1(
        clinic_id=clinic_id, appointment=AppointmentSnapshot(
            appointment_id=appointment_id, clinic_id=clinic_id, patient_id=MARIA, provider_id=uuid7(),
            service_id=CONSULTATION_SERVICE, calendar_id=None, location_id=None, start=start,
            end=start + timedelta(minutes=30), timezone="Europe/Bucharest", status="paid",
            price=Money(amount_minor=0, currency="RON"), enrollment_id=enrollment_id, rescheduled_from=None,
            version=2),
        actor=Actor(kind="patient", account_id=MARIA_LOGIN), occurred_at=utcnow(), payment_id=None, video=None)
