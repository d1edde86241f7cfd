"""The decision use case: the rules, over the roles the principal holds in the asked clinic."""

from __future__ import annotations

import uuid

from entitlements.domain.decisions import Principal, PrincipalKind, ReasonCode, Resource
from entitlements.domain.permissions import Scope
from entitlements.service_layer.decisions import decide

PRINCIPAL = uuid.UUID("0193a5e0-0000-7000-8000-0000000000a1")


def test_roles_are_looked_up_in_the_asked_clinic_for_the_principal(holdings, clinic_id):
    holdings.give(clinic_id, PRINCIPAL, "specialist")
    holdings.give(clinic_id, uuid.uuid4(), "clinic_admin")
    me = Principal(PRINCIPAL, PrincipalKind.PROVIDER, clinic_id)

    decision = decide(holdings, me, "appointments.read", clinic_id, Resource("appointment", "1", PRINCIPAL))

    assert (decision.allowed, decision.scope, decision.reason_code) == (True, Scope.OWN, ReasonCode.GRANTED)
    assert holdings.lookups == 1


def test_roles_held_in_another_clinic_do_not_count(holdings, clinic_id):
    other_clinic = uuid.uuid4()
    holdings.give(other_clinic, PRINCIPAL, "clinic_admin")
    me = Principal(PRINCIPAL, PrincipalKind.STAFF, clinic_id)

    assert decide(holdings, me, "reports.read", clinic_id, None).reason_code is ReasonCode.NO_ROLE


def test_decisions_the_rules_settle_alone_cost_no_lookup(holdings, clinic_id):
    operator = Principal(uuid.uuid4(), PrincipalKind.OPERATOR, None)
    staff = Principal(PRINCIPAL, PrincipalKind.STAFF, clinic_id)

    decide(holdings, operator, "platform.plans.manage", None, None)
    decide(holdings, operator, "reports.read", clinic_id, None)
    decide(holdings, staff, "reports.read", uuid.uuid4(), None)
    decide(holdings, staff, "reports.delete", clinic_id, None)

    assert holdings.lookups == 0
