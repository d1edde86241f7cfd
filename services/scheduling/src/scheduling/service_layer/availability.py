"""Use cases on specialists' availability.

- The specialist must be one scheduling knows in the clinic (catalog's events), else NotFound;
  an archived specialist's availability can be read but no longer changed (Invalid).
- Every change takes the availability for change first, so concurrent changes of one
  specialist's availability wait for each other; a new weekly schedule also names the version it
  replaces (StaleVersion otherwise).
- Invalid input is Invalid with every broken rule; nothing is stored or published then.
- Every stored change is one version on and publishes the whole availability
  (scheduling.availability.updated.v1) in the same transaction; a new weekly schedule equal to
  the one held changes nothing and publishes nothing.
- A change by staff or a specialist goes into the audit trail in that transaction, naming the
  specialist (`provider_id`), with before and after views of what changed: the weekly schedule
  (`availability.schedule_replaced`), or the one away range or override added or removed
  (`availability.away_added`, `.away_removed`, `.override_added`, `.override_removed`; before or
  after is then null), each with the availability's version. Notes are left out: one may say why
  the specialist is away, which the trail need not keep. A change refused, or that changes
  nothing, records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from clinic_contracts import uuid7
from clinic_contracts.events import scheduling as events
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion
from scheduling.adapters.appointments import AuditEntry
from scheduling.domain.appointments import Actor
from scheduling.domain.availability import (
    AwayRange,
    DayOverride,
    ProviderAvailability,
    WeeklyRule,
    WeeklySchedule,
    check_away,
    check_override,
    check_schedule,
)
from scheduling.domain.errors import RuleBroken
from scheduling.domain.offerings import ProviderSnapshot
from scheduling.service_layer import audit
from scheduling.service_layer.unit_of_work import UnitOfWork

# What the audit trail shows of an availability: the part a change is about, None when it has none.
View = Callable[[ProviderAvailability], dict[str, Any] | None]


def read_availability(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderAvailability:
    """As held; a specialist whose availability was never set has none (version 0, their zone)."""
    provider = _provider(uow, clinic_id, provider_id)
    held = uow.availability.get(clinic_id, provider_id)
    return held if held is not None else ProviderAvailability.unset(clinic_id, provider_id, provider.timezone)


def replace_schedule(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, *, timezone: str | None,
                     rules: tuple[WeeklyRule, ...], blackout_dates: tuple[date, ...], expected_version: int,
                     actor: Actor, now: datetime) -> ProviderAvailability:
    """The weekly rules and blackout dates, all at once. `timezone` None keeps the zone held (the
    specialist's when never set)."""
    provider, held = _held(uow, clinic_id, provider_id)
    if held.version != expected_version:
        raise StaleVersion(held.version)
    schedule = WeeklySchedule(timezone if timezone is not None else held.schedule.timezone, rules, blackout_dates)
    problems = check_schedule(schedule)
    problems.extend(
        RuleBroken(f"rules.{position}.location_id", "is not a location where the specialist works")
        for position, rule in enumerate(rules)
        if rule.location_id is not None and rule.location_id not in provider.location_ids
    )
    if problems:
        raise Invalid(problems)
    ordered = WeeklySchedule(schedule.timezone, rules, tuple(sorted(blackout_dates)))
    return _store(uow, held, held.with_schedule(ordered, now), actor, "availability.schedule_replaced",
                  _schedule_view)


def add_away(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, *, first_day: date, last_day: date,
             note: str, actor: Actor, now: datetime) -> tuple[ProviderAvailability, AwayRange]:
    _, held = _held(uow, clinic_id, provider_id)
    away = AwayRange(uuid7(), first_day, last_day, note)
    _valid(check_away(away, held))
    return _store(uow, held, held.with_away(away, now), actor, "availability.away_added",
                  _away_view(away.away_id)), away


def remove_away(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, away_id: uuid.UUID, *,
                actor: Actor, now: datetime) -> ProviderAvailability:
    _, held = _held(uow, clinic_id, provider_id)
    if held.away_range(away_id) is None:
        raise NotFound("away range")
    return _store(uow, held, held.without_away(away_id, now), actor, "availability.away_removed",
                  _away_view(away_id))


def add_override(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, *, day: date, kind: str,
                 start: str | None, end: str | None, note: str, actor: Actor,
                 now: datetime) -> tuple[ProviderAvailability, DayOverride]:
    _, held = _held(uow, clinic_id, provider_id)
    override = DayOverride(uuid7(), day, kind, start, end, note)
    _valid(check_override(override, held))
    return _store(uow, held, held.with_override(override, now), actor, "availability.override_added",
                  _override_view(override.override_id)), override


def remove_override(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, override_id: uuid.UUID, *,
                    actor: Actor, now: datetime) -> ProviderAvailability:
    _, held = _held(uow, clinic_id, provider_id)
    if held.override(override_id) is None:
        raise NotFound("override")
    return _store(uow, held, held.without_override(override_id, now), actor, "availability.override_removed",
                  _override_view(override_id))


def availability_event(availability: ProviderAvailability) -> events.AvailabilityUpdatedV1:
    schedule = availability.schedule
    return events.AvailabilityUpdatedV1(
        clinic_id=availability.clinic_id, provider_id=availability.provider_id, timezone=schedule.timezone,
        rules=[events.WeeklyRule(weekday=rule.weekday, start=rule.start, end=rule.end, valid_from=rule.valid_from,
                                 valid_until=rule.valid_until, location_id=rule.location_id)
               for rule in schedule.rules],
        blackout_dates=list(schedule.blackout_dates),
        away=[events.AwayRange(away_id=away.away_id, first_day=away.first_day, last_day=away.last_day,
                               note=away.note) for away in availability.away],
        overrides=[events.DayOverride(override_id=override.override_id, day=override.day, kind=override.kind,
                                      start=override.start, end=override.end, note=override.note)
                   for override in availability.overrides],
        version=availability.version, updated_at=availability.updated_at,
    )


def _provider(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderSnapshot:
    provider = uow.providers.get(clinic_id, provider_id)
    if provider is None:
        raise NotFound("specialist")
    return provider


def _held(uow: UnitOfWork, clinic_id: uuid.UUID,
          provider_id: uuid.UUID) -> tuple[ProviderSnapshot, ProviderAvailability]:
    provider = _provider(uow, clinic_id, provider_id)
    if provider.archived:
        raise Invalid([RuleBroken("provider", "the specialist is archived: their availability cannot change")])
    return provider, uow.availability.held_for_change(clinic_id, provider_id, provider.timezone)


def _valid(problems: list[RuleBroken]) -> None:
    if problems:
        raise Invalid(problems)


def _store(uow: UnitOfWork, held: ProviderAvailability, changed: ProviderAvailability, actor: Actor, action: str,
           view: View) -> ProviderAvailability:
    if changed is held:
        return held
    uow.availability.save(changed)
    uow.publish(availability_event(changed), clinic_id=changed.clinic_id)
    audit.record(uow, actor, lambda: AuditEntry(changed.clinic_id, uuid7(), None, None, actor, action, view(held),
                                                view(changed), changed.updated_at, provider_id=changed.provider_id))
    return changed


def _schedule_view(availability: ProviderAvailability) -> dict[str, Any]:
    schedule = availability.schedule
    return {
        "timezone": schedule.timezone,
        "rules": [{"weekday": rule.weekday, "start": rule.start, "end": rule.end, "valid_from": _day(rule.valid_from),
                   "valid_until": _day(rule.valid_until),
                   "location_id": str(rule.location_id) if rule.location_id else None} for rule in schedule.rules],
        "blackout_dates": [day.isoformat() for day in schedule.blackout_dates],
        "version": availability.version,
    }


def _away_view(away_id: uuid.UUID) -> View:
    def view(availability: ProviderAvailability) -> dict[str, Any] | None:
        away = availability.away_range(away_id)
        return None if away is None else {
            "away_id": str(away.away_id), "first_day": away.first_day.isoformat(),
            "last_day": away.last_day.isoformat(), "version": availability.version}

    return view


def _override_view(override_id: uuid.UUID) -> View:
    def view(availability: ProviderAvailability) -> dict[str, Any] | None:
        override = availability.override(override_id)
        return None if override is None else {
            "override_id": str(override.override_id), "day": override.day.isoformat(), "kind": override.kind,
            "start": override.start, "end": override.end, "version": availability.version}

    return view


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None
