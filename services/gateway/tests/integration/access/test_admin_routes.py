"""A clinic's administration through the gateway: security policy, accounts, roles and the
access audit, each route with the principal it is meant for (a fresh clinic per test)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from clinic_runtime.db import transaction

pytestmark = pytest.mark.integration


@pytest.fixture
def clinic(fresh_clinic):
    return fresh_clinic()


def accounts_count(platform, clinic_id: uuid.UUID) -> int:
    with platform.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM accounts WHERE clinic_id = :c"),
                                  {"c": clinic_id}).scalar_one()


# -- security ---------------------------------------------------------------------------------


def test_an_admin_reads_the_clinics_security_settings_with_their_version(platform, clinic):
    response = platform.client.get(f"{clinic.admin_path}/security", headers=clinic.admin.headers)

    assert response.status_code == 200
    assert response.get_json() == {"mfa_required_for_staff": False, "version": 0, "updated_at": None}
    assert response.headers["ETag"] == '"0"'


def test_an_admin_requires_mfa_of_the_clinics_staff_with_the_etag_read(platform, clinic):
    response = platform.client.put(f"{clinic.admin_path}/security", json={"mfa_required_for_staff": True},
                                   headers={**clinic.admin.headers, "If-Match": '"0"'})

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["mfa_required_for_staff"] is True
    assert response.headers["ETag"] == '"1"'
    assert platform.call("GET", f"{clinic.admin_path}/security", clinic.admin)["version"] == 1


def test_changing_security_without_if_match_is_refused_with_428(platform, clinic, problem_of):
    response = platform.client.put(f"{clinic.admin_path}/security", json={"mfa_required_for_staff": True},
                                   headers=clinic.admin.headers)

    assert response.status_code == 428
    assert platform.call("GET", f"{clinic.admin_path}/security", clinic.admin)["version"] == 0


def test_changing_security_with_a_stale_etag_is_refused_with_412(platform, clinic, problem_of):
    first = platform.client.put(f"{clinic.admin_path}/security", json={"mfa_required_for_staff": True},
                                headers={**clinic.admin.headers, "If-Match": '"0"'})
    assert first.status_code == 200

    response = platform.client.put(f"{clinic.admin_path}/security", json={"mfa_required_for_staff": False},
                                   headers={**clinic.admin.headers, "If-Match": '"0"'})

    assert response.status_code == 412
    assert problem_of(response)["type"].endswith("/stale-version")


def test_a_security_body_that_is_not_a_boolean_is_refused_with_422(platform, clinic, problem_of):
    response = platform.client.put(f"{clinic.admin_path}/security", json={"mfa_required_for_staff": "sometimes"},
                                   headers={**clinic.admin.headers, "If-Match": '"0"'})

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["mfa_required_for_staff"]


# -- accounts ---------------------------------------------------------------------------------


def test_an_admin_lists_every_account_of_the_clinic_and_nothing_of_others(platform, clinic, tenants):
    listed = platform.call("GET", f"{clinic.admin_path}/accounts", clinic.admin)

    assert {a["id"] for a in listed["accounts"]} == {str(m.account_id) for m in clinic.members}
    assert {a["clinic_id"] for a in listed["accounts"]} == {str(clinic.id)}
    assert listed["next_after"] is None


def test_a_receptionist_reads_every_account_of_the_clinic(platform, clinic):
    listed = platform.call("GET", f"{clinic.admin_path}/accounts", clinic.receptionist)

    assert len(listed["accounts"]) == len(clinic.members)


def test_accounts_are_listed_by_kind_and_page_by_page(platform, clinic):
    providers = platform.call("GET", f"{clinic.admin_path}/accounts?kind=provider", clinic.admin)["accounts"]
    first = platform.call("GET", f"{clinic.admin_path}/accounts?limit=3", clinic.admin)
    rest = platform.call("GET", f"{clinic.admin_path}/accounts?limit=3&after={first['next_after']}", clinic.admin)

    assert {a["id"] for a in providers} == {str(clinic.specialist.account_id), str(clinic.other_specialist.account_id)}
    assert len(first["accounts"]) == 3 and len(rest["accounts"]) == 2 and rest["next_after"] is None
    assert {a["id"] for a in first["accounts"] + rest["accounts"]} == {str(m.account_id) for m in clinic.members}


def test_a_bad_listing_parameter_is_refused_with_a_problem_naming_it(platform, clinic, problem_of):
    response = platform.client.get(f"{clinic.admin_path}/accounts?kind=operator&limit=0&after=x",
                                   headers=clinic.admin.headers)

    assert response.status_code == 422
    assert {e["field"] for e in problem_of(response)["errors"]} == {"kind", "limit", "after"}


def test_an_admin_opens_a_provider_account_with_its_roles_and_an_invitation(platform, clinic):
    email = f"dana@{clinic.slug}.example"

    response = platform.client.post(f"{clinic.admin_path}/accounts", headers=clinic.admin.headers, json={
        "kind": "provider", "email": email, "display_name": "Dana", "roles": ["specialist", "receptionist"]})

    assert response.status_code == 201, response.get_data(as_text=True)
    opened = response.get_json()
    assert (opened["kind"], opened["clinic_id"], opened["roles"]) == ("provider", str(clinic.id),
                                                                     ["specialist", "receptionist"])
    assert response.headers["Location"] == f"{clinic.admin_path}/accounts/{opened['id']}"
    platform.mail_links()
    assert len(platform.mail.sent_to(email)) == 1
    roles = platform.call("GET", f"{clinic.admin_path}/accounts/{opened['id']}/roles", clinic.admin)["roles"]
    assert sorted(roles) == ["receptionist", "specialist"]


def test_opening_an_account_with_a_role_the_clinic_lacks_creates_nothing(platform, clinic, problem_of):
    email = f"eve@{clinic.slug}.example"
    before = accounts_count(platform, clinic.id)

    response = platform.client.post(f"{clinic.admin_path}/accounts", headers=clinic.admin.headers, json={
        "kind": "staff", "email": email, "display_name": "Eve", "roles": ["receptionist", "wizard"]})

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["roles"]
    assert accounts_count(platform, clinic.id) == before
    platform.mail_links()
    assert platform.mail.sent_to(email) == []


def test_opening_a_patient_account_from_administration_is_refused(platform, clinic, problem_of):
    response = platform.client.post(f"{clinic.admin_path}/accounts", headers=clinic.admin.headers, json={
        "kind": "patient", "email": f"p@{clinic.slug}.example", "display_name": "P", "roles": ["patient"]})

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["kind"]


def test_opening_an_account_with_a_taken_address_is_refused_with_409(platform, clinic, tenants, problem_of):
    response = platform.client.post(f"{clinic.admin_path}/accounts", headers=clinic.admin.headers, json={
        "kind": "staff", "email": tenants.other.receptionist.email, "display_name": "Copy", "roles": ["receptionist"]})

    assert response.status_code == 409
    body = problem_of(response)
    assert body["type"].endswith("/email-taken")
    assert str(tenants.other.id) not in response.get_data(as_text=True)


def test_a_repeated_idempotency_key_opens_the_account_once(platform, clinic):
    body = {"kind": "staff", "email": f"ivan@{clinic.slug}.example", "display_name": "Ivan", "roles": ["receptionist"]}
    headers = {**clinic.admin.headers, "Idempotency-Key": "open-ivan"}

    first = platform.client.post(f"{clinic.admin_path}/accounts", headers=headers, json=body)
    again = platform.client.post(f"{clinic.admin_path}/accounts", headers=headers, json=body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    platform.mail_links()
    assert len(platform.mail.sent_to(body["email"])) == 1


def test_an_admin_reads_an_account_of_the_clinic(platform, clinic):
    account = platform.call("GET", f"{clinic.admin_path}/accounts/{clinic.specialist.account_id}", clinic.admin)

    assert (account["id"], account["kind"], account["email"]) == (
        str(clinic.specialist.account_id), "provider", clinic.specialist.email)


def test_a_specialist_reads_their_own_account(platform, clinic):
    account = platform.call("GET", f"{clinic.admin_path}/accounts/{clinic.specialist.account_id}", clinic.specialist)

    assert account["id"] == str(clinic.specialist.account_id)


def test_reading_an_account_that_does_not_exist_answers_404(platform, clinic, problem_of):
    response = platform.client.get(f"{clinic.admin_path}/accounts/{uuid.uuid4()}", headers=clinic.admin.headers)

    assert response.status_code == 404
    assert problem_of(response)["detail"] == "No account here."


def test_an_admin_resets_the_mfa_of_an_account_and_it_is_audited(platform, clinic):
    from gateway.adapters.accounts import SqlMfa

    with transaction(platform.sessions) as session:  # an authenticator, as enrolment leaves it
        mfa = SqlMfa(session)
        mfa.put_pending(clinic.receptionist.account_id, clinic.id, "sealed", datetime.now(UTC))
        mfa.confirm(clinic.receptionist.account_id, 1, datetime.now(UTC))

    reset = platform.call("POST", f"{clinic.admin_path}/accounts/{clinic.receptionist.account_id}/mfa/reset",
                          clinic.admin)
    again = platform.call("POST", f"{clinic.admin_path}/accounts/{clinic.receptionist.account_id}/mfa/reset",
                          clinic.admin)

    assert (reset["was_enabled"], again["was_enabled"]) == (True, False)
    audit = platform.call("GET", f"{clinic.admin_path}/access-audit", clinic.admin)["entries"]
    [entry] = [e for e in audit if e["action"] == "mfa.reset"]
    assert (entry["source"], entry["actor_id"], entry["subject"]) == (
        "gateway", str(clinic.admin.account_id), str(clinic.receptionist.account_id))


# -- role assignments -------------------------------------------------------------------------


def test_an_admin_reads_the_roles_an_account_holds(platform, clinic):
    roles = platform.call("GET", f"{clinic.admin_path}/accounts/{clinic.specialist.account_id}/roles", clinic.admin)

    assert roles == {"account_id": str(clinic.specialist.account_id), "roles": ["specialist"]}


def test_an_admin_grants_and_revokes_a_role(platform, clinic):
    path = f"{clinic.admin_path}/accounts/{clinic.specialist.account_id}/roles"

    granted = platform.call("PUT", f"{path}/receptionist", clinic.admin)
    platform.call("DELETE", f"{path}/specialist", clinic.admin, expect=204)

    assert sorted(granted["roles"]) == ["receptionist", "specialist"]
    assert platform.call("GET", path, clinic.admin)["roles"] == ["receptionist"]


def test_granting_a_role_the_clinic_lacks_is_answered_with_entitlements_problem(platform, clinic, problem_of):
    response = platform.client.put(f"{clinic.admin_path}/accounts/{clinic.specialist.account_id}/roles/wizard",
                                   headers=clinic.admin.headers)

    assert response.status_code == 404
    body = problem_of(response)
    assert body["type"].endswith("/not-found")
    assert body["instance"] == f"{clinic.admin_path}/accounts/{clinic.specialist.account_id}/roles/wizard"


# -- roles ------------------------------------------------------------------------------------


def test_an_admin_lists_the_clinics_roles_built_in_ones_first(platform, clinic):
    roles = platform.call("GET", f"{clinic.admin_path}/roles", clinic.admin)["roles"]

    assert [r["key"] for r in roles if r["built_in"]] == ["clinic_admin", "receptionist", "specialist", "patient"]


def test_an_admin_defines_changes_and_archives_a_role(platform, clinic):
    created = platform.client.post(f"{clinic.admin_path}/roles", headers=clinic.admin.headers, json={
        "key": "front-desk-lead", "name": "Front desk lead",
        "grants": [{"permission": "accounts.read", "scope": "any"}]})
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"] == f"{clinic.admin_path}/roles/front-desk-lead"

    changed = platform.client.put(f"{clinic.admin_path}/roles/front-desk-lead", json={
        "name": "Front desk lead", "grants": [{"permission": "accounts.read", "scope": "any"},
                                              {"permission": "audit.read", "scope": "any"}]},
        headers={**clinic.admin.headers, "If-Match": created.headers["ETag"]})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.headers["ETag"] == '"2"'

    archived = platform.client.post(f"{clinic.admin_path}/roles/front-desk-lead/archive",
                                    headers={**clinic.admin.headers, "If-Match": '"2"'})
    assert archived.status_code == 200
    assert archived.get_json()["archived"] is True


def test_a_role_change_without_if_match_is_answered_with_entitlements_428(platform, clinic, problem_of):
    response = platform.client.put(f"{clinic.admin_path}/roles/front-desk", headers=clinic.admin.headers,
                                   json={"name": "x", "grants": []})

    assert response.status_code == 428
    assert problem_of(response)["type"].endswith("/precondition-required")


def test_a_repeated_idempotency_key_defines_the_role_once(platform, clinic):
    body = {"key": "billing-desk", "name": "Billing desk", "grants": [{"permission": "audit.read", "scope": "any"}]}
    headers = {**clinic.admin.headers, "Idempotency-Key": "define-billing-desk"}

    first = platform.client.post(f"{clinic.admin_path}/roles", headers=headers, json=body)
    again = platform.client.post(f"{clinic.admin_path}/roles", headers=headers, json=body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_the_same_idempotency_key_from_two_clinics_defines_a_role_in_each(platform, clinic, fresh_clinic):
    other = fresh_clinic()
    body = {"key": "night-desk", "name": "Night desk", "grants": [{"permission": "audit.read", "scope": "any"}]}

    mine = platform.client.post(f"{clinic.admin_path}/roles", json=body,
                                headers={**clinic.admin.headers, "Idempotency-Key": "night"})
    theirs = platform.client.post(f"{other.admin_path}/roles", json=body,
                                  headers={**other.admin.headers, "Idempotency-Key": "night"})

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers


def test_an_invalid_role_is_refused_with_entitlements_field_errors(platform, clinic, problem_of):
    response = platform.client.post(f"{clinic.admin_path}/roles", headers=clinic.admin.headers, json={
        "key": "x", "name": "X", "grants": [{"permission": "platform.clinics.manage", "scope": "any"}]})

    assert response.status_code == 422
    assert problem_of(response)["errors"]


# -- access audit -----------------------------------------------------------------------------


def test_the_access_audit_merges_both_services_newest_first(platform, clinic):
    platform.call("PUT", f"{clinic.admin_path}/accounts/{clinic.patient.account_id}/roles/receptionist", clinic.admin)

    entries = platform.call("GET", f"{clinic.admin_path}/access-audit", clinic.admin)["entries"]

    assert {e["source"] for e in entries} == {"gateway", "entitlements"}
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    newest = entries[0]
    assert (newest["source"], newest["action"], newest["actor_id"]) == (
        "entitlements", "role.granted", str(clinic.admin.account_id))
    created = [e for e in entries if e["action"] == "account.created"]
    assert {e["subject"] for e in created} == {str(m.account_id) for m in clinic.members}


def test_the_access_audit_pages_with_limit_and_before(platform, clinic):
    everything = platform.call("GET", f"{clinic.admin_path}/access-audit?limit=200", clinic.admin)["entries"]

    first = platform.call("GET", f"{clinic.admin_path}/access-audit?limit=4", clinic.admin)
    second = platform.call("GET", f"{clinic.admin_path}/access-audit", clinic.admin,
                           query_string={"limit": 4, "before": first["next_before"]})

    assert [e["id"] for e in first["entries"] + second["entries"]] == [e["id"] for e in everything[:8]]


def test_a_bad_audit_page_is_refused_with_a_problem_naming_the_parameters(platform, clinic, problem_of):
    response = platform.client.get(f"{clinic.admin_path}/access-audit?limit=1000&before=yesterday",
                                   headers=clinic.admin.headers)

    assert response.status_code == 422
    assert {e["field"] for e in problem_of(response)["errors"]} == {"limit", "before"}


@pytest.mark.parametrize("key", ["%2E", "%2E%2E"])
def test_a_dot_segment_is_no_roles_key(platform, tenants, problem_of, key):
    mine = tenants.mine

    response = platform.client.put(f"{mine.admin_path}/accounts/{mine.specialist.account_id}/roles/{key}",
                                   headers=mine.admin.headers)

    assert response.status_code == 404
    assert problem_of(response)["detail"] == "No role here."
