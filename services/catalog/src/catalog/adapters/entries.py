"""How any catalog entry is kept: a row in its table, plus rows in the tables linking it to other
entries (a service's specialists, a plan's products), read and written together.

A listing is a keyset page: entries of one clinic in id order (UUIDv7: creation order to the
millisecond), after the last id the caller saw. Stable while entries are added: no entry is
listed twice or skipped because another was added meanwhile.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Row, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from catalog.adapters.locks import Lock, locked
from catalog.domain.entries import CatalogEntry

E = TypeVar("E", bound=CatalogEntry)
STATUSES = ("active", "archived", "all")


@dataclass(frozen=True)
class Listing:
    """Which entries of a clinic to list: by status, after the id of the last one seen, how many."""

    status: str = "active"
    after: uuid.UUID | None = None
    limit: int = 50


class Entries(Protocol[E]):
    def get(self, clinic_id: uuid.UUID, entry_id: uuid.UUID, lock: Lock | None = None) -> E | None:
        """The entry if it exists *in this clinic*; another clinic's id finds nothing. With `lock`,
        its row is held so until the transaction ends (catalog.adapters.locks)."""

    def add(self, entry: E) -> None: ...

    def save(self, entry: E, expected_version: int) -> bool:
        """Store a changed entry if it is still at `expected_version`; False otherwise."""

    def page(self, clinic_id: uuid.UUID, listing: Listing) -> list[E]:
        """Up to `listing.limit + 1` entries (one more tells the caller another page follows)."""

    def states(self, clinic_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bool]:
        """Which of `ids` exist in this clinic, each mapped to whether it is archived. Read to vet
        references to them, so their rows are held "share" (catalog.adapters.locks): none of them is
        archived before the referring change commits, nor while an archive of one counts its users."""


@dataclass(frozen=True)
class Link(Generic[E]):
    """A table of rows owned by an entry (`owner` names the column holding the entry's id)."""

    table: Table
    owner: str
    order_by: str
    rows: Callable[[E], list[dict[str, Any]]]


class SqlEntries(ABC, Generic[E]):
    table: Table
    links: dict[str, Link[E]] = {}

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- what each kind of entry says about itself --

    @abstractmethod
    def _columns(self, entry: E) -> dict[str, Any]:
        """The entry's own row, apart from id and clinic_id."""

    @abstractmethod
    def _entry(self, row: Row, linked: dict[str, list[Row]]) -> E:
        """The entry from its row and its rows in each of `links`, in their order."""

    # -- the port --

    def get(self, clinic_id: uuid.UUID, entry_id: uuid.UUID, lock: Lock | None = None) -> E | None:
        found = self._load(clinic_id, locked(self._where(clinic_id, self.table.c.id == entry_id), lock))
        return found[0] if found else None

    def add(self, entry: E) -> None:
        self._session.execute(insert(self.table).values(id=entry.id, clinic_id=entry.clinic_id, **self._columns(entry)))
        self._insert_links(entry)

    def save(self, entry: E, expected_version: int) -> bool:
        stored = self._session.execute(
            update(self.table)
            .where(self.table.c.clinic_id == entry.clinic_id, self.table.c.id == entry.id,
                   self.table.c.version == expected_version)
            .values(**self._columns(entry))
        ).rowcount == 1
        if stored:
            for link in self.links.values():
                self._session.execute(delete(link.table).where(link.table.c.clinic_id == entry.clinic_id,
                                                               link.table.c[link.owner] == entry.id))
            self._insert_links(entry)
        return stored

    def page(self, clinic_id: uuid.UUID, listing: Listing, *conditions: ColumnElement[bool]) -> list[E]:
        query = self._where(clinic_id, *conditions, *self._status(listing.status))
        if listing.after is not None:
            query = query.where(self.table.c.id > listing.after)
        return self._load(clinic_id, query.order_by(self.table.c.id).limit(listing.limit + 1))

    def states(self, clinic_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bool]:
        wanted = set(ids)
        if not wanted:
            return {}
        rows = self._session.execute(
            locked(select(self.table.c.id, self.table.c.archived)
                   .where(self.table.c.clinic_id == clinic_id, self.table.c.id.in_(wanted)), "share")
        )
        return {row.id: row.archived for row in rows}

    # -- plumbing --

    def _where(self, clinic_id: uuid.UUID, *conditions: ColumnElement[bool]):
        return select(self.table).where(self.table.c.clinic_id == clinic_id, *conditions)

    def _status(self, status: str) -> list[ColumnElement[bool]]:
        if status == "all":
            return []
        return [self.table.c.archived == (status == "archived")]

    def _load(self, clinic_id: uuid.UUID, query) -> list[E]:
        rows = self._session.execute(query).all()
        ids = [row.id for row in rows]
        linked = {name: self._linked(clinic_id, link, ids) for name, link in self.links.items()}
        return [self._entry(row, {name: by_owner.get(row.id, []) for name, by_owner in linked.items()})
                for row in rows]

    def _linked(self, clinic_id: uuid.UUID, link: Link[E], ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Row]]:
        by_owner: dict[uuid.UUID, list[Row]] = defaultdict(list)
        if not ids:
            return by_owner
        owner = link.table.c[link.owner]
        for row in self._session.execute(
            select(link.table).where(link.table.c.clinic_id == clinic_id, owner.in_(ids))
            .order_by(owner, link.table.c[link.order_by])
        ):
            by_owner[row._mapping[link.owner]].append(row)
        return by_owner

    def _insert_links(self, entry: E) -> None:
        for link in self.links.values():
            rows = link.rows(entry)
            if rows:
                self._session.execute(insert(link.table), [
                    {"clinic_id": entry.clinic_id, link.owner: entry.id, **row} for row in rows
                ])
