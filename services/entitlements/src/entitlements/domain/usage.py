"""Usage meters and limit admissions: how much of each capped thing a clinic uses, against the
limits its subscription and overrides grant it now.

Counted meters (patients, specialists, staff users, locations) are the number of things that
exist and are not archived; video minutes are summed per billing period. Adding one more of a
counted thing is admitted when `used + count <= allowed`; what already exists is never taken
away: a clinic whose limit falls below its use (an add-on dropped) keeps everything it has, and
is refused only new additions until it is back under the limit.

A clinic without a subscription is not on a platform plan yet (provisioned by the platform's
team): nothing caps it, so its meters are shown with `allowed` None and every admission passes.

Video minutes and usage packs: the period allowance is the effective `video_minutes` limit of
everything except until-consumed packs (base, add-ons, overrides, packs that lapse with their
billing period). Minutes beyond it are drawn from until-consumed packs, oldest first, and a pack
counts only with what remains of it; minutes beyond both are still recorded (the consultation
took place) and show as use above the allowance.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from entitlements.domain.effective import Override, effective_at
from entitlements.domain.plans import UNLIMITED, Limit, PackValidity, PlanKind, add_limits
from entitlements.domain.subscriptions import Subscription, SubscriptionItem

COUNTED = ("patients", "specialists", "staff_users", "locations")
VIDEO_MINUTES = "video_minutes"
METERED = (*COUNTED, VIDEO_MINUTES)  # storage_gb has no meter: nothing reports storage yet
PATIENT_ROLE = "patient"


@dataclass(frozen=True)
class BasePlan:
    key: str
    name: str


@dataclass(frozen=True)
class Usage:
    """One meter against its limit; `allowed` None caps nothing."""

    limit: str
    used: int
    allowed: Limit

    def admits(self, count: int) -> bool:
        return self.allowed is UNLIMITED or self.used + count <= self.allowed


class LimitReached(Exception):
    """Adding `count` more would take the meter past the limit of the clinic's plan."""

    def __init__(self, usage: Usage, plan: BasePlan | None, count: int) -> None:
        super().__init__(f"{usage.limit}: {usage.used} used of {usage.allowed}")
        self.usage = usage
        self.plan = plan
        self.count = count


@dataclass(frozen=True)
class PackBalance:
    """An until-consumed pack of video minutes: what it granted, what has been drawn from it."""

    item_id: uuid.UUID
    started_at: datetime
    granted: int
    drawn: int

    @property
    def remaining(self) -> int:
        return max(0, self.granted - self.drawn)


def base_plan(subscription: Subscription | None, at: datetime) -> BasePlan | None:
    if subscription is None:
        return None
    held = [i for i in subscription.items if i.kind is PlanKind.BASE and i.active_at(at)]
    return BasePlan(held[0].plan_key, held[0].name) if held else None


def drawn_down(item: SubscriptionItem) -> bool:
    """Whether the item is a pack of video minutes that lasts until consumed (an uncapped one
    never runs out, so it simply adds to every period)."""
    return (item.terms.pack_validity is PackValidity.UNTIL_CONSUMED
            and item.terms.limits.get(VIDEO_MINUTES, UNLIMITED) is not UNLIMITED)


def counted_usage(limit: str, used: int, subscription: Subscription | None, overrides: Iterable[Override],
                  at: datetime) -> Usage:
    if subscription is None:
        return Usage(limit, used, UNLIMITED)
    return Usage(limit, used, effective_at(subscription.items, overrides, at).limit(limit))


def period_allowance(subscription: Subscription, overrides: Iterable[Override], at: datetime) -> Limit:
    """The video minutes granted for the billing period of `at`, before until-consumed packs."""
    items = [i for i in subscription.items if not drawn_down(i)]
    return effective_at(items, overrides, at).limit(VIDEO_MINUTES)


def pack_balances(subscription: Subscription, drawn: dict[uuid.UUID, int], at: datetime) -> list[PackBalance]:
    """The until-consumed video-minute packs active at `at`, oldest first. A pack a migration
    carried onto newer terms keeps what was drawn from it before: a migration refills nothing."""
    packs = [i for i in subscription.items if drawn_down(i) and i.active_at(at)]
    return [PackBalance(i.id, i.started_at, _granted(i), sum(drawn.get(p, 0) for p in subscription.lineage(i)))
            for i in sorted(packs, key=lambda i: (i.started_at, i.id))]


def video_usage(used: int, drawn_this_period: int, subscription: Subscription | None, overrides: Iterable[Override],
                drawn: dict[uuid.UUID, int], at: datetime) -> Usage:
    """Minutes used in the period of `at` against its allowance, the packs drawn on in it and what
    remains of the until-consumed packs."""
    if subscription is None:
        return Usage(VIDEO_MINUTES, used, UNLIMITED)
    allowance = period_allowance(subscription, overrides, at)
    remaining = sum(p.remaining for p in pack_balances(subscription, drawn, at))
    return Usage(VIDEO_MINUTES, used, add_limits(allowance, drawn_this_period + remaining))


def draws(minutes: int, used_before: int, allowance: Limit,
          packs: Sequence[PackBalance]) -> list[tuple[uuid.UUID, int]]:
    """What `minutes` more in a period take from until-consumed packs: the part of them beyond
    the period's allowance (less what earlier minutes took past it already), oldest pack first."""
    if allowance is UNLIMITED or minutes <= 0:
        return []
    needed = max(0, used_before + minutes - allowance) - max(0, used_before - allowance)
    taken = []
    for pack in packs:
        if needed == 0:
            break
        take = min(needed, pack.remaining)
        if take:
            taken.append((pack.item_id, take))
            needed -= take
    return taken


def video_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes a consultation lasted (a started minute counts)."""
    seconds = (end - start).total_seconds()
    return max(0, -(-int(seconds) // 60))


def _granted(item: SubscriptionItem) -> int:
    return item.terms.limits[VIDEO_MINUTES] * item.quantity
