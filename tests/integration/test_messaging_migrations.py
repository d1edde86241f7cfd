"""Every service's history builds the messaging tables the runtime uses, on PostgreSQL and SQLite,
and its messaging retention revision steps down (with any after it) and up again."""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clinic_runtime.messaging.tables import messaging_metadata
from clinic_runtime.migrations import alembic_config, upgrade

pytestmark = pytest.mark.integration

SERVICES = ("catalog", "scheduling", "billing", "entitlements", "notifications", "gateway")
RETENTION_INDEXES = {"ix_idempotency_keys_created_at", "ix_inbox_processed_at"}
# Each service's revision that builds them.
RETENTION_REVISION = {"catalog": "0003", "scheduling": "0006", "billing": "0002", "entitlements": "0006",
                      "notifications": "0002", "gateway": "0004"}


def messaging_differences(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            # The service's own tables are its own tests' business.
            context = MigrationContext.configure(connection, opts={"include_name": lambda name, kind, _parents: (
                kind != "table" or name in messaging_metadata.tables)})
            return compare_metadata(context, messaging_metadata)
    finally:
        engine.dispose()


def retention_indexes(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {index["name"] for table in ("inbox", "idempotency_keys") for index in inspector.get_indexes(table)}
    finally:
        engine.dispose()


def retention_index_methods(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(sa.text(
                "SELECT am.amname FROM pg_class i JOIN pg_am am ON am.oid = i.relam "
                "WHERE i.relname IN ('ix_idempotency_keys_created_at', 'ix_inbox_processed_at')")).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrated_messaging_tables_are_the_ones_the_runtime_uses(service, database_url):
    migrations = importlib.import_module(f"{service}.entrypoints.migrate").MIGRATIONS
    upgrade(migrations, database_url)
    assert messaging_differences(database_url) == []
    assert retention_indexes(database_url) == RETENTION_INDEXES
    if database_url.startswith("postgresql"):
        assert retention_index_methods(database_url) == {"brin"}

    config = alembic_config(migrations, database_url)
    command.downgrade(config, f"{RETENTION_REVISION[service]}-1")
    assert retention_indexes(database_url) == set()
    command.upgrade(config, "head")

    assert messaging_differences(database_url) == []


def test_an_index_left_by_a_failed_run_of_the_retention_revision_does_not_stop_the_next(database_url):
    migrations = importlib.import_module("scheduling.entrypoints.migrate").MIGRATIONS
    upgrade(migrations, database_url)
    config = alembic_config(migrations, database_url)
    command.downgrade(config, f"{RETENTION_REVISION['scheduling']}-1")
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        # What a run that built one index and then failed leaves: the index, not the revision.
        connection.execute(sa.text("CREATE INDEX ix_inbox_processed_at ON inbox (processed_at)"))
    engine.dispose()

    command.upgrade(config, "head")

    assert retention_indexes(database_url) == RETENTION_INDEXES
    assert messaging_differences(database_url) == []
