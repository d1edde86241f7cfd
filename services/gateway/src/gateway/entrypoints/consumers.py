"""The events the gateway consumes (its queue is `<namespace>.gateway`).

Any change to a clinic's roles or role assignments advances that clinic's access generation,
so every web process stops using the decisions it remembers for that clinic.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_contracts.events.entitlements import (
    RoleArchivedV1,
    RoleAssignmentGrantedV1,
    RoleAssignmentRevokedV1,
    RoleUpsertedV1,
)
from clinic_runtime.db import utcnow
from clinic_runtime.messaging.consumers import EventHandlers
from gateway.adapters.access_tables import SqlAccessGenerations

handlers = EventHandlers("gateway")

RoleChange = RoleUpsertedV1 | RoleArchivedV1 | RoleAssignmentGrantedV1 | RoleAssignmentRevokedV1


@handlers.on(RoleUpsertedV1, RoleArchivedV1, RoleAssignmentGrantedV1, RoleAssignmentRevokedV1)
def on_role_change(session: Session, event: RoleChange, _envelope: Envelope) -> None:
    SqlAccessGenerations(session).advance(event.clinic_id, utcnow())
