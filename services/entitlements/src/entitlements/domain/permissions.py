"""The fixed list of permissions a role may grant, and a grant's scope.

Permissions are part of the code, not data: every route the gateway protects names one of them,
so a permission that exists only in a database row could guard nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Scope(enum.StrEnum):
    ANY = "any"  # every resource of the clinic
    OWN = "own"  # only resources whose owner is the principal


@dataclass(frozen=True)
class Permission:
    name: str
    own_scope: bool  # whether an "own" grant means something (the resource has an owner)
    platform: bool = False  # for platform operators only; no clinic role grants it


@dataclass(frozen=True)
class Grant:
    permission: str
    scope: Scope


PERMISSIONS: tuple[Permission, ...] = (
    Permission("clinic.settings.manage", own_scope=False),
    Permission("catalog.manage", own_scope=False),
    Permission("providers.manage", own_scope=False),
    Permission("accounts.manage", own_scope=False),
    Permission("accounts.read", own_scope=True),
    Permission("roles.manage", own_scope=False),
    Permission("audit.read", own_scope=False),
    Permission("patients.read", own_scope=True),
    Permission("patients.manage", own_scope=True),
    Permission("availability.read", own_scope=True),
    Permission("availability.manage", own_scope=True),
    Permission("appointments.read", own_scope=True),
    Permission("appointments.manage", own_scope=True),
    Permission("appointments.book", own_scope=True),
    Permission("payments.refund", own_scope=False),
    Permission("reports.read", own_scope=False),
    Permission("tiers.manage", own_scope=False),
    Permission("enrollments.manage", own_scope=False),
    Permission("enrollments.read", own_scope=True),
    Permission("library.access", own_scope=False),
    Permission("telerehab.access", own_scope=False),
    Permission("platform.clinics.manage", own_scope=False, platform=True),
    Permission("platform.accounts.manage", own_scope=False, platform=True),
    Permission("platform.plans.manage", own_scope=False, platform=True),
)

BY_NAME: dict[str, Permission] = {p.name: p for p in PERMISSIONS}
CLINIC_PERMISSIONS: tuple[Permission, ...] = tuple(p for p in PERMISSIONS if not p.platform)


def as_documents(grants: Iterable[Grant]) -> list[dict[str, str]]:
    """Grants as plain data: how they are stored, audited and shown."""
    return [{"permission": g.permission, "scope": str(g.scope)} for g in grants]
