"""Scheduling's schema history runs forwards and backwards on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clinic_runtime.messaging.tables import messaging_metadata
from clinic_runtime.migrations import alembic_config, upgrade
from scheduling.adapters.orm import metadata
from scheduling.entrypoints.migrate import MIGRATIONS

pytestmark = pytest.mark.integration

READ_MODELS = {"provider_directory", "service_directory", "calendar_directory"}


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_offering_read_models_come_with_0002_and_go_with_its_downgrade(database_url):
    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= READ_MODELS | {"clinic_directory", "inbox"}

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0001")
    assert not READ_MODELS & tables(database_url)
    assert {"clinic_directory", "inbox"} <= tables(database_url)

    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= READ_MODELS


def test_a_clinic_held_before_0002_gets_the_contracts_default_policy(database_url):
    upgrade(MIGRATIONS, database_url, "0001")
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO clinic_directory (clinic_id, slug, name, timezone, currency, locale, version, archived, "
                "updated_at) VALUES ('0190f3a26c1e7b4d9a532f8e4c1d7a60', 'physio-cluj', 'Physio Cluj', "
                "'Europe/Bucharest', 'RON', 'ro-RO', 3, false, '2026-03-14 09:00:00')"
            ))
        upgrade(MIGRATIONS, database_url)
        with engine.connect() as connection:
            held = connection.execute(sa.text(
                "SELECT version, cancellation_window_hours, refund_policy_kind, refund_policy_percent, "
                "refund_policy_text FROM clinic_directory"
            )).one()
    finally:
        engine.dispose()

    assert tuple(held) == (3, 24, "full", None, "")


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
