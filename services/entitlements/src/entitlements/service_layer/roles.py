"""Use cases on roles and role assignments.

Every change is recorded in the access audit and published as an event in the same transaction;
a request that changes nothing (granting a role already held, revoking one not held, saving an
unchanged role) records and publishes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinic_contracts import uuid7
from clinic_contracts.events.entitlements import (
    PermissionGrant,
    RoleArchivedV1,
    RoleAssignmentGrantedV1,
    RoleAssignmentRevokedV1,
    RoleUpsertedV1,
)
from clinic_runtime.refusals import Conflict, Invalid, NotFound, StaleVersion
from entitlements.domain.assignments import Assignment
from entitlements.domain.audit import (
    AuditAction,
    AuditEntry,
    assignment_state,
    assignment_subject,
    role_state,
    role_subject,
)
from entitlements.domain.roles import (
    BUILT_IN_ROLES,
    RoleBundle,
    check_definition,
    check_key,
    define,
    patient_safe,
)
from entitlements.service_layer.unit_of_work import UnitOfWork


class RoleHeldByPatients(Exception):
    """The change would give every patient on these tiers a grant a patient may not hold."""

    def __init__(self, tier_keys: list[str]) -> None:
        super().__init__(f"patient tiers {', '.join(tier_keys)} map to the role")
        self.tier_keys = tier_keys


class BuiltInRole(Exception):
    """Built-in roles are the same in every clinic and cannot be changed or archived."""


class RoleNotAssignable(Exception):
    """The role is archived: it grants nothing and is given to no one any more."""


class RoleInUse(Exception):
    def __init__(self, holders: int) -> None:
        super().__init__(f"{holders} principal(s) hold the role")
        self.holders = holders


# Refuses (raises) a grant of `role_key` to the principal that would exceed the staff limit.
StaffLimit = Callable[[uuid.UUID, uuid.UUID, str, datetime], None]
# Refuses (raises) a change making `role_key` a staff role when its holders not on the staff yet
# would exceed the staff limit.
HoldersStaffLimit = Callable[[uuid.UUID, str, datetime], None]


@dataclass(frozen=True)
class RoleChange:
    name: str
    grants: Sequence[tuple[str, str]]  # (permission, scope) as requested
    expected_version: int


def create_role(uow: UnitOfWork, clinic_id: uuid.UUID, key: str, name: str, grants: Sequence[tuple[str, str]],
                actor: uuid.UUID | None, now: datetime) -> RoleBundle:
    problems = check_key(key) + check_definition(name, grants)
    if problems:
        raise Invalid(problems)
    bundle = RoleBundle.create(clinic_id, key, define(name, grants), now)
    if not uow.roles.add(bundle):
        raise Conflict("role-exists", f"The clinic already has a role {key!r}.")
    _record(uow, clinic_id, actor, now, AuditAction.ROLE_CREATED, role_subject(key), None, role_state(bundle))
    uow.publish(_upserted(bundle), clinic_id=clinic_id)
    return bundle


def change_role(uow: UnitOfWork, clinic_id: uuid.UUID, key: str, change: RoleChange, actor: uuid.UUID | None,
                now: datetime, staff_limit: HoldersStaffLimit | None = None) -> RoleBundle:
    """Change the role's name and grants. With `staff_limit`, a change that makes a role a patient
    could hold a staff role is refused (`LimitReached`) when those holding it who are not on the
    staff yet would not fit under the clinic's staff limit."""
    problems = check_definition(change.name, change.grants)
    if problems:
        raise Invalid(problems)
    # Locked, as a tier being mapped to it locks it: either that tier sees these grants, or this
    # change sees that tier.
    bundle = _existing(uow, clinic_id, key, lock=True)
    if bundle.version != change.expected_version:
        raise StaleVersion(bundle.version)
    changed = bundle.change(define(change.name, change.grants), now)
    if changed is bundle:
        return bundle
    if not patient_safe(changed.definition.grants):
        tier_keys = uow.roles.tier_keys(clinic_id, key)
        if tier_keys:
            raise RoleHeldByPatients(tier_keys)
        if staff_limit is not None and patient_safe(bundle.definition.grants):
            # Holding it took no staff seat until now; from this change on, it does.
            staff_limit(clinic_id, key, now)
    _save(uow, changed, bundle)
    _record(uow, clinic_id, actor, now, AuditAction.ROLE_CHANGED, role_subject(key),
            role_state(bundle), role_state(changed))
    uow.publish(_upserted(changed), clinic_id=clinic_id)
    return changed


