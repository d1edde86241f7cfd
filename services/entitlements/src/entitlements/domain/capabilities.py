"""Clinical capabilities: the gate clinical software reads, separate from billing.

Telerehab, video consultations and camera measurements are medical-device territory. A plan or an
override may sell one, but the capability is on only when, in addition, the platform's regulatory
clearance for it is on (off until an operator turns it on) and it is not paused for the clinic (a
regulatory issue or an incident, with a reason and an expected end). A pause never touches the
clinic's subscription or bill. A decision names every one of the three gates that keeps it off.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from entitlements.domain.effective import REASON_MAX, Entitlements


class Capability(enum.StrEnum):
    TELEREHAB = "telerehab"
    VIDEO_CONSULTATIONS = "video_consultations"
    CAMERA_MEASUREMENTS = "camera_measurements"


class Gate(enum.StrEnum):
    """What keeps a capability off, in the order a decision lists them."""

    NOT_IN_PLAN = "not_in_plan"  # no active plan item or override grants the feature
    NOT_CLEARED = "not_cleared"  # the platform has no regulatory clearance for it
    PAUSED = "paused"  # paused for this clinic


@dataclass(frozen=True)
class Clearance:
    """The platform-wide regulatory clearance of one capability."""

    capability: Capability
    cleared: bool
    changed_at: datetime | None = None
    changed_by: uuid.UUID | None = None

    @classmethod
    def default(cls, capability: Capability) -> Clearance:
        return cls(capability, cleared=False)


@dataclass(frozen=True)
class Pause:
    clinic_id: uuid.UUID
    capability: Capability
    reason: str
    expected_until: datetime | None  # the ETA the clinic is told
    paused_at: datetime
    paused_by: uuid.UUID | None  # None when the platform itself paused it

    def in_force_at(self, instant: datetime) -> bool:
        """Whether the pause holds at `instant`; a pause lasts until lifted (then it is gone)."""
        return self.paused_at <= instant


def check_pause(reason: str, paused_at: datetime, expected_until: datetime | None) -> list[tuple[str, str]]:
    """(field, message) for every rule a pause breaks."""
    problems = []
    if not reason.strip():
        problems.append(("reason", "tell the clinic why the capability is paused"))
    elif len(reason.strip()) > REASON_MAX:
        problems.append(("reason", f"use at most {REASON_MAX} characters"))
    if expected_until is not None and expected_until <= paused_at:
        problems.append(("expected_until", "must be in the future"))
    return problems


@dataclass(frozen=True)
class CapabilityDecision:
    capability: Capability
    off_because: tuple[Gate, ...]
    pause: Pause | None

    @property
    def on(self) -> bool:
        return not self.off_because


def decide(capability: Capability, entitlements: Entitlements, clearance: Clearance, pause: Pause | None,
           instant: datetime) -> CapabilityDecision:
    pause = pause if pause is not None and pause.in_force_at(instant) else None
    gates = []
    if capability.value not in entitlements.features:
        gates.append(Gate.NOT_IN_PLAN)
    if not clearance.cleared:
        gates.append(Gate.NOT_CLEARED)
    if pause is not None:
        gates.append(Gate.PAUSED)
    return CapabilityDecision(capability, tuple(gates), pause)
