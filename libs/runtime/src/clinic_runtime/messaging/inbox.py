"""The idempotent inbox: a consumer's effects and the record of the event commit together,
so each event takes effect at most once per consumer, and — since unacknowledged messages are
redelivered — exactly once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import Engine, TextualSelect, bindparam, text
from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_runtime.db import delete_past_retention, utcnow
from clinic_runtime.messaging.tables import inbox


@lru_cache(maxsize=256)  # one per batch size; a batch is at most a consumer's prefetch
def _record_batch(size: int) -> TextualSelect:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING of `size` rows, which PostgreSQL and SQLite
    (3.35+) both speak. Text, not the dialects' `insert()`: SQLAlchemy caches no compiled form of
    those, so each batch would compile its statement anew."""
    rows = ", ".join(f"(:event_id_{n}, :consumer, :event_type_{n}, :processed_at)" for n in range(size))
    return text(
        f"INSERT INTO inbox (event_id, consumer, event_type, processed_at) VALUES {rows} "
        "ON CONFLICT DO NOTHING RETURNING event_id"
    ).bindparams(
        bindparam("consumer", type_=inbox.c.consumer.type),
        bindparam("processed_at", type_=inbox.c.processed_at.type),
        *(bindparam(f"event_id_{n}", type_=inbox.c.event_id.type) for n in range(size)),
        *(bindparam(f"event_type_{n}", type_=inbox.c.event_type.type) for n in range(size)),
    ).columns(inbox.c.event_id)


def first_deliveries(session: Session, envelopes: list[Envelope], consumer: str) -> set[uuid.UUID]:
    """Record a batch of events for this consumer in one statement; returns the ids recorded now.

    An id already recorded (a redelivery) is left out. A concurrent duplicate waits on the primary
    key until the first transaction commits, then inserts nothing. RETURNING, not rowcount, tells
    which rows went in: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    """
    # Sorted, so concurrent batches take the primary key's locks in one order and cannot deadlock.
    types = dict(sorted({e.id: e.type for e in envelopes}.items()))
    parameters: dict[str, object] = {"consumer": consumer, "processed_at": utcnow()}
    for n, (event_id, event_type) in enumerate(types.items()):
        parameters[f"event_id_{n}"] = event_id
        parameters[f"event_type_{n}"] = event_type
    return set(session.execute(_record_batch(len(types)), parameters).scalars())


def purge_inbox(engine: Engine, older_than: timedelta, limit: int = 5000) -> int:
    """Forget events applied before the retention, a bounded batch at a time."""
    return delete_past_retention(engine, inbox, inbox.c.processed_at, older_than, limit)
