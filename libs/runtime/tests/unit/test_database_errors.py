"""Which database errors are the database's, not the work's: those a consumer waits out instead of
counting a failed delivery."""

from __future__ import annotations

import sqlite3

import psycopg.errors
import pytest
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError, ProgrammingError

from clinic_runtime.db import make_engine, statement_cancelled, transient_database_error


def failed_statement(cls, orig: Exception, **kwargs) -> Exception:
    return cls("INSERT INTO inbox ...", {}, orig, **kwargs)


@pytest.mark.parametrize("orig", [
    psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    psycopg.errors.CrashShutdown("terminating connection because of crash of another server process"),
    psycopg.errors.CannotConnectNow("the database system is starting up"),
    psycopg.errors.TooManyConnections("sorry, too many clients already"),
    psycopg.errors.ConnectionFailure("connection failure"),
    psycopg.errors.DeadlockDetected("deadlock detected"),
    psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"),
], ids=lambda orig: orig.sqlstate)
def test_the_server_failing_or_giving_up_a_conflict_is_transient(orig):
    assert transient_database_error(failed_statement(OperationalError, orig))


def test_a_standby_not_yet_promoted_after_a_failover_is_transient():
    orig = psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction")
    assert transient_database_error(failed_statement(InternalError, orig))


def test_a_connection_lost_mid_statement_is_transient_whatever_the_driver_said():
    orig = psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")
    assert transient_database_error(failed_statement(OperationalError, orig, connection_invalidated=True))


def test_a_connection_that_cannot_be_opened_is_transient():
    engine = make_engine("postgresql+psycopg://postgres@/clinic?host=/nonexistent-socket-directory")
    with pytest.raises(OperationalError) as refused:
        engine.connect()
    assert transient_database_error(refused.value)


@pytest.mark.parametrize("error", [
    failed_statement(OperationalError, psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
    failed_statement(OperationalError, psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")),
    failed_statement(OperationalError, psycopg.errors.ProtocolViolation("insufficient data left in message")),
    failed_statement(IntegrityError, psycopg.errors.UniqueViolation("duplicate key value")),
    failed_statement(ProgrammingError, psycopg.errors.UndefinedTable('relation "inbox" does not exist')),
    failed_statement(OperationalError, sqlite3.OperationalError("database is locked")),
    RuntimeError("a handler's bug"),
], ids=["statement-timeout", "lock-timeout", "protocol-violation", "unique-violation", "undefined-table",
        "sqlite-locked", "not-a-database-error"])
def test_the_work_failing_is_not_transient(error):
    assert not transient_database_error(error)


def test_a_statement_past_its_bound_is_cancelled_not_transient():
    error = failed_statement(OperationalError, psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))
    assert statement_cancelled(error) and not transient_database_error(error)
