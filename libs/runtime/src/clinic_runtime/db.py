"""Database engine and transactions, the same for every service.

PostgreSQL in tests, compose and Kubernetes; an embedded SQLite file for a laptop. SQLite gets
WAL (readers never block the writer), a busy timeout, and `BEGIN IMMEDIATE` on every
transaction so concurrent writers queue for the write lock instead of failing half-way: that is
what makes SQLite's path of row-claiming queries correct without `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    Table,
    TextClause,
    bindparam,
    create_engine,
    delete,
    event,
    make_url,
    select,
    text,
    tuple_,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every backend (SQLite keeps no offset, PostgreSQL keeps timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, pool_size: int = 5, statement_timeout_seconds: float | None = None) -> Engine:
    """`statement_timeout_seconds`, on PostgreSQL: any statement, lock waits included, is cancelled
    after it (`statement_cancelled`). It is each connection's session default, so no rolled-back
    transaction undoes it; SQLite waits for its write lock up to its busy timeout instead.

    A failed statement's error never shows its parameters (`hide_parameters`): they are patients'
    names, addresses and consents, and password hashes, and the error is logged whole."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        _serialize_sqlite_writers(engine)
        return engine
    connect_args = {}
    if statement_timeout_seconds is not None:
        bound = f"-c statement_timeout={max(1, round(statement_timeout_seconds * 1000))}"
        connect_args["options"] = " ".join(filter(None, [make_url(url).query.get("options"), bound]))
    # No pre-ping: it costs a round trip per transaction, and a connection the server dropped is
    # detected on use anyway (SQLAlchemy then invalidates the whole pool; that one unit of work
    # fails and is retried: a redelivered event, a 5xx the client may retry).
    return create_engine(url, pool_size=pool_size, max_overflow=10, pool_recycle=1800, connect_args=connect_args,
                         hide_parameters=True)


def statement_cancelled(error: BaseException) -> bool:
    """Whether the database cancelled the statement for running past its bound."""
    return _sqlstate(error) == "57014"


# PostgreSQL's states that speak of the server, not of the work: a connection failing or refused
# (class 08, but not 08P01, a protocol violation of the client's own), too many connections, a
# full disk, the server shutting down, crashed or starting up, a standby not yet promoted after a
# failover; and a transaction given up to break a serialization failure or a deadlock.
_TRANSIENT_STATES = frozenset({"08000", "08001", "08003", "08004", "08006", "53100", "53300",
                               "57P01", "57P02", "57P03", "25006", "40001", "40P01"})


def transient_database_error(error: BaseException) -> bool:
    """Whether the database, not the work, failed: it could not be reached or used just now, or
    it gave up the transaction in a conflict, so the same work may well succeed when tried again.
    A statement cancelled past its bound (`statement_cancelled`) or a lock wait that timed out is
    not: the same work may take as long again, so retrying it is no cure."""
    if not isinstance(error, DBAPIError):
        return False
    # psycopg attaches the connection only to an error raised while connecting: whatever refused
    # it (the server down, not accepting connections, even credentials), the work did nothing.
    if error.connection_invalidated or getattr(error.orig, "pgconn", None) is not None:
        return True
    return _sqlstate(error) in _TRANSIENT_STATES


def _sqlstate(error: BaseException) -> str | None:
    return getattr(getattr(error, "orig", None), "sqlstate", None)


def _serialize_sqlite_writers(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII only; PostgreSQL's folds every script (Ștefan, Łucja).
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        # A read on an autocommit connection (e.g. an access decision) needs no write lock.
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: everything done with the session commits together or not at all."""
    with sessions() as session, session.begin():
        yield session


def on_rollback(session: Session, undo: Callable[[], None]) -> None:
    """Call `undo` if the session's current transaction ends without committing (rolled back, or
    its commit failed): how a unit of work takes back what it did outside the database (a file
    stored, say). A savepoint released on the way is no commit: the transaction may still roll back."""
    transaction = session.get_transaction()
    committed = False

    def after_commit(ended: Session) -> None:
        nonlocal committed
        # A savepoint's release is reported as a commit too, while the savepoint is still current.
        committed = committed or ended.get_nested_transaction() is None

    def after_transaction_end(_session: Session, ended: SessionTransaction) -> None:
        if ended is transaction and not committed:
            undo()

    # Both stay with the session (one request's, one message's); later transactions pass them by.
    event.listen(session, "after_commit", after_commit)
    event.listen(session, "after_transaction_end", after_transaction_end)


def utcnow() -> datetime:
    return datetime.now(UTC)


def keep_newest_statement(table: Table) -> TextClause:
    """The one statement a read model stores a snapshot with: insert a row (every column of
    `table`), or replace the one with its primary key only when the row's `version` is newer;
    returns the key when the row was stored.

    One statement instead of read-then-write, since it runs for every event of a read model; text,
    not the dialects' `insert().on_conflict_do_update()`, because SQLAlchemy caches no compiled
    form of those. PostgreSQL and SQLite (3.35+) both speak it."""
    columns = [f'"{column.name}"' for column in table.columns]
    key = [f'"{column.name}"' for column in table.primary_key]
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in key)
    return text(
        f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
        f'VALUES ({", ".join(f":{column.name}" for column in table.columns)}) '
        f'ON CONFLICT ({", ".join(key)}) DO UPDATE SET {updates} '
        f'WHERE "{table.name}"."version" < excluded."version" '
        f"RETURNING {key[0]}"
    ).bindparams(*(bindparam(column.name, type_=column.type) for column in table.columns))


def delete_past_retention(engine: Engine, table: Table, stamp: ColumnElement, older_than: timedelta, limit: int,
                          *where: ColumnElement[bool]) -> int:
    """Delete at most `limit` rows of `table` whose `stamp` is older than `older_than` (and that
    meet `where`), in one short transaction; how many went. The worker calls it until a batch
    comes back short, so a large backlog never holds one long transaction."""
    key = table.primary_key.columns
    doomed = select(*key).where(stamp < utcnow() - older_than, *where).limit(limit)
    with engine.begin() as connection:
        return connection.execute(delete(table).where(tuple_(*key).in_(doomed))).rowcount
