"""Entitlements's role, assignment and access-audit API over HTTP, on PostgreSQL and SQLite."""

from __future__ import annotations

import json
import uuid

import pytest
from jsonschema import Draft202012Validator

from clinic_contracts import Envelope, schema_uri
from clinic_contracts.events.entitlements import (
    RoleArchivedV1,
    RoleAssignmentGrantedV1,
    RoleAssignmentRevokedV1,
    RoleUpsertedV1,
)
from clinic_contracts.export import schema_path

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"
VALIDATION = PROBLEMS + "validation-error"
UPSERTED, ARCHIVED = RoleUpsertedV1.event_type, RoleArchivedV1.event_type
GRANTED, REVOKED = RoleAssignmentGrantedV1.event_type, RoleAssignmentRevokedV1.event_type
PRINCIPAL = uuid.UUID("0193a5e0-0000-7000-8000-0000000000a1")
BUILT_IN_KEYS = ["clinic_admin", "receptionist", "specialist", "patient"]


def schema_violations(row: dict) -> list[str]:
    schema = json.loads(schema_path(row["event_type"]).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(json.loads(row["body"]))]


def envelope_of(row: dict) -> Envelope:
    return Envelope.model_validate_json(row["body"])


def field_errors(body: dict) -> set[str]:
    return {error["field"] for error in body["errors"]}


def roles_url(clinic_id, key: str | None = None) -> str:
    return f"/clinics/{clinic_id}/roles" + (f"/{key}" if key else "")


def assignment_url(clinic_id, key: str, principal=PRINCIPAL) -> str:
    return f"/clinics/{clinic_id}/principals/{principal}/roles/{key}"


# -- permissions and the role list ------------------------------------------------------------


def test_the_permission_list_says_which_permissions_have_an_own_scope_and_which_are_platform_ones(client):
    permissions = client.get("/permissions").get_json()["permissions"]

    assert len(permissions) == 24
    by_name = {p["name"]: p for p in permissions}
    assert by_name["appointments.read"] == {"name": "appointments.read", "own_scope": True, "platform": False}
    assert by_name["payments.refund"] == {"name": "payments.refund", "own_scope": False, "platform": False}
    assert by_name["platform.plans.manage"] == {"name": "platform.plans.manage", "own_scope": False,
                                                "platform": True}


def test_every_clinic_lists_the_built_in_roles_first(client, clinic_id):
    roles = client.get(roles_url(clinic_id)).get_json()["roles"]

    assert [r["key"] for r in roles] == BUILT_IN_KEYS
    assert all(r["built_in"] and r["version"] == 1 and not r["archived"] for r in roles)
    specialist = roles[2]
    assert specialist["name"] == "Specialist"
    assert {"permission": "appointments.read", "scope": "own"} in specialist["grants"]


def test_a_clinic_lists_its_own_roles_after_the_built_in_ones_and_never_another_clinics(
    client, clinic_id, front_desk_lead, role_body
):
    other_clinic = uuid.uuid4()
    client.post(roles_url(other_clinic), json=role_body(key="elsewhere"))

    roles = client.get(roles_url(clinic_id)).get_json()["roles"]

    assert [r["key"] for r in roles] == [*BUILT_IN_KEYS, "front-desk-lead"]
    assert roles[-1] == front_desk_lead


# -- creating ---------------------------------------------------------------------------------


def test_creating_a_role_answers_201_with_it_its_location_and_etag(client, clinic_id, role_body):
    response = client.post(roles_url(clinic_id), json=role_body(name="  Front desk lead  "))

    assert response.status_code == 201
    assert response.get_json() == {
        "key": "front-desk-lead", "name": "Front desk lead", "built_in": False, "version": 1, "archived": False,
        "grants": [{"permission": "appointments.read", "scope": "any"}, {"permission": "reports.read", "scope": "any"}],
    }
    assert response.headers["Location"] == roles_url(clinic_id, "front-desk-lead")
    assert response.headers["ETag"] == '"1"'


