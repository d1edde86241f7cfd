"""A clinic's subscription history as stored, on PostgreSQL and SQLite: migrating an item to a
newer plan version leaves what was held and billed before as it was (bills of past months, the
entitlements read `at` a past instant), no month or year is charged twice or left unpaid, and a
yearly item cancelled before its anniversary is not charged for a year it never began."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from clinic_runtime.db import transaction
from entitlements.domain.plans import Money, PackValidity, Period, PlanKind, Terms
from entitlements.domain.subscriptions import BillingPeriod
from entitlements.domain.usage import period_allowance
from entitlements.service_layer import plans, subscriptions
from entitlements.service_layer.commercial_unit_of_work import SqlCommercialUnitOfWork

pytestmark = pytest.mark.integration

JANUARY = datetime(2026, 1, 15, tzinfo=UTC)
JUNE = datetime(2026, 6, 10, tzinfo=UTC)
STANDARD = Terms(frozenset(), {"staff_users": 3}, Money(9900, "EUR"), Period.MONTH)


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


def publish(sessions, key: str, kind: PlanKind, terms: Terms) -> None:
    with transaction(sessions) as session:
        plans.publish_plan(SqlCommercialUnitOfWork(session), key, kind, key.title(), terms, (), None, JANUARY)


def revise(sessions, key: str, terms: Terms, expected: int, now: datetime) -> None:
    with transaction(sessions) as session:
        plans.revise_plan(SqlCommercialUnitOfWork(session), key, key.title(), terms, (), expected, None, now)


def subscribe(sessions, clinic_id, key: str, now: datetime) -> uuid.UUID:
    with transaction(sessions) as session:
        return subscriptions.subscribe(SqlCommercialUnitOfWork(session), clinic_id, key, None, now).items[0].id


def migrate(sessions, clinic_id, item_id: uuid.UUID, expected: int, now: datetime) -> uuid.UUID:
    with transaction(sessions) as session:
        _, new_item_id = subscriptions.migrate_item(SqlCommercialUnitOfWork(session), clinic_id, item_id, None,
                                                    expected, None, now)
    return new_item_id


def totals(sessions, clinic_id, year: int, months=range(1, 13)) -> list[Money | None]:
    with transaction(sessions) as session:
        uow = SqlCommercialUnitOfWork(session)
        return [subscriptions.bill_of(uow, clinic_id, BillingPeriod(year, m)).total for m in months]


def test_a_price_rise_migration_leaves_past_bills_and_past_entitlements_as_they_were(sessions, clinic_id):
    publish(sessions, "standard", PlanKind.BASE, STANDARD)
    item_id = subscribe(sessions, clinic_id, "standard", JANUARY)
    billed = totals(sessions, clinic_id, 2026)
    revise(sessions, "standard", Terms(frozenset(), {"staff_users": 5}, eur(12900), Period.MONTH), 1, JUNE)

    migrate(sessions, clinic_id, item_id, 1, JUNE)

    assert totals(sessions, clinic_id, 2026) == billed[:6] + [eur(12900)] * 6
    with transaction(sessions) as session:
        uow = SqlCommercialUnitOfWork(session)
        in_february = subscriptions.entitlements_of(uow, clinic_id, datetime(2026, 2, 1, tzinfo=UTC))
        in_july = subscriptions.entitlements_of(uow, clinic_id, datetime(2026, 7, 1, tzinfo=UTC))
    assert (in_february.entitlements.limit("staff_users"), in_july.entitlements.limit("staff_users")) == (3, 5)


def test_moving_a_monthly_item_onto_yearly_terms_keeps_the_months_billed_and_charges_the_year_once(
        sessions, clinic_id):
    publish(sessions, "standard", PlanKind.BASE, STANDARD)
    item_id = subscribe(sessions, clinic_id, "standard", JANUARY)
    revise(sessions, "standard", Terms(frozenset(), {"staff_users": 3}, eur(99000), Period.YEAR), 1, JUNE)

    migrate(sessions, clinic_id, item_id, 1, JUNE)

    # June was billed on the monthly terms; the first year is charged when June's month is over.
    assert totals(sessions, clinic_id, 2026) == [eur(9900)] * 6 + [eur(99000)] + [None] * 5
    assert totals(sessions, clinic_id, 2027, (6, 7)) == [None, eur(99000)]


def test_a_pack_moved_onto_this_month_only_terms_lapses_at_the_months_end_and_is_not_bought_again(
        sessions, clinic_id):
    publish(sessions, "solo", PlanKind.BASE,
            Terms(frozenset(), {"video_minutes": 100}, eur(4900), Period.MONTH))
    lasting = Terms(frozenset(), {"video_minutes": 300}, eur(2000), Period.ONE_TIME, PackValidity.UNTIL_CONSUMED)
    publish(sessions, "video-300", PlanKind.USAGE_PACK, lasting)
    subscribe(sessions, clinic_id, "solo", JANUARY)
    with transaction(sessions) as session:
        _, pack_id = subscriptions.add_item(SqlCommercialUnitOfWork(session), clinic_id, "video-300", 1, None,
                                            JANUARY)
    revise(sessions, "video-300", Terms(frozenset(), {"video_minutes": 300}, eur(2000), Period.ONE_TIME,
                                        PackValidity.BILLING_PERIOD), 1, JANUARY)

    migrate(sessions, clinic_id, pack_id, 2, datetime(2026, 1, 20, tzinfo=UTC))

    with transaction(sessions) as session:
        held = SqlCommercialUnitOfWork(session).subscriptions.get(clinic_id)
    assert period_allowance(held, [], datetime(2026, 1, 25, tzinfo=UTC)) == 400
    assert period_allowance(held, [], datetime(2026, 2, 2, tzinfo=UTC)) == 100
    assert totals(sessions, clinic_id, 2026, (1, 2)) == [eur(6900), eur(4900)]


def test_a_yearly_item_cancelled_before_its_anniversary_is_not_charged_a_second_year(sessions, clinic_id):
    started = datetime(2025, 1, 15, tzinfo=UTC)
    publish(sessions, "annual", PlanKind.BASE, Terms(frozenset(), {"staff_users": 3}, eur(99000), Period.YEAR))
    item_id = subscribe(sessions, clinic_id, "annual", started)

    with transaction(sessions) as session:
        subscriptions.cancel_item(SqlCommercialUnitOfWork(session), clinic_id, item_id, 1, None,
                                  datetime(2026, 1, 10, tzinfo=UTC))

    assert totals(sessions, clinic_id, 2025, (1,)) + totals(sessions, clinic_id, 2026, (1,)) == [eur(99000), None]
