"""The commercial model through the gateway, in front of entitlements' real web app: operators
keep the plan catalog and each clinic's subscription, overrides and capabilities under
/v1/platform/; a clinic's admins read what their clinic holds under /v1/admin/clinics/<slug>/.
Entitlements' answers come back unchanged (status, body, ETag, problems), with Location
rewritten to the gateway's paths.

The plan catalog and clearances are the platform's, shared by every test of the session: each
test publishes plans under keys of its own, and a clearance is put back as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.integration

PLATFORM = "/v1/platform"


def ron(lei: int) -> dict[str, Any]:
    return {"amount_minor": lei * 100, "currency": "RON"}


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


class Catalog:
    """Plans published by the operator through the gateway, each under a key of this test's own."""

    def __init__(self, platform) -> None:
        self.platform = platform
        self.suffix = uuid.uuid4().hex[:8]

    def key(self, name: str) -> str:
        return f"{name}-{self.suffix}"

    def publish(self, name: str, kind: str, lei: int, **terms: Any) -> dict[str, Any]:
        body = {"key": self.key(name), "kind": kind, "name": name.replace("-", " ").title(), "price": ron(lei),
                "period": "month", **terms}
        return self.platform.call("POST", f"{PLATFORM}/plans", self.platform.operator, json=body, expect=201)

    def seed_example(self) -> None:
        """The seed's Pro, Telerehab Pack and video-minutes pack."""
        self.publish("pro", "base", 490, features=["booking"], limits={"patients": 1000, "specialists": 10})
        self.publish("telerehab-pack", "add_on", 290, features=["telerehab"])
        self.publish("video-minutes", "usage_pack", 80, limits={"video_minutes": 1000}, period="one_time",
                     pack_validity="billing_period")


@pytest.fixture
def catalog(platform) -> Catalog:
    return Catalog(platform)


@pytest.fixture
def subscribed(platform, fresh_clinic, catalog):
    """A fresh clinic on Pro with the Telerehab Pack and a video-minutes pack (the seed's 860 RON)."""
    catalog.seed_example()
    clinic = fresh_clinic()
    base = f"{PLATFORM}/clinics/{clinic.slug}"
    platform.call("POST", f"{base}/subscription", platform.operator, json={"plan_key": catalog.key("pro")}, expect=201)
    for name in ("telerehab-pack", "video-minutes"):
        platform.call("POST", f"{base}/subscription/items", platform.operator, json={"plan_key": catalog.key(name)},
                      expect=201)
    return clinic


@pytest.fixture
def clearance(platform) -> Iterator[Callable[[str, bool], dict[str, Any]]]:
    """Set a capability's platform clearance; every clearance is put back as it was afterwards."""
    before = {c["capability"]: c["cleared"] for c in
              platform.call("GET", f"{PLATFORM}/capabilities", platform.operator)["capabilities"]}

    def set_to(capability: str, cleared: bool) -> dict[str, Any]:
        return platform.call("PUT", f"{PLATFORM}/capabilities/{capability}/clearance", platform.operator,
                             json={"cleared": cleared})

    yield set_to
    for capability, cleared in before.items():
        set_to(capability, cleared)


# -- the plan catalog -------------------------------------------------------------------------


def test_an_operator_publishes_a_plan_and_edits_it_into_a_second_version(platform, catalog):
    key = catalog.key("starter")
    published = platform.client.post(f"{PLATFORM}/plans", headers=platform.operator.headers, json={
        "key": key, "kind": "base", "name": "Starter", "features": ["booking"], "limits": {"patients": 200},
        "price": ron(190), "period": "month"})

    assert published.status_code == 201, published.get_data(as_text=True)
    assert published.headers["Location"] == f"{PLATFORM}/plans/{key}"
    assert published.headers["ETag"] == '"1"'
    read = platform.client.get(published.headers["Location"], headers=platform.operator.headers)
    assert read.get_json() == published.get_json()

    revised = platform.client.put(f"{PLATFORM}/plans/{key}", headers={**platform.operator.headers, "If-Match": '"1"'},
                                  json={"name": "Starter", "features": ["booking"], "limits": {"patients": 250},
                                        "price": ron(210), "period": "month"})

    assert revised.status_code == 200, revised.get_data(as_text=True)
    assert revised.headers["ETag"] == '"2"'
    plan = revised.get_json()
    assert [(v["version"], v["price"], v["limits"]) for v in plan["versions"]] == [
        (1, ron(190), {"patients": 200}), (2, ron(210), {"patients": 250})]
    assert key in [p["key"] for p in platform.call("GET", f"{PLATFORM}/plans", platform.operator)["plans"]]


