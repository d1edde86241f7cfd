"""Where specialists' availability is kept: a head row per specialist and clinic (zone, version)
and the rows of its rules, blackout dates, away ranges and overrides.

Every lookup names the clinic: another clinic's specialist has no availability here.

Every booking reads its specialists' availability, which changes rarely, so what was read is
remembered per database and process by specialist, with its head row (version, time of change
and zone): a read asks for the head rows only and loads the rules, blackouts, away ranges and
overrides of the specialists whose head row moved on. A change writes the head row and its rows
in one transaction (`save`), so a head row read names the rows read with it.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, Uuid, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from scheduling.adapters.orm import (
    availability_away,
    availability_blackouts,
    availability_overrides,
    availability_rules,
    provider_availability,
)
from scheduling.domain.availability import (
    AwayRange,
    DayOverride,
    ProviderAvailability,
    WeeklyRule,
    WeeklySchedule,
    away_order,
    override_order,
)


class AvailabilityRepository(Protocol):
    def get(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderAvailability | None:
        """None when the specialist's availability was never changed."""

    def of_providers(self, clinic_id: uuid.UUID,
                     provider_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ProviderAvailability]:
        """The availability of each of the specialists that has one."""

    def held_for_change(self, clinic_id: uuid.UUID, provider_id: uuid.UUID, timezone: str) -> ProviderAvailability:
        """The availability, held until the transaction ends so that concurrent changes wait for
        it; one never set is created unset (version 0) in `timezone` first."""

    def save(self, availability: ProviderAvailability) -> None:
        """Store a change of an availability held for change."""


# Creating the head row first gives concurrent first changes a row to wait on.
_CREATE_UNSET = text(
    "INSERT INTO provider_availability (clinic_id, provider_id, timezone, version, updated_at) "
    "VALUES (:clinic_id, :provider_id, :timezone, 0, NULL) ON CONFLICT (clinic_id, provider_id) DO NOTHING"
).bindparams(bindparam("clinic_id", type_=Uuid), bindparam("provider_id", type_=Uuid))


def _of_providers(table, *order):
    """The rows of `table` for some specialists of a clinic, built once."""
    return select(table).where(table.c.clinic_id == bindparam("clinic_id"),
                               table.c.provider_id.in_(bindparam("provider_ids", expanding=True))).order_by(*order)


_HEADS = _of_providers(provider_availability)
_RULES = _of_providers(availability_rules, availability_rules.c.position)
_BLACKOUTS = _of_providers(availability_blackouts, availability_blackouts.c.day)
_AWAY = _of_providers(availability_away)
_OVERRIDES = _of_providers(availability_overrides)

_REMEMBERED = 10_000  # specialists per database and process; past it, everything is forgotten
# database -> (clinic_id, provider_id) -> (the head row's stamp, availability)
_read_lately: weakref.WeakKeyDictionary[Engine, dict[tuple[uuid.UUID, uuid.UUID],
                                                     tuple[tuple[int, datetime | None, str], ProviderAvailability]]] = (
    weakref.WeakKeyDictionary())


def _stamp(head) -> tuple[int, datetime | None, str]:
    """What tells one state of a specialist's availability from another: the head row whole. Its
    zone counts too: a never-changed availability (version 0, no time) is created in the
    specialist's zone, and one created by a transaction that rolled back must not stand for one
    created later in another zone."""
    return head["version"], head["updated_at"], head["timezone"]


