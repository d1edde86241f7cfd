"""The idempotent inbox: a consumer's effects and the record of the event commit together,
so each event takes effect at most once per consumer, and — since unacknowledged messages are
redelivered — exactly once."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clinic_runtime.db import utcnow
from clinic_runtime.messaging.tables import inbox

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def first_delivery(session: Session, event_id: uuid.UUID, event_type: str, consumer: str) -> bool:
    """Record the event for this consumer; False when it was already recorded (a duplicate).

    A concurrent duplicate waits on the primary key until the first commits, then inserts nothing.
    """
    insert = _INSERT[session.get_bind().dialect.name]
    inserted = session.execute(
        insert(inbox)
        .values(event_id=event_id, consumer=consumer, event_type=event_type, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id", "consumer"])
        # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
        .returning(inbox.c.event_id)
    ).first()
    return inserted is not None
