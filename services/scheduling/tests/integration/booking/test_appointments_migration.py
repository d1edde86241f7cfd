"""Migration 0004 (patients, appointments, audit trail) runs forwards and backwards on
PostgreSQL and SQLite; the exclusion constraint exists on PostgreSQL only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from clinic_runtime.migrations import alembic_config, upgrade
from scheduling.entrypoints.migrate import MIGRATIONS

pytestmark = pytest.mark.integration
TABLES = {"patients", "appointments", "audit_entries"}


def inspect(url: str, look):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return look(connection)
    finally:
        engine.dispose()


def test_0004_adds_patients_appointments_and_the_audit_trail_and_its_downgrade_removes_them(database_url):
    upgrade(MIGRATIONS, database_url)
    assert set(inspect(database_url, lambda c: sa.inspect(c).get_table_names())) >= TABLES

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0003")
    assert not TABLES & set(inspect(database_url, lambda c: sa.inspect(c).get_table_names()))

    upgrade(MIGRATIONS, database_url)
    assert set(inspect(database_url, lambda c: sa.inspect(c).get_table_names())) >= TABLES


def test_postgresql_keeps_a_specialists_time_holding_appointments_apart(postgres_url):
    upgrade(MIGRATIONS, postgres_url)

    definition = inspect(postgres_url, lambda c: c.execute(sa.text(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'appointments_no_overlap'",
    )).scalar_one())

    assert definition.startswith("EXCLUDE USING gist (clinic_id WITH =, provider_id WITH =, tstzrange(")
    assert "'pending_payment'" in definition and "'paid'" in definition and "'canceled'" not in definition


def test_0005_adds_the_meeting_claim_and_its_downgrade_removes_it(database_url):
    def columns(c):
        return {column["name"] for column in sa.inspect(c).get_columns("appointments")}

    upgrade(MIGRATIONS, database_url)
    assert "meeting_claim" in inspect(database_url, columns)

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0004")
    assert "meeting_claim" not in inspect(database_url, columns)

    upgrade(MIGRATIONS, database_url)
    assert "meeting_claim" in inspect(database_url, columns)


def test_0007_names_the_specialist_of_audit_entries_and_keeps_older_entries(database_url):
    def columns_and_indexes(c):
        inspector = sa.inspect(c)
        return ({column["name"] for column in inspector.get_columns("audit_entries")},
                {index["name"] for index in inspector.get_indexes("audit_entries")})

    def entries(c):
        return c.execute(sa.text("SELECT action FROM audit_entries")).scalars().all()

    upgrade(MIGRATIONS, database_url, "0006")
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO audit_entries (clinic_id, entry_id, patient_id, actor_kind, action, occurred_at) "
                "VALUES ('0190f3a26c1e7b4d9a532f8e4c1d7a60', '0190f3a66c1e7b4d9a532f8e4c1d7a61', "
                "'0190f3a66c1e7b4d9a532f8e4c1d7a62', 'staff', 'patient.registered', '2026-03-14 09:00:00')"))
    finally:
        engine.dispose()

    upgrade(MIGRATIONS, database_url)
    columns, indexes = inspect(database_url, columns_and_indexes)
    assert "provider_id" in columns and "ix_audit_entries_provider" in indexes
    assert inspect(database_url, lambda c: c.execute(sa.text("SELECT provider_id FROM audit_entries")).all()) == [
        (None,)]

    command.downgrade(alembic_config(MIGRATIONS, database_url), "0006")
    columns, indexes = inspect(database_url, columns_and_indexes)
    assert "provider_id" not in columns and "ix_audit_entries_provider" not in indexes
    assert inspect(database_url, entries) == ["patient.registered"]
