"""The decision use case: the domain's rules over the roles the principal holds, and for
telerehab and library access, the patient's enrollments and the clinic's telerehab capability."""

from __future__ import annotations

import uuid
from datetime import datetime

from entitlements.adapters.care_access import CareAccess
from entitlements.adapters.role_holdings import RoleHoldings
from entitlements.domain.care_access import decide_access
from entitlements.domain.decisions import Decision, Principal, Resource
from entitlements.domain.decisions import decide as apply_rules
from entitlements.domain.service_plans import ACCESS_PERMISSIONS


def decide(holdings: RoleHoldings, principal: Principal, action: str, clinic_id: uuid.UUID | None,
           resource: Resource | None, access: CareAccess | None = None, at: datetime | None = None) -> Decision:
    # The rules ask for the roles only once the clinic is known to be the principal's own.
    decision = apply_rules(principal, action, clinic_id, resource,
                           lambda: holdings.held_by(clinic_id, principal.id))  # type: ignore[arg-type]
    grant = ACCESS_PERMISSIONS.get(action)
    if grant is None or access is None or clinic_id != principal.clinic_id or clinic_id is None or at is None:
        return decision
    return decide_access(decision, principal, grant, lambda: access.open_grants(clinic_id, principal.id, at),
                         lambda: access.telerehab(clinic_id, at))
