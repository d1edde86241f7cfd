"""The rules of a decision, each on its own: may principal P do action A in clinic C, on R?"""

from __future__ import annotations

import uuid

import pytest

from entitlements.domain.decisions import Decision, Principal, PrincipalKind, ReasonCode, Resource, decide
from entitlements.domain.permissions import CLINIC_PERMISSIONS, Grant, Scope
from entitlements.domain.roles import BUILT_IN_ROLES, Role

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
OTHER_CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11b")
ME = uuid.UUID("0193a5e0-0000-7000-8000-0000000000a1")
SOMEONE_ELSE = uuid.UUID("0193a5e0-0000-7000-8000-0000000000b2")

OPERATOR = Principal(uuid.UUID("0193a5e0-0000-7000-8000-0000000000f0"), PrincipalKind.OPERATOR, None)
STAFF = Principal(ME, PrincipalKind.STAFF, CLINIC)
PROVIDER = Principal(ME, PrincipalKind.PROVIDER, CLINIC)
PATIENT = Principal(ME, PrincipalKind.PATIENT, CLINIC)


class Roles:
    """Stands in for the roles lookup and remembers whether the rules asked."""

    def __init__(self, *roles: Role | str) -> None:
        self.roles = [BUILT_IN_ROLES[r] if isinstance(r, str) else r for r in roles]
        self.asked = 0

    def __call__(self) -> list[Role]:
        self.asked += 1
        return self.roles


def ask(principal: Principal, action: str, roles: Roles, clinic_id: uuid.UUID | None = CLINIC,
        resource: Resource | None = None) -> Decision:
    return decide(principal, action, clinic_id, resource, roles)


def custom(key: str, *grants: tuple[str, str]) -> Role:
    return Role(key, key.title(), tuple(Grant(p, Scope(s)) for p, s in grants))


# -- settled without looking at roles ----------------------------------------------------------


@pytest.mark.parametrize("action", ["appointments.delete", "", "APPOINTMENTS.READ", "platform.everything"])
def test_an_unknown_action_is_denied_as_unknown_without_looking_at_roles(action):
    roles = Roles("clinic_admin")

    decision = ask(STAFF, action, roles)

    assert decision == Decision(False, None, ReasonCode.UNKNOWN_ACTION, f"{action!r} is not a permission")
    assert roles.asked == 0


@pytest.mark.parametrize("action", ["platform.clinics.manage", "platform.accounts.manage", "platform.plans.manage"])
def test_an_operator_is_allowed_every_platform_action_in_any_scope(action):
    roles = Roles()

    decision = ask(OPERATOR, action, roles, clinic_id=None)

    assert decision == Decision(True, Scope.ANY, ReasonCode.GRANTED, f"platform operators may {action}")
    assert roles.asked == 0


@pytest.mark.parametrize("principal", [STAFF, PROVIDER, PATIENT], ids=lambda p: p.kind)
def test_a_clinic_principal_is_denied_platform_actions_even_as_clinic_admin(principal):
    roles = Roles("clinic_admin")

    decision = ask(principal, "platform.clinics.manage", roles)

    assert decision == Decision(False, None, ReasonCode.OPERATORS_ONLY,
                                "platform.clinics.manage is for platform operators only")
    assert roles.asked == 0


@pytest.mark.parametrize("action", [p.name for p in CLINIC_PERMISSIONS])
def test_an_operator_is_denied_every_clinic_action(action):
    roles = Roles("clinic_admin")

    decision = ask(OPERATOR, action, roles)

    assert (decision.allowed, decision.scope, decision.reason_code) == (False, None, ReasonCode.PLATFORM_ONLY)
    assert action in decision.reason
    assert roles.asked == 0


def test_a_principal_of_another_clinic_is_denied_as_other_clinic_without_looking_at_roles():
    roles = Roles("clinic_admin")

    decision = ask(STAFF, "appointments.read", roles, clinic_id=OTHER_CLINIC)

    assert decision == Decision(False, None, ReasonCode.OTHER_CLINIC, "the principal belongs to another clinic")
    assert roles.asked == 0


def test_a_clinic_action_asked_without_a_clinic_is_denied_as_other_clinic():
    roles = Roles("clinic_admin")

    decision = ask(STAFF, "appointments.read", roles, clinic_id=None)

    assert (decision.allowed, decision.reason_code) == (False, ReasonCode.OTHER_CLINIC)
    assert roles.asked == 0


# -- settled by the roles held ----------------------------------------------------------------


