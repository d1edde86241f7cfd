"""The decision use case: the domain's rules over the roles the principal holds."""

from __future__ import annotations

import uuid

from entitlements.adapters.role_holdings import RoleHoldings
from entitlements.domain.decisions import Decision, Principal, Resource
from entitlements.domain.decisions import decide as apply_rules


def decide(holdings: RoleHoldings, principal: Principal, action: str, clinic_id: uuid.UUID | None,
           resource: Resource | None) -> Decision:
    # The rules ask for the roles only once the clinic is known to be the principal's own.
    return apply_rules(principal, action, clinic_id, resource,
                       lambda: holdings.held_by(clinic_id, principal.id))  # type: ignore[arg-type]
