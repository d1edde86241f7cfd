"""Alembic for every service: one history per service, in `<service>/migrations`, run against
that service's own database. The messaging tables (outbox, inbox, idempotency keys) are part of
each history."""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect, text

from clinic_runtime.db import make_engine
from clinic_runtime.messaging.tables import messaging_metadata

# The advisory lock key migrations take (any fixed number; each service has its own database).
MIGRATION_LOCK = 0x636C696E6963  # "clinic"
MIGRATION_LOCK_RETRY_SECONDS = 0.5
VERSION_TABLE = "alembic_version"  # Alembic's default, which every service's history keeps


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


class ExpectedSchema:
    """The schema a service's code was written for: the head of its migration history. A database
    at that head serves the code, and so does one at a revision the code does not know (a newer
    release migrated it first, during a rolling deploy); one never migrated, or at an older
    revision (its migration has not run, or failed), does not."""

    def __init__(self, migrations_dir: Path) -> None:
        script = ScriptDirectory.from_config(alembic_config(migrations_dir, ""))
        self.head = script.get_current_head()
        self._older = {revision.revision for revision in script.walk_revisions()} - {self.head}

    def served_by(self, connection: Connection) -> tuple[bool, str]:
        """Whether the database on `connection` serves this code, and why not."""
        # Read directly: Alembic's MigrationContext would log two lines on every probe.
        if not inspect(connection).has_table(VERSION_TABLE):
            return False, "not migrated"
        current = set(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
        if not current:
            return False, "not migrated"
        if current & self._older:
            return False, f"migrated to {', '.join(sorted(current))}; this code needs {self.head}"
        return True, "migrated"


def run_env(service_metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    target = [service_metadata, messaging_metadata]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            _hold_migration_lock(connection)
        # render_as_batch lets ALTERs work on SQLite too.
        context.configure(connection=connection, target_metadata=target, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def _hold_migration_lock(connection: Connection) -> None:
    """One migration at a time per database (a Job's replacement pod while the old one still runs,
    a run by hand): the second waits, then finds the history at its head. The lock is the
    session's, so it outlives the commits in between. It is tried rather than waited for: a
    transaction left waiting would itself hold up the first migration's CREATE INDEX CONCURRENTLY,
    which waits for every open transaction, a deadlock. (SQLite's writers are one at a time.)"""
    while True:
        held = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK}).scalar_one()
        connection.commit()
        if held:
            return
        time.sleep(MIGRATION_LOCK_RETRY_SECONDS)


def create_messaging_tables_v1() -> None:
    """Revision 1 of the messaging tables, called from each service's first migration.

    Frozen: a later change to `messaging.tables` gets a `..._v2` step here that every service's
    history calls in a new revision.
    """
    import sqlalchemy as sa
    from alembic import op

    from clinic_runtime.db import UtcDateTime

    op.create_table(
        "outbox",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("available_at", UtcDateTime(), nullable=False),
        sa.Column("lease_expires_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
    )
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["position"],
        postgresql_where=sa.text("state <> 'published'"), sqlite_where=sa.text("state <> 'published'"),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("consumer", sa.String(120), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("response_headers", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def drop_messaging_tables_v1() -> None:
    from alembic import op

    for table in ("idempotency_keys", "inbox", "outbox"):
        op.drop_table(table)


_RETENTION_INDEXES = (
    ("ix_idempotency_keys_created_at", "idempotency_keys", "created_at"),
    ("ix_inbox_processed_at", "inbox", "processed_at"),
)


def create_messaging_retention_indexes_v2() -> None:
    """Revision 2 of the messaging tables: the indexes the worker's hourly purges of idempotency
    keys and of the inbox find their old rows by. Frozen, like v1.

    Built concurrently on PostgreSQL: until now nothing purged these tables, and a plain build
    would hold up every consumer and every keyed request for as long as it reads them. BRIN there:
    both tables are written in time order, and a B-tree would cost every consumed event more.
    """
    from alembic import op

    with op.get_context().autocommit_block():
        for name, table, column in _RETENTION_INDEXES:
            # A concurrent build that failed leaves an invalid index behind and the revision
            # unrecorded: running the revision again replaces it instead of stopping on it.
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
            op.create_index(name, table, [column], postgresql_concurrently=True, postgresql_using="brin")


def drop_messaging_retention_indexes_v2() -> None:
    from alembic import op

    with op.get_context().autocommit_block():
        for name, table, _ in reversed(_RETENTION_INDEXES):
            op.drop_index(name, table_name=table, postgresql_concurrently=True)
