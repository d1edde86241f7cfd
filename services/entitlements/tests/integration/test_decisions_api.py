"""POST /decisions over HTTP, on PostgreSQL and SQLite: the answer, its timing header, its cost."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from entitlements.adapters.orm import role_assignments, roles
from entitlements.adapters.role_holdings import SqlRoleHoldings

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"
SERVER_TIMING = re.compile(r"app;dur=\d+\.\d{2}")
ME = uuid.UUID("0193a5e0-0000-7000-8000-0000000000a1")
SOMEONE_ELSE = uuid.UUID("0193a5e0-0000-7000-8000-0000000000b2")


@pytest.fixture
def ask(client, clinic_id):
    """POST /decisions for a principal of `clinic_id` (kind `kind`), in `clinic_id` unless told."""

    def post(action: str, *, kind: str = "staff", principal_id=ME, principal_clinic="same", clinic="same",
             resource=None):
        principal_clinic = clinic_id if principal_clinic == "same" else principal_clinic
        clinic = clinic_id if clinic == "same" else clinic
        body = {"principal": {"id": str(principal_id), "kind": kind,
                              "clinic_id": str(principal_clinic) if principal_clinic else None},
                "action": action, "clinic_id": str(clinic) if clinic else None, "resource": resource}
        return client.post("/decisions", json=body)

    return post


def grant(client, clinic_id, key: str, principal=ME) -> None:
    assert client.put(f"/clinics/{clinic_id}/principals/{principal}/roles/{key}").status_code == 200


def test_a_granted_action_answers_allowed_with_scope_reason_and_server_timing(client, clinic_id, ask):
    grant(client, clinic_id, "receptionist")

    response = ask("appointments.read")

    assert response.status_code == 200
    assert response.get_json() == {"allowed": True, "scope": "any", "reason_code": "granted",
                                   "reason": "role receptionist grants appointments.read (any)"}
    assert SERVER_TIMING.fullmatch(response.headers["Server-Timing"])


def test_an_own_grant_answers_own_scope_without_a_resource_and_not_owner_on_someone_elses(client, clinic_id, ask):
    grant(client, clinic_id, "specialist")

    unnamed = ask("appointments.read", kind="provider").get_json()
    mine = ask("appointments.read", kind="provider",
               resource={"type": "appointment", "id": "a-1", "owner_id": str(ME)}).get_json()
    theirs = ask("appointments.read", kind="provider",
                 resource={"type": "appointment", "id": "a-2", "owner_id": str(SOMEONE_ELSE)}).get_json()

    assert (unnamed["allowed"], unnamed["scope"]) == (True, "own")
    assert (mine["allowed"], mine["scope"]) == (True, "own")
    assert theirs == {"allowed": False, "scope": None, "reason_code": "not_owner",
                      "reason": "role specialist grants appointments.read (own) only, and this appointment is not "
                                "the principal's"}


def test_any_beats_own_across_a_built_in_and_a_clinic_defined_role(client, clinic_id, ask):
    client.post(f"/clinics/{clinic_id}/roles", json={
        "key": "all-patients", "name": "All patients", "grants": [{"permission": "patients.read", "scope": "any"}]})
    grant(client, clinic_id, "specialist")
    grant(client, clinic_id, "all-patients")

    answer = ask("patients.read", kind="provider",
                 resource={"type": "patient", "id": "p-1", "owner_id": str(SOMEONE_ELSE)}).get_json()

    assert answer == {"allowed": True, "scope": "any", "reason_code": "granted",
                      "reason": "role all-patients grants patients.read (any)"}


def test_a_changed_role_grants_its_new_permissions_at_once(client, clinic_id, ask):
    client.post(f"/clinics/{clinic_id}/roles", json={
        "key": "reports", "name": "Reports", "grants": [{"permission": "reports.read", "scope": "any"}]})
    grant(client, clinic_id, "reports")
    assert ask("payments.refund").get_json()["reason_code"] == "not_granted"

    client.put(f"/clinics/{clinic_id}/roles/reports", headers={"If-Match": '"1"'}, json={
        "name": "Reports and refunds", "grants": [{"permission": "reports.read", "scope": "any"},
                                                  {"permission": "payments.refund", "scope": "any"}]})

    assert ask("payments.refund").get_json()["allowed"] is True


def test_a_revoked_role_grants_nothing_any_more(client, clinic_id, ask):
    grant(client, clinic_id, "clinic_admin")
    client.delete(f"/clinics/{clinic_id}/principals/{ME}/roles/clinic_admin")

    assert ask("reports.read").get_json()["reason_code"] == "no_role"


@pytest.mark.parametrize(("case", "arguments", "reason_code"), [
    ("unknown action", {"action": "coffee.make"}, "unknown_action"),
    ("operator on a clinic action", {"action": "reports.read", "kind": "operator", "principal_clinic": None},
     "platform_only"),
    ("staff on a platform action", {"action": "platform.clinics.manage"}, "operators_only"),
    ("another clinic", {"action": "reports.read", "clinic": uuid.UUID(int=7)}, "other_clinic"),
    ("no clinic named", {"action": "reports.read", "clinic": None}, "other_clinic"),
    ("no role in the clinic", {"action": "reports.read", "principal_id": SOMEONE_ELSE}, "no_role"),
    ("not granted", {"action": "roles.manage"}, "not_granted"),
])
def test_denials_answer_200_with_the_reason(client, clinic_id, ask, case, arguments, reason_code):
    grant(client, clinic_id, "receptionist")
    arguments = dict(arguments)

    response = ask(arguments.pop("action"), **arguments)

    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["allowed"], answer["scope"], answer["reason_code"]) == (False, None, reason_code)
    assert answer["reason"]


def test_an_operator_is_allowed_platform_actions(ask):
    answer = ask("platform.plans.manage", kind="operator", principal_clinic=None, clinic=None).get_json()

    assert answer == {"allowed": True, "scope": "any", "reason_code": "granted",
                      "reason": "platform operators may platform.plans.manage"}


def valid_body() -> dict:
    return {"principal": {"id": str(ME), "kind": "staff", "clinic_id": str(uuid.UUID(int=1))},
            "action": "reports.read", "clinic_id": str(uuid.UUID(int=1)), "resource": None}


def changed(path: str, value) -> dict:
    body = valid_body()
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return body


@pytest.mark.parametrize(("body", "fields"), [
    (changed("principal", KeyError), {"principal"}),
    (changed("principal.id", "me"), {"principal.id"}),
    (changed("principal.kind", "robot"), {"principal.kind"}),
    (changed("principal.clinic_id", None), {"principal.clinic_id"}),
    (changed("principal", {"id": str(ME), "kind": "operator", "clinic_id": str(uuid.UUID(int=1))}),
     {"principal.clinic_id"}),
    (changed("action", KeyError), {"action"}),
    (changed("action", 42), {"action"}),
    (changed("clinic_id", "clinic-a"), {"clinic_id"}),
    (changed("resource", {"id": "a-1"}), {"resource.type"}),
    (changed("resource", {"type": "appointment", "owner_id": "someone"}), {"resource.owner_id"}),
    (["reports.read"], {"body"}),
])
def test_a_malformed_decision_request_is_refused_with_422_naming_the_field(client, problem_of, body, fields):
    response = client.post("/decisions", json=body)

    assert response.status_code == 422
    assert {e["field"] for e in problem_of(response)["errors"]} == fields


def test_asking_writes_nothing(client, clinic_id, ask, stored):
    grant(client, clinic_id, "patient")
    before = stored.counts()

    ask("appointments.book", kind="patient")
    ask("appointments.book", kind="patient", clinic=uuid.uuid4())

    assert stored.counts() == before


def test_an_assignment_whose_role_is_archived_grants_nothing(app, stored, clinic_id):
    # Archiving refuses a role someone holds; should such a row exist anyway, it must not grant.
    now = datetime.now(UTC)
    with stored.engine.begin() as connection:
        connection.execute(sa.insert(roles).values(
            clinic_id=clinic_id, key="retired", name="Retired", version=2, archived=True, updated_at=now,
            grants=[{"permission": "reports.read", "scope": "any"}]))
        for key in ("retired", "receptionist"):
            connection.execute(sa.insert(role_assignments).values(
                clinic_id=clinic_id, principal_id=ME, role_key=key, granted_by=None, granted_at=now))

    held = SqlRoleHoldings(app.extensions["sessions"].kw["bind"]).held_by(clinic_id, ME)

    assert [role.key for role in held] == ["receptionist"]


def test_a_decision_costs_postgresql_one_round_trip_and_no_transaction(postgres_url, entitlements_environment,
                                                                       build_app, clinic_id, tmp_path):
    from clinic_runtime.migrations import upgrade
    from entitlements.entrypoints.migrate import MIGRATIONS

    entitlements_environment(postgres_url)
    upgrade(MIGRATIONS, postgres_url)
    app = build_app()
    client = app.test_client()
    grant(client, clinic_id, "receptionist")
    engine = app.extensions["sessions"].kw["bind"]
    engine.dispose()  # from here on, every connection is traced from its start
    trace_file = (tmp_path / "protocol.trace").open("w")
    sa.event.listen(engine, "connect", lambda dbapi_connection, _: dbapi_connection.pgconn.trace(trace_file.fileno()))
    body = {"principal": {"id": str(ME), "kind": "staff", "clinic_id": str(clinic_id)},
            "action": "appointments.read", "clinic_id": str(clinic_id)}

    for _ in range(20):
        assert client.post("/decisions", json=body).get_json()["allowed"] is True
    trace_file.close()

    # What this process sent PostgreSQL: each Sync (or simple Query) waits for the server's answer.
    messages = [line.split("\t") for line in (tmp_path / "protocol.trace").read_text().splitlines()]
    sent = [fields[3] for fields in messages if len(fields) > 3 and fields[1] == "F"]
    assert "Query" not in sent, "no BEGIN, COMMIT or ROLLBACK"
    # psycopg prepares the statement once per connection (Parse, Sync: one extra trip, once);
    # from then on a decision is Bind, Describe, Execute, Sync.
    assert " ".join(sent).count("Parse Sync") == 1
    assert sent.count("Sync") == 20 + 1
