"""The idempotent inbox: a consumer's effects and the record of the event commit together,
so each event takes effect at most once per consumer, and — since unacknowledged messages are
redelivered — exactly once."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_runtime.db import utcnow
from clinic_runtime.messaging.tables import inbox

_STATEMENTS = {
    name: insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


def first_deliveries(session: Session, envelopes: list[Envelope], consumer: str) -> set[uuid.UUID]:
    """Record a batch of events for this consumer in one statement; returns the ids recorded now.

    An id already recorded (a redelivery) is left out. A concurrent duplicate waits on the primary
    key until the first transaction commits, then inserts nothing. RETURNING, not rowcount, tells
    which rows went in: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    """
    now = utcnow()
    # Sorted, so concurrent batches take the primary key's locks in one order and cannot deadlock.
    rows = sorted({e.id: {"event_id": e.id, "consumer": consumer, "event_type": e.type, "processed_at": now}
                   for e in envelopes}.values(), key=lambda row: row["event_id"])
    statement = _STATEMENTS[session.get_bind().dialect.name]
    # Many parameter sets for one statement: SQLAlchemy sends them as one multi-row INSERT but
    # compiles the statement once, not once per batch size.
    return set(session.execute(statement, rows).scalars())
