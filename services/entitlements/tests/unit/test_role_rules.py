"""What a clinic-defined role may be: its key, name and grants, and how it changes."""

from __future__ import annotations

import pytest

from entitlements.domain.permissions import Grant, Scope
from entitlements.domain.roles import (
    RoleArchived,
    RoleBundle,
    RoleDefinition,
    check_definition,
    check_key,
    define,
)

GOOD_GRANTS = [("appointments.read", "any"), ("reports.read", "any")]


def fields(problems) -> list[str]:
    return [p.field for p in problems]


@pytest.mark.parametrize("key", ["ab", "front-desk", "billing-clerk-2", "x" * 63, "9to5", "a-b-c"])
def test_a_key_is_a_lowercase_slug_of_2_to_63_characters(key):
    assert check_key(key) == []


@pytest.mark.parametrize("key", [
    "a", "x" * 64, "", "Front-Desk", "front desk", "front_desk", "-front", "front-", "fröntdesk", "front.desk",
])
def test_other_keys_are_refused(key):
    [problem] = check_key(key)
    assert problem.field == "key"
    assert "2-63 lowercase letters" in problem.message


@pytest.mark.parametrize("key", ["receptionist", "specialist", "patient", "clinic_admin"])
def test_a_key_of_a_built_in_role_is_refused(key):
    [problem] = check_key(key)
    assert (problem.field, problem.message) == ("key", f"{key!r} is the key of a built-in role; choose another")


def test_a_valid_definition_breaks_no_rule():
    assert check_definition("Front desk lead", GOOD_GRANTS) == []


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_name_must_not_be_blank(name):
    assert fields(check_definition(name, GOOD_GRANTS)) == ["name"]


def test_a_name_may_have_100_characters_but_not_101():
    assert check_definition("n" * 100, GOOD_GRANTS) == []
    [problem] = check_definition("n" * 101, GOOD_GRANTS)
    assert (problem.field, problem.message) == ("name", "use at most 100 characters")


def test_a_name_is_measured_without_surrounding_blanks():
    assert check_definition("  " + "n" * 100 + "  ", GOOD_GRANTS) == []


def test_a_role_must_grant_something():
    [problem] = check_definition("Nothing", [])
    assert (problem.field, problem.message) == ("grants", "grant at least one permission")


def test_an_unknown_permission_is_refused_at_its_position():
    [problem] = check_definition("Role", [("appointments.read", "any"), ("appointments.delete", "any")])
    assert (problem.field, problem.message) == ("grants.1.permission", "'appointments.delete' is not a permission")


@pytest.mark.parametrize("permission", ["platform.clinics.manage", "platform.accounts.manage", "platform.plans.manage"])
def test_no_clinic_role_grants_a_platform_permission(permission):
    [problem] = check_definition("Role", [(permission, "any")])
    assert problem.field == "grants.0.permission"
    assert "platform operators" in problem.message


@pytest.mark.parametrize("scope", ["all", "", "ANY", "mine"])
def test_a_scope_is_any_or_own(scope):
    [problem] = check_definition("Role", [("appointments.read", scope)])
    assert (problem.field, problem.message) == ("grants.0.scope", "use any or own")


@pytest.mark.parametrize("permission", ["appointments.read", "patients.manage", "enrollments.read", "accounts.read"])
def test_own_scope_is_allowed_where_resources_have_an_owner(permission):
    assert check_definition("Role", [(permission, "own")]) == []


@pytest.mark.parametrize("permission", ["payments.refund", "reports.read", "roles.manage", "library.access"])
def test_own_scope_is_refused_where_nothing_is_owned(permission):
    [problem] = check_definition("Role", [(permission, "own")])
    assert problem.field == "grants.0.scope"
    assert "only any applies" in problem.message


def test_a_permission_granted_twice_is_refused_even_with_another_scope():
    problems = check_definition("Role", [("appointments.read", "any"), ("reports.read", "any"),
                                         ("appointments.read", "own")])
    assert [(p.field, p.message) for p in problems] == [
        ("grants.2.permission", "appointments.read is granted more than once"),
    ]


def test_every_broken_rule_is_reported_at_once():
    problems = check_definition(" ", [("nope", "any"), ("reports.read", "own"), ("platform.plans.manage", "x")])
    assert fields(problems) == ["name", "grants.0.permission", "grants.1.scope", "grants.2.permission",
                                "grants.2.scope"]


def test_a_definition_keeps_the_trimmed_name_and_the_grants_in_permission_list_order():
    definition = define("  Front desk  ", [("reports.read", "any"), ("appointments.read", "own")])
    assert definition == RoleDefinition("Front desk", (Grant("appointments.read", Scope.OWN),
                                                      Grant("reports.read", Scope.ANY)))


def test_reordering_grants_defines_the_same_role():
    assert define("R", [("reports.read", "any"), ("appointments.read", "any")]) == define("R", GOOD_GRANTS)


# -- versions --------------------------------------------------------------------------------


@pytest.fixture
def bundle(clinic_id, now) -> RoleBundle:
    return RoleBundle.create(clinic_id, "front-desk", define("Front desk", GOOD_GRANTS), now)


def test_a_new_role_starts_at_version_1_live(bundle, now):
    assert (bundle.version, bundle.archived, bundle.updated_at) == (1, False, now)


def test_a_change_makes_the_next_version(bundle, later):
    changed = bundle.change(define("Front desk lead", GOOD_GRANTS), later)
    assert (changed.version, changed.definition.name, changed.updated_at) == (2, "Front desk lead", later)
    assert bundle.version == 1


def test_an_unchanged_definition_keeps_the_version(bundle, later):
    assert bundle.change(define("Front desk", list(reversed(GOOD_GRANTS))), later) is bundle


def test_archiving_makes_the_next_version_and_is_done_once(bundle, later):
    archived = bundle.archive(later)
    assert (archived.version, archived.archived, archived.updated_at) == (2, True, later)
    assert archived.archive(later) is archived


def test_an_archived_role_cannot_change(bundle, later):
    with pytest.raises(RoleArchived):
        bundle.archive(later).change(define("Revived", GOOD_GRANTS), later)


def test_a_bundle_decides_as_a_clinic_defined_role(bundle):
    role = bundle.role
    assert (role.key, role.name, role.grants, role.built_in) == ("front-desk", "Front desk",
                                                                 bundle.definition.grants, False)
