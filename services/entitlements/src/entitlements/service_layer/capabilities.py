"""Use cases on clinical capabilities: the platform's clearances, per-clinic pauses, and the
decision clinical software reads. None of them touches a subscription or a bill."""

from __future__ import annotations

import uuid
from datetime import datetime

from clinic_contracts import uuid7
from clinic_contracts.events.entitlements import (
    CapabilityClearanceChangedV1,
    CapabilityPausedV1,
    CapabilityResumedV1,
)
from clinic_runtime.problems import FieldError
from clinic_runtime.refusals import Invalid
from entitlements.domain.audit import AuditAction, AuditEntry
from entitlements.domain.capabilities import Capability, CapabilityDecision, Clearance, Pause, check_pause, decide
from entitlements.service_layer.commercial_unit_of_work import CommercialUnitOfWork
from entitlements.service_layer.subscriptions import entitlements_of


class AlreadyPaused(Exception):
    def __init__(self, pause: Pause) -> None:
        super().__init__(f"{pause.capability} is paused since {pause.paused_at.isoformat()}")
        self.pause = pause


def set_clearance(uow: CommercialUnitOfWork, capability: Capability, cleared: bool, actor: uuid.UUID | None,
                  now: datetime) -> Clearance:
    """Turn the platform's clearance on or off; setting it to what it is changes nothing."""
    held = uow.capabilities.clearance(capability)
    if held.cleared == cleared:
        return held
    changed = Clearance(capability, cleared, now, actor)
    uow.capabilities.set_clearance(changed)
    uow.publish(CapabilityClearanceChangedV1(capability=str(capability), cleared=cleared, changed_by=actor,
                                             changed_at=now), clinic_id=None)
    return changed


def pause(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, capability: Capability, reason: str,
          expected_until: datetime | None, actor: uuid.UUID | None, now: datetime) -> Pause:
    problems = check_pause(reason, now, expected_until)
    if problems:
        raise Invalid([FieldError(field, message) for field, message in problems])
    paused = Pause(clinic_id, capability, reason.strip(), expected_until, now, actor)
    if not uow.capabilities.add_pause(paused):
        raise AlreadyPaused(next(p for p in uow.capabilities.pauses(clinic_id) if p.capability is capability))
    uow.audit.record(AuditEntry(uuid7(), clinic_id, actor, now, AuditAction.CAPABILITY_PAUSED,
                                f"capability/{capability}", None, pause_state(paused)))
    uow.publish(CapabilityPausedV1(clinic_id=clinic_id, capability=str(capability), reason=paused.reason,
                                   expected_until=expected_until, paused_by=actor, paused_at=now),
                clinic_id=clinic_id)
    return paused


def resume(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, capability: Capability, actor: uuid.UUID | None,
           now: datetime) -> bool:
    """Lift the clinic's pause; False (and nothing recorded) when there was none."""
    lifted = uow.capabilities.remove_pause(clinic_id, capability)
    if lifted is None:
        return False
    uow.audit.record(AuditEntry(uuid7(), clinic_id, actor, now, AuditAction.CAPABILITY_RESUMED,
                                f"capability/{capability}", pause_state(lifted), None))
    uow.publish(CapabilityResumedV1(clinic_id=clinic_id, capability=str(capability), resumed_by=actor,
                                    resumed_at=now), clinic_id=clinic_id)
    return True


def capability_decision(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, capability: Capability,
                        at: datetime) -> CapabilityDecision:
    paused = next((p for p in uow.capabilities.pauses(clinic_id) if p.capability is capability), None)
    return decide(capability, entitlements_of(uow, clinic_id, at).entitlements,
                  uow.capabilities.clearance(capability), paused, at)


def pause_state(paused: Pause) -> dict[str, str | None]:
    return {"capability": str(paused.capability), "reason": paused.reason,
            "expected_until": paused.expected_until.isoformat() if paused.expected_until else None,
            "paused_at": paused.paused_at.isoformat()}
