"""Tables every service's database carries for messaging: outbox, inbox and idempotency keys.

Every service's Alembic environment includes `messaging_metadata` next to its own, so these
tables live in the service's own database and history and commit with its business rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from clinic_runtime.db import UtcDateTime


class OutboxState:
    """pending → in_flight → published, or back to pending after a failed publish.

    A row is `in_flight` while one relay holds its lease; a lease that runs out (the relay died)
    makes the row claimable again. Nothing is ever dropped: a row that keeps failing stays
    pending with a growing backoff, and `clinic_outbox_oldest_pending_seconds` shows it.
    """

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    PUBLISHED = "published"


messaging_metadata = MetaData()

outbox = Table(
    "outbox",
    messaging_metadata,
    # BigInteger autoincrement is the publish order; SQLite needs plain INTEGER for rowid.
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("clinic_id", Uuid, nullable=True),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False, server_default=OutboxState.PENDING),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("available_at", UtcDateTime, nullable=False),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime, nullable=True),
    Index(
        "ix_outbox_unpublished",
        "position",
        postgresql_where=text("state <> 'published'"),
        sqlite_where=text("state <> 'published'"),
    ),
    Index("ix_outbox_published_at", "published_at"),
)
inbox = Table(
    "inbox",
    messaging_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("consumer", String(120), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", UtcDateTime, nullable=False),
    # The hourly purge finds the events past retention by this. Rows arrive in time order, so on
    # PostgreSQL a BRIN index serves: a few pages, next to nothing added to each insert.
    Index("ix_inbox_processed_at", "processed_at", postgresql_using="brin"),
)
idempotency_keys = Table(
    "idempotency_keys",
    messaging_metadata,
    Column("scope", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("response_headers", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # The hourly purge finds the keys past retention by this (BRIN on PostgreSQL, as the inbox's).
    Index("ix_idempotency_keys_created_at", "created_at", postgresql_using="brin"),
)