def test_creating_a_role_leaves_one_upserted_event_and_one_audit_entry_by_the_actor(
    client, clinic_id, admin_id, role_body, stored
):
    client.post(roles_url(clinic_id), json=role_body(), headers={"X-Actor-Id": str(admin_id),
                                                                  "X-Correlation-ID": "roles-1"})

    [row] = stored.outbox()
    assert (row["event_type"], row["state"], row["clinic_id"]) == (UPSERTED, "pending", clinic_id)
    assert schema_violations(row) == []
    envelope = envelope_of(row)
    assert (envelope.dataschema, envelope.subject, envelope.correlationid) == (
        schema_uri(UPSERTED), f"{clinic_id}/front-desk-lead", "roles-1")
    event = envelope.payload(RoleUpsertedV1)
    assert (event.role_key, event.name, event.version) == ("front-desk-lead", "Front desk lead", 1)
    assert [(g.permission, g.scope) for g in event.grants] == [("appointments.read", "any"), ("reports.read", "any")]
    [entry] = stored.audit()
    assert (entry["clinic_id"], entry["actor_id"], entry["action"], entry["subject"], entry["before"]) == (
        clinic_id, admin_id, "role.created", "role/front-desk-lead", None)
    assert entry["after"]["version"] == 1
    assert entry["at"] == event.updated_at


def test_replaying_an_idempotency_key_returns_the_first_response_and_creates_nothing_more(
    client, clinic_id, role_body, stored
):
    headers = {"Idempotency-Key": "create-front-desk-lead"}
    first = client.post(roles_url(clinic_id), json=role_body(), headers=headers)

    replay = client.post(roles_url(clinic_id), json=role_body(), headers=headers)

    assert first.status_code == replay.status_code == 201
    assert replay.get_json() == first.get_json()
    assert (replay.headers["ETag"], replay.headers["Location"]) == (first.headers["ETag"], first.headers["Location"])
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert stored.counts() == {"roles": 1, "role_assignments": 0, "access_audit": 1, "outbox": 1,
                               "idempotency_keys": 1}


def test_a_key_the_clinic_already_uses_is_refused_with_409(client, clinic_id, front_desk_lead, role_body, stored,
                                                           problem_of):
    response = client.post(roles_url(clinic_id), json=role_body(name="Another"))

    assert response.status_code == 409
    body = problem_of(response)
    assert body["type"] == PROBLEMS + "role-exists"
    assert "front-desk-lead" in body["detail"]
    assert stored.counts() == {"roles": 1, "role_assignments": 0, "access_audit": 1, "outbox": 1,
                               "idempotency_keys": 0}


def test_two_clinics_may_define_the_same_key(client, front_desk_lead, role_body):
    assert client.post(roles_url(uuid.uuid4()), json=role_body()).status_code == 201


# (case, request arguments, status, problem type, fields named in `errors`)
REFUSED_CREATIONS = [
    ("key not a slug", {"json_changes": {"key": "Front Desk"}}, 422, VALIDATION, {"key"}),
    ("key of a built-in role", {"json_changes": {"key": "receptionist"}}, 422, VALIDATION, {"key"}),
    ("key of one character", {"json_changes": {"key": "f"}}, 422, VALIDATION, {"key"}),
    ("blank name", {"json_changes": {"name": "  "}}, 422, VALIDATION, {"name"}),
    ("name longer than 100", {"json_changes": {"name": "n" * 101}}, 422, VALIDATION, {"name"}),
    ("no grants", {"json_changes": {"grants": []}}, 422, VALIDATION, {"grants"}),
    ("unknown permission", {"json_changes": {"grants": [{"permission": "coffee.make", "scope": "any"}]}},
     422, VALIDATION, {"grants.0.permission"}),
    ("platform permission", {"json_changes": {"grants": [{"permission": "platform.clinics.manage", "scope": "any"}]}},
     422, VALIDATION, {"grants.0.permission"}),
    ("own where nothing is owned", {"json_changes": {"grants": [{"permission": "payments.refund", "scope": "own"}]}},
     422, VALIDATION, {"grants.0.scope"}),
    ("unknown scope", {"json_changes": {"grants": [{"permission": "reports.read", "scope": "all"}]}},
     422, VALIDATION, {"grants.0.scope"}),
    ("duplicate permission", {"json_changes": {"grants": [{"permission": "reports.read", "scope": "any"}] * 2}},
     422, VALIDATION, {"grants.1.permission"}),
    ("grant without scope", {"json_changes": {"grants": [{"permission": "reports.read"}]}},
     422, VALIDATION, {"grants.0.scope"}),
    ("key not a string", {"json_changes": {"key": 7}}, 422, VALIDATION, {"key"}),
    ("grants not a list", {"json_changes": {"grants": "reports.read"}}, 422, VALIDATION, {"grants"}),
    ("empty object", {"json": {}}, 422, VALIDATION, {"key", "name", "grants"}),
    ("malformed X-Actor-Id", {"headers": {"X-Actor-Id": "admin"}}, 422, VALIDATION, {"X-Actor-Id"}),
    ("malformed Idempotency-Key", {"headers": {"Idempotency-Key": "not a key!"}}, 422, VALIDATION,
     {"Idempotency-Key"}),
    ("not JSON", {"data": "key=front-desk", "content_type": "text/plain"}, 415,
     PROBLEMS + "unsupported-media-type", set()),
    ("malformed JSON", {"data": '{"key": "fr', "content_type": "application/json"}, 400,
     PROBLEMS + "malformed-json", set()),
]


