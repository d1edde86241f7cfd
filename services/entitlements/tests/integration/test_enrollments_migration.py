"""The patient-care tables come with migration 0004 and go with its downgrade, on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from clinic_runtime.migrations import alembic_config, upgrade
from entitlements.entrypoints.migrate import MIGRATIONS

pytestmark = pytest.mark.integration

CARE_TABLES = {"care_patients", "service_plans", "patient_tiers", "tier_memberships", "enrollments", "reservations"}


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_care_tables_come_with_0004_and_go_with_its_downgrade(database_url):
    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= CARE_TABLES

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0003")
    assert not CARE_TABLES & tables(database_url)
    assert {"subscriptions", "roles"} <= tables(database_url)

    upgrade(MIGRATIONS, database_url)
    assert tables(database_url) >= CARE_TABLES
