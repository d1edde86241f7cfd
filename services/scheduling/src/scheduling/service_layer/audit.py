"""The audit trail: every change staff or a specialist makes is recorded, with actor, time,
action, before and after, in the change's transaction. Patients' own changes and the system's
(expiry, payments) are not staff changes: their events tell them."""

from __future__ import annotations

from scheduling.adapters.appointments import AuditEntry
from scheduling.service_layer.unit_of_work import UnitOfWork

AUDITED = ("staff", "provider")


def record(uow: UnitOfWork, entry: AuditEntry) -> None:
    """Keep `entry` when its actor is staff or a specialist."""
    if entry.actor.kind in AUDITED:
        uow.appointments.record(entry)
