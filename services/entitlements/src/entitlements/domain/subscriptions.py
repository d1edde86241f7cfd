"""A clinic's subscription to the platform: one base plan, any add-ons, any usage packs.

Each item keeps a frozen copy of the terms of the plan version it was taken at (its price, limits
and features), so a later edit of the plan changes nothing for the clinic (grandfathering) until
an operator migrates the item to a newer version. A migration never rewrites an item: the item
ends then and a new one on the newer terms takes over from it, so what the clinic held, and was
billed, before stays as it was. Items are cancelled one by one; a cancelled or migrated item stays
in the history (bills of past periods still show it).

Billing periods are calendar months in UTC, and nothing is prorated. A monthly item is charged in
full for every period it is held in; a yearly one for each year it begins, in the month the year
begins; a usage pack once, in the period it was bought. An item that took over from another by a
migration is charged from where what the other was charged for ends (the rest of its month, or of
its year), so no time is charged twice, and a pack carried onto newer terms is not bought again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from entitlements.domain.months import months_after
from entitlements.domain.plans import Money, PackValidity, Period, PlanKind, PlanVersion, Terms

# Far beyond any real order; fits the INTEGER column that holds it, and times the highest price
# (plans.PRICE_MAX_MINOR) the BIGINT that holds money.
QUANTITY_MAX = 1_000_000


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
    ends_at: datetime | None  # a billing-period pack lapses at the end of its month; a migrated item ends then
    cancelled_at: datetime | None = None
    replaces: uuid.UUID | None = None  # the item this one took over from when an operator migrated it
    # When its charges begin: its start, or for an item that took over from another, where what
    # that one was charged for ends.
    charged_from: datetime = field(kw_only=True)

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
            # Paid for once, when bought: a pack a migration carried onto newer terms is not bought again.
            charged = self.replaces is None and BillingPeriod.containing(self.started_at) == period
        elif self.terms.period is Period.MONTH:
            # In full, for every month it is held in from its first charge.
            charged = self.charged_from < period.end and (
                self.until is None or self.until > max(period.start, self.charged_from))
        else:
            # Each year is charged in the month it begins, and only if the item is still held then:
            # one cancelled before an anniversary is not charged for a year it never began.
            begins = self.charged_from.astimezone(UTC)
            years = period.year - begins.year
            charged = (years >= 0 and begins.month == period.month
                       and (self.until is None or _years_after(begins, years) < self.until))
        return price.times(self.quantity) if charged else None

    def paid_through(self, stop: datetime) -> datetime:
        """Where what a recurring item was charged for ends when it stops at `stop`: the end of
        its last charged month or year (nothing is prorated, so nothing charged is given back)."""
        if stop <= self.charged_from:
            return self.charged_from
        if self.terms.period is Period.MONTH:
            month = BillingPeriod.containing(stop)
            return stop if stop == month.start else month.end
        years = 1
        while _years_after(self.charged_from, years) < stop:
            years += 1
        return _years_after(self.charged_from, years)


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

    def lineage(self, item: SubscriptionItem) -> list[uuid.UUID]:
        """The item's id, then those of the items it took over from by migrations, newest first."""
        ids = [item.id]
        while item.replaces is not None and (replaced := self.item(item.replaces)) is not None:
            ids.append(replaced.id)
            item = replaced
        return ids

    def active_items(self, instant: datetime) -> tuple[SubscriptionItem, ...]:
        return tuple(i for i in self.items if i.active_at(instant))

    @property
    def currency(self) -> str | None:
        prices = [i.terms.price for i in self.items if i.terms.price is not None]
        return prices[0].currency if prices else None

    def add(self, plan: PlanVersion, item_id: uuid.UUID, quantity: int, now: datetime) -> Subscription:
        if not 1 <= quantity <= QUANTITY_MAX:
            raise SubscriptionRefused("invalid-quantity", "quantity", f"use a whole number from 1 to {QUANTITY_MAX}")
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

    def migrate(self, item_id: uuid.UUID, plan: PlanVersion, new_item_id: uuid.UUID, now: datetime) -> Subscription:
        """The item moved onto a newer version of its plan (an operator's choice): it ends at `now`
        and a new item, `new_item_id`, on that version's terms and of the same quantity, takes over
        from it. The new item counts from `now` (its validity too: a billing-period pack lapses at
        the end of this month) and is charged from where what the old one was charged for ends."""
        held = self._held(item_id)
        if held.cancelled_at is not None:
            raise SubscriptionRefused("item-cancelled", "item_id", "a cancelled item is not migrated")
        if held.until is not None and held.until <= now:
            raise SubscriptionRefused("item-ended", "item_id", "the item has ended (lapsed, or migrated already: "
                                      "migrate the item that took over from it)")
        if plan.plan_key != held.plan_key:
            raise SubscriptionRefused("other-plan", "plan_key", f"the item is on {held.plan_key}, not {plan.plan_key}")
        if plan.version <= held.plan_version:
            raise SubscriptionRefused("not-newer", "plan_version",
                                      f"the item is at version {held.plan_version}; migrate to a newer one")
        _check_price(plan)
        if self.currency is not None and plan.terms.price is not None and plan.terms.price.currency != self.currency:
            raise SubscriptionRefused("currency-mismatch", "plan_version", "the new version is priced in "
                                      f"{plan.terms.price.currency}, the subscription in {self.currency}")
        ended = self._with(replace(held, ends_at=now))
        return replace(ended, items=(*ended.items, _item(plan, new_item_id, held.quantity, now, replaced=held)))

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


def _item(plan: PlanVersion, item_id: uuid.UUID, quantity: int, now: datetime,
          replaced: SubscriptionItem | None = None) -> SubscriptionItem:
    ends_at = None
    if plan.terms.pack_validity is PackValidity.BILLING_PERIOD:
        ends_at = BillingPeriod.containing(now).end
    charged_from = now
    if replaced is not None and plan.terms.period is not Period.ONE_TIME:
        charged_from = replaced.paid_through(now)
    return SubscriptionItem(item_id, plan.plan_key, plan.version, plan.kind, plan.name, plan.terms, quantity,
                            now, ends_at, replaces=None if replaced is None else replaced.id,
                            charged_from=charged_from)


def _years_after(instant: datetime, years: int) -> datetime:
    """`instant` that many years on: a year after 29 February is 28 February."""
    return months_after(instant, 12 * years)
