"""A clinic's patient tiers through the real app, on PostgreSQL and SQLite: defining them
(versioned, audited, published), putting patients on them, and a tier's role holding for every
patient on it, whatever it is changed to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from clinic_contracts.events.catalog import Money, PlanUpsertedV1
from clinic_contracts.events.entitlements import TierArchivedV1, TierUpsertedV1
from clinic_contracts.events.scheduling import PatientUpsertedV1

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"
CONSULTATION = uuid.UUID("0193a5e0-0000-7000-8000-0000000091c1")
UPDATED = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
LIBRARY_ROLE = {"key": "library-reader", "name": "Library reader",
                "grants": [{"permission": "library.access", "scope": "any"}]}


@pytest.fixture
def consultations(deliver, clinic_id) -> None:
    deliver(PlanUpsertedV1(
        clinic_id=clinic_id, plan_id=CONSULTATION, name="Consultation", description="", kind="session_package",
        price=Money(amount_minor=0, currency="RON"), sessions=1, session_validity=None, period=None,
        access_window=None, service_ids=[], access_grants=[], products=[], version=1, archived=False,
        updated_at=UPDATED))


def premium(**changes) -> dict:
    return {"key": "premium", "name": "Premium", "role_key": "patient", "period": {"count": 1, "unit": "year"},
            "price": {"amount_minor": 20000, "currency": "RON"},
            "inclusions": [{"plan_id": str(CONSULTATION), "sessions": 4}], **changes}


def terms(**changes) -> dict:
    """A tier's terms (its body without the key), as a change sends them."""
    return {k: v for k, v in premium(**changes).items() if k != "key"}


def test_a_tier_is_created_with_its_defaults_audited_and_published(client, clinic_id, admin_id, consultations,
                                                                   stored):
    response = client.post(f"/clinics/{clinic_id}/tiers", json=premium(), headers={"X-Actor-Id": str(admin_id)})

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["ETag"] == '"1"'
    body = response.get_json()
    assert body["inclusions"] == [{"plan_id": str(CONSULTATION), "sessions": 4, "on_renewal": "drop",
                                   "on_upgrade": "full"}]
    assert (body["role_key"], body["version"], body["archived"]) == ("patient", 1, False)
    assert client.get(f"/clinics/{clinic_id}/tiers/premium").get_json() == body
    assert client.get(f"/clinics/{clinic_id}/tiers").get_json() == {"tiers": [body]}
    assert stored.event_types() == [TierUpsertedV1.event_type]
    assert [(e["action"], e["actor_id"]) for e in stored.audit()] == [("tier.created", admin_id)]


def test_a_tier_that_breaks_the_rules_is_refused_and_nothing_is_written(client, clinic_id, consultations, stored,
                                                                        problem_of):
    response = client.post(f"/clinics/{clinic_id}/tiers", json=premium(
        key="Premium!", name=" ", role_key="no-such-role", period={"count": 0, "unit": "year"},
        inclusions=[{"plan_id": str(uuid.uuid4()), "sessions": 0}]))

    assert response.status_code == 422
    assert sorted(e["field"] for e in problem_of(response)["errors"]) == [
        "inclusions[0].plan_id", "inclusions[0].sessions", "key", "name", "period.count", "role_key"]
    assert stored.count("patient_tiers") == 0
    assert stored.event_types() == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"period": {"count": 100_000, "unit": "year"}}, "period.count"),
    ({"period": {"count": 10**20, "unit": "day"}}, "period.count"),
    ({"price": {"amount_minor": 10**20, "currency": "RON"}}, "price.amount_minor"),
    ({"inclusions": [{"plan_id": str(CONSULTATION), "sessions": 10**20}]}, "inclusions[0].sessions"),
])
def test_numbers_beyond_what_a_tier_can_hold_are_refused_not_failed_on(client, clinic_id, consultations, stored,
                                                                        problem_of, changes, field):
    response = client.post(f"/clinics/{clinic_id}/tiers", json=premium(**changes))

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == [field]
    assert stored.count("patient_tiers") == 0