def test_a_refused_creation_answers_a_problem_naming_each_bad_field_writes_nothing_and_emits_nothing(
    client, clinic_id, role_body, stored, problem_of, subtests
):
    for number, (case, arguments, status, kind, fields) in enumerate(REFUSED_CREATIONS):
        with subtests.test(case):
            request = {"headers": {"Idempotency-Key": f"refused-{number}", **arguments.get("headers", {})}}
            if "json_changes" in arguments:
                request["json"] = role_body(**arguments["json_changes"])
            elif "data" in arguments:
                request.update(data=arguments["data"], content_type=arguments["content_type"])
            else:
                request["json"] = arguments.get("json", role_body())

            response = client.post(roles_url(clinic_id), **request)

            assert response.status_code == status
            body = problem_of(response)
            assert (body["type"], body["status"]) == (kind, status)
            if fields:
                assert field_errors(body) == fields
            assert stored.counts() == dict.fromkeys(stored.counts(), 0)


# -- changing ---------------------------------------------------------------------------------


def change(client, clinic_id, key: str, body: dict, etag: str | None = '"1"', **headers):
    if etag is not None:
        headers["If-Match"] = etag
    return client.put(roles_url(clinic_id, key), json={"name": body["name"], "grants": body["grants"]},
                      headers=headers)


def test_a_change_with_the_current_etag_answers_the_next_version_and_leaves_an_event_and_audit_entry(
    client, clinic_id, admin_id, front_desk_lead, role_body, stored
):
    body = role_body(name="Front desk", grants=[{"permission": "appointments.manage", "scope": "own"}])

    response = change(client, clinic_id, "front-desk-lead", body, **{"X-Actor-Id": str(admin_id)})

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert response.get_json() == {**front_desk_lead, "name": "Front desk", "version": 2,
                                   "grants": [{"permission": "appointments.manage", "scope": "own"}]}
    row = stored.outbox()[-1]
    assert (row["event_type"], schema_violations(row)) == (UPSERTED, [])
    assert envelope_of(row).payload(RoleUpsertedV1).version == 2
    entry = stored.audit()[-1]
    assert (entry["action"], entry["actor_id"], entry["before"]["name"], entry["after"]["name"]) == (
        "role.changed", admin_id, "Front desk lead", "Front desk")


def test_a_weak_etag_is_accepted(client, clinic_id, front_desk_lead, role_body):
    assert change(client, clinic_id, "front-desk-lead", role_body(name="Renamed"), etag='W/"1"').status_code == 200


def test_an_unchanged_role_keeps_its_version_and_emits_nothing(client, clinic_id, front_desk_lead, role_body,
                                                               stored):
    response = change(client, clinic_id, "front-desk-lead", role_body())

    assert (response.status_code, response.headers["ETag"]) == (200, '"1"')
    assert (stored.count("outbox"), stored.count("access_audit")) == (1, 1)


# (case, key, If-Match, body changes, status, problem type)
REFUSED_CHANGES = [
    ("no If-Match", "front-desk-lead", None, {}, 428, "precondition-required"),
    ("If-Match *", "front-desk-lead", "*", {}, 422, "validation-error"),
    ("stale If-Match", "front-desk-lead", '"7"', {"name": "Renamed"}, 412, "stale-version"),
    ("invalid grants", "front-desk-lead", '"1"', {"grants": [{"permission": "roles.manage", "scope": "own"}]},
     422, "validation-error"),
    ("unknown role", "nobody-has-it", '"1"', {}, 404, "not-found"),
    ("built-in role", "receptionist", '"1"', {"name": "Front desk"}, 409, "built-in-role"),
]


