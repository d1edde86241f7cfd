"""Migration 0003 brings specialists' availability and takes it away again (PostgreSQL and SQLite)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from clinic_runtime.migrations import alembic_config, upgrade
from scheduling.entrypoints.migrate import MIGRATIONS

pytestmark = pytest.mark.integration

AVAILABILITY = {"provider_availability", "availability_rules", "availability_blackouts", "availability_away",
                "availability_overrides"}


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_availability_comes_with_0003_and_goes_with_its_downgrade(database_url):
    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= AVAILABILITY | {"provider_directory", "outbox"}

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0002")
    assert not AVAILABILITY & tables(database_url)
    assert "provider_directory" in tables(database_url)

    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= AVAILABILITY
