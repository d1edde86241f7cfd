"""Access control's table: one access generation per clinic, and the small repository over it.

The worker advances a clinic's generation whenever an event reports a change that can alter
decisions there, and the platform's generation (the row of `PLATFORM`) for a change that is about
every clinic; web processes read both at once to know whether a remembered decision still holds
(see gateway.domain.access).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, Table, Uuid, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from clinic_runtime.db import UtcDateTime
from gateway.adapters.orm import metadata

# The row whose generation every clinic's decisions also depend on (a capability's clearance).
PLATFORM = uuid.UUID(int=0)

access_generations = Table(
    "access_generations",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("generation", BigInteger, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

# Built once: every clinic route and every guest's booking reads it.
_CURRENT = (select(func.coalesce(func.sum(access_generations.c.generation), 0))
            .where(access_generations.c.clinic_id.in_((bindparam("clinic_id", type_=Uuid), PLATFORM))))


class SqlAccessGenerations:
    def __init__(self, session: Session) -> None:
        self._session = session

    def current(self, clinic_id: uuid.UUID) -> int:
        """The clinic's generation plus the platform's, in one primary-key lookup; both only grow,
        so the sum moves whenever either does. Nothing ever changed is generation 0."""
        return self._session.execute(_CURRENT, {"clinic_id": clinic_id}).scalar_one()

    def advance(self, clinic_id: uuid.UUID, now: datetime) -> None:
        moved = self._session.execute(
            update(access_generations)
            .where(access_generations.c.clinic_id == clinic_id)
            .values(generation=access_generations.c.generation + 1, changed_at=now)
        )
        if moved.rowcount == 0:
            # Two batches inserting the same clinic at once: one fails on the primary key and
            # the consumer retries its events one by one, which then take the update above.
            self._session.execute(insert(access_generations).values(clinic_id=clinic_id, generation=1, changed_at=now))