def test_a_refused_change_answers_a_problem_and_changes_writes_and_emits_nothing(
    client, clinic_id, front_desk_lead, role_body, stored, problem_of, subtests
):
    before = stored.counts()
    for case, key, etag, changes, status, kind in REFUSED_CHANGES:
        with subtests.test(case):
            response = change(client, clinic_id, key, role_body(**changes), etag=etag)

            assert response.status_code == status
            assert problem_of(response)["type"] == PROBLEMS + kind
            assert stored.counts() == before
    assert client.get(roles_url(clinic_id)).get_json()["roles"][-1] == front_desk_lead


def test_a_stale_change_says_which_version_is_current(client, clinic_id, front_desk_lead, role_body, problem_of):
    change(client, clinic_id, "front-desk-lead", role_body(name="First"))

    response = change(client, clinic_id, "front-desk-lead", role_body(name="Second"))

    assert response.status_code == 412
    assert "version 2" in problem_of(response)["detail"]


def test_a_role_of_another_clinic_cannot_be_changed_from_this_one(client, front_desk_lead, role_body, problem_of):
    response = change(client, uuid.uuid4(), "front-desk-lead", role_body(name="Hijacked"))

    assert response.status_code == 404


# -- archiving --------------------------------------------------------------------------------


def test_archiving_an_unassigned_role_answers_the_next_version_and_leaves_an_event_and_audit_entry(
    client, clinic_id, admin_id, front_desk_lead, stored
):
    response = client.post(roles_url(clinic_id, "front-desk-lead") + "/archive",
                           headers={"If-Match": '"1"', "X-Actor-Id": str(admin_id)})

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert response.get_json() == {**front_desk_lead, "version": 2, "archived": True}
    row = stored.outbox()[-1]
    assert (row["event_type"], schema_violations(row)) == (ARCHIVED, [])
    event = envelope_of(row).payload(RoleArchivedV1)
    assert (event.clinic_id, event.role_key, event.version) == (clinic_id, "front-desk-lead", 2)
    entry = stored.audit()[-1]
    assert (entry["action"], entry["actor_id"], entry["before"]["archived"], entry["after"]["archived"]) == (
        "role.archived", admin_id, False, True)
    assert client.get(roles_url(clinic_id)).get_json()["roles"][-1]["archived"] is True


def test_an_archived_role_can_neither_change_nor_be_granted(client, clinic_id, front_desk_lead, role_body, stored,
                                                            problem_of):
    client.post(roles_url(clinic_id, "front-desk-lead") + "/archive", headers={"If-Match": '"1"'})
    before = stored.counts()

    changed = change(client, clinic_id, "front-desk-lead", role_body(name="Revived"), etag='"2"')
    granted = client.put(assignment_url(clinic_id, "front-desk-lead"))

    assert (changed.status_code, problem_of(changed)["type"]) == (409, PROBLEMS + "role-archived")
    assert (granted.status_code, problem_of(granted)["type"]) == (422, PROBLEMS + "role-not-assignable")
    assert stored.counts() == before


def test_a_role_someone_holds_cannot_be_archived(client, clinic_id, front_desk_lead, stored, problem_of):
    client.put(assignment_url(clinic_id, "front-desk-lead"))
    before = stored.counts()

    response = client.post(roles_url(clinic_id, "front-desk-lead") + "/archive", headers={"If-Match": '"1"'})

    assert response.status_code == 409
    body = problem_of(response)
    assert body["type"] == PROBLEMS + "role-in-use"
    assert "1 principal(s)" in body["detail"]
    assert stored.counts() == before


def test_a_revoked_role_can_be_archived(client, clinic_id, front_desk_lead):
    client.put(assignment_url(clinic_id, "front-desk-lead"))
    client.delete(assignment_url(clinic_id, "front-desk-lead"))

    response = client.post(roles_url(clinic_id, "front-desk-lead") + "/archive", headers={"If-Match": '"1"'})

    assert response.status_code == 200


