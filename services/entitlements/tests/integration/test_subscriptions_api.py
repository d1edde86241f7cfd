"""A clinic's subscription over HTTP, on PostgreSQL and SQLite, replaying the seed's examples:
the 860 RON bill, grandfathering after a price rise, and a sales override to 5,000 patients."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from clinic_contracts.events.entitlements import (
    EntitlementOverrideGrantedV1,
    PlanVersionPublishedV1,
    SubscriptionChangedV1,
)
from clinic_contracts.export import schema_path
from clinic_runtime.db import utcnow
from entitlements.domain.subscriptions import BillingPeriod

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"
SALES = "0193a5e0-0000-7000-8000-0000000005a1"
PRO = {"key": "pro", "kind": "base", "name": "Pro", "features": ["booking", "automations"],
       "limits": {"patients": 1000, "specialists": 10}, "price": {"amount_minor": 49000, "currency": "RON"},
       "period": "month"}
TELEREHAB_PACK = {"key": "telerehab-pack", "kind": "add_on", "name": "Telerehab Pack", "features": ["telerehab"],
                  "price": {"amount_minor": 29000, "currency": "RON"}, "period": "month"}
VIDEO_MINUTES = {"key": "video-minutes-1000", "kind": "usage_pack", "name": "Video minutes pack",
                 "limits": {"video_minutes": 1000}, "price": {"amount_minor": 8000, "currency": "RON"},
                 "period": "one_time", "pack_validity": "billing_period"}


def written(stored) -> dict[str, int]:
    return {t: stored.count(t) for t in ("subscriptions", "subscription_items", "access_audit", "outbox")}


def ron(lei: int) -> dict:
    return {"amount_minor": lei * 100, "currency": "RON"}


def schema_violations(row: dict) -> list[str]:
    schema = json.loads(schema_path(row["event_type"]).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(json.loads(row["body"]))]


@pytest.fixture
def catalog(client):
    for plan in (PRO, TELEREHAB_PACK, VIDEO_MINUTES):
        assert client.post("/plans", json=plan).status_code == 201


@pytest.fixture
def on_pro(client, catalog, clinic_id, admin_id):
    response = client.post(f"/clinics/{clinic_id}/subscription", json={"plan_key": "pro"},
                           headers={"X-Actor-Id": str(admin_id)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def add(client, clinic_id, plan_key, **headers):
    return client.post(f"/clinics/{clinic_id}/subscription/items", json={"plan_key": plan_key}, headers=headers)


def test_pro_with_the_telerehab_pack_and_a_video_minutes_pack_bills_860_ron(client, clinic_id, on_pro, stored):
    add(client, clinic_id, "telerehab-pack")
    add(client, clinic_id, "video-minutes-1000")
    period = BillingPeriod.containing(utcnow())

    bill = client.get(f"/clinics/{clinic_id}/bill?period={period}").get_json()

    assert [(line["name"], line["amount"]) for line in bill["lines"]] == [
        ("Pro", ron(490)), ("Telerehab Pack", ron(290)), ("Video minutes pack", ron(80))]
    assert bill["total"] == ron(860)
    assert client.get(f"/clinics/{clinic_id}/bill?period={period.following()}").get_json()["total"] == ron(780)
    changes = [r for r in stored.outbox() if r["event_type"] == SubscriptionChangedV1.event_type]
    assert len(changes) == 3 and all(schema_violations(r) == [] for r in changes)


def test_effective_entitlements_stack_the_items(client, clinic_id, on_pro):
    add(client, clinic_id, "telerehab-pack")
    add(client, clinic_id, "video-minutes-1000")

    effective = client.get(f"/clinics/{clinic_id}/entitlements").get_json()

    assert effective["features"] == ["automations", "booking", "telerehab"]
    assert effective["limits"] == {"patients": 1000, "specialists": 10, "video_minutes": 1000}
    assert effective["subscription_version"] == 3


def test_after_a_price_rise_the_clinic_keeps_490_and_1000_patients_until_an_operator_migrates_it(
    client, clinic_id, on_pro
):
    dearer = {k: v for k, v in PRO.items() if k not in ("key", "kind")} | {
        "limits": {"patients": 2000, "specialists": 10}, "price": ron(590)}
    assert client.put("/plans/pro", json=dearer, headers={"If-Match": '"1"'}).status_code == 200
    period = BillingPeriod.containing(utcnow())

    assert client.get(f"/clinics/{clinic_id}/bill?period={period}").get_json()["total"] == ron(490)
    assert client.get(f"/clinics/{clinic_id}/entitlements").get_json()["limits"]["patients"] == 1000

    item_id = on_pro["items"][0]["id"]
    migrated = client.post(f"/clinics/{clinic_id}/subscription/items/{item_id}/migrate", json={},
                           headers={"If-Match": '"1"'})
    assert migrated.status_code == 200 and migrated.headers["ETag"] == '"2"'
    assert client.get(f"/clinics/{clinic_id}/entitlements").get_json()["limits"]["patients"] == 2000
    # This month was billed at 490 already: the new price is charged from the next.
    assert client.get(f"/clinics/{clinic_id}/bill?period={period}").get_json()["total"] == ron(490)
    assert client.get(f"/clinics/{clinic_id}/bill?period={period.following()}").get_json()["total"] == ron(590)


def test_a_migrated_item_ends_and_the_answer_locates_the_item_that_took_over(client, clinic_id, on_pro, stored):
    dearer = {k: v for k, v in PRO.items() if k not in ("key", "kind")} | {"price": ron(590)}
    assert client.put("/plans/pro", json=dearer, headers={"If-Match": '"1"'}).status_code == 200
    item_id = on_pro["items"][0]["id"]

    migrated = client.post(f"/clinics/{clinic_id}/subscription/items/{item_id}/migrate", json={"plan_version": 2},
                           headers={"If-Match": '"1"'})

    ended, successor = migrated.get_json()["items"]
    assert (ended["id"], ended["plan_version"], ended["price"], ended["ends_at"]) == (
        item_id, 1, ron(490), successor["started_at"])
    assert (successor["plan_version"], successor["price"], successor["replaces"], successor["ends_at"]) == (
        2, ron(590), item_id, None)
    assert migrated.headers["Location"] == f"/clinics/{clinic_id}/subscription/items/{successor['id']}"
    assert client.get(f"/clinics/{clinic_id}/subscription").get_json()["items"] == [ended, successor]
    [change] = [r for r in stored.outbox() if json.loads(r["body"])["data"].get("change") == "item_migrated"]
    assert schema_violations(change) == []
    assert json.loads(change["body"])["data"]["item_id"] == successor["id"]
    again = client.post(f"/clinics/{clinic_id}/subscription/items/{item_id}/migrate", json={},
                        headers={"If-Match": '"2"'})
    assert again.status_code == 422 and "item-ended" in again.get_json()["detail"]


def test_a_quantity_beyond_the_most_an_item_holds_is_refused_naming_it(client, clinic_id, on_pro, stored,
                                                                        problem_of):
    before = written(stored)

    refused = client.post(f"/clinics/{clinic_id}/subscription/items",
                          json={"plan_key": "video-minutes-1000", "quantity": 2**31})

    assert refused.status_code == 422
    assert [e["field"] for e in problem_of(refused)["errors"]] == ["quantity"]
    assert written(stored) == before


def test_a_sales_override_takes_the_clinic_to_5000_patients_with_its_reason(client, clinic_id, on_pro, stored):
    response = client.post(f"/clinics/{clinic_id}/overrides", headers={"X-Actor-Id": SALES}, json={
        "limits": {"patients": 4000}, "features": ["automations"],
        "reason": "Closing the deal: Pro with 5,000 patients"})

    assert response.status_code == 201, response.get_data(as_text=True)
    effective = client.get(f"/clinics/{clinic_id}/entitlements").get_json()
    assert effective["limits"]["patients"] == 5000
    [override] = effective["overrides"]
    assert (override["reason"], override["granted_by"]) == ("Closing the deal: Pro with 5,000 patients", SALES)
    granted = [r for r in stored.outbox() if r["event_type"] == EntitlementOverrideGrantedV1.event_type]
    assert len(granted) == 1 and schema_violations(granted[0]) == []
    assert stored.audit()[-1]["action"] == "override.granted"


def test_an_expired_override_no_longer_counts(client, clinic_id, on_pro):
    client.post(f"/clinics/{clinic_id}/overrides", headers={"X-Actor-Id": SALES}, json={
        "limits": {"patients": 4000}, "reason": "Trial month", "expires_at": "2099-01-01T00:00:00Z"})

    at = client.get(f"/clinics/{clinic_id}/entitlements?at=2099-01-01T00:00:00Z").get_json()

    assert at["limits"]["patients"] == 1000 and at["overrides"] == []


def test_an_override_records_who_granted_it_and_why(client, clinic_id, on_pro, stored, problem_of):
    anonymous = client.post(f"/clinics/{clinic_id}/overrides", json={"limits": {"patients": 1}, "reason": "x"})
    blank = client.post(f"/clinics/{clinic_id}/overrides", headers={"X-Actor-Id": SALES},
                        json={"limits": {"patients": 1}, "reason": " "})

    assert anonymous.status_code == 422 and problem_of(anonymous)["errors"][0]["field"] == "X-Actor-Id"
    assert blank.status_code == 422 and problem_of(blank)["errors"][0]["field"] == "reason"
    assert stored.count("entitlement_overrides") == 0


def test_dropping_the_add_on_cancels_only_that_item(client, clinic_id, on_pro):
    item = add(client, clinic_id, "telerehab-pack").get_json()["items"][1]

    response = client.post(f"/clinics/{clinic_id}/subscription/items/{item['id']}/cancel",
                           headers={"If-Match": '"2"'})

    assert response.status_code == 200
    assert [i["cancelled_at"] is None for i in response.get_json()["items"]] == [True, False]
    assert "telerehab" not in client.get(f"/clinics/{clinic_id}/entitlements").get_json()["features"]


def test_a_cancel_based_on_an_old_version_is_refused(client, clinic_id, on_pro, problem_of):
    add(client, clinic_id, "telerehab-pack")

    response = client.post(f"/clinics/{clinic_id}/subscription/items/{on_pro['items'][0]['id']}/cancel",
                           headers={"If-Match": '"1"'})

    assert response.status_code == 412 and problem_of(response)["type"] == PROBLEMS + "stale-version"


def test_adding_an_item_honours_the_idempotency_key(client, clinic_id, on_pro, stored):
    first = add(client, clinic_id, "video-minutes-1000", **{"Idempotency-Key": "pack-1"})
    again = add(client, clinic_id, "video-minutes-1000", **{"Idempotency-Key": "pack-1"})

    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert stored.count("subscription_items") == 2


def test_a_second_base_plan_is_refused_with_the_rule_it_breaks(client, clinic_id, on_pro, problem_of, stored):
    before = written(stored)

    response = add(client, clinic_id, "pro")

    assert response.status_code == 422
    assert "base-plan-held" in problem_of(response)["detail"]
    assert problem_of(response)["errors"][0]["field"] == "plan_key"
    assert written(stored) == before


def test_a_clinic_without_a_subscription_has_no_bill_and_entitlements_of_nothing(client, clinic_id, catalog):
    assert client.get(f"/clinics/{clinic_id}/bill").status_code == 404
    effective = client.get(f"/clinics/{clinic_id}/entitlements").get_json()
    assert (effective["features"], effective["limits"], effective["subscription_version"]) == ([], {}, None)


def test_a_malformed_period_or_instant_is_refused(client, clinic_id, on_pro, problem_of):
    assert problem_of(client.get(f"/clinics/{clinic_id}/bill?period=2026-13"))["errors"][0]["field"] == "period"
    assert problem_of(client.get(f"/clinics/{clinic_id}/entitlements?at=yesterday"))["errors"][0]["field"] == "at"


def test_every_event_of_the_flow_matches_its_committed_schema(client, clinic_id, on_pro, stored):
    add(client, clinic_id, "telerehab-pack")

    rows = stored.outbox()
    assert {r["event_type"] for r in rows} == {PlanVersionPublishedV1.event_type, SubscriptionChangedV1.event_type}
    assert all(schema_violations(r) == [] for r in rows)
