"""Catalog's Alembic history builds exactly the tables the code uses, and steps down and up
again, on PostgreSQL and SQLite."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from catalog.adapters.orm import metadata
from catalog.entrypoints.migrate import MIGRATIONS
from clinic_runtime.messaging.tables import messaging_metadata
from clinic_runtime.migrations import alembic_config, upgrade

pytestmark = pytest.mark.integration


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database_url(request, create_database) -> str:
    """An empty database of each kind (the other catalog tests get theirs already migrated)."""
    return create_database("pg") if request.param == "postgresql" else request.getfixturevalue("sqlite_url")


def differences(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), [metadata, messaging_metadata])
    finally:
        engine.dispose()


def test_the_migrated_schema_is_the_schema_the_code_uses(empty_database_url):
    upgrade(MIGRATIONS, empty_database_url)

    assert differences(empty_database_url) == []


def test_the_catalog_revision_steps_down_to_clinics_only_and_up_again(empty_database_url):
    upgrade(MIGRATIONS, empty_database_url)
    config = alembic_config(MIGRATIONS, empty_database_url)

    command.downgrade(config, "0001")
    engine = sa.create_engine(empty_database_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    command.upgrade(config, "head")

    assert tables == {"alembic_version", "clinics", "outbox", "inbox", "idempotency_keys"}
    assert differences(empty_database_url) == []


def test_clinics_registered_before_the_catalog_revision_get_the_default_policies(empty_database_url):
    upgrade(MIGRATIONS, empty_database_url, revision="0001")
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO clinics (id, slug, name, timezone, currency, locale, version, archived, updated_at) "
            "VALUES ('0190f3a26c1e7b4d9a532f8e4c1d7a60', 'old', 'Old', 'UTC', 'EUR', 'en', 1, false, "
            "'2026-01-01 00:00:00')"))

    upgrade(MIGRATIONS, empty_database_url)

    with engine.connect() as connection:
        row = connection.execute(sa.text(
            "SELECT cancellation_window_hours, refund_kind, refund_percent, refund_text FROM clinics")).one()
    engine.dispose()
    assert tuple(row) == (24, "full", None, "")


def test_services_and_calendars_held_before_the_booking_window_revision_have_no_notice_or_horizon_of_their_own(
        empty_database_url):
    upgrade(MIGRATIONS, empty_database_url, revision="0003")
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO clinics (id, slug, name, timezone, currency, locale, version, archived, updated_at) "
            "VALUES ('0190f3a26c1e7b4d9a532f8e4c1d7a60', 'old', 'Old', 'UTC', 'EUR', 'en', 1, false, "
            "'2026-01-01 00:00:00')"))
        connection.execute(sa.text(
            "INSERT INTO services (id, clinic_id, name, description, duration_minutes, price_amount_minor, "
            "price_currency, buffer_before_minutes, buffer_after_minutes, required_forms, remind_24h_before, "
            "remind_1h_before, version, archived, updated_at) VALUES ('0190f3a26c1e7b4d9a532f8e4c1d7a61', "
            "'0190f3a26c1e7b4d9a532f8e4c1d7a60', 'Massage', '', 30, 100, 'EUR', 0, 0, '[]', true, true, 1, false, "
            "'2026-01-01 00:00:00')"))
        connection.execute(sa.text(
            "INSERT INTO calendars (id, clinic_id, service_id, name, kind, timezone, hours, version, archived, "
            "updated_at) VALUES ('0190f3a26c1e7b4d9a532f8e4c1d7a62', '0190f3a26c1e7b4d9a532f8e4c1d7a60', "
            "'0190f3a26c1e7b4d9a532f8e4c1d7a61', 'Standard', 'standard', 'UTC', '[]', 1, false, "
            "'2026-01-01 00:00:00')"))

    upgrade(MIGRATIONS, empty_database_url)

    with engine.connect() as connection:
        held = [tuple(connection.execute(sa.text(
            f"SELECT minimum_notice_minutes, booking_horizon_days FROM {table}")).one())
            for table in ("services", "calendars")]
    engine.dispose()
    assert held == [(None, None), (None, None)]


def test_two_migrations_started_together_both_succeed(create_database):
    """A Job's replacement pod while the old one still runs, or a run by hand: the second waits
    for the first, then finds the history at its head. Both are held at their start (on the
    version table, which this test locks) and let go at once. (Processes: Alembic's context is
    global to a process.)"""
    url = create_database("pg")
    migrate = ("from catalog.entrypoints.migrate import MIGRATIONS\n"
               "from clinic_runtime.migrations import upgrade\n"
               f"upgrade(MIGRATIONS, {url!r})\n")
    engine = sa.create_engine(url)
    with engine.connect() as holding:
        holding.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        holding.commit()
        holding.execute(sa.text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        holder = holding.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        runs = [subprocess.Popen([sys.executable, "-c", migrate], stderr=subprocess.PIPE) for _ in range(2)]
        assert eventually(lambda: both_started(engine, holder)), "both migrations should have started"
        time.sleep(1.0)  # each reaches where it waits
        holding.commit()
    failures = [run.stderr.read().decode() for run in runs if run.wait(timeout=120) != 0]
    engine.dispose()

    assert failures == []
    assert differences(url) == []


def both_started(engine: sa.Engine, holder: int) -> bool:
    """Both migrations are connected and one already waits on the version table (the other waits
    there too, or tries for the migration lock, outside any transaction between its tries)."""
    with engine.connect() as connection:
        waits = connection.execute(sa.text(
            "SELECT wait_event_type FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid NOT IN (pg_backend_pid(), :holder)"), {"holder": holder}).scalars().all()
    return len(waits) == 2 and "Lock" in waits


def eventually(condition, within: float = 30.0) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_catalog_is_ready_only_on_a_database_migrated_to_its_head_or_past_it(empty_database_url, monkeypatch):
    """A migration that has not run (or failed) keeps new pods out of rotation; a newer release
    that migrated first, during a rolling deploy, does not take the old pods out."""
    from catalog.entrypoints.web import create_app

    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    client = create_app().test_client()
    config = alembic_config(MIGRATIONS, empty_database_url)

    def ready() -> tuple[int, str]:
        answer = client.get("/readyz")
        return answer.status_code, answer.get_json()["checks"]["database"]["detail"]

    unmigrated = ready()
    command.upgrade(config, "0001")
    behind = ready()
    command.upgrade(config, "head")
    current = ready()
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'a_newer_release'"))
    engine.dispose()
    newer = ready()

    assert unmigrated == (503, "not migrated")
    assert behind[0] == 503 and behind[1].startswith("migrated to 0001; this code needs")
    assert current == newer == (200, "migrated")
