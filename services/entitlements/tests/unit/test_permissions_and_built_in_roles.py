"""The fixed permission list and the built-in roles, exactly as the platform agreed them."""

from __future__ import annotations

from entitlements.domain.permissions import PERMISSIONS, Grant, Scope
from entitlements.domain.roles import BUILT_IN_ROLES

CLINIC_PERMISSIONS_WITH_OWN = {
    "accounts.read", "patients.read", "patients.manage", "availability.read", "availability.manage",
    "appointments.read", "appointments.manage", "appointments.book", "enrollments.read",
}
CLINIC_PERMISSIONS_WITHOUT_OWN = {
    "clinic.settings.manage", "catalog.manage", "providers.manage", "accounts.manage", "roles.manage",
    "audit.read", "payments.refund", "reports.read", "tiers.manage", "enrollments.manage", "library.access",
    "telerehab.access",
}
PLATFORM_PERMISSIONS = {"platform.clinics.manage", "platform.accounts.manage", "platform.plans.manage"}


def grants(role_key: str) -> set[tuple[str, str]]:
    return {(g.permission, str(g.scope)) for g in BUILT_IN_ROLES[role_key].grants}


def test_the_permission_list_is_the_agreed_one_with_own_scope_only_where_resources_have_owners():
    assert {p.name for p in PERMISSIONS if p.own_scope} == CLINIC_PERMISSIONS_WITH_OWN
    assert {p.name for p in PERMISSIONS if not p.own_scope and not p.platform} == CLINIC_PERMISSIONS_WITHOUT_OWN
    assert {p.name for p in PERMISSIONS if p.platform} == PLATFORM_PERMISSIONS
    assert len(PERMISSIONS) == len({p.name for p in PERMISSIONS}) == 24


def test_platform_permissions_have_no_own_scope():
    assert not [p for p in PERMISSIONS if p.platform and p.own_scope]


def test_there_are_exactly_four_built_in_roles():
    assert list(BUILT_IN_ROLES) == ["clinic_admin", "receptionist", "specialist", "patient"]
    assert all(role.built_in for role in BUILT_IN_ROLES.values())


def test_a_clinic_admin_has_every_clinic_permission_on_any_resource_and_no_platform_one():
    assert grants("clinic_admin") == {(p, "any") for p in CLINIC_PERMISSIONS_WITH_OWN | CLINIC_PERMISSIONS_WITHOUT_OWN}


def test_a_receptionist_runs_the_front_desk_for_any_patient():
    assert grants("receptionist") == {
        ("accounts.read", "any"), ("patients.read", "any"), ("patients.manage", "any"),
        ("availability.read", "any"), ("appointments.read", "any"), ("appointments.manage", "any"),
        ("appointments.book", "any"),
    }


def test_a_specialist_sees_and_manages_only_their_own_schedule_and_patients():
    assert grants("specialist") == {
        ("accounts.read", "own"), ("availability.read", "own"), ("availability.manage", "own"),
        ("appointments.read", "own"), ("appointments.manage", "own"), ("patients.read", "own"),
    }


def test_a_patient_sees_and_books_only_their_own():
    assert grants("patient") == {
        ("accounts.read", "own"), ("patients.read", "own"), ("appointments.read", "own"),
        ("appointments.book", "own"), ("enrollments.read", "own"),
    }


def test_built_in_roles_list_their_grants_in_the_order_of_the_permission_list():
    order = [p.name for p in PERMISSIONS]
    for role in BUILT_IN_ROLES.values():
        positions = [order.index(g.permission) for g in role.grants]
        assert positions == sorted(positions), role.key
        assert all(isinstance(g, Grant) and isinstance(g.scope, Scope) for g in role.grants)
