"""The audit trail: every change staff or a specialist makes is recorded, with actor, time,
action, before and after, in the change's transaction. Patients' own changes and the system's
(expiry, payments) are not staff changes: their events tell them."""

from __future__ import annotations

from collections.abc import Callable

from scheduling.adapters.appointments import AuditEntry
from scheduling.domain.appointments import Actor
from scheduling.service_layer.unit_of_work import UnitOfWork

AUDITED = ("staff", "provider")


def record(uow: UnitOfWork, actor: Actor, entry: Callable[[], AuditEntry]) -> None:
    """Keep the entry `entry()` makes when `actor` is staff or a specialist; it is made only then,
    so patients' bookings and the system's changes cost nothing here."""
    if actor.kind in AUDITED:
        uow.appointments.record(entry())
