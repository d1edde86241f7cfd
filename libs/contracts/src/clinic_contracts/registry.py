"""Every event type the platform knows, by its versioned type name."""

from __future__ import annotations

from clinic_contracts.envelope import Event
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_contracts.events.entitlements import (
    RoleArchivedV1,
    RoleAssignmentGrantedV1,
    RoleAssignmentRevokedV1,
    RoleUpsertedV1,
)

EVENT_MODELS: dict[str, type[Event]] = {
    model.event_type: model
    for model in (
        ClinicUpsertedV1,
        RoleUpsertedV1,
        RoleArchivedV1,
        RoleAssignmentGrantedV1,
        RoleAssignmentRevokedV1,
    )
}


def event_model(event_type: str) -> type[Event]:
    try:
        return EVENT_MODELS[event_type]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None
