"""The usage meters' tables come with migration 0005 and go with its downgrade (both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from clinic_runtime.migrations import alembic_config, upgrade
from entitlements.entrypoints.migrate import MIGRATIONS

pytestmark = pytest.mark.integration

USAGE_TABLES = {"metered_entities", "video_minutes_used", "usage_pack_draws"}


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_usage_tables_come_with_0005_and_go_with_its_downgrade(database_url):
    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= USAGE_TABLES

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0004")
    assert not USAGE_TABLES & tables(database_url)
    assert "care_patients" in tables(database_url)

    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= USAGE_TABLES