def test_a_principal_without_any_role_in_the_clinic_is_denied_as_no_role():
    decision = ask(STAFF, "appointments.read", Roles())

    assert decision == Decision(False, None, ReasonCode.NO_ROLE, "the principal holds no role in the clinic")


def test_a_principal_whose_roles_do_not_grant_the_action_is_denied_as_not_granted():
    decision = ask(STAFF, "roles.manage", Roles("receptionist", "specialist"))

    assert decision == Decision(False, None, ReasonCode.NOT_GRANTED,
                                "no role of this principal in the clinic grants roles.manage")


def test_an_any_grant_allows_in_any_scope_and_names_the_role():
    roles = Roles("receptionist")

    decision = ask(STAFF, "appointments.read", roles)

    assert decision == Decision(True, Scope.ANY, ReasonCode.GRANTED, "role receptionist grants appointments.read (any)")
    assert roles.asked == 1


def test_an_any_grant_allows_on_a_resource_someone_else_owns():
    resource = Resource("appointment", "a-1", owner_id=SOMEONE_ELSE)

    decision = ask(STAFF, "appointments.manage", Roles("receptionist"), resource=resource)

    assert (decision.allowed, decision.scope) == (True, Scope.ANY)


@pytest.mark.parametrize("action", [p.name for p in CLINIC_PERMISSIONS])
def test_a_clinic_admin_is_allowed_every_clinic_action_in_any_scope(action):
    decision = ask(STAFF, action, Roles("clinic_admin"))

    assert (decision.allowed, decision.scope, decision.reason_code) == (True, Scope.ANY, ReasonCode.GRANTED)


def test_an_own_grant_without_a_resource_allows_in_own_scope_so_the_caller_narrows_the_answer():
    decision = ask(PROVIDER, "appointments.read", Roles("specialist"))

    assert decision == Decision(True, Scope.OWN, ReasonCode.GRANTED, "role specialist grants appointments.read (own)")


def test_an_own_grant_allows_on_the_principals_own_resource():
    resource = Resource("appointment", "a-1", owner_id=ME)

    decision = ask(PROVIDER, "appointments.manage", Roles("specialist"), resource=resource)

    assert (decision.allowed, decision.scope, decision.reason_code) == (True, Scope.OWN, ReasonCode.GRANTED)


def test_an_own_grant_allows_in_own_scope_on_a_resource_of_unknown_owner():
    resource = Resource("appointment", None, owner_id=None)

    decision = ask(PATIENT, "appointments.book", Roles("patient"), resource=resource)

    assert (decision.allowed, decision.scope) == (True, Scope.OWN)


def test_an_own_grant_denies_a_resource_someone_else_owns_as_not_owner():
    resource = Resource("appointment", "a-1", owner_id=SOMEONE_ELSE)

    decision = ask(PROVIDER, "appointments.read", Roles("specialist"), resource=resource)

    assert decision == Decision(
        False, None, ReasonCode.NOT_OWNER,
        "role specialist grants appointments.read (own) only, and this appointment is not the principal's",
    )


def test_any_beats_own_when_several_roles_grant_the_action():
    resource = Resource("appointment", "a-1", owner_id=SOMEONE_ELSE)

    decision = ask(STAFF, "appointments.read", Roles("specialist", "receptionist"), resource=resource)

    assert decision == Decision(True, Scope.ANY, ReasonCode.GRANTED, "role receptionist grants appointments.read (any)")


def test_any_beats_own_whatever_order_the_roles_come_in():
    own_first = custom("a-owner", ("patients.read", "own"))
    any_last = custom("z-desk", ("patients.read", "any"))

    for roles in (Roles(own_first, any_last), Roles(any_last, own_first)):
        decision = ask(STAFF, "patients.read", roles)
        assert (decision.scope, decision.reason) == (Scope.ANY, "role z-desk grants patients.read (any)")


def test_among_equal_grants_the_reason_names_the_first_role_by_key():
    decision = ask(STAFF, "reports.read", Roles(custom("reports-b", ("reports.read", "any")),
                                                custom("reports-a", ("reports.read", "any"))))

    assert decision.reason == "role reports-a grants reports.read (any)"


def test_a_clinic_defined_role_grants_like_a_built_in_one():
    decision = ask(PATIENT, "library.access", Roles("patient", custom("premium", ("library.access", "any"))))

    assert decision == Decision(True, Scope.ANY, ReasonCode.GRANTED, "role premium grants library.access (any)")


def test_the_kind_of_principal_does_not_replace_a_role():
    decision = ask(PATIENT, "appointments.read", Roles())

    assert decision.reason_code is ReasonCode.NO_ROLE