def test_a_tier_maps_only_to_a_role_a_patient_may_hold(client, clinic_id, consultations, stored, problem_of):
    client.post(f"/clinics/{clinic_id}/roles", json=LIBRARY_ROLE)
    before = stored.count("patient_tiers")

    for role_key in ("clinic_admin", "receptionist"):
        refused = client.post(f"/clinics/{clinic_id}/tiers", json=premium(role_key=role_key))
        assert refused.status_code == 422
        assert [e["field"] for e in problem_of(refused)["errors"]] == ["role_key"]
    assert stored.count("patient_tiers") == before

    assert client.post(f"/clinics/{clinic_id}/tiers", json=premium(role_key="library-reader")).status_code == 201
    widened = client.put(f"/clinics/{clinic_id}/roles/library-reader", headers={"If-Match": '"1"'}, json={
        "name": "Library reader", "grants": [*LIBRARY_ROLE["grants"], {"permission": "roles.manage", "scope": "any"}]})
    assert widened.status_code == 409
    assert problem_of(widened)["type"] == PROBLEMS + "role-held-by-patients"


def test_a_tier_key_is_taken_once_and_creating_honours_idempotency_keys(client, clinic_id, consultations,
                                                                        problem_of):
    first = client.post(f"/clinics/{clinic_id}/tiers", json=premium(), headers={"Idempotency-Key": "tier-1"})
    replay = client.post(f"/clinics/{clinic_id}/tiers", json=premium(), headers={"Idempotency-Key": "tier-1"})
    again = client.post(f"/clinics/{clinic_id}/tiers", json=premium())

    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert again.status_code == 409 and problem_of(again)["type"] == PROBLEMS + "tier-exists"


def test_changing_a_tier_needs_the_version_read(client, clinic_id, consultations, problem_of):
    client.post(f"/clinics/{clinic_id}/tiers", json=premium())
    renamed = terms(name="Premium care")

    without = client.put(f"/clinics/{clinic_id}/tiers/premium", json=renamed)
    changed = client.put(f"/clinics/{clinic_id}/tiers/premium", json=renamed, headers={"If-Match": '"1"'})
    stale = client.put(f"/clinics/{clinic_id}/tiers/premium", json=renamed, headers={"If-Match": '"1"'})

    assert without.status_code == 428
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    assert changed.get_json()["name"] == "Premium care"
    assert stale.status_code == 412 and problem_of(stale)["type"] == PROBLEMS + "stale-version"


def test_a_tier_with_patients_cannot_be_archived_until_they_are_moved(client, clinic_id, consultations, stored,
                                                                      problem_of, record_patient):
    client.post(f"/clinics/{clinic_id}/tiers", json=premium())
    patient = uuid.uuid4()
    record_patient(patient)
    client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": "premium"})

    in_use = client.post(f"/clinics/{clinic_id}/tiers/premium/archive", headers={"If-Match": '"1"'})
    client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": None})
    archived = client.post(f"/clinics/{clinic_id}/tiers/premium/archive", headers={"If-Match": '"1"'})
    no_more = client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": "premium"})

    assert in_use.status_code == 409 and problem_of(in_use)["type"] == PROBLEMS + "tier-in-use"
    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    assert stored.event_types()[-1] == TierArchivedV1.event_type
    assert no_more.status_code == 409 and problem_of(no_more)["type"] == PROBLEMS + "tier-archived"


def test_putting_a_patient_on_an_unknown_tier_is_not_found(client, clinic_id, stored, record_patient):
    patient = uuid.uuid4()
    record_patient(patient)

    response = client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": "gold"})

    assert response.status_code == 404
    assert stored.count("tier_memberships") == 0


