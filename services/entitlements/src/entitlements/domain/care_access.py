"""Telerehab and library access: who may, and when.

A patient gets `telerehab.access` or `library.access` from a role (their tier's, typically) or
from an enrollment whose service plan grants it, while its access window is open. Either way it
is clinical software, so it is allowed only while the clinic's telerehab capability is on (a plan
or override sells it, the platform's clearance is on, it is not paused): a clinic that drops its
Telerehab Pack stops new telerehab use at once, and its patients' data stays.
"""

from __future__ import annotations

from collections.abc import Callable

from entitlements.domain.capabilities import CapabilityDecision
from entitlements.domain.decisions import Decision, Principal, PrincipalKind, ReasonCode
from entitlements.domain.permissions import Scope
from entitlements.domain.service_plans import AccessGrant


def decide_access(decision: Decision, principal: Principal, grant: AccessGrant,
                  open_grants: Callable[[], frozenset[AccessGrant]],
                  telerehab: Callable[[], CapabilityDecision]) -> Decision:
    """Refine the role decision on an access permission; the lookups run only when needed."""
    if not decision.allowed:
        by_roles = decision.reason_code in (ReasonCode.NO_ROLE, ReasonCode.NOT_GRANTED)
        if not (by_roles and principal.kind is PrincipalKind.PATIENT and grant in open_grants()):
            return decision
        decision = Decision(True, Scope.ANY, ReasonCode.GRANTED,
                            f"an open enrollment of the patient grants {grant} access")
    capability = telerehab()
    if not capability.on:
        gates = ", ".join(str(gate) for gate in capability.off_because)
        return Decision(False, None, ReasonCode.CAPABILITY_OFF, f"telerehab is off in this clinic ({gates})")
    return decision
