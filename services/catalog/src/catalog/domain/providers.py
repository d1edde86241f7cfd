"""Providers: the clinic's specialists, who deliver its services."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from catalog.domain.entries import CatalogEntry
from catalog.domain.errors import RuleBroken
from catalog.domain.rules import ReferenceData
from catalog.domain.values import check_name, check_references

# Deliberately loose: one @, no blanks, a dot in the domain. Whether it receives mail is proven
# by sending to it, not by a pattern.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class ProviderDetails:
    name: str
    email: str
    mobile: str | None
    timezone: str
    location_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Provider(CatalogEntry[ProviderDetails]):
    noun = "provider"


def check_provider(details: ProviderDetails, reference: ReferenceData, region: str | None,
                   locations: Mapping[uuid.UUID, bool]) -> list[RuleBroken]:
    """Every rule `details` breaks. `region` is where a national mobile number is dialled (the
    clinic's); `locations` maps the clinic's location ids to whether they are archived."""
    problems = check_name(details.name)
    if len(details.email) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(details.email):
        problems.append(RuleBroken("email", "must be an email address, e.g. name@clinic.ro"))
    if details.mobile is not None and reference.mobile_number(details.mobile, region) is None:
        hint = "" if region else " in international form, e.g. +40712345678"
        problems.append(RuleBroken("mobile", f"must be a valid mobile number{hint}"))
    if not reference.is_timezone(details.timezone):
        problems.append(RuleBroken("timezone", f"{details.timezone!r} is not an IANA time zone"))
    problems.extend(check_references(details.location_ids, "location_ids", "location", locations))
    return problems
