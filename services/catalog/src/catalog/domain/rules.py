"""Validation of clinic profiles against the world's reference lists (zones, currencies,
locales, phone numbering plans), behind a small interface so the domain stays free of the
libraries that know them."""

from __future__ import annotations

import re
from typing import Protocol

from catalog.domain.clinic import SLUG, ClinicProfile, ClinicRuleBroken, LocationDetails
from catalog.domain.errors import RuleBroken
from catalog.domain.values import check_cancellation_window, check_name, check_refund_policy

REGION = re.compile(r"[A-Z]{2}")


class ReferenceData(Protocol):
    def is_timezone(self, name: str) -> bool: ...
    def is_currency(self, code: str) -> bool: ...
    def is_locale(self, tag: str) -> bool: ...
    def mobile_number(self, raw: str, region: str | None) -> str | None:
        """`raw` as an E.164 mobile number, read as dialled in `region` (ISO 3166 alpha-2) unless it
        starts with +; None when it is no valid mobile number."""


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
    policies = [
        *check_cancellation_window(profile.cancellation_window_hours, "cancellation_window_hours"),
        *check_refund_policy(profile.refund_policy, "refund_policy"),
    ]
    problems.extend(ClinicRuleBroken(p.field, p.message) for p in policies)
    return problems


def check_location(details: LocationDetails, reference: ReferenceData) -> list[RuleBroken]:
    problems = [*check_name(details.name), *check_name(details.address, "address")]
    if not reference.is_timezone(details.timezone):
        problems.append(RuleBroken("timezone", f"{details.timezone!r} is not an IANA time zone"))
    return problems


def region_of(locale: str) -> str | None:
    """The country of a BCP 47 tag (ro-RO -> RO), where national phone numbers are read; None for
    a tag without one (en) or with a numeric region (es-419)."""
    last = locale.split("-")[-1]
    return last if len(locale.split("-")) > 1 and REGION.fullmatch(last) else None
