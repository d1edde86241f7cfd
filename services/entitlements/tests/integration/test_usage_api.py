"""Usage meters and limit admissions over HTTP, on PostgreSQL and SQLite: meters kept from
catalog's and scheduling's events (through the service's own consumer group, so the inbox and the
per-thing rows keep redeliveries from counting twice), admissions that name the limit and the
plan when they refuse, the staff limit guarding role grants, and an add-on dropped: new use
refused, nothing deleted."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clinic_contracts.events.catalog import ClinicUpsertedV1, Location, ProviderArchivedV1, ProviderUpsertedV1
from clinic_contracts.events.scheduling import (
    Actor,
    AppointmentCompletedV1,
    AppointmentSnapshot,
    PatientArchivedV1,
    PatientUpsertedV1,
)
from clinic_runtime.db import utcnow

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"
UPDATED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SOLO = {"key": "solo", "kind": "base", "name": "Solo practice", "features": ["appointments.booking"],
        "limits": {"patients": 3, "specialists": 1, "staff_users": 2, "locations": 1, "video_minutes": 100},
        "price": {"amount_minor": 4900, "currency": "EUR"}, "period": "month"}
EXTRA_CLINICIAN = {"key": "extra-clinician", "kind": "add_on", "name": "Extra clinician licence",
                   "features": ["telerehab"], "limits": {"specialists": 1, "staff_users": 1},
                   "price": {"amount_minor": 1000, "currency": "EUR"}, "period": "month"}
VIDEO_PACK = {"key": "video-300", "kind": "usage_pack", "name": "+300 video minutes",
              "limits": {"video_minutes": 300}, "price": {"amount_minor": 2000, "currency": "EUR"},
              "period": "one_time", "pack_validity": "until_consumed"}


@pytest.fixture
def on_solo(client, clinic_id, admin_id):
    for plan in (SOLO, EXTRA_CLINICIAN, VIDEO_PACK):
        assert client.post("/plans", json=plan).status_code == 201
    response = client.post(f"/clinics/{clinic_id}/subscription", json={"plan_key": "solo"},
                           headers={"X-Actor-Id": str(admin_id)})
    assert response.status_code == 201, response.get_data(as_text=True)


def provider(clinic_id, provider_id, version=1, archived=False) -> ProviderUpsertedV1 | ProviderArchivedV1:
    model = ProviderArchivedV1 if archived else ProviderUpsertedV1
    return model(clinic_id=clinic_id, provider_id=provider_id, name="Dr. Ana Popescu", email="ana@physio.example",
                 mobile=None, timezone="Europe/Bucharest", location_ids=[], version=version, archived=archived,
                 updated_at=UPDATED)


def clinic(clinic_id, version, *locations: tuple[uuid.UUID, bool]) -> ClinicUpsertedV1:
    return ClinicUpsertedV1(clinic_id=clinic_id, slug="physio-iasi", name="Physio Iasi", timezone="Europe/Bucharest",
                            currency="EUR", locale="ro-RO", version=version, updated_at=UPDATED,
                            locations=[Location(location_id=location_id, name=f"Room {n}", address="Strada Lapusneanu",
                                                timezone="Europe/Bucharest", archived=archived)
                                       for n, (location_id, archived) in enumerate(locations)])


def patient(clinic_id, patient_id, version=1, archived=False) -> PatientUpsertedV1 | PatientArchivedV1:
    model = PatientArchivedV1 if archived else PatientUpsertedV1
    return model(clinic_id=clinic_id, patient_id=patient_id, account_id=None, name="Maria Ionescu",
                 email="maria@example.org", mobile=None, sms_consent=None, version=version, archived=archived,
                 updated_at=UPDATED)


def completed(clinic_id, appointment_id, minutes, location_id=None, end=None) -> AppointmentCompletedV1:
    end = end or utcnow()
    return AppointmentCompletedV1(
        clinic_id=clinic_id, actor=Actor(kind="provider", account_id=None), occurred_at=end,
        appointment=AppointmentSnapshot(
            appointment_id=appointment_id, clinic_id=clinic_id, patient_id=uuid.uuid4(), provider_id=uuid.uuid4(),
            service_id=uuid.uuid4(), calendar_id=None, location_id=location_id, start=end - timedelta(minutes=minutes),
            end=end, timezone="Europe/Bucharest", status="completed", price={"amount_minor": 20000, "currency": "EUR"},
            enrollment_id=None, rescheduled_from=None, version=3))


def meters(client, clinic_id) -> dict[str, tuple[int, int | None]]:
    response = client.get(f"/clinics/{clinic_id}/usage")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {m["limit"]: (m["used"], m["allowed"]) for m in response.get_json()["meters"]}


def grant(client, clinic_id, principal_id, role_key):
    return client.put(f"/clinics/{clinic_id}/principals/{principal_id}/roles/{role_key}")


def admission(client, clinic_id, limit, count=1):
    return client.post(f"/clinics/{clinic_id}/limits/{limit}/admissions", json={"count": count})


# -- meters kept from events ------------------------------------------------------------------


def test_the_usage_counts_what_other_services_events_and_the_role_assignments_say_the_clinic_has(
        client, clinic_id, on_solo, deliver):
    ana, dan = uuid.uuid4(), uuid.uuid4()
    deliver(provider(clinic_id, ana))
    deliver(provider(clinic_id, dan))
    deliver(provider(clinic_id, dan, version=2, archived=True))
    deliver(clinic(clinic_id, 4, (uuid.uuid4(), False), (uuid.uuid4(), True)))
    maria, ion = uuid.uuid4(), uuid.uuid4()
    deliver(patient(clinic_id, maria))
    deliver(patient(clinic_id, ion))
    deliver(patient(clinic_id, ion, version=2, archived=True))
    admin, receptionist = uuid.uuid4(), uuid.uuid4()
    for principal_id, role_key in ((admin, "clinic_admin"), (admin, "specialist"), (receptionist, "receptionist"),
                                   (uuid.uuid4(), "patient")):
        assert grant(client, clinic_id, principal_id, role_key).status_code == 200
    deliver(completed(clinic_id, uuid.uuid4(), 50))
    deliver(completed(clinic_id, uuid.uuid4(), 45, location_id=uuid.uuid4()))  # in person: no video minutes

    body = client.get(f"/clinics/{clinic_id}/usage").get_json()

    assert body["plan"] == {"key": "solo", "name": "Solo practice"}
    assert meters(client, clinic_id) == {"patients": (1, 3), "specialists": (1, 1), "staff_users": (2, 2),
                                         "locations": (1, 1), "video_minutes": (50, 100)}


def test_a_redelivered_or_late_event_counts_nothing_twice_and_revives_nothing(client, clinic_id, on_solo, deliver):
    ana, consultation = uuid.uuid4(), uuid.uuid4()
    deliver(provider(clinic_id, ana, version=1))
    deliver(provider(clinic_id, ana, version=2, archived=True))
    deliver(provider(clinic_id, ana, version=1))  # late: older than what is kept
    deliver(completed(clinic_id, consultation, 30))
    deliver(completed(clinic_id, consultation, 30))  # published twice by a retrying producer

    assert meters(client, clinic_id)["specialists"] == (0, 1)
    assert meters(client, clinic_id)["video_minutes"] == (30, 100)


def test_minutes_beyond_the_periods_allowance_draw_down_an_until_consumed_pack(client, clinic_id, on_solo, deliver,
                                                                              stored):
    assert client.post(f"/clinics/{clinic_id}/subscription/items", json={"plan_key": "video-300"}).status_code == 201

    deliver(completed(clinic_id, uuid.uuid4(), 80))
    deliver(completed(clinic_id, uuid.uuid4(), 60))

    assert meters(client, clinic_id)["video_minutes"] == (140, 100 + 40 + 260)
    assert stored.count("usage_pack_draws") == 1


# -- admissions -------------------------------------------------------------------------------


def test_an_admission_with_room_left_answers_the_meter_and_the_plan(client, clinic_id, on_solo, deliver):
    deliver(patient(clinic_id, uuid.uuid4()))

    response = admission(client, clinic_id, "patients", 2)

    assert response.status_code == 200
    assert response.get_json() == {"limit": "patients", "used": 1, "allowed": 3,
                                   "plan": {"key": "solo", "name": "Solo practice"}}


def test_an_admission_beyond_the_limit_is_a_409_naming_the_limit_its_use_and_the_plan(
        client, clinic_id, on_solo, deliver, problem_of, stored):
    deliver(provider(clinic_id, uuid.uuid4()))
    before = stored.counts()

    response = admission(client, clinic_id, "specialists")

    body = problem_of(response)
    assert response.status_code == 409
    assert body["type"] == PROBLEMS + "limit-reached"
    assert (body["limit"], body["allowed"], body["used"], body["plan"]) == (
        "specialists", 1, 1, {"key": "solo", "name": "Solo practice"})
    assert "Solo practice" in body["detail"]
    assert stored.counts() == before


def test_a_clinic_without_a_subscription_is_admitted_uncapped(client, clinic_id, deliver):
    deliver(provider(clinic_id, uuid.uuid4()))

    response = admission(client, clinic_id, "specialists")

    assert (response.status_code, response.get_json()) == (
        200, {"limit": "specialists", "used": 1, "allowed": None, "plan": None})


def test_an_unknown_limit_is_404_and_a_count_out_of_range_422(client, clinic_id, on_solo, problem_of):
    unknown = admission(client, clinic_id, "storage_gb")
    nothing = admission(client, clinic_id, "patients", 0)
    huge = admission(client, clinic_id, "patients", 10**20)

    assert unknown.status_code == 404
    for refused in (nothing, huge):
        assert (refused.status_code, [e["field"] for e in problem_of(refused)["errors"]]) == (422, ["count"])


# -- the staff limit guards role grants -------------------------------------------------------


def test_a_staff_role_beyond_the_staff_limit_is_refused_and_nothing_is_written(
        client, clinic_id, on_solo, problem_of, stored):
    first, second = uuid.uuid4(), uuid.uuid4()
    assert grant(client, clinic_id, first, "clinic_admin").status_code == 200
    assert grant(client, clinic_id, second, "receptionist").status_code == 200
    before = stored.counts()

    refused = grant(client, clinic_id, uuid.uuid4(), "specialist")

    body = problem_of(refused)
    assert refused.status_code == 409
    assert (body["type"], body["limit"], body["allowed"], body["used"], body["plan"]["key"]) == (
        PROBLEMS + "limit-reached", "staff_users", 2, 2, "solo")
    assert stored.counts() == before


def test_at_the_staff_limit_a_member_still_takes_another_role_and_patients_still_join(client, clinic_id, on_solo):
    first = uuid.uuid4()
    assert grant(client, clinic_id, first, "clinic_admin").status_code == 200
    assert grant(client, clinic_id, uuid.uuid4(), "receptionist").status_code == 200

    assert grant(client, clinic_id, first, "specialist").status_code == 200
    assert grant(client, clinic_id, uuid.uuid4(), "patient").status_code == 200
    assert meters(client, clinic_id)["staff_users"] == (2, 2)


def test_a_clinic_role_counts_as_staff_unless_a_patient_may_hold_it(client, clinic_id, on_solo):
    for key, grants in (("library-reader", [{"permission": "library.access", "scope": "any"}]),
                        ("catalog-keeper", [{"permission": "library.access", "scope": "any"},
                                            {"permission": "catalog.manage", "scope": "any"}])):
        created = client.post(f"/clinics/{clinic_id}/roles", json={"key": key, "name": key, "grants": grants})
        assert created.status_code == 201, created.get_data(as_text=True)

    assert grant(client, clinic_id, uuid.uuid4(), "library-reader").status_code == 200
    assert grant(client, clinic_id, uuid.uuid4(), "catalog-keeper").status_code == 200

    assert meters(client, clinic_id)["staff_users"] == (1, 2)


def content_viewer(client, clinic_id, *holders):
    """A role a patient may hold (it takes no staff seat), held by `holders`."""
    created = client.post(f"/clinics/{clinic_id}/roles", json={
        "key": "content-viewer", "name": "Content viewer", "grants": [{"permission": "library.access",
                                                                      "scope": "any"}]})
    assert created.status_code == 201, created.get_data(as_text=True)
    for holder in holders:
        assert grant(client, clinic_id, holder, "content-viewer").status_code == 200


def turn_into_front_desk(client, clinic_id):
    return client.put(f"/clinics/{clinic_id}/roles/content-viewer", headers={"If-Match": '"1"'}, json={
        "name": "Front desk", "grants": [{"permission": p, "scope": "any"} for p in (
            "patients.read", "patients.manage", "appointments.read", "appointments.manage", "payments.refund")]})


def test_a_role_changed_into_a_staff_role_beyond_the_staff_limit_is_refused_and_nothing_is_written(
        client, clinic_id, on_solo, problem_of, stored):
    assert grant(client, clinic_id, uuid.uuid4(), "clinic_admin").status_code == 200
    assert grant(client, clinic_id, uuid.uuid4(), "receptionist").status_code == 200
    content_viewer(client, clinic_id, uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    assert meters(client, clinic_id)["staff_users"] == (2, 2)
    before = stored.counts()

    refused = turn_into_front_desk(client, clinic_id)

    body = problem_of(refused)
    assert refused.status_code == 409
    assert (body["type"], body["limit"], body["allowed"], body["used"]) == (
        PROBLEMS + "limit-reached", "staff_users", 2, 2)
    assert stored.counts() == before
    assert meters(client, clinic_id)["staff_users"] == (2, 2)


def test_a_role_changed_into_a_staff_role_counts_only_its_holders_new_to_the_staff(client, clinic_id, on_solo):
    member, reader = uuid.uuid4(), uuid.uuid4()
    assert grant(client, clinic_id, member, "receptionist").status_code == 200
    content_viewer(client, clinic_id, member, reader)

    changed = turn_into_front_desk(client, clinic_id)

    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert meters(client, clinic_id)["staff_users"] == (2, 2)


def test_simultaneous_grants_to_new_staff_never_go_beyond_the_limit(app, client, clinic_id, on_solo, stored):
    racers = 8
    start = threading.Barrier(racers)
    statuses: list[int] = []

    def join() -> None:
        racer = app.test_client()
        start.wait()
        statuses.append(grant(racer, clinic_id, uuid.uuid4(), "receptionist").status_code)

    threads = [threading.Thread(target=join) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(statuses) == [200, 200] + [409] * (racers - 2)
    assert stored.count("role_assignments") == 2


# -- dropping an add-on -----------------------------------------------------------------------


def test_dropping_an_add_on_stops_new_use_of_what_it_unlocked_and_deletes_no_data(
        client, clinic_id, on_solo, deliver, stored):
    added = client.post(f"/clinics/{clinic_id}/subscription/items", json={"plan_key": "extra-clinician"})
    item_id = added.get_json()["items"][-1]["id"]
    ana, dan = uuid.uuid4(), uuid.uuid4()
    deliver(provider(clinic_id, ana))
    deliver(provider(clinic_id, dan))
    assert "telerehab" in client.get(f"/clinics/{clinic_id}/entitlements").get_json()["features"]

    cancelled = client.post(f"/clinics/{clinic_id}/subscription/items/{item_id}/cancel",
                            headers={"If-Match": added.headers["ETag"]})

    assert cancelled.status_code == 200
    assert "telerehab" not in client.get(f"/clinics/{clinic_id}/entitlements").get_json()["features"]
    assert admission(client, clinic_id, "specialists").status_code == 409
    assert meters(client, clinic_id)["specialists"] == (2, 1)
    assert stored.count("metered_entities") == 2
    deliver(provider(clinic_id, ana, version=2))  # a change to a kept specialist still counts once
    assert meters(client, clinic_id)["specialists"] == (2, 1)