def test_an_edit_from_an_old_version_gets_entitlements_412(platform, catalog, problem_of):
    key = catalog.publish("basic", "base", 100)["key"]

    stale = platform.client.put(f"{PLATFORM}/plans/{key}", headers={**platform.operator.headers, "If-Match": '"7"'},
                                json={"name": "Basic", "price": ron(120), "period": "month"})

    assert stale.status_code == 412
    assert problem_of(stale)["type"].endswith("/stale-version")
    assert platform.call("GET", f"{PLATFORM}/plans/{key}", platform.operator)["current"]["price"] == ron(100)


def test_a_plan_breaking_the_rules_is_refused_field_by_field(platform, problem_of):
    response = platform.client.post(f"{PLATFORM}/plans", headers=platform.operator.headers, json={
        "key": "Not A Key", "kind": "base", "name": "Broken", "price": {"amount_minor": -1, "currency": "RON"},
        "period": "month"})

    assert response.status_code == 422
    body = problem_of(response)
    assert "key" in {e["field"] for e in body["errors"]}
    assert body["instance"] == f"{PLATFORM}/plans"


def test_a_repeated_idempotency_key_publishes_the_plan_once(platform, catalog):
    body = {"key": catalog.key("solo"), "kind": "base", "name": "Solo", "price": ron(90), "period": "month"}
    headers = {**platform.operator.headers, "Idempotency-Key": f"publish-{catalog.suffix}"}

    first = platform.client.post(f"{PLATFORM}/plans", headers=headers, json=body)
    again = platform.client.post(f"{PLATFORM}/plans", headers=headers, json=body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_withdrawn_plan_is_sold_to_no_new_clinic(platform, catalog, fresh_clinic, problem_of):
    key = catalog.publish("legacy", "base", 300)["key"]

    withdrawn = platform.client.post(f"{PLATFORM}/plans/{key}/withdraw",
                                     headers={**platform.operator.headers, "If-Match": '"1"'})
    refused = platform.client.post(f"{PLATFORM}/clinics/{fresh_clinic().slug}/subscription",
                                   headers=platform.operator.headers, json={"plan_key": key})

    assert withdrawn.status_code == 200 and withdrawn.get_json()["archived"] is True
    assert refused.status_code == 422
    assert problem_of(refused)["type"].endswith("/plan-not-sold")


def test_an_unknown_plan_is_404(platform, problem_of):
    response = platform.client.get(f"{PLATFORM}/plans/no-such-plan", headers=platform.operator.headers)

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")


# -- a clinic's subscription, bill and overrides ----------------------------------------------


def test_pro_with_the_telerehab_pack_and_video_minutes_bills_860_ron_to_operator_and_clinic_admin(platform, subscribed):
    clinic = subscribed
    operators = platform.call("GET", f"{PLATFORM}/clinics/{clinic.slug}/bill?period={this_month()}", platform.operator)
    admins = platform.call("GET", f"{clinic.admin_path}/bill?period={this_month()}", clinic.admin)

    assert [line["amount"] for line in operators["lines"]] == [ron(490), ron(290), ron(80)]
    assert operators["total"] == ron(860)
    assert admins == operators


def test_the_clinic_admin_reads_the_subscription_and_entitlements_the_operator_set(platform, subscribed, catalog):
    clinic = subscribed
    subscription = platform.client.get(f"{clinic.admin_path}/subscription", headers=clinic.admin.headers)
    held = platform.call("GET", f"{clinic.admin_path}/entitlements", clinic.admin)

    assert subscription.status_code == 200
    assert subscription.headers["ETag"] == '"3"'
    assert [i["plan_key"] for i in subscription.get_json()["items"]] == [
        catalog.key("pro"), catalog.key("telerehab-pack"), catalog.key("video-minutes")]
    assert held["features"] == ["booking", "telerehab"]
    assert held["limits"] == {"patients": 1000, "specialists": 10, "video_minutes": 1000}
    assert held["clinic_id"] == str(clinic.id)


def test_subscribing_answers_with_the_gateways_location_and_etag(platform, fresh_clinic, catalog):
    key = catalog.publish("pro", "base", 490)["key"]
    clinic = fresh_clinic()

    response = platform.client.post(f"{PLATFORM}/clinics/{clinic.slug}/subscription",
                                    headers=platform.operator.headers, json={"plan_key": key})

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"] == f"{PLATFORM}/clinics/{clinic.slug}/subscription"
    assert response.headers["ETag"] == '"1"'


def test_dropping_the_add_on_with_the_subscriptions_etag_ends_only_that_item(platform, subscribed, catalog):
    base = f"{PLATFORM}/clinics/{subscribed.slug}/subscription"
    read = platform.client.get(base, headers=platform.operator.headers)
    [add_on] = [i for i in read.get_json()["items"] if i["plan_key"] == catalog.key("telerehab-pack")]

    stale = platform.client.post(f"{base}/items/{add_on['id']}/cancel",
                                 headers={**platform.operator.headers, "If-Match": '"1"'})
    cancelled = platform.client.post(f"{base}/items/{add_on['id']}/cancel",
                                     headers={**platform.operator.headers, "If-Match": read.headers["ETag"]})

    assert stale.status_code == 412
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    items = {i["plan_key"]: i["cancelled_at"] for i in cancelled.get_json()["items"]}
    assert items[catalog.key("telerehab-pack")] is not None
    assert items[catalog.key("pro")] is None


def test_after_a_price_rise_the_clinic_keeps_its_terms_until_the_operator_migrates_it(platform, subscribed, catalog):
    key = catalog.key("pro")
    raised = platform.client.put(f"{PLATFORM}/plans/{key}", headers={**platform.operator.headers, "If-Match": '"1"'},
                                 json={"name": "Pro", "features": ["booking"],
                                       "limits": {"patients": 1000, "specialists": 10}, "price": ron(590),
                                       "period": "month"})
    assert raised.status_code == 200, raised.get_data(as_text=True)
    base = f"{PLATFORM}/clinics/{subscribed.slug}"
    read = platform.client.get(f"{base}/subscription", headers=platform.operator.headers)
    [pro] = [i for i in read.get_json()["items"] if i["plan_key"] == key]
    assert (pro["plan_version"], pro["price"]) == (1, ron(490))

    migrated = platform.client.post(f"{base}/subscription/items/{pro['id']}/migrate", json={},
                                    headers={**platform.operator.headers, "If-Match": read.headers["ETag"]})

    assert migrated.status_code == 200, migrated.get_data(as_text=True)
    # The version 1 item ends now, as billed so far; a new item on version 2 takes over.
    assert [(i["plan_version"], i["price"], i["ends_at"] is None) for i in migrated.get_json()["items"]
            if i["plan_key"] == key] == [(1, ron(490), False), (2, ron(590), True)]


def test_a_sales_override_to_5000_patients_records_the_operator_and_the_reason(platform, subscribed):
    base = f"{PLATFORM}/clinics/{subscribed.slug}"

    granted = platform.client.post(f"{base}/overrides", headers=platform.operator.headers, json={
        "limits": {"patients": 5000}, "reason": "Hospital network deal, signed by sales"})

    assert granted.status_code == 201, granted.get_data(as_text=True)
    override = granted.get_json()
    assert override["granted_by"] == str(platform.operator.account_id)
    assert granted.headers["Location"] == f"{base}/overrides/{override['id']}"
    held = platform.call("GET", f"{subscribed.admin_path}/entitlements", subscribed.admin)
    assert held["limits"]["patients"] == 6000
    assert [o["reason"] for o in held["overrides"]] == ["Hospital network deal, signed by sales"]

    revoked = platform.call("POST", f"{base}/overrides/{override['id']}/revoke", platform.operator)

    assert revoked["revoked_at"] is not None
    assert platform.call("GET", f"{base}/entitlements", platform.operator)["limits"]["patients"] == 1000
    assert [o["id"] for o in platform.call("GET", f"{base}/overrides", platform.operator)["overrides"]] == [
        override["id"]]


def test_another_clinics_item_cannot_be_cancelled_through_my_clinic(platform, subscribed, fresh_clinic, catalog,
                                                                    problem_of):
    other = fresh_clinic("other")
    platform.call("POST", f"{PLATFORM}/clinics/{other.slug}/subscription", platform.operator,
                  json={"plan_key": catalog.key("pro")}, expect=201)
    theirs = platform.client.get(f"{PLATFORM}/clinics/{other.slug}/subscription", headers=platform.operator.headers)
    [item] = theirs.get_json()["items"]
    mine = platform.client.get(f"{PLATFORM}/clinics/{subscribed.slug}/subscription", headers=platform.operator.headers)

    response = platform.client.post(f"{PLATFORM}/clinics/{subscribed.slug}/subscription/items/{item['id']}/cancel",
                                    headers={**platform.operator.headers, "If-Match": mine.headers["ETag"]})

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")
    after = platform.call("GET", f"{PLATFORM}/clinics/{other.slug}/subscription", platform.operator)
    assert after["items"][0]["cancelled_at"] is None


def test_a_clinic_without_a_subscription_answers_404_to_its_admin(platform, fresh_clinic, problem_of):
    clinic = fresh_clinic()

    response = platform.client.get(f"{clinic.admin_path}/subscription", headers=clinic.admin.headers)

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")


def test_an_unknown_clinic_on_a_platform_route_is_404(platform, problem_of):
    response = platform.client.get(f"{PLATFORM}/clinics/no-such-clinic/bill", headers=platform.operator.headers)

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")


# -- capabilities: clearance for the platform, a pause for one clinic -------------------------


def test_clearance_turns_telerehab_on_and_a_pause_turns_it_off_for_one_clinic_with_its_bill_untouched(
        platform, subscribed, clearance):
    base = f"{PLATFORM}/clinics/{subscribed.slug}"
    bill = platform.call("GET", f"{base}/bill", platform.operator)
    clearance("telerehab", False)
    assert platform.call("GET", f"{base}/capabilities/telerehab", platform.operator)["off_because"] == ["not_cleared"]

    cleared = clearance("telerehab", True)
    assert (cleared["cleared"], cleared["changed_by"]) == (True, str(platform.operator.account_id))
    assert platform.call("GET", f"{base}/capabilities/telerehab", platform.operator)["on"] is True

    paused = platform.client.post(f"{base}/capabilities/telerehab/pause", headers=platform.operator.headers,
                                  json={"reason": "Incident under regulatory review",
                                        "expected_until": "2099-03-17T12:00:00Z"})
    assert paused.status_code == 201, paused.get_data(as_text=True)
    seen_by_admin = {c["capability"]: c for c in
                     platform.call("GET", f"{subscribed.admin_path}/capabilities", subscribed.admin)["capabilities"]}
    assert (seen_by_admin["telerehab"]["on"], seen_by_admin["telerehab"]["off_because"]) == (False, ["paused"])
    assert seen_by_admin["telerehab"]["pause"]["reason"] == "Incident under regulatory review"
    assert platform.call("GET", f"{subscribed.admin_path}/bill", subscribed.admin) == bill

    resumed = platform.client.delete(f"{base}/capabilities/telerehab/pause", headers=platform.operator.headers)

    assert resumed.status_code == 204
    assert platform.call("GET", f"{base}/capabilities/telerehab", platform.operator)["on"] is True


def test_an_unknown_capability_is_404(platform, subscribed, problem_of):
    response = platform.client.get(f"{PLATFORM}/clinics/{subscribed.slug}/capabilities/teleportation",
                                   headers=platform.operator.headers)

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")


def test_a_dot_segment_names_no_plan_and_never_reaches_entitlements(platform, problem_of):
    before = len(platform.entitlements.requests)

    response = platform.client.get(f"{PLATFORM}/plans/%2E%2E", headers=platform.operator.headers)

    assert response.status_code == 404
    assert [r for r in platform.entitlements.requests[before:] if r != ("POST", "/decisions")] == []


# -- who may call -----------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["admin", "receptionist", "patient"])
def test_a_clinics_principal_may_not_use_the_operators_routes_even_for_their_own_clinic(platform, subscribed,
                                                                                        problem_of, caller):
    member = getattr(subscribed, caller)

    changed = platform.client.post(f"{PLATFORM}/clinics/{subscribed.slug}/overrides", headers=member.headers,
                                   json={"limits": {"patients": 100000}, "reason": "Self-service"})
    listed = platform.client.get(f"{PLATFORM}/plans", headers=member.headers)

    assert (changed.status_code, listed.status_code) == (403, 403)
    assert problem_of(changed)["permission"] == "platform.clinics.manage"
    assert problem_of(listed)["permission"] == "platform.plans.manage"
    held = platform.call("GET", f"{PLATFORM}/clinics/{subscribed.slug}/entitlements", platform.operator)
    assert held["overrides"] == []


@pytest.mark.parametrize("caller", ["receptionist", "specialist", "patient"])
def test_only_the_clinics_admins_read_what_it_pays_for(platform, subscribed, problem_of, caller):
    response = platform.client.get(f"{subscribed.admin_path}/bill", headers=getattr(subscribed, caller).headers)

    assert response.status_code == 403
    assert problem_of(response)["permission"] == "clinic.settings.manage"


def test_another_clinics_admin_finds_nothing_of_my_clinics_subscription(platform, subscribed, fresh_clinic, leaked,
                                                                      problem_of):
    other = fresh_clinic("other")

    response = platform.client.get(f"{subscribed.admin_path}/bill", headers=other.admin.headers)

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")
    assert leaked(response, subscribed, f"{subscribed.admin_path}/bill") == set()


def test_the_clinic_admin_reads_its_usage_against_the_limits_of_its_plan(platform, subscribed, catalog):
    usage = platform.call("GET", f"{subscribed.admin_path}/usage", subscribed.admin)

    assert usage["clinic_id"] == str(subscribed.id)
    assert usage["plan"] == {"key": catalog.key("pro"), "name": "Pro"}
    allowed = {meter["limit"]: meter["allowed"] for meter in usage["meters"]}
    assert (allowed["patients"], allowed["specialists"]) == (1000, 10)
