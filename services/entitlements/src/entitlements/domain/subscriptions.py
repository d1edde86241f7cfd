"""A clinic's subscription to the platform: one base plan, any add-ons, any usage packs.

Each item keeps a frozen copy of the terms of the plan version it was taken at (its price, limits
and features), so a later edit of the plan changes nothing for the clinic (grandfathering) until
an operator migrates the item to a newer version. Items are cancelled one by one; a cancelled
item stays in the history (bills of past periods still show it). Billing periods are calendar
months in UTC; recurring items are charged in full for every period they are active in (no
proration), a usage pack once, in the period it was bought.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from entitlements.domain.plans import Money, PackValidity, Period, PlanKind, PlanVersion, Terms


class SubscriptionRefused(Exception):
    """A change the subscription's rules forbid; `code` says which rule, `field` what was wrong."""

    def __init__(self, code: str, field_name: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class BillingPeriod:
    """A calendar month in UTC: [start, end)."""

    year: int
    month: int

    @classmethod
    def containing(cls, instant: datetime) -> BillingPeriod:
        utc = instant.astimezone(UTC)
        return cls(utc.year, utc.month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.following().start

    def following(self) -> BillingPeriod:
        return BillingPeriod(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class SubscriptionItem:
    id: uuid.UUID
    plan_key: str
    plan_version: int
    kind: PlanKind
    name: str
    terms: Terms  # the frozen snapshot
    quantity: int
    started_at: datetime
    ends_at: datetime | None  # a billing-period pack lapses at the end of its month
    cancelled_at: datetime | None = None

    @property
    def until(self) -> datetime | None:
        """When the item stops counting (None: not yet known)."""
        stops = [t for t in (self.ends_at, self.cancelled_at) if t is not None]
        return min(stops) if stops else None

    def active_at(self, instant: datetime) -> bool:
        return self.started_at <= instant and (self.until is None or instant < self.until)

    def charge_in(self, period: BillingPeriod) -> Money | None:
        """What this item costs in `period`, or None when it is not charged then."""
        price = self.terms.price
        if price is None:
            return None
        if self.terms.period is Period.ONE_TIME:
            charged = BillingPeriod.containing(self.started_at) == period
        else:
            charged = self.started_at < period.end and (self.until is None or self.until > period.start)
            if charged and self.terms.period is Period.YEAR:
                # A yearly item is charged in the month of each anniversary of its start.
                charged = self.started_at.astimezone(UTC).month == period.month
        return price.times(self.quantity) if charged else None


@dataclass(frozen=True)
class Subscription:
    clinic_id: uuid.UUID
    items: tuple[SubscriptionItem, ...]
    version: int

    @classmethod
    def start(cls, clinic_id: uuid.UUID, base: PlanVersion, item_id: uuid.UUID, now: datetime) -> Subscription:
        if base.kind is not PlanKind.BASE:
            raise SubscriptionRefused("not-a-base-plan", "plan_key", f"{base.plan_key} is not a base plan")
        _check_price(base)
        return cls(clinic_id, (_item(base, item_id, 1, now),), version=1)

    def item(self, item_id: uuid.UUID) -> SubscriptionItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    def active_items(self, instant: datetime) -> tuple[SubscriptionItem, ...]:
        return tuple(i for i in self.items if i.active_at(instant))

    @property
    def currency(self) -> str | None:
        prices = [i.terms.price for i in self.items if i.terms.price is not None]
        return prices[0].currency if prices else None

    def add(self, plan: PlanVersion, item_id: uuid.UUID, quantity: int, now: datetime) -> Subscription:
        if quantity < 1:
            raise SubscriptionRefused("invalid-quantity", "quantity", "use a whole number from 1")
        # Not ended, rather than started: a concurrent change may have added an item a moment
        # "after" this request's clock, and it is held all the same.
        active = tuple(i for i in self.items if i.until is None or now < i.until)
        base = next((i for i in active if i.kind is PlanKind.BASE), None)
        if plan.kind is PlanKind.BASE:
            if base is not None:
                raise SubscriptionRefused("base-plan-held", "plan_key", f"the clinic already holds {base.plan_key}; "
                                          "cancel it or migrate it first")
            if quantity != 1:
                raise SubscriptionRefused("invalid-quantity", "quantity", "a base plan is held once")
        elif plan.available_with and (base is None or base.plan_key not in plan.available_with):
            raise SubscriptionRefused("not-available-with-base", "plan_key",
                                      f"{plan.plan_key} is sold with {', '.join(sorted(plan.available_with))} only")
        if plan.kind is PlanKind.ADD_ON and any(i.plan_key == plan.plan_key for i in active):
            raise SubscriptionRefused("add-on-held", "plan_key", f"the clinic already holds {plan.plan_key}")
        _check_price(plan)
        if self.currency is not None and plan.terms.price is not None and plan.terms.price.currency != self.currency:
            raise SubscriptionRefused("currency-mismatch", "plan_key",
                                      f"{plan.plan_key} is priced in {plan.terms.price.currency}, "
                                      f"the subscription in {self.currency}")
        return replace(self, items=(*self.items, _item(plan, item_id, quantity, now)), version=self.version + 1)

    def cancel(self, item_id: uuid.UUID, now: datetime) -> Subscription:
        """The subscription with the item cancelled from `now`; unchanged when it had stopped already."""
        held = self._held(item_id)
        if held.until is not None and held.until <= now:
            return self
        return self._with(replace(held, cancelled_at=now))

    def migrate(self, item_id: uuid.UUID, plan: PlanVersion) -> Subscription:
        """The item moved onto a newer version of its plan, with that version's terms (an operator's choice)."""
        held = self._held(item_id)
        if held.cancelled_at is not None:
            raise SubscriptionRefused("item-cancelled", "item_id", "a cancelled item is not migrated")
        if plan.plan_key != held.plan_key:
            raise SubscriptionRefused("other-plan", "plan_key", f"the item is on {held.plan_key}, not {plan.plan_key}")
        if plan.version <= held.plan_version:
            raise SubscriptionRefused("not-newer", "plan_version",
                                      f"the item is at version {held.plan_version}; migrate to a newer one")
        _check_price(plan)
        if self.currency is not None and plan.terms.price is not None and plan.terms.price.currency != self.currency:
            raise SubscriptionRefused("currency-mismatch", "plan_version", "the new version is priced in "
                                      f"{plan.terms.price.currency}, the subscription in {self.currency}")
        return self._with(replace(held, plan_version=plan.version, name=plan.name, terms=plan.terms))

    def bill(self, period: BillingPeriod) -> Bill:
        lines = []
        for item in self.items:
            amount = item.charge_in(period)
            if amount is not None:
                lines.append(BillLine(item.id, item.plan_key, item.plan_version, item.kind, item.name,
                                      item.quantity, item.terms.period, amount))
        total = None
        for line in lines:
            total = line.amount if total is None else total + line.amount
        return Bill(self.clinic_id, period, tuple(lines), total)

    def _held(self, item_id: uuid.UUID) -> SubscriptionItem:
        held = self.item(item_id)
        if held is None:
            raise SubscriptionRefused("unknown-item", "item_id", f"the subscription has no item {item_id}")
        return held

    def _with(self, changed: SubscriptionItem) -> Subscription:
        items = tuple(changed if i.id == changed.id else i for i in self.items)
        return replace(self, items=items, version=self.version + 1)


@dataclass(frozen=True)
class BillLine:
    item_id: uuid.UUID
    plan_key: str
    plan_version: int
    kind: PlanKind
    name: str
    quantity: int
    period: Period
    amount: Money


@dataclass(frozen=True)
class Bill:
    clinic_id: uuid.UUID
    period: BillingPeriod
    lines: tuple[BillLine, ...]
    total: Money | None  # None when nothing is charged in the period


def _check_price(plan: PlanVersion) -> None:
    if plan.terms.price is None:
        raise SubscriptionRefused("priced-on-quote", "plan_key",
                                  f"{plan.plan_key} has no list price; publish a priced version first")


def _item(plan: PlanVersion, item_id: uuid.UUID, quantity: int, now: datetime) -> SubscriptionItem:
    ends_at = None
    if plan.terms.pack_validity is PackValidity.BILLING_PERIOD:
        ends_at = BillingPeriod.containing(now).end
    return SubscriptionItem(item_id, plan.plan_key, plan.version, plan.kind, plan.name, plan.terms, quantity,
                            now, ends_at)
