"""Use cases on roles and assignments, with fakes: what each changes, audits and publishes."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from clinic_contracts.events.entitlements import (
    PermissionGrant,
    RoleArchivedV1,
    RoleAssignmentGrantedV1,
    RoleAssignmentRevokedV1,
    RoleUpsertedV1,
)
from clinic_runtime.refusals import Conflict, Invalid, NotFound, StaleVersion
from entitlements.domain.assignments import Assignment
from entitlements.domain.audit import AuditAction
from entitlements.domain.roles import RoleArchived, define
from entitlements.domain.usage import LimitReached, Usage
from entitlements.service_layer.roles import (
    BuiltInRole,
    RoleChange,
    RoleHeldByPatients,
    RoleInUse,
    RoleNotAssignable,
    archive_role,
    change_role,
    create_role,
    grant_role,
    revoke_role,
)

GRANTS = [("appointments.read", "any"), ("reports.read", "any")]
PRINCIPAL = uuid.UUID("0193a5e0-0000-7000-8000-0000000000a1")


@pytest.fixture
def front_desk(uow, clinic_id, admin_id, now):
    bundle = create_role(uow, clinic_id, "front-desk", "Front desk", GRANTS, admin_id, now)
    uow.published.clear()
    uow.audit.recorded.clear()
    return bundle


def nothing_recorded(uow) -> bool:
    return uow.published == [] and uow.audit.recorded == []


# -- creating ---------------------------------------------------------------------------------


def test_creating_a_role_stores_version_1_audits_it_and_publishes_its_snapshot(uow, clinic_id, admin_id, now):
    bundle = create_role(uow, clinic_id, "front-desk", " Front desk ", list(reversed(GRANTS)), admin_id, now)

    assert (bundle.key, bundle.definition, bundle.version, bundle.archived) == (
        "front-desk", define("Front desk", GRANTS), 1, False)
    assert uow.roles.get(clinic_id, "front-desk") == bundle
    [entry] = uow.audit.recorded
    assert (entry.clinic_id, entry.actor_id, entry.at, entry.action, entry.subject, entry.before) == (
        clinic_id, admin_id, now, AuditAction.ROLE_CREATED, "role/front-desk", None)
    assert entry.after == {"key": "front-desk", "name": "Front desk", "version": 1, "archived": False,
                           "grants": [{"permission": "appointments.read", "scope": "any"},
                                      {"permission": "reports.read", "scope": "any"}]}
    assert uow.published == [(RoleUpsertedV1(
        clinic_id=clinic_id, role_key="front-desk", name="Front desk", version=1, updated_at=now,
        grants=[PermissionGrant(permission="appointments.read", scope="any"),
                PermissionGrant(permission="reports.read", scope="any")],
    ), clinic_id)]


def test_the_platform_itself_may_create_a_role_without_an_actor(uow, clinic_id, now):
    create_role(uow, clinic_id, "front-desk", "Front desk", GRANTS, None, now)

    assert uow.audit.recorded[0].actor_id is None


def test_an_invalid_role_reports_every_problem_and_creates_nothing(uow, clinic_id, admin_id, now):
    with pytest.raises(Invalid) as refused:
        create_role(uow, clinic_id, "Front Desk", "", [("platform.plans.manage", "any")], admin_id, now)

    assert [p.field for p in refused.value.problems] == ["key", "name", "grants.0.permission"]
    assert uow.roles.list(clinic_id) == []
    assert nothing_recorded(uow)


def test_a_key_the_clinic_already_uses_is_refused(uow, front_desk, clinic_id, admin_id, now):
    with pytest.raises(Conflict) as refused:
        create_role(uow, clinic_id, "front-desk", "Another", GRANTS, admin_id, now)

    assert refused.value.kind == "role-exists"

    assert uow.roles.list(clinic_id) == [front_desk]
    assert nothing_recorded(uow)


def test_another_clinic_may_use_the_same_key(uow, front_desk, admin_id, now):
    other = uuid.uuid4()

    assert create_role(uow, other, "front-desk", "Front desk", GRANTS, admin_id, now).clinic_id == other


# -- changing ---------------------------------------------------------------------------------


def test_changing_a_role_makes_the_next_version_audits_before_and_after_and_publishes(
    uow, front_desk, clinic_id, admin_id, later
):
    changed = change_role(uow, clinic_id, "front-desk", RoleChange("Front desk lead", [("reports.read", "any")], 1),
                          admin_id, later)

    assert (changed.version, changed.definition.name, changed.updated_at) == (2, "Front desk lead", later)
    [entry] = uow.audit.recorded
    assert (entry.action, entry.before["version"], entry.after["version"]) == (AuditAction.ROLE_CHANGED, 1, 2)
    assert entry.after["grants"] == [{"permission": "reports.read", "scope": "any"}]
    [(event, published_for)] = uow.published
    assert (event.version, event.name, event.updated_at, published_for) == (2, "Front desk lead", later, clinic_id)


def test_an_unchanged_role_keeps_its_version_and_records_nothing(uow, front_desk, clinic_id, admin_id, later):
    result = change_role(uow, clinic_id, "front-desk", RoleChange("Front desk", list(reversed(GRANTS)), 1),
                         admin_id, later)

    assert result == front_desk
    assert nothing_recorded(uow)


def test_a_change_based_on_a_stale_version_is_refused_with_the_current_one(uow, front_desk, clinic_id, admin_id,
                                                                            later):
    change_role(uow, clinic_id, "front-desk", RoleChange("First", GRANTS, 1), admin_id, later)
    uow.published.clear()
    uow.audit.recorded.clear()

    with pytest.raises(StaleVersion) as refused:
        change_role(uow, clinic_id, "front-desk", RoleChange("Second", GRANTS, 1), admin_id, later)

    assert refused.value.current == 2
    assert uow.roles.get(clinic_id, "front-desk").definition.name == "First"
    assert nothing_recorded(uow)


def test_a_change_that_loses_the_race_to_another_writer_is_stale_and_records_nothing(
    uow, front_desk, clinic_id, admin_id, later
):
    theirs = front_desk.change(define("Theirs", GRANTS), later)
    uow.roles.someone_else_saves_first(theirs)

    with pytest.raises(StaleVersion) as refused:
        change_role(uow, clinic_id, "front-desk", RoleChange("Ours", GRANTS, 1), admin_id, later)

    assert refused.value.current == 2
    assert uow.roles.get(clinic_id, "front-desk") == theirs
    assert nothing_recorded(uow)


def test_a_role_a_tier_maps_to_may_not_grant_what_a_patient_may_not_hold(uow, clinic_id, admin_id, now, later):
    reader = [("library.access", "any")]
    create_role(uow, clinic_id, "reader", "Reader", reader, admin_id, now)
    uow.roles.tiers[(clinic_id, "reader")] = ["premium"]
    uow.published.clear()
    uow.audit.recorded.clear()

    with pytest.raises(RoleHeldByPatients) as refused:
        change_role(uow, clinic_id, "reader", RoleChange("Reader", [*reader, ("catalog.manage", "any")], 1),
                    admin_id, later)

    assert refused.value.tier_keys == ["premium"]
    assert uow.roles.get(clinic_id, "reader").version == 1
    assert nothing_recorded(uow)
    safe = change_role(uow, clinic_id, "reader", RoleChange("Reader", [*reader, ("telerehab.access", "any")], 1),
                       admin_id, later)
    assert safe.version == 2


def test_the_staff_limit_is_asked_only_when_a_change_makes_a_role_a_patient_could_hold_a_staff_role(
        uow, front_desk, clinic_id, admin_id, now, later):
    reader = [("library.access", "any")]
    create_role(uow, clinic_id, "reader", "Reader", reader, admin_id, now)
    asked: list[str] = []

    def staff_limit(clinic, key, at):
        asked.append(key)

    change_role(uow, clinic_id, "reader", RoleChange("Reader", [*reader, ("telerehab.access", "any")], 1),
                admin_id, later, staff_limit=staff_limit)
    change_role(uow, clinic_id, "front-desk", RoleChange("Front desk", [*GRANTS, ("patients.read", "any")], 1),
                admin_id, later, staff_limit=staff_limit)
    change_role(uow, clinic_id, "reader", RoleChange("Reader", [*reader, ("patients.manage", "any")], 2),
                admin_id, later, staff_limit=staff_limit)

    assert asked == ["reader"]


def test_a_change_refused_by_the_staff_limit_stores_audits_and_publishes_nothing(uow, clinic_id, admin_id, now,
                                                                                  later):
    create_role(uow, clinic_id, "reader", "Reader", [("library.access", "any")], admin_id, now)
    uow.published.clear()
    uow.audit.recorded.clear()

    def staff_limit(clinic, key, at):
        raise LimitReached(Usage("staff_users", 2, 2), None, 3)

    with pytest.raises(LimitReached):
        change_role(uow, clinic_id, "reader", RoleChange("Front desk", [("patients.manage", "any")], 1),
                    admin_id, later, staff_limit=staff_limit)

    assert uow.roles.get(clinic_id, "reader").version == 1
    assert nothing_recorded(uow)


def test_an_invalid_change_is_refused_before_anything_is_read(uow, front_desk, clinic_id, admin_id, later):
    with pytest.raises(Invalid) as refused:
        change_role(uow, clinic_id, "front-desk", RoleChange("Fine", [], 1), admin_id, later)

    assert [p.field for p in refused.value.problems] == ["grants"]
    assert nothing_recorded(uow)


def test_changing_an_unknown_role_is_refused(uow, clinic_id, admin_id, later):
    with pytest.raises(NotFound, match="role"):
        change_role(uow, clinic_id, "nobody-has-this", RoleChange("Name", GRANTS, 1), admin_id, later)


def test_a_role_of_another_clinic_is_unknown_here(uow, front_desk, admin_id, later):
    with pytest.raises(NotFound, match="role"):
        change_role(uow, uuid.uuid4(), "front-desk", RoleChange("Name", GRANTS, 1), admin_id, later)


@pytest.mark.parametrize("key", ["clinic_admin", "receptionist", "specialist", "patient"])
def test_built_in_roles_cannot_be_changed_or_archived(uow, clinic_id, admin_id, later, key):
    with pytest.raises(BuiltInRole):
        change_role(uow, clinic_id, key, RoleChange("Mine now", GRANTS, 1), admin_id, later)
    with pytest.raises(BuiltInRole):
        archive_role(uow, clinic_id, key, 1, admin_id, later)

    assert nothing_recorded(uow)


def test_an_archived_role_cannot_change(uow, front_desk, clinic_id, admin_id, later):
    archive_role(uow, clinic_id, "front-desk", 1, admin_id, later)
    uow.published.clear()
    uow.audit.recorded.clear()

    with pytest.raises(RoleArchived):
        change_role(uow, clinic_id, "front-desk", RoleChange("Revived", GRANTS, 2), admin_id, later)

    assert nothing_recorded(uow)


# -- archiving --------------------------------------------------------------------------------


def test_archiving_an_unassigned_role_makes_the_next_version_audits_and_publishes(
    uow, front_desk, clinic_id, admin_id, later
):
    archived = archive_role(uow, clinic_id, "front-desk", 1, admin_id, later)

    assert (archived.version, archived.archived) == (2, True)
    assert uow.roles.get(clinic_id, "front-desk") == archived
    [entry] = uow.audit.recorded
    assert (entry.action, entry.before["archived"], entry.after["archived"]) == (AuditAction.ROLE_ARCHIVED, False,
                                                                                 True)
    assert uow.published == [(RoleArchivedV1(clinic_id=clinic_id, role_key="front-desk", version=2,
                                             archived_at=later), clinic_id)]


def test_archiving_locks_the_role_against_a_racing_grant(uow, front_desk, clinic_id, admin_id, later):
    archive_role(uow, clinic_id, "front-desk", 1, admin_id, later)

    assert uow.roles.locked == [(clinic_id, "front-desk")]


def test_a_role_someone_holds_cannot_be_archived(uow, front_desk, clinic_id, admin_id, later):
    grant_role(uow, clinic_id, PRINCIPAL, "front-desk", admin_id, later)
    uow.published.clear()
    uow.audit.recorded.clear()

    with pytest.raises(RoleInUse) as refused:
        archive_role(uow, clinic_id, "front-desk", 1, admin_id, later)

    assert refused.value.holders == 1
    assert uow.roles.get(clinic_id, "front-desk") == front_desk
    assert nothing_recorded(uow)


def test_archiving_an_archived_role_again_changes_nothing(uow, front_desk, clinic_id, admin_id, later):
    archived = archive_role(uow, clinic_id, "front-desk", 1, admin_id, later)
    uow.published.clear()
    uow.audit.recorded.clear()

    assert archive_role(uow, clinic_id, "front-desk", 2, admin_id, later) == archived
    assert nothing_recorded(uow)


def test_archiving_on_a_stale_version_is_refused(uow, front_desk, clinic_id, admin_id, later):
    with pytest.raises(StaleVersion) as refused:
        archive_role(uow, clinic_id, "front-desk", 7, admin_id, later)

    assert refused.value.current == 1
    assert nothing_recorded(uow)


def test_archiving_an_unknown_role_is_refused(uow, clinic_id, admin_id, later):
    with pytest.raises(NotFound, match="role"):
        archive_role(uow, clinic_id, "front-desk", 1, admin_id, later)


# -- granting and revoking --------------------------------------------------------------------


@pytest.mark.parametrize("key", ["clinic_admin", "receptionist", "specialist", "patient"])
def test_granting_a_built_in_role_stores_audits_and_publishes_it(uow, clinic_id, admin_id, now, key):
    assignment = grant_role(uow, clinic_id, PRINCIPAL, key, admin_id, now)

    assert assignment == Assignment(clinic_id, PRINCIPAL, key, admin_id, now)
    assert uow.assignments.all() == [assignment]
    [entry] = uow.audit.recorded
    assert (entry.action, entry.subject, entry.before, entry.after, entry.actor_id) == (
        AuditAction.ROLE_GRANTED, f"principal/{PRINCIPAL}/role/{key}", None,
        {"principal_id": str(PRINCIPAL), "role_key": key}, admin_id)
    assert uow.published == [(RoleAssignmentGrantedV1(clinic_id=clinic_id, principal_id=PRINCIPAL, role_key=key,
                                                      granted_by=admin_id, granted_at=now), clinic_id)]


def test_granting_a_clinic_defined_role_locks_it_against_a_racing_archive(uow, front_desk, clinic_id, admin_id, now):
    grant_role(uow, clinic_id, PRINCIPAL, "front-desk", admin_id, now)

    assert uow.roles.locked == [(clinic_id, "front-desk")]
    assert [a.role_key for a in uow.assignments.all()] == ["front-desk"]


def test_granting_a_role_already_held_changes_nothing_and_answers_the_first_grant(uow, clinic_id, admin_id, now,
                                                                                   later):
    first = grant_role(uow, clinic_id, PRINCIPAL, "receptionist", admin_id, now)
    uow.published.clear()
    uow.audit.recorded.clear()

    again = grant_role(uow, clinic_id, PRINCIPAL, "receptionist", uuid.uuid4(), later)

    assert again == first
    assert uow.assignments.all() == [first]
    assert nothing_recorded(uow)


def test_a_principal_may_hold_several_roles(uow, front_desk, clinic_id, admin_id, now):
    for key in ("receptionist", "front-desk", "specialist"):
        grant_role(uow, clinic_id, PRINCIPAL, key, admin_id, now)

    assert [a.role_key for a in uow.assignments.held_by(clinic_id, PRINCIPAL)] == [
        "front-desk", "receptionist", "specialist"]


def test_granting_an_unknown_role_is_refused(uow, clinic_id, admin_id, now):
    with pytest.raises(NotFound, match="role"):
        grant_role(uow, clinic_id, PRINCIPAL, "front-desk", admin_id, now)

    assert uow.assignments.all() == []
    assert nothing_recorded(uow)


def test_granting_an_archived_role_is_refused(uow, front_desk, clinic_id, admin_id, now):
    uow.roles.add(replace(front_desk, clinic_id=clinic_id, key="retired", archived=True))

    with pytest.raises(RoleNotAssignable):
        grant_role(uow, clinic_id, PRINCIPAL, "retired", admin_id, now)

    assert uow.assignments.all() == []
    assert nothing_recorded(uow)


def test_revoking_a_held_role_removes_audits_and_publishes_it(uow, clinic_id, admin_id, now, later):
    grant_role(uow, clinic_id, PRINCIPAL, "specialist", admin_id, now)
    uow.published.clear()
    uow.audit.recorded.clear()

    assert revoke_role(uow, clinic_id, PRINCIPAL, "specialist", None, later) is True

    assert uow.assignments.all() == []
    [entry] = uow.audit.recorded
    assert (entry.action, entry.actor_id, entry.at, entry.before, entry.after) == (
        AuditAction.ROLE_REVOKED, None, later, {"principal_id": str(PRINCIPAL), "role_key": "specialist"}, None)
    assert uow.published == [(RoleAssignmentRevokedV1(clinic_id=clinic_id, principal_id=PRINCIPAL,
                                                      role_key="specialist", revoked_by=None, revoked_at=later),
                               clinic_id)]


def test_revoking_a_role_not_held_changes_nothing(uow, front_desk, clinic_id, admin_id, later):
    assert revoke_role(uow, clinic_id, PRINCIPAL, "receptionist", admin_id, later) is False
    assert revoke_role(uow, clinic_id, PRINCIPAL, "front-desk", admin_id, later) is False

    assert nothing_recorded(uow)


def test_revoking_in_one_clinic_leaves_the_same_role_in_another(uow, clinic_id, admin_id, now, later):
    other_clinic = uuid.uuid4()
    grant_role(uow, clinic_id, PRINCIPAL, "patient", admin_id, now)
    kept = grant_role(uow, other_clinic, PRINCIPAL, "patient", admin_id, now)

    revoke_role(uow, clinic_id, PRINCIPAL, "patient", admin_id, later)

    assert uow.assignments.all() == [kept]


def test_revoking_an_unknown_role_is_refused(uow, clinic_id, admin_id, later):
    with pytest.raises(NotFound, match="role"):
        revoke_role(uow, clinic_id, PRINCIPAL, "front-desk", admin_id, later)
