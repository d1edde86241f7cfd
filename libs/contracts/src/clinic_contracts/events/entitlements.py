"""Events published by the entitlements service."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field

from clinic_contracts.envelope import Event


class PermissionGrant(BaseModel):
    permission: str = Field(description="A name from entitlements' fixed permission list, e.g. appointments.read.")
    scope: Literal["any", "own"] = Field(
        description="any: every resource of the clinic; own: only resources the principal owns.")


class RoleUpsertedV1(Event):
    """A clinic-defined role bundle was created or changed. Carries the full snapshot."""

    event_type: ClassVar[str] = "entitlements.role.upserted.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    role_key: str = Field(description="Stable handle of the role within its clinic, e.g. front-desk-lead.")
    name: str
    grants: list[PermissionGrant]
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    updated_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.role_key}"


class RoleArchivedV1(Event):
    """A clinic-defined role was archived: it grants nothing from now on and can no longer be assigned."""

    event_type: ClassVar[str] = "entitlements.role.archived.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    role_key: str
    version: int
    archived_at: AwareDatetime

    def subject(self) -> str:
        return f"{self.clinic_id}/{self.role_key}"


class RoleAssignmentGrantedV1(Event):
    """A principal (an account at the gateway) was given a role in a clinic."""

    event_type: ClassVar[str] = "entitlements.role_assignment.granted.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    principal_id: uuid.UUID
    role_key: str = Field(description="A built-in role (clinic_admin, receptionist, specialist, patient) or a clinic-defined one.")
    granted_by: uuid.UUID | None = Field(description="The account that granted it; none when the platform did.")
    granted_at: AwareDatetime

    def subject(self) -> str:
        return str(self.principal_id)


class RoleAssignmentRevokedV1(Event):
    """A principal lost a role in a clinic."""

    event_type: ClassVar[str] = "entitlements.role_assignment.revoked.v1"
    producer: ClassVar[str] = "entitlements"

    clinic_id: uuid.UUID
    principal_id: uuid.UUID
    role_key: str
    revoked_by: uuid.UUID | None
    revoked_at: AwareDatetime

    def subject(self) -> str:
        return str(self.principal_id)
