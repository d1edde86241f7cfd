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
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from clinic_contracts import uuid7
from clinic_contracts.events import scheduling as events
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion
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
from scheduling.service_layer.unit_of_work import UnitOfWork


def read_availability(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderAvailability:
    """As held; a specialist whose availability was never set has none (version 0, their zone)."""
    provider = _provider(uow, clinic_id, provider_id)
    held = uow.availability.get(clinic_id, provider_id)
    return held if held is not None else ProviderAvailability.unset(clinic_id, provider_id, provider.timezone)


def replace_schedule(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, *, timezone: str | None,
                     rules: tuple[WeeklyRule, ...], blackout_dates: tuple[date, ...], expected_version: int,
                     now: datetime) -> ProviderAvailability:
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
    return _store(uow, held, held.with_schedule(ordered, now))


def add_away(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, *, first_day: date, last_day: date,
             note: str, now: datetime) -> tuple[ProviderAvailability, AwayRange]:
    _, held = _held(uow, clinic_id, provider_id)
    away = AwayRange(uuid7(), first_day, last_day, note)
    _valid(check_away(away, held))
    return _store(uow, held, held.with_away(away, now)), away


def remove_away(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, away_id: uuid.UUID,
                now: datetime) -> ProviderAvailability:
    _, held = _held(uow, clinic_id, provider_id)
    if held.away_range(away_id) is None:
        raise NotFound("away range")
    return _store(uow, held, held.without_away(away_id, now))


def add_override(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, *, day: date, kind: str,
                 start: str | None, end: str | None, note: str,
                 now: datetime) -> tuple[ProviderAvailability, DayOverride]:
    _, held = _held(uow, clinic_id, provider_id)
    override = DayOverride(uuid7(), day, kind, start, end, note)
    _valid(check_override(override, held))
    return _store(uow, held, held.with_override(override, now)), override


def remove_override(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, override_id: uuid.UUID,
                    now: datetime) -> ProviderAvailability:
    _, held = _held(uow, clinic_id, provider_id)
    if held.override(override_id) is None:
        raise NotFound("override")
    return _store(uow, held, held.without_override(override_id, now))


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


def _store(uow: UnitOfWork, held: ProviderAvailability, changed: ProviderAvailability) -> ProviderAvailability:
    if changed is held:
        return held
    uow.availability.save(changed)
    uow.publish(availability_event(changed), clinic_id=changed.clinic_id)
    return changed
