"""The transactional outbox: events commit with the business change, a relay publishes them.

`emit` is what use cases call inside their unit of work. `OutboxStore` is what the relay uses to
claim, settle and purge rows; its state machine is documented on `OutboxState`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Integer, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from clinic_contracts import Envelope, Event
from clinic_runtime import context, tracing
from clinic_runtime.db import delete_past_retention, utcnow
from clinic_runtime.messaging.tables import OutboxState, outbox
from clinic_runtime.messaging.wakeup import NOTIFY

MAX_BACKOFF = timedelta(minutes=5)
# How long published rows stay: the inbox must remember events at least this long.
OUTBOX_RETENTION = timedelta(days=7)
# The session's transaction that has already sent its NOTIFY.
_NOTIFIED = "clinic_outbox_notified"

# Built once: these run for every event and every batch the relay moves, and a prebuilt statement
# executed with parameters skips its construction and cache-key generation. Parameters are not
# named after columns, which an UPDATE would take for more columns to set.
_RECORD = insert(outbox)
_CLAIM = (
    update(outbox)
    .where(outbox.c.position.in_(
        select(outbox.c.position)
        .where(
            or_(
                and_(outbox.c.state == OutboxState.PENDING, outbox.c.available_at <= bindparam("now")),
                and_(outbox.c.state == OutboxState.IN_FLIGHT, outbox.c.lease_expires_at < bindparam("now")),
            )
        )
        .order_by(outbox.c.position)
        .limit(bindparam("claim_limit", type_=Integer))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    ))
    .values(
        state=OutboxState.IN_FLIGHT,
        lease_expires_at=bindparam("lease_until", type_=outbox.c.lease_expires_at.type),
        attempts=outbox.c.attempts + 1,
    )
    .returning(outbox.c.position, outbox.c.event_id, outbox.c.event_type, outbox.c.body, outbox.c.attempts)
)
_MARK_PUBLISHED = (
    update(outbox)
    .where(outbox.c.position.in_(bindparam("positions", expanding=True)))
    .values(state=OutboxState.PUBLISHED, published_at=bindparam("at", type_=outbox.c.published_at.type),
            lease_expires_at=None)
)
_PUT_BACK = (
    update(outbox)
    .where(outbox.c.position == bindparam("failed_position"))
    .values(
        state=OutboxState.PENDING,
        lease_expires_at=None,
        available_at=bindparam("retry_at", type_=outbox.c.available_at.type),
        last_error=bindparam("error", type_=outbox.c.last_error.type),
    )
)


def emit(session: Session, event: Event, *, clinic_id: uuid.UUID | None) -> Envelope:
    """Record `event` for publishing; it leaves only if the surrounding transaction commits."""
    envelope = Envelope.wrap(
        event,
        clinic_id=clinic_id,
        correlation_id=context.correlation_id(),
        traceparent=tracing.current_traceparent(),
    )
    record(session, envelope)
    return envelope


def record(session: Session | Connection, envelope: Envelope) -> None:
    """Insert an already wrapped envelope into the outbox (what `emit` does after wrapping)."""
    now = utcnow()
    session.execute(_RECORD, {
        "event_id": envelope.id,
        "event_type": envelope.type,
        "clinic_id": envelope.clinicid,
        "body": envelope.model_dump_json(),
        "state": OutboxState.PENDING,
        "attempts": 0,
        "available_at": now,
        "created_at": now,
    })
    if isinstance(session, Session):
        if session.get_bind().dialect.name == "postgresql" and session.info.get(_NOTIFIED) is not (
                transaction := session.get_transaction()):
            # Wakes the relay when, and only if, this transaction commits; once is enough for all
            # the events it records.
            session.execute(NOTIFY)
            session.info[_NOTIFIED] = transaction
    elif session.dialect.name == "postgresql":
        session.execute(NOTIFY)


@dataclass(frozen=True)
class ClaimedEvent:
    position: int
    event_id: uuid.UUID
    event_type: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Backlog:
    unpublished: int
    oldest_created_at: datetime | None


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff from 1 s, capped, so a broken route is retried but not hammered."""
    return min(timedelta(seconds=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class OutboxStore:
    """The relay's side of the outbox. Core connections, not ORM sessions: this runs for every
    batch the relay moves, and a session's bookkeeping would be pure overhead here."""

    def __init__(self, engine: Engine, *, lease: timedelta) -> None:
        self._engine = engine
        self._lease = lease
        # Claiming and settling are single statements, each atomic by itself. On PostgreSQL they
        # run in autocommit: no BEGIN and COMMIT round trips around every batch. SQLite keeps its
        # transactions, which take the write lock first (BEGIN IMMEDIATE).
        self._statements = (engine.execution_options(isolation_level="AUTOCOMMIT")
                            if engine.dialect.name == "postgresql" else engine)

    def claim(self, limit: int) -> list[ClaimedEvent]:
        """Take up to `limit` publishable rows for this relay, oldest first.

        On PostgreSQL concurrent relays skip each other's rows (`FOR UPDATE SKIP LOCKED`);
        SQLite has no row locks but serialises writers (`BEGIN IMMEDIATE`), which is as correct.
        A row whose lease ran out belongs to a relay that died; it is taken again.
        """
        now = utcnow()
        with self._statements.begin() as connection:
            rows = connection.execute(
                _CLAIM, {"now": now, "lease_until": now + self._lease, "claim_limit": limit}
            ).all()
        return sorted((ClaimedEvent(*row) for row in rows), key=lambda e: e.position)

    def settle(self, published: list[int], failed: dict[int, tuple[int, str]]) -> None:
        """Mark broker-acknowledged rows published; put failed ones back with a backoff.

        `failed` maps position to (attempts, error). The two are independent: a relay that dies
        between them leaves the failed rows leased, and they are taken again when the lease ends.
        """
        now = utcnow()
        with self._statements.begin() as connection:
            if published:
                connection.execute(_MARK_PUBLISHED, {"positions": published, "at": now})
            if failed:
                connection.execute(_PUT_BACK, [
                    {"failed_position": position, "retry_at": now + retry_delay(attempts), "error": error[:2000]}
                    for position, (attempts, error) in failed.items()
                ])

    def purge_published(self, older_than: timedelta, limit: int = 5000) -> int:
        """Delete published rows past retention, a bounded batch at a time."""
        return delete_past_retention(self._engine, outbox, outbox.c.published_at, older_than, limit,
                                     outbox.c.state == OutboxState.PUBLISHED)

    def backlog(self) -> Backlog:
        with self._engine.connect() as connection:
            count, oldest = connection.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(
                    outbox.c.state != OutboxState.PUBLISHED
                )
            ).one()
        return Backlog(count, oldest)
