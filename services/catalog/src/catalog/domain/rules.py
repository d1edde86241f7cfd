"""Validation of clinic profiles against the world's reference lists (zones, currencies,
locales), behind a small interface so the domain stays free of the libraries that know them."""

from __future__ import annotations

from typing import Protocol

from catalog.domain.clinic import SLUG, ClinicProfile, ClinicRuleBroken


class ReferenceData(Protocol):
    def is_timezone(self, name: str) -> bool: ...
    def is_currency(self, code: str) -> bool: ...
    def is_locale(self, tag: str) -> bool: ...


def check_profile(profile: ClinicProfile, reference: ReferenceData) -> list[ClinicRuleBroken]:
    problems = []
    if not SLUG.fullmatch(profile.slug):
        problems.append(ClinicRuleBroken("slug", "use 1-63 lowercase letters, digits and inner hyphens"))
    if not profile.name.strip():
        problems.append(ClinicRuleBroken("name", "must not be blank"))
    if not reference.is_timezone(profile.timezone):
        problems.append(ClinicRuleBroken("timezone", f"{profile.timezone!r} is not an IANA time zone"))
    if not reference.is_currency(profile.currency):
        problems.append(ClinicRuleBroken("currency", f"{profile.currency!r} is not an ISO 4217 currency"))
    if not reference.is_locale(profile.locale):
        problems.append(ClinicRuleBroken("locale", f"{profile.locale!r} is not a known locale"))
    return problems
