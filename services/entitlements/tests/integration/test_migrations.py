"""Entitlements's schema history runs forwards and backwards on PostgreSQL and SQLite: each
migration's tables come with it and go with its downgrade."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clinic_runtime.messaging.tables import messaging_metadata
from clinic_runtime.migrations import alembic_config, upgrade
from entitlements.adapters.orm import metadata
from entitlements.entrypoints.migrate import MIGRATIONS

pytestmark = pytest.mark.integration

CARE_TABLES = {"care_patients", "service_plans", "patient_tiers", "tier_memberships", "enrollments", "reservations"}
USAGE_TABLES = {"metered_entities", "video_minutes_used", "usage_pack_draws"}


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_role_tables_come_with_0002_and_go_with_its_downgrade(database_url):
    upgrade(MIGRATIONS, database_url)
    assert {"roles", "role_assignments", "access_audit", "outbox"} <= tables(database_url)

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0001")
    assert not {"roles", "role_assignments", "access_audit"} & tables(database_url)
    assert "outbox" in tables(database_url)

    upgrade(MIGRATIONS, database_url)
    assert {"roles", "role_assignments", "access_audit"} <= tables(database_url)


def test_the_care_tables_come_with_0004_and_go_with_its_downgrade(database_url):
    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= CARE_TABLES

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0003")
    assert not CARE_TABLES & tables(database_url)
    assert {"subscriptions", "roles"} <= tables(database_url)

    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= CARE_TABLES


def test_the_usage_tables_come_with_0005_and_go_with_its_downgrade(database_url):
    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= USAGE_TABLES

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0004")
    assert not USAGE_TABLES & tables(database_url)
    assert "care_patients" in tables(database_url)

    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= USAGE_TABLES

def test_the_migrated_schema_is_the_one_the_code_declares(database_url):
    declared = sa.MetaData()
    for table in [*metadata.tables.values(), *messaging_metadata.tables.values()]:
        table.to_metadata(declared)
    upgrade(MIGRATIONS, database_url)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), declared)
    finally:
        engine.dispose()

    assert differences == []