@pytest.mark.parametrize("archived", [False, True])
def test_a_patient_the_clinic_does_not_have_is_put_on_no_tier_and_enrolled_in_nothing(
        client, clinic_id, consultations, stored, problem_of, record_patient, archived):
    client.post(f"/clinics/{clinic_id}/tiers", json=premium())
    patient = uuid.uuid4()
    if archived:
        record_patient(patient, archived=True)
    events = stored.event_types()

    tier = client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": "premium"})
    enrolled = client.post(f"/clinics/{clinic_id}/enrollments", json={"patient_id": str(patient),
                                                                      "plan_id": str(CONSULTATION)})

    for refused in (tier, enrolled):
        assert refused.status_code == 404
        assert "patient" in problem_of(refused)["detail"] and "retry" in problem_of(refused)["detail"]
    assert stored.count("tier_memberships") == stored.count("enrollments") == 0
    assert stored.event_types() == events


def test_setting_the_tier_a_patient_is_on_changes_nothing(client, clinic_id, consultations, stored, record_patient):
    client.post(f"/clinics/{clinic_id}/tiers", json=premium())
    patient = uuid.uuid4()
    record_patient(patient)
    first = client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": "premium"})
    events = stored.event_types()

    again = client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": "premium"})

    assert len(first.get_json()["granted"]) == 1
    assert again.get_json()["granted"] == [] and again.get_json()["tier"] == first.get_json()["tier"]
    assert stored.event_types() == events


def test_changing_a_tiers_role_changes_it_for_every_patient_on_it(client, clinic_id, admin_id, consultations,
                                                                  deliver):
    client.post(f"/clinics/{clinic_id}/roles", json=LIBRARY_ROLE, headers={"X-Actor-Id": str(admin_id)})
    client.post(f"/clinics/{clinic_id}/tiers", json=premium(role_key="patient"))
    logins = []
    for version, patient in enumerate((uuid.uuid4(), uuid.uuid4()), start=1):
        login = uuid.uuid4()
        deliver(PatientUpsertedV1(clinic_id=clinic_id, patient_id=patient, account_id=login, name="A patient",
                                  email="patient@example.com", mobile=None, sms_consent=None, version=version,
                                  archived=False, updated_at=UPDATED))
        client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": "premium"})
        logins.append(login)

    def may_book_and_read(login) -> tuple[bool, bool]:
        def ask(action):
            return client.post("/decisions", json={
                "principal": {"id": str(login), "kind": "patient", "clinic_id": str(clinic_id)},
                "clinic_id": str(clinic_id), "action": action}).get_json()["allowed"]
        return ask("appointments.book"), ask("library.access")

    assert [may_book_and_read(login) for login in logins] == [(True, False), (True, False)]

    client.put(f"/clinics/{clinic_id}/tiers/premium", json=terms(role_key="library-reader"),
               headers={"If-Match": '"1"'})

    # (library.access needs the clinic's telerehab capability: off here, so the role change shows
    # through appointments.book, which the new role does not grant.)
    assert [may_book_and_read(login)[0] for login in logins] == [False, False]
    roles = client.post("/decisions", json={
        "principal": {"id": str(logins[0]), "kind": "patient", "clinic_id": str(clinic_id)},
        "clinic_id": str(clinic_id), "action": "library.access"}).get_json()
    assert roles["reason_code"] == "capability_off"


def test_an_archived_patient_record_holds_no_tier_role(client, clinic_id, consultations, deliver):
    client.post(f"/clinics/{clinic_id}/tiers", json=premium())
    patient, login = uuid.uuid4(), uuid.uuid4()
    record = dict(clinic_id=clinic_id, patient_id=patient, account_id=login, name="A patient",
                  email="patient@example.com", mobile=None, sms_consent=None, updated_at=UPDATED)
    deliver(PatientUpsertedV1(**record, version=1, archived=False))
    client.put(f"/clinics/{clinic_id}/patients/{patient}/tier", json={"tier_key": "premium"})
    deliver(PatientUpsertedV1(**record, version=2, archived=True))
    deliver(PatientUpsertedV1(**record, version=1, archived=False))  # late and older: ignored

    decision = client.post("/decisions", json={
        "principal": {"id": str(login), "kind": "patient", "clinic_id": str(clinic_id)},
        "clinic_id": str(clinic_id), "action": "appointments.book"}).get_json()

    assert decision["reason_code"] == "no_role"
