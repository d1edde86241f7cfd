"""A clinic: the tenant, with the profile everything else it sells depends on."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from catalog.domain.errors import RuleBroken
from catalog.domain.values import DEFAULT_CANCELLATION_WINDOW_HOURS, FULL_REFUND, RefundPolicy

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class ClinicRuleBroken(RuleBroken):
    """A clinic profile that breaks a rule; `field` names the offending field."""


@dataclass(frozen=True)
class ClinicProfile:
    slug: str
    name: str
    timezone: str
    currency: str
    locale: str
    cancellation_window_hours: int = DEFAULT_CANCELLATION_WINDOW_HOURS
    refund_policy: RefundPolicy = FULL_REFUND


@dataclass(frozen=True)
class LocationDetails:
    name: str
    address: str
    timezone: str


@dataclass(frozen=True)
class Location:
    """Where a clinic's specialists work. Part of the clinic: a change to one is a change to the
    clinic's snapshot, so it shares the clinic's version."""

    id: uuid.UUID
    details: LocationDetails
    archived: bool = False


@dataclass(frozen=True)
class Clinic:
    id: uuid.UUID
    profile: ClinicProfile
    version: int
    updated_at: datetime
    archived: bool = False
    locations: tuple[Location, ...] = ()

    @classmethod
    def register(cls, clinic_id: uuid.UUID, profile: ClinicProfile, now: datetime) -> Clinic:
        return cls(id=clinic_id, profile=profile, version=1, updated_at=now)

    def change_profile(self, profile: ClinicProfile, now: datetime) -> Clinic:
        self._refuse_if_archived()
        if profile == self.profile:
            return self
        return replace(self, profile=profile, version=self.version + 1, updated_at=now)

    def location(self, location_id: uuid.UUID) -> Location | None:
        return next((location for location in self.locations if location.id == location_id), None)

    def location_states(self) -> dict[uuid.UUID, bool]:
        """Each location's id and whether it is archived."""
        return {location.id: location.archived for location in self.locations}

    def add_location(self, location_id: uuid.UUID, details: LocationDetails, now: datetime) -> Clinic:
        self._refuse_if_archived()
        return self._with_locations((*self.locations, Location(location_id, details)), now)

    def change_location(self, location_id: uuid.UUID, details: LocationDetails, now: datetime) -> Clinic:
        self._refuse_if_archived()
        held = self._held_location(location_id)
        if held.archived:
            raise RuleBroken("location", "an archived location cannot be changed")
        if details == held.details:
            return self
        return self._with_locations(tuple(replace(held, details=details) if location is held else location
                                          for location in self.locations), now)

    def archive_location(self, location_id: uuid.UUID, now: datetime) -> Clinic:
        self._refuse_if_archived()
        held = self._held_location(location_id)
        if held.archived:
            return self
        return self._with_locations(tuple(replace(held, archived=True) if location is held else location
                                          for location in self.locations), now)

    def _held_location(self, location_id: uuid.UUID) -> Location:
        held = self.location(location_id)
        if held is None:
            raise KeyError(f"clinic {self.id} has no location {location_id}")
        return held

    def _with_locations(self, locations: tuple[Location, ...], now: datetime) -> Clinic:
        return replace(self, locations=locations, version=self.version + 1, updated_at=now)

    def _refuse_if_archived(self) -> None:
        if self.archived:
            raise ClinicRuleBroken("clinic", "an archived clinic cannot be changed")
