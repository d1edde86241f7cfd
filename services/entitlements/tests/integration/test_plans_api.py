"""The platform's plan catalog over HTTP, on PostgreSQL and SQLite: versions, events, refusals,
and the example catalog seeded from plans-permissions-medical-ro.txt."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command
from jsonschema import Draft202012Validator

from clinic_contracts import Envelope
from clinic_contracts.events.entitlements import PlanVersionPublishedV1, PlanWithdrawnV1
from clinic_contracts.export import schema_path
from clinic_runtime.migrations import alembic_config, upgrade
from entitlements.domain.example_catalog import EXAMPLE_CATALOG
from entitlements.entrypoints.migrate import MIGRATIONS
from entitlements.entrypoints.seed_catalog import seed

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"
COMMERCIAL_TABLES = {"platform_plans", "plan_versions", "subscriptions", "subscription_items",
                     "entitlement_overrides", "capability_clearances", "capability_pauses"}


def schema_violations(row: dict) -> list[str]:
    schema = json.loads(schema_path(row["event_type"]).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(json.loads(row["body"]))]


def pro(**changes) -> dict:
    return {"key": "pro", "kind": "base", "name": "Pro", "features": ["booking", "automations"],
            "limits": {"patients": 1000, "specialists": 10, "storage_gb": 50},
            "price": {"amount_minor": 49000, "currency": "RON"}, "period": "month", **changes}


def test_publishing_a_plan_answers_version_1_and_publishes_its_event(client, stored):
    response = client.post("/plans", json=pro())

    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.headers["ETag"], response.headers["Location"]) == ('"1"', "/plans/pro")
    body = response.get_json()
    assert body["current"]["price"] == {"amount_minor": 49000, "currency": "RON"}
    assert body["current"]["limits"] == {"patients": 1000, "specialists": 10, "storage_gb": 50}
    [row] = stored.outbox()
    assert row["event_type"] == PlanVersionPublishedV1.event_type and schema_violations(row) == []
    assert Envelope.model_validate_json(row["body"]).subject == "pro/1"


def test_editing_a_plan_adds_version_2_and_keeps_version_1_as_it_was(client, stored):
    client.post("/plans", json=pro())
    changed = {k: v for k, v in pro(price={"amount_minor": 59000, "currency": "RON"},
                                    limits={"patients": 2000}).items() if k not in ("key", "kind")}

    response = client.put("/plans/pro", json=changed, headers={"If-Match": '"1"'})

    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    versions = client.get("/plans/pro").get_json()["versions"]
    assert [(v["version"], v["price"]["amount_minor"], v["limits"]) for v in versions] == [
        (1, 49000, {"patients": 1000, "specialists": 10, "storage_gb": 50}), (2, 59000, {"patients": 2000})]
    assert stored.event_types() == [PlanVersionPublishedV1.event_type] * 2


def test_an_edit_based_on_an_old_version_is_refused_and_writes_nothing(client, stored, problem_of):
    client.post("/plans", json=pro())
    changed = {k: v for k, v in pro(name="Pro 2").items() if k not in ("key", "kind")}
    client.put("/plans/pro", json=changed, headers={"If-Match": '"1"'})

    response = client.put("/plans/pro", json=changed | {"name": "Pro 3"}, headers={"If-Match": '"1"'})

    assert response.status_code == 412 and problem_of(response)["type"] == PROBLEMS + "stale-version"
    assert (stored.count("plan_versions"), stored.count("outbox")) == (2, 2)


def test_a_plan_breaking_the_rules_is_refused_field_by_field(client, stored, problem_of):
    response = client.post("/plans", json=pro(key="Pro Plan", limits={"beds": 3},
                                              price={"amount_minor": -1, "currency": "lei"}))

    assert response.status_code == 422
    assert {e["field"] for e in problem_of(response)["errors"]} == {"key", "limits.beds", "price.amount_minor",
                                                                    "price.currency"}
    assert stored.count("plan_versions") == 0 and stored.count("outbox") == 0


def test_a_price_beyond_what_money_columns_hold_is_refused_naming_it(client, stored, problem_of):
    response = client.post("/plans", json=pro(price={"amount_minor": 2**63, "currency": "RON"}))

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["price.amount_minor"]
    assert stored.count("plan_versions") == 0 and stored.count("outbox") == 0


def test_a_second_plan_with_the_same_key_is_a_conflict(client, problem_of):
    client.post("/plans", json=pro())

    response = client.post("/plans", json=pro(name="Other"))

    assert response.status_code == 409 and problem_of(response)["type"] == PROBLEMS + "plan-exists"


def test_a_withdrawn_plan_is_sold_to_no_new_clinic(client, clinic_id, stored, problem_of):
    client.post("/plans", json=pro())

    withdrawn = client.post("/plans/pro/withdraw", headers={"If-Match": '"1"'})
    refused = client.post(f"/clinics/{clinic_id}/subscription", json={"plan_key": "pro"})

    assert withdrawn.status_code == 200 and withdrawn.get_json()["archived"] is True
    assert refused.status_code == 422 and problem_of(refused)["type"] == PROBLEMS + "plan-not-sold"
    assert stored.event_types()[-1] == PlanWithdrawnV1.event_type


def test_an_unknown_plan_is_not_found(client):
    assert client.get("/plans/nothing").status_code == 404


def test_the_example_catalog_is_seeded_once_however_often_the_command_runs(entitlements_database, client):
    first = seed(entitlements_database)
    again = seed(entitlements_database)

    assert first == [entry.key for entry in EXAMPLE_CATALOG] and again == []
    listed = {p["key"]: p for p in client.get("/plans").get_json()["plans"]}
    assert set(listed) == set(first)
    assert listed["business"]["current"]["price"] == {"amount_minor": 19900, "currency": "EUR"}
    assert listed["business"]["current"]["limits"]["staff_users"] == 12
    assert listed["extra-clinician"]["current"]["available_with"] == ["business", "standard", "starter"]


def test_the_plans_tables_come_with_0003_and_go_with_its_downgrade(database_url):
    def tables() -> set[str]:
        engine = sa.create_engine(database_url)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    upgrade(MIGRATIONS, database_url)
    assert tables() >= COMMERCIAL_TABLES

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0002")
    assert not COMMERCIAL_TABLES & tables() and "roles" in tables()

    upgrade(MIGRATIONS, database_url)
    assert tables() >= COMMERCIAL_TABLES
