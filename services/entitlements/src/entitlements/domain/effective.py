"""Effective entitlements: what a clinic may use at an instant.

Features are the union of what every active item and override unlocks; limits are the sum of
every active item's limits (times its quantity) and every active override's. Stacking is a sum,
so the order items were added in never matters, and removing an item removes exactly what it
added. A sales override adds to the subscription (Pro's 1,000 patients plus an override of
4,000 is 5,000), carries its reason and who granted it, and stops counting at its expiry.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from entitlements.domain.plans import FEATURE, LIMITS, UNLIMITED, Limit, add_limits, scaled
from entitlements.domain.subscriptions import SubscriptionItem

REASON_MAX = 500


@dataclass(frozen=True)
class Entitlements:
    features: frozenset[str] = frozenset()
    limits: Mapping[str, Limit] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", MappingProxyType(dict(sorted(self.limits.items()))))

    def __add__(self, other: Entitlements) -> Entitlements:
        limits = dict(self.limits)
        for name, value in other.limits.items():
            limits[name] = add_limits(limits[name], value) if name in limits else value
        return Entitlements(self.features | other.features, limits)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entitlements):
            return NotImplemented
        return (self.features, dict(self.limits)) == (other.features, dict(other.limits))

    def __hash__(self) -> int:
        return hash((self.features, tuple(self.limits.items())))

    def limit(self, name: str) -> Limit:
        """The cap on `name`; 0 when nothing grants any, None when uncapped."""
        return self.limits.get(name, 0)

    def allows(self, name: str, count: int) -> bool:
        """Whether `count` of `name` (patients, specialists, ...) fits under the limit."""
        cap = self.limit(name)
        return cap is UNLIMITED or count <= cap


NOTHING = Entitlements()


@dataclass(frozen=True)
class Override:
    """What sales granted one clinic on top of its subscription."""

    id: uuid.UUID
    clinic_id: uuid.UUID
    grants: Entitlements
    reason: str
    granted_by: uuid.UUID
    granted_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def active_at(self, instant: datetime) -> bool:
        stops = [t for t in (self.expires_at, self.revoked_at) if t is not None]
        return self.granted_at <= instant and all(instant < t for t in stops)


class OverrideRuleBroken(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def check_override(features: Iterable[str], limits: Mapping[str, Limit], reason: str, granted_at: datetime,
                   expires_at: datetime | None) -> list[OverrideRuleBroken]:
    problems = []
    features = list(features)
    if not features and not limits:
        problems.append(OverrideRuleBroken("features", "grant at least one feature or limit"))
    for feature in features:
        if not FEATURE.fullmatch(feature):
            problems.append(OverrideRuleBroken("features", f"{feature!r} is not a feature key"))
    for name, value in limits.items():
        if name not in LIMITS:
            problems.append(OverrideRuleBroken(f"limits.{name}", f"not a limit; use one of {', '.join(LIMITS)}"))
        elif value is not UNLIMITED and (not isinstance(value, int) or value < 0):
            problems.append(OverrideRuleBroken(f"limits.{name}", "use a whole number from 0, or null for unlimited"))
    if not reason.strip():
        problems.append(OverrideRuleBroken("reason", "record why sales granted it"))
    elif len(reason.strip()) > REASON_MAX:
        problems.append(OverrideRuleBroken("reason", f"use at most {REASON_MAX} characters"))
    if expires_at is not None and expires_at <= granted_at:
        problems.append(OverrideRuleBroken("expires_at", "must be after the grant"))
    return problems


def contribution(item: SubscriptionItem) -> Entitlements:
    """What one subscription item adds, whatever else the clinic holds."""
    limits = {name: scaled(value, item.quantity) for name, value in item.terms.limits.items()}
    return Entitlements(item.terms.features, limits)


def effective_at(items: Iterable[SubscriptionItem], overrides: Iterable[Override], instant: datetime) -> Entitlements:
    total = NOTHING
    for item in items:
        if item.active_at(instant):
            total = total + contribution(item)
    for override in overrides:
        if override.active_at(instant):
            total = total + override.grants
    return total
