"""The access audit: every change to roles and assignments, with who made it, when, and the
state before and after, so a clinic admin can answer "who gave this person that power?"."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entitlements.domain.permissions import as_documents
from entitlements.domain.roles import RoleBundle


class AuditAction(enum.StrEnum):
    ROLE_CREATED = "role.created"
    ROLE_CHANGED = "role.changed"
    ROLE_ARCHIVED = "role.archived"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    SUBSCRIPTION_CHANGED = "subscription.changed"
    OVERRIDE_GRANTED = "override.granted"
    OVERRIDE_REVOKED = "override.revoked"
    CAPABILITY_PAUSED = "capability.paused"
    CAPABILITY_RESUMED = "capability.resumed"
    TIER_CREATED = "tier.created"
    TIER_CHANGED = "tier.changed"
    TIER_ARCHIVED = "tier.archived"
    PATIENT_TIER_SET = "patient_tier.set"
    PATIENT_TIER_CANCELED = "patient_tier.canceled"
    ENROLLMENT_CREATED = "enrollment.created"
    ENROLLMENT_CANCELED = "enrollment.canceled"


@dataclass(frozen=True)
class AuditEntry:
    id: uuid.UUID
    clinic_id: uuid.UUID
    actor_id: uuid.UUID | None  # None when the platform itself acted
    at: datetime
    action: AuditAction
    subject: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def role_subject(key: str) -> str:
    return f"role/{key}"


def assignment_subject(principal_id: uuid.UUID, key: str) -> str:
    return f"principal/{principal_id}/role/{key}"


def role_state(bundle: RoleBundle) -> dict[str, Any]:
    return {
        "key": bundle.key,
        "name": bundle.definition.name,
        "grants": as_documents(bundle.definition.grants),
        "version": bundle.version,
        "archived": bundle.archived,
    }


def assignment_state(principal_id: uuid.UUID, role_key: str) -> dict[str, Any]:
    return {"principal_id": str(principal_id), "role_key": role_key}
