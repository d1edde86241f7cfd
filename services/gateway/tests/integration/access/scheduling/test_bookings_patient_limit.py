"""A booking that would register a patient beyond the clinic's plan is refused with
entitlements' `limit-reached` problem, naming the limit and the plan; a patient the clinic
already has still books. Entitlements counts patients from scheduling's events (relayed here as
its worker would)."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


def subscribe_to_a_plan_capping_patients(platform, world, patients: int) -> str:
    entitlements = platform.entitlements.app.test_client()
    key = f"tiny-{uuid.uuid4().hex[:8]}"
    published = entitlements.post("/plans", json={
        "key": key, "kind": "base", "name": "Tiny practice", "limits": {"patients": patients}, "period": "month",
        "price": {"amount_minor": 4900, "currency": "EUR"}})
    assert published.status_code == 201, published.get_data(as_text=True)
    subscribed = entitlements.post(f"/clinics/{world.clinic.id}/subscription", json={"plan_key": key})
    assert subscribed.status_code == 201, subscribed.get_data(as_text=True)
    return key


def test_a_new_patient_beyond_the_plan_is_refused_and_a_known_one_still_books(platform, scheduling, booking_clinic):
    world = booking_clinic()
    plan = subscribe_to_a_plan_capping_patients(platform, world, patients=1)
    assert world.book(world.booking(world.at("09:00"), world.sam)).status_code == 201
    scheduling.sync_entitlements()

    stranger = world.booking(world.at("10:00"), world.sam,
                             patient={"name": "Ion Popa", "email": "ion.popa@example.com", "mobile": "+40722000111"})
    refused = world.book(stranger)
    known = world.book(world.booking(world.at("11:00"), world.sam))

    assert refused.status_code == 409, refused.get_data(as_text=True)
    problem = refused.get_json()
    assert problem["type"].endswith("/limit-reached")
    assert (problem["limit"], problem["allowed"], problem["used"]) == ("patients", 1, 1)
    assert problem["plan"]["key"] == plan
    assert known.status_code == 201, known.get_data(as_text=True)
    slots = world.gateway.get(f"/v1/clinics/{world.slug}/services/{world.service['id']}/slots", query_string={
        "from": world.day.isoformat(), "to": world.day.isoformat(), "tz": "Europe/Bucharest",
        "provider_id": world.sam["id"]}).get_json()["slots"]
    assert world.at("10:00") in {slot["start"] for slot in slots}, "the refused booking held nothing"