@pytest.mark.parametrize(("key", "etag", "status", "kind"), [
    ("front-desk-lead", None, 428, "precondition-required"),
    ("front-desk-lead", '"3"', 412, "stale-version"),
    ("nobody-has-it", '"1"', 404, "not-found"),
    ("clinic_admin", '"1"', 409, "built-in-role"),
])
def test_a_refused_archive_answers_a_problem_and_writes_nothing(client, clinic_id, front_desk_lead, stored,
                                                                problem_of, key, etag, status, kind):
    before = stored.counts()

    response = client.post(roles_url(clinic_id, key) + "/archive", headers={"If-Match": etag} if etag else {})

    assert (response.status_code, problem_of(response)["type"]) == (status, PROBLEMS + kind)
    assert stored.counts() == before


# -- assignments ------------------------------------------------------------------------------


def test_granting_a_role_answers_the_assignment_and_leaves_an_event_and_audit_entry(
    client, clinic_id, admin_id, stored
):
    response = client.put(assignment_url(clinic_id, "receptionist"), headers={"X-Actor-Id": str(admin_id)})

    assert response.status_code == 200
    assignment = response.get_json()
    assert {k: v for k, v in assignment.items() if k != "granted_at"} == {
        "clinic_id": str(clinic_id), "principal_id": str(PRINCIPAL), "role_key": "receptionist",
        "granted_by": str(admin_id),
    }
    [row] = stored.outbox()
    assert (row["event_type"], schema_violations(row)) == (GRANTED, [])
    event = envelope_of(row).payload(RoleAssignmentGrantedV1)
    assert (event.principal_id, event.role_key, event.granted_by, event.granted_at.isoformat()) == (
        PRINCIPAL, "receptionist", admin_id, assignment["granted_at"])
    assert envelope_of(row).subject == str(PRINCIPAL)
    [entry] = stored.audit()
    assert (entry["action"], entry["subject"], entry["actor_id"], entry["before"], entry["after"]) == (
        "role.granted", f"principal/{PRINCIPAL}/role/receptionist", admin_id, None,
        {"principal_id": str(PRINCIPAL), "role_key": "receptionist"})


def test_granting_a_role_again_answers_the_first_grant_and_writes_nothing_more(client, clinic_id, admin_id, stored):
    first = client.put(assignment_url(clinic_id, "patient"), headers={"X-Actor-Id": str(admin_id)})

    again = client.put(assignment_url(clinic_id, "patient"))

    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert (stored.count("role_assignments"), stored.event_types(), stored.count("access_audit")) == (
        1, [GRANTED], 1)


def test_the_principals_roles_in_a_clinic_are_listed_by_key(client, clinic_id, front_desk_lead):
    for key in ("specialist", "front-desk-lead", "receptionist"):
        client.put(assignment_url(clinic_id, key))
    client.put(assignment_url(uuid.uuid4(), "clinic_admin"))  # another clinic
    client.put(assignment_url(clinic_id, "clinic_admin", principal=uuid.uuid4()))  # another principal

    response = client.get(f"/clinics/{clinic_id}/principals/{PRINCIPAL}/roles")

    assert response.get_json() == {"roles": ["front-desk-lead", "receptionist", "specialist"]}


def test_a_principal_without_roles_has_an_empty_list(client, clinic_id):
    assert client.get(f"/clinics/{clinic_id}/principals/{PRINCIPAL}/roles").get_json() == {"roles": []}


def test_revoking_a_role_answers_204_and_leaves_an_event_and_audit_entry(client, clinic_id, admin_id, stored):
    client.put(assignment_url(clinic_id, "specialist"))

    response = client.delete(assignment_url(clinic_id, "specialist"), headers={"X-Actor-Id": str(admin_id)})

    assert (response.status_code, response.get_data()) == (204, b"")
    assert stored.count("role_assignments") == 0
    row = stored.outbox()[-1]
    assert (row["event_type"], schema_violations(row)) == (REVOKED, [])
    event = envelope_of(row).payload(RoleAssignmentRevokedV1)
    assert (event.principal_id, event.role_key, event.revoked_by) == (PRINCIPAL, "specialist", admin_id)
    entry = stored.audit()[-1]
    assert (entry["action"], entry["before"], entry["after"]) == (
        "role.revoked", {"principal_id": str(PRINCIPAL), "role_key": "specialist"}, None)


