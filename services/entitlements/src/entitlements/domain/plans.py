"""The platform's plan catalog: what the platform sells to clinics.

Three kinds of plan: a base plan (a clinic holds one), add-ons (stacked on the base) and usage
packs (one-time capacity). Each version of a plan states its terms: the features it unlocks
(capability keys), its limits and its price per period. Versions are immutable: editing a plan
publishes the next version, and subscriptions keep the terms of the version they took
(grandfathering) until an operator migrates them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,61}[a-z0-9]")
FEATURE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
CURRENCY = re.compile(r"[A-Z]{3}")
NAME_MAX = 100
# Ten billion in major units: beyond any plan's price, and small enough that a price times the
# largest quantity an item may have (subscriptions.QUANTITY_MAX) still fits the BIGINT that
# holds money (2**63 - 1).
PRICE_MAX_MINOR = 10**12

# What a limit can cap. A limit absent from every item of a subscription is 0: nothing granted.
LIMITS = ("patients", "specialists", "staff_users", "locations", "storage_gb", "video_minutes")
UNLIMITED = None  # a limit of None caps nothing, and anything added to it stays uncapped

Limit = int | None


class PlanKind(enum.StrEnum):
    BASE = "base"
    ADD_ON = "add_on"
    USAGE_PACK = "usage_pack"


class Period(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"
    ONE_TIME = "one_time"  # usage packs: charged once, in the billing period they are bought


class PackValidity(enum.StrEnum):
    BILLING_PERIOD = "billing_period"  # the pack's capacity lapses at the end of the month it was bought
    UNTIL_CONSUMED = "until_consumed"  # the capacity stays until used up (or the item is cancelled)


class PlanArchived(Exception):
    """An archived plan is sold to no one and publishes no new version."""


class PlanRuleBroken(ValueError):
    """Terms or a plan that break a rule; `field` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True, order=True)
class Money:
    amount_minor: int
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount_minor * quantity, self.currency)

    def as_document(self) -> dict[str, object]:
        return {"amount_minor": self.amount_minor, "currency": self.currency}


def add_limits(a: Limit, b: Limit) -> Limit:
    return UNLIMITED if a is UNLIMITED or b is UNLIMITED else a + b


def scaled(limit: Limit, quantity: int) -> Limit:
    return UNLIMITED if limit is UNLIMITED else limit * quantity


@dataclass(frozen=True)
class Terms:
    """What one version of a plan grants and costs. `price` None: priced on quote (not subscribable)."""

    features: frozenset[str]
    limits: Mapping[str, Limit]
    price: Money | None
    period: Period
    pack_validity: PackValidity | None = None  # usage packs only

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", MappingProxyType(dict(sorted(self.limits.items()))))

    def __hash__(self) -> int:
        return hash((self.features, tuple(self.limits.items()), self.price, self.period, self.pack_validity))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Terms):
            return NotImplemented
        return (self.features, dict(self.limits), self.price, self.period, self.pack_validity) == (
            other.features, dict(other.limits), other.price, other.period, other.pack_validity)


def check_terms(kind: PlanKind, terms: Terms) -> list[PlanRuleBroken]:
    """Every rule the terms of a plan of `kind` break."""
    problems = []
    for feature in sorted(terms.features):
        if not FEATURE.fullmatch(feature):
            problems.append(PlanRuleBroken("features", f"{feature!r} is not a feature key (e.g. emr.prescriptions)"))
    for name, value in terms.limits.items():
        if name not in LIMITS:
            problems.append(PlanRuleBroken(f"limits.{name}", f"not a limit; use one of {', '.join(LIMITS)}"))
        elif value is not UNLIMITED and (not isinstance(value, int) or value < 0):
            problems.append(PlanRuleBroken(f"limits.{name}", "use a whole number from 0, or null for unlimited"))
    if terms.price is not None:
        if not 0 <= terms.price.amount_minor <= PRICE_MAX_MINOR:
            problems.append(PlanRuleBroken("price.amount_minor", f"use a whole number from 0 to {PRICE_MAX_MINOR}"))
        if not CURRENCY.fullmatch(terms.price.currency):
            problems.append(PlanRuleBroken("price.currency", "use an ISO 4217 code such as RON or EUR"))
    if kind is PlanKind.USAGE_PACK:
        if terms.period is not Period.ONE_TIME:
            problems.append(PlanRuleBroken("period", "a usage pack is bought once: use one_time"))
        if terms.pack_validity is None:
            problems.append(PlanRuleBroken("pack_validity", "say whether it lasts the billing period or until consumed"))
    else:
        if terms.period is Period.ONE_TIME:
            problems.append(PlanRuleBroken("period", "base plans and add-ons recur: use month or year"))
        if terms.pack_validity is not None:
            problems.append(PlanRuleBroken("pack_validity", "only usage packs have a validity"))
    return problems


@dataclass(frozen=True)
class PlanVersion:
    """One published, immutable version of a plan."""

    plan_key: str
    version: int
    kind: PlanKind
    name: str
    terms: Terms
    available_with: frozenset[str]  # base plans an add-on or pack may join; empty: any
    published_at: datetime


@dataclass(frozen=True)
class Plan:
    """A plan of the catalog with its versions, oldest first. Only the newest is sold to new subscribers."""

    key: str
    kind: PlanKind
    versions: tuple[PlanVersion, ...] = field(default=())
    archived: bool = False

    @property
    def current(self) -> PlanVersion:
        return self.versions[-1]

    def version(self, number: int) -> PlanVersion | None:
        return self.versions[number - 1] if 1 <= number <= len(self.versions) else None

    @classmethod
    def publish(cls, key: str, kind: PlanKind, name: str, terms: Terms, available_with: Iterable[str],
                now: datetime) -> Plan:
        problems = check_plan(key, name, kind, terms)
        if problems:
            raise problems[0]
        return cls(key, kind, (PlanVersion(key, 1, kind, name.strip(), terms, frozenset(available_with), now),))

    def revise(self, name: str, terms: Terms, available_with: Iterable[str], now: datetime) -> Plan:
        """The plan with a new version; this very plan when nothing changes."""
        problems = check_name(name) + check_terms(self.kind, terms)
        if problems:
            raise problems[0]
        following = PlanVersion(self.key, len(self.versions) + 1, self.kind, name.strip(), terms,
                                frozenset(available_with), now)
        current = self.current
        if (current.name, current.terms, current.available_with) == (
                following.name, following.terms, following.available_with):
            return self
        if self.archived:
            raise PlanArchived(self.key)
        return Plan(self.key, self.kind, (*self.versions, following), self.archived)

    def archive(self) -> Plan:
        """The plan withdrawn from sale; subscribers keep what they hold."""
        return self if self.archived else Plan(self.key, self.kind, self.versions, archived=True)


def check_name(name: str) -> list[PlanRuleBroken]:
    if not name.strip():
        return [PlanRuleBroken("name", "must not be blank")]
    if len(name.strip()) > NAME_MAX:
        return [PlanRuleBroken("name", f"use at most {NAME_MAX} characters")]
    return []


def check_plan(key: str, name: str, kind: PlanKind, terms: Terms) -> list[PlanRuleBroken]:
    problems = [] if KEY.fullmatch(key) else [PlanRuleBroken("key", "use 2-63 lowercase letters, digits and "
                                                                    "inner hyphens")]
    return problems + check_name(name) + check_terms(kind, terms)
