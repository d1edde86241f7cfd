"""Decisions: may this principal do this action in this clinic, on this resource?

The answer always says why, in a stable `reason_code` (callers branch on it: the gateway answers
404 for `other_clinic`, so a principal learns nothing about another clinic's resources) and in
words a clinic admin can read in a log.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from entitlements.domain.permissions import BY_NAME, Grant, Scope
from entitlements.domain.roles import Role


class PrincipalKind(enum.StrEnum):
    OPERATOR = "operator"
    STAFF = "staff"
    PROVIDER = "provider"
    PATIENT = "patient"


class ReasonCode(enum.StrEnum):
    GRANTED = "granted"
    UNKNOWN_ACTION = "unknown_action"
    PLATFORM_ONLY = "platform_only"  # an operator asked for a clinic action: operators act on the platform only
    OPERATORS_ONLY = "operators_only"  # a clinic principal asked for a platform action
    OTHER_CLINIC = "other_clinic"
    NO_ROLE = "no_role"
    NOT_GRANTED = "not_granted"
    NOT_OWNER = "not_owner"
    CAPABILITY_OFF = "capability_off"  # telerehab or library access while the clinic's telerehab capability is off


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    kind: PrincipalKind
    clinic_id: uuid.UUID | None  # None only for operators


@dataclass(frozen=True)
class Resource:
    type: str
    id: str | None = None
    owner_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    scope: Scope | None
    reason_code: ReasonCode
    reason: str


def decide(
    principal: Principal,
    action: str,
    clinic_id: uuid.UUID | None,
    resource: Resource | None,
    roles_held: Callable[[], Sequence[Role]],
) -> Decision:
    """Decide by the rules below, in order. `roles_held` gives the roles the principal holds in
    `clinic_id`; it is asked only when the answer depends on them, so a decision that the rules
    settle alone costs no lookup."""
    permission = BY_NAME.get(action)
    if permission is None:
        return _deny(ReasonCode.UNKNOWN_ACTION, f"{action!r} is not a permission")
    if permission.platform:
        if principal.kind is PrincipalKind.OPERATOR:
            return Decision(True, Scope.ANY, ReasonCode.GRANTED, f"platform operators may {action}")
        return _deny(ReasonCode.OPERATORS_ONLY, f"{action} is for platform operators only")
    if principal.kind is PrincipalKind.OPERATOR:
        return _deny(ReasonCode.PLATFORM_ONLY, f"platform operators act on the platform only, not on {action}")
    if clinic_id is None:
        return _deny(ReasonCode.OTHER_CLINIC, f"{action} is done in a clinic, and none was named")
    if principal.clinic_id != clinic_id:
        return _deny(ReasonCode.OTHER_CLINIC, "the principal belongs to another clinic")
    roles = roles_held()
    if not roles:
        return _deny(ReasonCode.NO_ROLE, "the principal holds no role in the clinic")
    best = _best_grant(roles, action)
    if best is None:
        return _deny(ReasonCode.NOT_GRANTED, f"no role of this principal in the clinic grants {action}")
    role, grant = best
    if grant.scope is Scope.OWN and resource is not None and resource.owner_id not in (None, principal.id):
        return _deny(ReasonCode.NOT_OWNER,
                     f"role {role.key} grants {action} (own) only, and this {resource.type} is not the principal's")
    return Decision(True, grant.scope, ReasonCode.GRANTED, f"role {role.key} grants {action} ({grant.scope})")


def _best_grant(roles: Sequence[Role], action: str) -> tuple[Role, Grant] | None:
    """The widest grant of `action` among `roles` ("any" beats "own"); ties go to the first key."""
    best: tuple[Role, Grant] | None = None
    for role in sorted(roles, key=lambda r: r.key):
        for grant in role.grants:
            if grant.permission != action:
                continue
            if best is None or (best[1].scope is Scope.OWN and grant.scope is Scope.ANY):
                best = (role, grant)
    return best


def _deny(code: ReasonCode, reason: str) -> Decision:
    return Decision(False, None, code, reason)