def test_revoking_a_role_not_held_answers_204_and_writes_nothing(client, clinic_id, front_desk_lead, stored):
    before = stored.counts()

    assert client.delete(assignment_url(clinic_id, "specialist")).status_code == 204
    assert client.delete(assignment_url(clinic_id, "front-desk-lead")).status_code == 204
    assert stored.counts() == before


@pytest.mark.parametrize(("method", "key", "headers", "status", "kind"), [
    ("put", "nobody-has-it", {}, 404, "not-found"),
    ("delete", "nobody-has-it", {}, 404, "not-found"),
    ("put", "receptionist", {"X-Actor-Id": "admin@clinic"}, 422, "validation-error"),
    ("delete", "receptionist", {"X-Actor-Id": "42"}, 422, "validation-error"),
])
def test_a_refused_grant_or_revoke_answers_a_problem_and_writes_nothing(client, clinic_id, stored, problem_of,
                                                                        method, key, headers, status, kind):
    response = getattr(client, method)(assignment_url(clinic_id, key), headers=headers)

    assert (response.status_code, problem_of(response)["type"]) == (status, PROBLEMS + kind)
    assert stored.counts() == dict.fromkeys(stored.counts(), 0)


def test_a_principal_id_that_is_not_a_uuid_is_not_found(client, clinic_id, problem_of):
    response = client.put(f"/clinics/{clinic_id}/principals/jane/roles/receptionist")

    assert response.status_code == 404


# -- the access audit -------------------------------------------------------------------------


def test_the_audit_lists_the_clinics_changes_newest_first_with_actor_and_before_and_after(
    client, clinic_id, admin_id, role_body
):
    actor = {"X-Actor-Id": str(admin_id)}
    client.post(roles_url(clinic_id), json=role_body(), headers=actor)
    client.put(assignment_url(clinic_id, "front-desk-lead"), headers=actor)
    client.delete(assignment_url(clinic_id, "front-desk-lead"))
    client.put(assignment_url(uuid.uuid4(), "receptionist"), headers=actor)  # another clinic's

    entries = client.get(f"/clinics/{clinic_id}/audit").get_json()["entries"]

    assert [(e["action"], e["actor_id"]) for e in entries] == [
        ("role.revoked", None), ("role.granted", str(admin_id)), ("role.created", str(admin_id)),
    ]
    revoked = entries[0]
    assert set(revoked) == {"id", "at", "actor_id", "action", "subject", "before", "after"}
    assert (revoked["subject"], revoked["before"], revoked["after"]) == (
        f"principal/{PRINCIPAL}/role/front-desk-lead", {"principal_id": str(PRINCIPAL), "role_key": "front-desk-lead"},
        None)
    assert entries[2]["after"]["key"] == "front-desk-lead"


def test_the_audit_is_read_a_page_at_a_time(client, clinic_id):
    for key in BUILT_IN_KEYS:
        client.put(assignment_url(clinic_id, key))

    first = client.get(f"/clinics/{clinic_id}/audit?limit=3").get_json()["entries"]
    rest = client.get(f"/clinics/{clinic_id}/audit", query_string={"before": first[-1]["at"]}).get_json()["entries"]

    assert [e["subject"].rsplit("/", 1)[1] for e in first + rest] == list(reversed(BUILT_IN_KEYS))


def test_a_clinic_without_changes_has_an_empty_audit(client):
    assert client.get(f"/clinics/{uuid.uuid4()}/audit").get_json() == {"entries": []}


@pytest.mark.parametrize(("query", "fields"), [
    ("limit=0", {"limit"}), ("limit=201", {"limit"}), ("limit=ten", {"limit"}), ("limit=-1", {"limit"}),
    ("before=yesterday", {"before"}), ("before=2026-11-22T10:00:00", {"before"}),
    ("limit=0&before=x", {"limit", "before"}),
])
def test_a_malformed_audit_query_is_refused_with_422(client, clinic_id, problem_of, query, fields):
    response = client.get(f"/clinics/{clinic_id}/audit?{query}")

    assert response.status_code == 422
    assert field_errors(problem_of(response)) == fields
