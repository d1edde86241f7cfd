"""The one statement every read model stores a snapshot with."""

from __future__ import annotations

from sqlalchemy import Table, TextClause, bindparam, text


def keep_newest_statement(table: Table) -> TextClause:
    """Insert a row, or replace the one with its primary key only if the row's `version` is
    newer; returns the key when the row was stored.

    One statement instead of read-then-write: this runs for every event of a read model. The
    WHERE is Snapshot.supersedes in SQL; PostgreSQL and SQLite (3.35+) both speak it."""
    columns = [column.name for column in table.columns]
    key = [column.name for column in table.primary_key]
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in key)
    return text(
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(f':{name}' for name in columns)}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates} "
        f"WHERE {table.name}.version < excluded.version "
        f"RETURNING {key[0]}"
    ).bindparams(*(bindparam(column.name, type_=column.type) for column in table.columns))