def archive_role(uow: UnitOfWork, clinic_id: uuid.UUID, key: str, expected_version: int,
                 actor: uuid.UUID | None, now: datetime) -> RoleBundle:
    # Locked, so a grant racing this archive either commits first (and is counted below) or
    # waits and then finds the role archived.
    bundle = _existing(uow, clinic_id, key, lock=True)
    if bundle.version != expected_version:
        raise StaleVersion(bundle.version)
    if bundle.archived:
        return bundle
    holders = uow.assignments.holders(clinic_id, key)
    if holders:
        raise RoleInUse(holders)
    archived = bundle.archive(now)
    _save(uow, archived, bundle)
    _record(uow, clinic_id, actor, now, AuditAction.ROLE_ARCHIVED, role_subject(key),
            role_state(bundle), role_state(archived))
    uow.publish(RoleArchivedV1(clinic_id=clinic_id, role_key=key, version=archived.version, archived_at=now),
                clinic_id=clinic_id)
    return archived


def grant_role(uow: UnitOfWork, clinic_id: uuid.UUID, principal_id: uuid.UUID, key: str,
               actor: uuid.UUID | None, now: datetime, staff_limit: StaffLimit | None = None) -> Assignment:
    """Give the principal the role; granting a role already held changes nothing and returns
    the assignment as it was first granted. With `staff_limit`, a grant that would make one
    staff user more than the clinic's plan allows is refused (`LimitReached`), in the same
    transaction as the grant."""
    if key not in BUILT_IN_ROLES and _existing(uow, clinic_id, key, lock=True).archived:
        raise RoleNotAssignable(key)
    if staff_limit is not None:
        staff_limit(clinic_id, principal_id, key, now)
    assignment = Assignment(clinic_id, principal_id, key, actor, now)
    if not uow.assignments.add(assignment):
        return next(a for a in uow.assignments.held_by(clinic_id, principal_id) if a.role_key == key)
    _record(uow, clinic_id, actor, now, AuditAction.ROLE_GRANTED, assignment_subject(principal_id, key),
            None, assignment_state(principal_id, key))
    uow.publish(RoleAssignmentGrantedV1(clinic_id=clinic_id, principal_id=principal_id, role_key=key,
                                        granted_by=actor, granted_at=now), clinic_id=clinic_id)
    return assignment


def revoke_role(uow: UnitOfWork, clinic_id: uuid.UUID, principal_id: uuid.UUID, key: str,
                actor: uuid.UUID | None, now: datetime) -> bool:
    """Take the role away; False (and nothing recorded) when the principal did not hold it."""
    if key not in BUILT_IN_ROLES:
        _existing(uow, clinic_id, key)
    if not uow.assignments.remove(clinic_id, principal_id, key):
        return False
    _record(uow, clinic_id, actor, now, AuditAction.ROLE_REVOKED, assignment_subject(principal_id, key),
            assignment_state(principal_id, key), None)
    uow.publish(RoleAssignmentRevokedV1(clinic_id=clinic_id, principal_id=principal_id, role_key=key,
                                        revoked_by=actor, revoked_at=now), clinic_id=clinic_id)
    return True


def _existing(uow: UnitOfWork, clinic_id: uuid.UUID, key: str, *, lock: bool = False) -> RoleBundle:
    if key in BUILT_IN_ROLES:
        raise BuiltInRole(key)
    bundle = uow.roles.get(clinic_id, key, lock=lock)
    if bundle is None:
        raise NotFound(f"role {key!r} in this clinic")
    return bundle


def _save(uow: UnitOfWork, changed: RoleBundle, read: RoleBundle) -> None:
    if not uow.roles.save(changed, expected_version=read.version):
        # Another change committed between our read and our write.
        current = uow.roles.get(read.clinic_id, read.key)
        raise StaleVersion(current.version if current else read.version)


def _record(uow: UnitOfWork, clinic_id: uuid.UUID, actor: uuid.UUID | None, now: datetime, action: AuditAction,
            subject: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    uow.audit.record(AuditEntry(uuid7(), clinic_id, actor, now, action, subject, before, after))


def _upserted(bundle: RoleBundle) -> RoleUpsertedV1:
    return RoleUpsertedV1(
        clinic_id=bundle.clinic_id, role_key=bundle.key, name=bundle.definition.name,
        grants=[PermissionGrant(permission=g.permission, scope=g.scope.value) for g in bundle.definition.grants],
        version=bundle.version, updated_at=bundle.updated_at,
    )