class SqlAvailability:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._remembered = _read_lately.setdefault(session.get_bind(), {})

    def get(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderAvailability | None:
        return self.of_providers(clinic_id, [provider_id]).get(provider_id)

    def of_providers(self, clinic_id: uuid.UUID,
                     provider_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ProviderAvailability]:
        ids = list(provider_ids)
        if not ids:
            return {}
        found: dict[uuid.UUID, ProviderAvailability] = {}
        moved = []
        for head in self._session.execute(_HEADS, {"clinic_id": clinic_id, "provider_ids": ids}).mappings():
            remembered = self._remembered.get((clinic_id, head["provider_id"]))
            if remembered is not None and remembered[0] == _stamp(head):
                found[head["provider_id"]] = remembered[1]
            else:
                moved.append(head)
        if moved:
            if len(self._remembered) > _REMEMBERED:
                self._remembered.clear()
            for head, availability in self._load(clinic_id, moved):
                self._remembered[(clinic_id, head["provider_id"])] = (_stamp(head), availability)
                found[head["provider_id"]] = availability
        return found

    def _load(self, clinic_id: uuid.UUID, heads: list) -> list[tuple[Any, ProviderAvailability]]:
        """Each head row with the availability its rules, blackouts, away ranges and overrides make."""
        ids = {"clinic_id": clinic_id, "provider_ids": [head["provider_id"] for head in heads]}

        def rows(statement):
            return self._session.execute(statement, ids).mappings()

        rules: dict[uuid.UUID, list[WeeklyRule]] = {}
        for row in rows(_RULES):
            rules.setdefault(row["provider_id"], []).append(WeeklyRule(
                row["weekday"], row["start_time"], row["end_time"], row["valid_from"], row["valid_until"],
                row["location_id"]))
        blackouts: dict[uuid.UUID, list] = {}
        for row in rows(_BLACKOUTS):
            blackouts.setdefault(row["provider_id"], []).append(row["day"])
        away: dict[uuid.UUID, list[AwayRange]] = {}
        for row in rows(_AWAY):
            away.setdefault(row["provider_id"], []).append(AwayRange(
                row["away_id"], row["first_day"], row["last_day"], row["note"]))
        overrides: dict[uuid.UUID, list[DayOverride]] = {}
        for row in rows(_OVERRIDES):
            overrides.setdefault(row["provider_id"], []).append(DayOverride(
                row["override_id"], row["day"], row["kind"], row["start_time"], row["end_time"], row["note"]))
        return [
            (head, ProviderAvailability(
                clinic_id=clinic_id, provider_id=head["provider_id"],
                schedule=WeeklySchedule(head["timezone"], tuple(rules.get(head["provider_id"], ())),
                                        tuple(blackouts.get(head["provider_id"], ()))),
                away=tuple(sorted(away.get(head["provider_id"], ()), key=away_order)),
                overrides=tuple(sorted(overrides.get(head["provider_id"], ()), key=override_order)),
                version=head["version"], updated_at=head["updated_at"],
            ))
            for head in heads
        ]

    def held_for_change(self, clinic_id: uuid.UUID, provider_id: uuid.UUID, timezone: str) -> ProviderAvailability:
        self._session.execute(_CREATE_UNSET, {"clinic_id": clinic_id, "provider_id": provider_id,
                                              "timezone": timezone})
        # PostgreSQL locks the row; SQLite needs no lock: every transaction there takes the
        # database's write lock as it begins (clinic_runtime.db).
        self._session.execute(select(provider_availability.c.version).where(
            provider_availability.c.clinic_id == clinic_id, provider_availability.c.provider_id == provider_id,
        ).with_for_update())
        return self.get(clinic_id, provider_id)

    def save(self, availability: ProviderAvailability) -> None:
        key = {"clinic_id": availability.clinic_id, "provider_id": availability.provider_id}
        self._session.execute(update(provider_availability).where(
            provider_availability.c.clinic_id == availability.clinic_id,
            provider_availability.c.provider_id == availability.provider_id,
        ).values(timezone=availability.schedule.timezone, version=availability.version,
                 updated_at=availability.updated_at))
        for table in (availability_rules, availability_blackouts, availability_away, availability_overrides):
            self._session.execute(delete(table).where(table.c.clinic_id == availability.clinic_id,
                                                      table.c.provider_id == availability.provider_id))
        self._insert(availability_rules, [
            {**key, "position": position, "weekday": rule.weekday, "start_time": rule.start, "end_time": rule.end,
             "valid_from": rule.valid_from, "valid_until": rule.valid_until, "location_id": rule.location_id}
            for position, rule in enumerate(availability.schedule.rules)])
        self._insert(availability_blackouts, [{**key, "day": day} for day in availability.schedule.blackout_dates])
        self._insert(availability_away, [
            {**key, "away_id": away.away_id, "first_day": away.first_day, "last_day": away.last_day,
             "note": away.note} for away in availability.away])
        self._insert(availability_overrides, [
            {**key, "override_id": override.override_id, "day": override.day, "kind": override.kind,
             "start_time": override.start, "end_time": override.end, "note": override.note}
            for override in availability.overrides])

    def _insert(self, table, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._session.execute(insert(table), rows)
