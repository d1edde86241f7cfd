"""Values the catalog's entries share: money, refund policies, cancellation windows, booking
windows, periods.

Each `check_*` returns every broken rule (never raises), prefixed with the field the value sits
in, so a request learns all its mistakes at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from catalog.domain.errors import RuleBroken
from clinic_contracts.events.catalog import (
    DEFAULT_BOOKING_HORIZON_DAYS,
    DEFAULT_MINIMUM_NOTICE_MINUTES,
    LONGEST_BOOKING_HORIZON_DAYS,
    LONGEST_MINIMUM_NOTICE_MINUTES,
)

# 100 million in a two-decimal currency: far above any clinic's price, far below BIGINT.
MAX_AMOUNT_MINOR = 10_000_000_000
MAX_CANCELLATION_WINDOW_HOURS = 30 * 24
REFUND_KINDS = ("full", "partial", "none")
PERIOD_UNITS = ("day", "week", "month", "year")
# Ten years in each unit: longer than any plan a clinic sells.
MAX_PERIOD_COUNT = {"day": 3660, "week": 522, "month": 120, "year": 10}


class Currencies(Protocol):
    def is_currency(self, code: str) -> bool: ...


@dataclass(frozen=True)
class Money:
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class RefundPolicy:
    """What a patient who cancels gets back; `text` is the policy as patients read it."""

    kind: str
    percent: int | None = None
    text: str = ""


FULL_REFUND = RefundPolicy("full")
DEFAULT_CANCELLATION_WINDOW_HOURS = 24


@dataclass(frozen=True)
class BookingWindow:
    """How far ahead patients book: at least `minimum_notice_minutes` before the start, at most
    `booking_horizon_days` ahead."""

    minimum_notice_minutes: int
    booking_horizon_days: int

    def overridden(self, notice_minutes: int | None, horizon_days: int | None) -> BookingWindow:
        """This window with an entry's own notice and horizon where it has them."""
        return BookingWindow(self.minimum_notice_minutes if notice_minutes is None else notice_minutes,
                             self.booking_horizon_days if horizon_days is None else horizon_days)

    def is_empty(self) -> bool:
        """Every start would be too soon or too far ahead: nothing could be booked."""
        return self.minimum_notice_minutes >= self.booking_horizon_days * 24 * 60


# Scheduling's default for a service without its own (the contract, catalog.service.upserted.v1).
PLATFORM_BOOKING_WINDOW = BookingWindow(DEFAULT_MINIMUM_NOTICE_MINUTES, DEFAULT_BOOKING_HORIZON_DAYS)


@dataclass(frozen=True)
class Period:
    count: int
    unit: str


def check_money(money: Money, field: str, clinic_currency: str, currencies: Currencies) -> list[RuleBroken]:
    problems = []
    if money.amount_minor < 0:
        problems.append(RuleBroken(f"{field}.amount_minor", "must not be negative"))
    elif money.amount_minor > MAX_AMOUNT_MINOR:
        problems.append(RuleBroken(f"{field}.amount_minor", f"must be at most {MAX_AMOUNT_MINOR}"))
    if not currencies.is_currency(money.currency):
        problems.append(RuleBroken(f"{field}.currency", f"{money.currency!r} is not an ISO 4217 currency"))
    elif money.currency != clinic_currency:
        # One currency per clinic: prices, payments and reports are never converted.
        problems.append(RuleBroken(f"{field}.currency", f"must be the clinic's currency, {clinic_currency}"))
    return problems


def check_refund_policy(policy: RefundPolicy, field: str) -> list[RuleBroken]:
    if policy.kind not in REFUND_KINDS:
        return [RuleBroken(f"{field}.kind", f"must be one of {', '.join(REFUND_KINDS)}")]
    if policy.kind == "partial" and (policy.percent is None or not 1 <= policy.percent <= 99):
        return [RuleBroken(f"{field}.percent", "a partial refund needs a percent from 1 to 99")]
    if policy.kind != "partial" and policy.percent is not None:
        return [RuleBroken(f"{field}.percent", f"only a partial refund has a percent, not a {policy.kind} one")]
    return []


def check_cancellation_window(hours: int, field: str) -> list[RuleBroken]:
    if not 0 <= hours <= MAX_CANCELLATION_WINDOW_HOURS:
        return [RuleBroken(field, f"must be from 0 to {MAX_CANCELLATION_WINDOW_HOURS} hours")]
    return []


def check_booking_window(notice_minutes: int | None, horizon_days: int | None) -> list[RuleBroken]:
    """An entry's own minimum notice and booking horizon, either left to the default (None)."""
    problems = []
    if notice_minutes is not None and not 0 <= notice_minutes <= LONGEST_MINIMUM_NOTICE_MINUTES:
        problems.append(RuleBroken("minimum_notice_minutes", f"must be from 0 to {LONGEST_MINIMUM_NOTICE_MINUTES} minutes"))
    if horizon_days is not None and not 1 <= horizon_days <= LONGEST_BOOKING_HORIZON_DAYS:
        problems.append(RuleBroken("booking_horizon_days", f"must be from 1 to {LONGEST_BOOKING_HORIZON_DAYS} days"))
    if (not problems and notice_minutes is not None and horizon_days is not None
            and BookingWindow(notice_minutes, horizon_days).is_empty()):
        problems.append(RuleBroken("minimum_notice_minutes", "must be shorter than the booking horizon "
                                                             "(booking_horizon_days)"))
    return problems


def check_period(period: Period, field: str) -> list[RuleBroken]:
    if period.unit not in PERIOD_UNITS:
        return [RuleBroken(f"{field}.unit", f"must be one of {', '.join(PERIOD_UNITS)}")]
    if not 1 <= period.count <= MAX_PERIOD_COUNT[period.unit]:
        return [RuleBroken(f"{field}.count", f"must be from 1 to {MAX_PERIOD_COUNT[period.unit]} {period.unit}s")]
    return []


def check_name(name: str, field: str = "name") -> list[RuleBroken]:
    return [] if name.strip() else [RuleBroken(field, "must not be blank")]


def duplicates(values: Sequence[object]) -> list[int]:
    """Positions of values already seen earlier in the sequence."""
    seen: set[object] = set()
    repeated = []
    for position, value in enumerate(values):
        if value in seen:
            repeated.append(position)
        seen.add(value)
    return repeated


def check_references(ids: Sequence[uuid.UUID], field: str, noun: str, known: Mapping[uuid.UUID, bool],
                     *, key: str = "") -> list[RuleBroken]:
    """Each id must name an active `noun` of this clinic, once. `known` maps the ids that exist in
    this clinic to whether they are archived: an id of another clinic is as unknown as a made-up one.
    Problems are reported against `field.<position>`, or `field.<position>.key` for a list of objects."""

    def at(position: int) -> str:
        return f"{field}.{position}.{key}" if key else f"{field}.{position}"

    problems = [RuleBroken(at(position), "is listed twice") for position in duplicates(ids)]
    for position, referred in enumerate(ids):
        if referred not in known:
            problems.append(RuleBroken(at(position), f"no {noun} {referred} in this clinic"))
        elif known[referred]:
            problems.append(RuleBroken(at(position), f"{noun} {referred} is archived"))
    return problems
