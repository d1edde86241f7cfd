"""A clinic: the tenant, with the profile everything else it sells depends on."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class ClinicRuleBroken(ValueError):
    """A clinic profile that breaks a rule; `field` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class ClinicProfile:
    slug: str
    name: str
    timezone: str
    currency: str
    locale: str


@dataclass(frozen=True)
class Clinic:
    id: uuid.UUID
    profile: ClinicProfile
    version: int
    updated_at: datetime
    archived: bool = False

    @classmethod
    def register(cls, clinic_id: uuid.UUID, profile: ClinicProfile, now: datetime) -> Clinic:
        return cls(id=clinic_id, profile=profile, version=1, updated_at=now)

    def change_profile(self, profile: ClinicProfile, now: datetime) -> Clinic:
        if self.archived:
            raise ClinicRuleBroken("clinic", "an archived clinic cannot be changed")
        if profile == self.profile:
            return self
        return replace(self, profile=profile, version=self.version + 1, updated_at=now)
