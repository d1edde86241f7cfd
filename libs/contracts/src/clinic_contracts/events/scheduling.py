"""Events published by the scheduling service."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field

from clinic_contracts.envelope import Event


class WeeklyRule(BaseModel):
    weekday: int = Field(description="ISO weekday: 1 Monday ... 7 Sunday.")
    start: str = Field(description="Wall-clock time HH:MM in the availability's time zone.")
    end: str = Field(description="Wall-clock time HH:MM, after start; 24:00 is the end of the day.")
    valid_from: date | None = Field(description="First day the rule applies; none means it always did.")
    valid_until: date | None = Field(description="Last day the rule applies (inclusive); none means open.")
    location_id: uuid.UUID | None = Field(description="The clinic location the specialist works at then, if said.")


class AwayRange(BaseModel):
    away_id: uuid.UUID
    first_day: date
    last_day: date = Field(description="Inclusive.")
    note: str = Field(description="Staff's note, e.g. vacation; may be empty.")


class DayOverride(BaseModel):
    override_id: uuid.UUID
    day: date
    kind: Literal["extra_hours", "closed"] = Field(
        description="extra_hours adds start-end to the day; closed takes the whole day off.")
    start: str | None = Field(description="Wall-clock HH:MM; extra hours only.")
    end: str | None = Field(description="Wall-clock HH:MM after start, 24:00 the end of the day; extra hours only.")
    note: str = Field(description="Staff's note; may be empty.")


class AvailabilityUpdatedV1(Event):
    """A specialist's availability in a clinic changed (weekly schedule, blackout dates, an away
    range or a day's override). Carries the full availability at its new version, all of it
    wall-clock time in `timezone`. Appointments already booked are not affected."""

    event_type: ClassVar[str] = "scheduling.availability.updated.v1"
    producer: ClassVar[str] = "scheduling"

    clinic_id: uuid.UUID
    provider_id: uuid.UUID
    timezone: str = Field(description="IANA time zone every rule, date and override is written in.")
    rules: list[WeeklyRule]
    blackout_dates: list[date] = Field(description="Personal days off, whatever the rules say.")
    away: list[AwayRange] = Field(description="Away or vacation ranges, by first day.")
    overrides: list[DayOverride] = Field(description="One-off changes to single days, by day.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.provider_id)
