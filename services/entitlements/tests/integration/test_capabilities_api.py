"""Clinical capabilities over HTTP, on PostgreSQL and SQLite, replaying the seed's medical-features
example: clearance off keeps telerehab off on a plan that sells it, clearance on turns it on, a
per-clinic pause turns it off again and the bill stays as it was."""

from __future__ import annotations

import pytest

from clinic_contracts.events.entitlements import (
    CapabilityClearanceChangedV1,
    CapabilityPausedV1,
    CapabilityResumedV1,
)
from clinic_runtime.db import utcnow
from entitlements.domain.subscriptions import BillingPeriod

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"
OPERATOR = {"X-Actor-Id": "0193a5e0-0000-7000-8000-0000000000f1"}


@pytest.fixture
def on_pro_with_telerehab(client, clinic_id):
    for plan in (
        {"key": "pro", "kind": "base", "name": "Pro", "features": ["booking"], "limits": {"patients": 1000},
         "price": {"amount_minor": 49000, "currency": "RON"}, "period": "month"},
        {"key": "telerehab-pack", "kind": "add_on", "name": "Telerehab Pack", "features": ["telerehab"],
         "price": {"amount_minor": 29000, "currency": "RON"}, "period": "month"},
    ):
        assert client.post("/plans", json=plan).status_code == 201
    assert client.post(f"/clinics/{clinic_id}/subscription", json={"plan_key": "pro"}).status_code == 201
    assert client.post(f"/clinics/{clinic_id}/subscription/items",
                       json={"plan_key": "telerehab-pack"}).status_code == 201


def telerehab(client, clinic_id) -> dict:
    return client.get(f"/clinics/{clinic_id}/capabilities/telerehab").get_json()


def test_clearance_gates_the_plan_and_a_pause_gates_one_clinic_without_touching_its_bill(
    client, clinic_id, on_pro_with_telerehab, stored
):
    period = BillingPeriod.containing(utcnow())
    bill = client.get(f"/clinics/{clinic_id}/bill?period={period}").get_json()

    assert telerehab(client, clinic_id) | {"pause": None} == {
        "capability": "telerehab", "on": False, "off_because": ["not_cleared"], "pause": None}

    cleared = client.put("/capabilities/telerehab/clearance", json={"cleared": True}, headers=OPERATOR)
    assert cleared.status_code == 200 and cleared.get_json()["cleared"] is True
    assert telerehab(client, clinic_id)["on"] is True

    paused = client.post(f"/clinics/{clinic_id}/capabilities/telerehab/pause", headers=OPERATOR,
                         json={"reason": "Incident under regulatory review", "expected_until": "2099-03-17T12:00:00Z"})
    assert paused.status_code == 201, paused.get_data(as_text=True)
    decision = telerehab(client, clinic_id)
    assert (decision["on"], decision["off_because"]) == (False, ["paused"])
    assert decision["pause"]["reason"] == "Incident under regulatory review"
    assert decision["pause"]["expected_until"] == "2099-03-17T12:00:00+00:00"
    assert client.get(f"/clinics/{clinic_id}/bill?period={period}").get_json() == bill
    assert bill["total"] == {"amount_minor": 78000, "currency": "RON"}

    assert client.delete(f"/clinics/{clinic_id}/capabilities/telerehab/pause", headers=OPERATOR).status_code == 204
    assert telerehab(client, clinic_id)["on"] is True
    assert [t for t in stored.event_types() if t.startswith("entitlements.capability")] == [
        CapabilityClearanceChangedV1.event_type, CapabilityPausedV1.event_type, CapabilityResumedV1.event_type]
    assert [e["action"] for e in stored.audit()][-2:] == ["capability.paused", "capability.resumed"]


def test_every_clinical_capability_starts_uncleared(client):
    listed = client.get("/capabilities").get_json()["capabilities"]

    assert [(c["capability"], c["cleared"]) for c in listed] == [
        ("telerehab", False), ("video_consultations", False), ("camera_measurements", False)]


def test_a_clinic_sees_why_each_capability_is_off(client, clinic_id, on_pro_with_telerehab):
    decisions = client.get(f"/clinics/{clinic_id}/capabilities").get_json()["capabilities"]

    assert [(d["capability"], d["off_because"]) for d in decisions] == [
        ("telerehab", ["not_cleared"]), ("video_consultations", ["not_in_plan", "not_cleared"]),
        ("camera_measurements", ["not_in_plan", "not_cleared"])]


def test_setting_a_clearance_to_what_it_is_publishes_nothing(client, stored):
    client.put("/capabilities/telerehab/clearance", json={"cleared": False})

    assert stored.count("outbox") == 0


def test_a_capability_paused_already_is_a_conflict_and_a_pause_needs_a_reason(client, clinic_id, problem_of):
    url = f"/clinics/{clinic_id}/capabilities/telerehab/pause"
    client.post(url, json={"reason": "incident"})

    again = client.post(url, json={"reason": "another"})
    blank = client.post(f"/clinics/{clinic_id}/capabilities/video_consultations/pause", json={"reason": " "})

    assert again.status_code == 409 and problem_of(again)["type"] == PROBLEMS + "capability-paused"
    assert blank.status_code == 422 and problem_of(blank)["errors"][0]["field"] == "reason"


def test_an_unknown_capability_is_not_found(client, clinic_id):
    assert client.get(f"/clinics/{clinic_id}/capabilities/teleportation").status_code == 404
    assert client.put("/capabilities/teleportation/clearance", json={"cleared": True}).status_code == 404
