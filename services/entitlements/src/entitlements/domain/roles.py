"""Roles: the built-in ones every clinic has, and the bundles a clinic defines for itself.

A role is a named set of grants. Built-in roles are fixed in code and the same in every clinic;
a clinic-defined role (a bundle) is versioned, can be changed while it is live, and is archived
rather than deleted, so its key keeps meaning one thing in the access audit and in events.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from entitlements.domain.permissions import BY_NAME, CLINIC_PERMISSIONS, Grant, Permission, Scope

KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,61}[a-z0-9]")
NAME_MAX = 100
# Grants are kept in the order of the permission list, so a reordered request changes nothing.
_ORDER = {p.name: n for n, p in enumerate(BY_NAME.values())}


class RoleArchived(Exception):
    """An archived role grants nothing, changes no more and can no longer be assigned."""


class RoleRuleBroken(ValueError):
    """A role definition that breaks a rule; `field` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Role:
    """What a decision needs of any role, built-in or clinic-defined."""

    key: str
    name: str
    grants: tuple[Grant, ...]
    built_in: bool = False


def _every(permissions: Sequence[Permission], scope: Scope) -> tuple[Grant, ...]:
    return tuple(Grant(p.name, scope) for p in permissions)


def _grants(any_scope: Sequence[str] = (), own_scope: Sequence[str] = ()) -> tuple[Grant, ...]:
    return canonical([Grant(name, Scope.ANY) for name in any_scope] + [Grant(name, Scope.OWN) for name in own_scope])


def canonical(grants: Sequence[Grant]) -> tuple[Grant, ...]:
    return tuple(sorted(grants, key=lambda g: _ORDER[g.permission]))


BUILT_IN_ROLES: dict[str, Role] = {
    role.key: role
    for role in (
        Role("clinic_admin", "Clinic admin", _every(CLINIC_PERMISSIONS, Scope.ANY), built_in=True),
        Role("receptionist", "Receptionist", _grants(any_scope=(
            "accounts.read", "patients.read", "patients.manage", "availability.read",
            "appointments.read", "appointments.manage", "appointments.book",
        )), built_in=True),
        Role("specialist", "Specialist", _grants(own_scope=(
            "accounts.read", "availability.read", "availability.manage",
            "appointments.read", "appointments.manage", "patients.read",
        )), built_in=True),
        Role("patient", "Patient", _grants(own_scope=(
            "accounts.read", "patients.read", "appointments.read", "appointments.book", "enrollments.read",
        )), built_in=True),
    )
}


PATIENT_ROLE = "patient"
# Granted by a tier on top of what a patient may do anyway: the clinic's content and telerehab.
_PATIENT_EXTRAS = frozenset({Grant("library.access", Scope.ANY), Grant("telerehab.access", Scope.ANY)})
PATIENT_SAFE_GRANTS: frozenset[Grant] = frozenset(BUILT_IN_ROLES[PATIENT_ROLE].grants) | _PATIENT_EXTRAS


def patient_safe(grants: Sequence[Grant]) -> bool:
    """Whether a role with these grants may be held by a patient (a tier may map to it): every
    grant is one the built-in patient role has (own-scoped ones only with scope own), or library
    or telerehab access. A principal holding any other role is staff."""
    return all(grant in PATIENT_SAFE_GRANTS for grant in grants)


def patient_safe_role(key: str, bundle: RoleBundle | None) -> bool:
    """Whether the role `key` (built in, or the clinic's `bundle`) is patient-safe."""
    if key in BUILT_IN_ROLES:
        return key == PATIENT_ROLE
    return bundle is not None and patient_safe(bundle.definition.grants)


@dataclass(frozen=True)
class RoleDefinition:
    """What a clinic says a role is: its name and grants (checked, in canonical order)."""

    name: str
    grants: tuple[Grant, ...]


def check_key(key: str) -> list[RoleRuleBroken]:
    if key in BUILT_IN_ROLES:
        return [RoleRuleBroken("key", f"{key!r} is the key of a built-in role; choose another")]
    if not KEY.fullmatch(key):
        return [RoleRuleBroken("key", "use 2-63 lowercase letters, digits and inner hyphens")]
    return []


def check_definition(name: str, grants: Sequence[tuple[str, str]]) -> list[RoleRuleBroken]:
    """Every rule a role's name and its requested (permission, scope) grants break."""
    problems = []
    if not name.strip():
        problems.append(RoleRuleBroken("name", "must not be blank"))
    elif len(name.strip()) > NAME_MAX:
        problems.append(RoleRuleBroken("name", f"use at most {NAME_MAX} characters"))
    if not grants:
        problems.append(RoleRuleBroken("grants", "grant at least one permission"))
    seen: set[str] = set()
    for n, (name_of_permission, scope) in enumerate(grants):
        problems.extend(_grant_problems(n, name_of_permission, scope, seen))
        seen.add(name_of_permission)
    return problems


def _grant_problems(n: int, permission_name: str, scope: str, seen: set[str]) -> list[RoleRuleBroken]:
    at = f"grants.{n}"
    permission = BY_NAME.get(permission_name)
    problems = []
    if permission is None:
        problems.append(RoleRuleBroken(f"{at}.permission", f"{permission_name!r} is not a permission"))
    elif permission.platform:
        problems.append(RoleRuleBroken(f"{at}.permission",
                                       f"{permission_name} is for platform operators; no clinic role grants it"))
    elif permission_name in seen:
        problems.append(RoleRuleBroken(f"{at}.permission", f"{permission_name} is granted more than once"))
    if scope not in (Scope.ANY, Scope.OWN):
        problems.append(RoleRuleBroken(f"{at}.scope", "use any or own"))
    elif scope == Scope.OWN and permission is not None and not permission.own_scope:
        problems.append(RoleRuleBroken(f"{at}.scope",
                                       f"{permission_name} concerns nothing a principal owns; only any applies"))
    return problems


def define(name: str, grants: Sequence[tuple[str, str]]) -> RoleDefinition:
    """The definition of requested grants that passed `check_definition`."""
    return RoleDefinition(name.strip(), canonical([Grant(p, Scope(s)) for p, s in grants]))


@dataclass(frozen=True)
class RoleBundle:
    """A clinic-defined role."""

    clinic_id: uuid.UUID
    key: str
    definition: RoleDefinition
    version: int
    updated_at: datetime
    archived: bool = False

    @classmethod
    def create(cls, clinic_id: uuid.UUID, key: str, definition: RoleDefinition, now: datetime) -> RoleBundle:
        return cls(clinic_id, key, definition, version=1, updated_at=now)

    @property
    def role(self) -> Role:
        return Role(self.key, self.definition.name, self.definition.grants)

    def change(self, definition: RoleDefinition, now: datetime) -> RoleBundle:
        """The next version; this very bundle when nothing changes."""
        if self.archived:
            raise RoleArchived(self.key)
        if definition == self.definition:
            return self
        return replace(self, definition=definition, version=self.version + 1, updated_at=now)

    def archive(self, now: datetime) -> RoleBundle:
        if self.archived:
            return self
        return replace(self, archived=True, version=self.version + 1, updated_at=now)
