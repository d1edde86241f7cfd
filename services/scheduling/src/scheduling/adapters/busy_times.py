"""Where the slot engine learns which time is already taken."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from scheduling.adapters.appointments import AppointmentRepository
from scheduling.domain.slots import Busy


class BusyTimeSource(Protocol):
    def busy(self, clinic_id: uuid.UUID, provider_ids: Collection[uuid.UUID], start: datetime,
             end: datetime) -> list[Busy]:
        """Every appointment or active hold of these specialists that overlaps [start, end),
        with its own buffers."""


class AppointmentsBusyTimes:
    """Appointments that hold time (paid, completed, no-show) and holds not yet expired at `now`,
    each with its buffers; `ignoring` leaves out appointments being moved (a reschedule may
    overlap the time it frees)."""

    def __init__(self, appointments: AppointmentRepository, now: datetime,
                 ignoring: Collection[uuid.UUID] = ()) -> None:
        self._appointments = appointments
        self._now = now
        self._ignoring = ignoring

    def busy(self, clinic_id: uuid.UUID, provider_ids: Collection[uuid.UUID], start: datetime,
             end: datetime) -> list[Busy]:
        return self._appointments.busy(clinic_id, provider_ids, start, end, self._now, ignoring=self._ignoring)
