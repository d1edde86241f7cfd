"""Where the slot engine learns which time is already taken."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from scheduling.domain.slots import Busy


class BusyTimeSource(Protocol):
    def busy(self, clinic_id: uuid.UUID, provider_ids: Collection[uuid.UUID], start: datetime,
             end: datetime) -> list[Busy]:
        """Every appointment or active hold of these specialists that overlaps [start, end),
        with its own buffers."""


class NoAppointmentsYet:
    """Scheduling keeps no appointments yet: they arrive with the booking part of issue 6, and
    with them the source that reads them. Until then no specialist is taken at any time."""

    def busy(self, clinic_id: uuid.UUID, provider_ids: Collection[uuid.UUID], start: datetime,
             end: datetime) -> list[Busy]:
        return []
