"""The life of any catalog entry: add, change, archive, read, list.

Each kind of entry (providers, services, calendars, plans, products) says how its details are
vetted against its clinic, how it is snapshotted into events, and what refers to it; the steps
and their order are the same for all, so every kind answers the same way:

- an unknown clinic, or an entry not in this clinic, is NotFound;
- a change names the version it was based on: another one is StaleVersion, even when a
  concurrent writer got in between our read and our write;
- invalid details are Invalid, listing every broken rule; nothing is stored or published then;
- what a change was vetted against (the clinic's profile, the entries it refers to) holds until it
  commits, and an entry being archived gains no new users meanwhile (catalog.adapters.locks);
- a change that changes nothing keeps the version and publishes nothing;
- every stored change publishes the full snapshot, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from catalog.adapters.entries import Entries, Listing
from catalog.adapters.locks import Lock
from catalog.domain.clinic import Clinic
from catalog.domain.entries import CatalogEntry
from catalog.domain.errors import RuleBroken
from catalog.service_layer.clinics import clinic
from catalog.service_layer.errors import InUse
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts import Event, uuid7
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion

E = TypeVar("E", bound=CatalogEntry)
D = TypeVar("D")


@dataclass(frozen=True)
class Kind(Generic[E]):
    entry: type[E]
    repository: Callable[[UnitOfWork], Entries[E]]
    upserted: Callable[[E], Event]
    archived: Callable[[E], Event]


@dataclass(frozen=True)
class Page(Generic[E]):
    entries: list[E]
    # The id to list after for the next page; None on the last page.
    next_after: uuid.UUID | None

    @classmethod
    def of(cls, found: list[E], limit: int) -> Page[E]:
        shown = found[:limit]
        return cls(shown, shown[-1].id if len(found) > limit else None)


# The details to store, vetted against the clinic (normalised where the rules say so); raises
# Invalid with every broken rule.
Vet = Callable[[Clinic], D]
# Which active entries of which kind (by plural noun) still refer to the one being archived.
Users = Callable[[], dict[str, list[uuid.UUID]]]


def add(uow: UnitOfWork, kind: Kind[E], clinic_id: uuid.UUID, vet: Vet, now: datetime) -> E:
    details = vet(clinic(uow, clinic_id, lock="share"))
    entry = kind.entry.create(uuid7(), clinic_id, details, now)
    kind.repository(uow).add(entry)
    uow.publish(kind.upserted(entry), clinic_id=clinic_id)
    return entry


def change(uow: UnitOfWork, kind: Kind[E], clinic_id: uuid.UUID, entry_id: uuid.UUID, expected_version: int,
           vet: Vet, now: datetime, *, within: Callable[[E], bool] | None = None) -> E:
    """`within` narrows where the entry is found (a calendar under its own service)."""
    held_clinic = clinic(uow, clinic_id, lock="share")
    held = _at_version(uow, kind, clinic_id, entry_id, expected_version, within)
    details = vet(held_clinic)
    try:
        changed = held.change(details, now)
    except RuleBroken as broken:
        raise Invalid([broken]) from None
    return store(uow, kind, held, changed, kind.upserted)


def archive(uow: UnitOfWork, kind: Kind[E], clinic_id: uuid.UUID, entry_id: uuid.UUID, expected_version: int,
            users: Users, now: datetime, *, within: Callable[[E], bool] | None = None) -> E:
    """Refused (InUse) while active entries still refer to it, so they never point at an
    archived one; archiving an archived entry changes nothing."""
    clinic(uow, clinic_id)
    # Held before its users are counted: a change starting to refer to it waits for this archive
    # (and then finds it archived), or this archive waits for that change (and then counts it).
    held = _at_version(uow, kind, clinic_id, entry_id, expected_version, within)
    if held.archived:
        return held
    in_use = {noun: ids for noun, ids in users().items() if ids}
    if in_use:
        raise InUse(kind.entry.noun, in_use)
    return store(uow, kind, held, held.archive(now), kind.archived)


def read(uow: UnitOfWork, kind: Kind[E], clinic_id: uuid.UUID, entry_id: uuid.UUID, *,
         within: Callable[[E], bool] | None = None) -> E:
    clinic(uow, clinic_id)
    return held_entry(uow, kind, clinic_id, entry_id, within)


def page(uow: UnitOfWork, kind: Kind[E], clinic_id: uuid.UUID, listing: Listing, **filters: uuid.UUID | None) -> Page[E]:
    clinic(uow, clinic_id)
    return Page.of(kind.repository(uow).page(clinic_id, listing, **filters), listing.limit)


def held_entry(uow: UnitOfWork, kind: Kind[E], clinic_id: uuid.UUID, entry_id: uuid.UUID,
               within: Callable[[E], bool] | None = None, lock: Lock | None = None) -> E:
    held = kind.repository(uow).get(clinic_id, entry_id, lock)
    if held is None or (within is not None and not within(held)):
        raise NotFound(kind.entry.noun)
    return held


def valid(problems: list[RuleBroken]) -> None:
    if problems:
        raise Invalid(problems)


def _at_version(uow: UnitOfWork, kind: Kind[E], clinic_id: uuid.UUID, entry_id: uuid.UUID, expected_version: int,
                within: Callable[[E], bool] | None) -> E:
    """The entry about to be changed or archived, held "update" until the transaction ends."""
    held = held_entry(uow, kind, clinic_id, entry_id, within, lock="update")
    if held.version != expected_version:
        raise StaleVersion(held.version)
    return held


def store(uow: UnitOfWork, kind: Kind[E], held: E, changed: E, snapshot: Callable[[E], Event]) -> E:
    if changed is held:
        return held
    repository = kind.repository(uow)
    if not repository.save(changed, expected_version=held.version):
        # Another change committed between our read and our write.
        current = repository.get(held.clinic_id, held.id)
        raise StaleVersion(current.version if current else held.version)
    uow.publish(snapshot(changed), clinic_id=changed.clinic_id)
    return changed
