"""A clinic's subscription: one base plan, stacked add-ons and usage packs, grandfathered terms
and the bill of a period, replaying the examples of plans-and-subscriptions.txt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from entitlements.domain.effective import effective_at
from entitlements.domain.plans import Money, PackValidity, Period, Plan, PlanKind, Terms
from entitlements.domain.subscriptions import QUANTITY_MAX, BillingPeriod, Subscription, SubscriptionRefused

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
SIGNED_UP = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MARCH = BillingPeriod(2026, 3)


def ron(lei: int) -> Money:
    return Money(lei * 100, "RON")


def plan(key: str, kind: PlanKind, terms: Terms, available_with=()) -> Plan:
    return Plan.publish(key, kind, key.replace("-", " ").title(), terms, available_with, SIGNED_UP)


FREE = plan("free", PlanKind.BASE, Terms(frozenset({"booking", "patient_records", "basic_forms"}),
                                         {"patients": 50, "specialists": 1}, ron(0), Period.MONTH))
PRO = plan("pro", PlanKind.BASE, Terms(frozenset({"booking", "patient_records", "basic_forms", "custom_domain",
                                                  "automations", "webhooks", "document_templates"}),
                                       {"patients": 1000, "specialists": 10, "storage_gb": 50}, ron(490), Period.MONTH))
TELEREHAB_PACK = plan("telerehab-pack", PlanKind.ADD_ON, Terms(frozenset({"telerehab"}), {}, ron(290), Period.MONTH))
VIDEO_MINUTES = plan("video-minutes-1000", PlanKind.USAGE_PACK,
                     Terms(frozenset(), {"video_minutes": 1000}, ron(80), Period.ONE_TIME,
                           PackValidity.BILLING_PERIOD))
STORAGE_10 = plan("storage-10", PlanKind.USAGE_PACK,
                  Terms(frozenset(), {"storage_gb": 10}, ron(40), Period.ONE_TIME, PackValidity.UNTIL_CONSUMED))


@pytest.fixture
def on_pro():
    return Subscription.start(CLINIC, PRO.current, uuid.UUID(int=1), SIGNED_UP)


# -- the seed's bill: Pro + Telerehab Pack + a video-minutes pack = 860 RON ----------------------


def test_pro_with_the_telerehab_pack_and_a_video_minutes_pack_bills_860_ron_that_month(on_pro):
    subscription = on_pro.add(TELEREHAB_PACK.current, uuid.UUID(int=2), 1, datetime(2026, 3, 1, tzinfo=UTC))
    subscription = subscription.add(VIDEO_MINUTES.current, uuid.UUID(int=3), 1, datetime(2026, 3, 10, tzinfo=UTC))

    bill = subscription.bill(MARCH)

    assert [(line.name, line.amount, line.period) for line in bill.lines] == [
        ("Pro", ron(490), Period.MONTH),
        ("Telerehab Pack", ron(290), Period.MONTH),
        ("Video Minutes 1000", ron(80), Period.ONE_TIME),
    ]
    assert bill.total == ron(860)


def test_the_video_minutes_pack_is_charged_once_so_the_next_month_bills_780_ron(on_pro):
    subscription = on_pro.add(TELEREHAB_PACK.current, uuid.UUID(int=2), 1, datetime(2026, 3, 1, tzinfo=UTC))
    subscription = subscription.add(VIDEO_MINUTES.current, uuid.UUID(int=3), 1, datetime(2026, 3, 10, tzinfo=UTC))

    assert subscription.bill(MARCH.following()).total == ron(780)


def test_a_billing_period_pack_adds_its_minutes_until_the_end_of_the_month_it_was_bought(on_pro):
    bought = datetime(2026, 3, 10, tzinfo=UTC)
    subscription = on_pro.add(VIDEO_MINUTES.current, uuid.UUID(int=3), 1, bought)

    assert effective_at(subscription.items, (), bought).limit("video_minutes") == 1000
    assert effective_at(subscription.items, (), MARCH.end - timedelta(microseconds=1)).limit("video_minutes") == 1000
    assert effective_at(subscription.items, (), MARCH.end).limit("video_minutes") == 0


def test_an_until_consumed_pack_keeps_adding_after_its_month(on_pro):
    subscription = on_pro.add(STORAGE_10.current, uuid.UUID(int=3), 1, datetime(2026, 3, 10, tzinfo=UTC))

    assert effective_at(subscription.items, (), datetime(2026, 9, 1, tzinfo=UTC)).limit("storage_gb") == 60


def test_usage_packs_stack_two_video_packs_add_2000_minutes(on_pro):
    subscription = on_pro.add(VIDEO_MINUTES.current, uuid.UUID(int=3), 1, datetime(2026, 3, 10, tzinfo=UTC))
    subscription = subscription.add(VIDEO_MINUTES.current, uuid.UUID(int=4), 1, datetime(2026, 3, 11, tzinfo=UTC))

    assert effective_at(subscription.items, (), datetime(2026, 3, 12, tzinfo=UTC)).limit("video_minutes") == 2000
    assert subscription.bill(MARCH).total == ron(490 + 80 + 80)


# -- grandfathering ---------------------------------------------------------------------------


def test_after_pro_rises_to_590_with_2000_patients_the_existing_clinic_keeps_490_and_1000(on_pro):
    rise = datetime(2026, 7, 1, tzinfo=UTC)
    dearer = PRO.revise("Pro", Terms(PRO.current.terms.features, {**PRO.current.terms.limits, "patients": 2000},
                                     ron(590), Period.MONTH), (), rise)
    newcomer = Subscription.start(uuid.uuid4(), dearer.current, uuid.UUID(int=9), rise)

    july = BillingPeriod(2026, 7)
    assert on_pro.bill(july).total == ron(490)
    assert effective_at(on_pro.items, (), rise).limit("patients") == 1000
    assert newcomer.bill(july).total == ron(590)
    assert effective_at(newcomer.items, (), rise).limit("patients") == 2000


def test_an_operator_migrating_the_item_ends_it_and_a_new_item_takes_over_on_the_new_terms(on_pro):
    dearer = PRO.revise("Pro", Terms(PRO.current.terms.features, {**PRO.current.terms.limits, "patients": 2000},
                                     ron(590), Period.MONTH), (), datetime(2026, 7, 1, tzinfo=UTC))
    migrated_at = datetime(2026, 7, 10, tzinfo=UTC)

    migrated = on_pro.migrate(uuid.UUID(int=1), dearer.current, uuid.UUID(int=5), migrated_at)

    ended, successor = migrated.item(uuid.UUID(int=1)), migrated.item(uuid.UUID(int=5))
    assert (ended.plan_version, ended.terms.price, ended.started_at, ended.ends_at) == (
        1, ron(490), SIGNED_UP, migrated_at)
    assert (successor.plan_version, successor.terms.price, successor.started_at, successor.replaces,
            successor.quantity) == (2, ron(590), migrated_at, uuid.UUID(int=1), 1)
    assert effective_at(migrated.items, (), migrated_at - timedelta(seconds=1)).limit("patients") == 1000
    assert effective_at(migrated.items, (), migrated_at).limit("patients") == 2000
    assert migrated.version == on_pro.version + 1


def test_a_migration_leaves_past_bills_as_they_were_and_charges_the_new_price_from_the_next_month(on_pro):
    dearer = PRO.revise("Pro", Terms(PRO.current.terms.features, PRO.current.terms.limits, ron(590), Period.MONTH),
                        (), datetime(2026, 7, 1, tzinfo=UTC))
    billed = {m: on_pro.bill(BillingPeriod(2026, m)).total for m in range(1, 8)}

    migrated = on_pro.migrate(uuid.UUID(int=1), dearer.current, uuid.UUID(int=5), datetime(2026, 7, 10, tzinfo=UTC))

    assert {m: migrated.bill(BillingPeriod(2026, m)).total for m in range(1, 8)} == billed  # July: once, at 490
    assert [line.item_id for line in migrated.bill(BillingPeriod(2026, 7)).lines] == [uuid.UUID(int=1)]
    assert migrated.bill(BillingPeriod(2026, 8)).total == ron(590)


def test_moving_a_monthly_item_onto_yearly_terms_charges_the_year_from_the_end_of_the_month_paid_for(on_pro):
    yearly = PRO.revise("Pro", Terms(PRO.current.terms.features, PRO.current.terms.limits, ron(4900), Period.YEAR),
                        (), datetime(2026, 6, 1, tzinfo=UTC))

    migrated = on_pro.migrate(uuid.UUID(int=1), yearly.current, uuid.UUID(int=5), datetime(2026, 6, 10, tzinfo=UTC))

    totals = [migrated.bill(BillingPeriod(2026, m)).total for m in range(1, 13)]
    assert totals == [ron(490)] * 6 + [ron(4900)] + [None] * 5
    assert migrated.bill(BillingPeriod(2027, 6)).total is None
    assert migrated.bill(BillingPeriod(2027, 7)).total == ron(4900)


def test_moving_a_yearly_item_onto_newer_terms_charges_them_from_its_next_anniversary():
    annual = plan("annual", PlanKind.BASE, Terms(frozenset(), {}, ron(4900), Period.YEAR))
    dearer = annual.revise("Annual", Terms(frozenset(), {}, ron(5900), Period.YEAR), (), SIGNED_UP)
    held = Subscription.start(CLINIC, annual.current, uuid.UUID(int=1), SIGNED_UP)

    migrated = held.migrate(uuid.UUID(int=1), dearer.current, uuid.UUID(int=5), datetime(2026, 6, 10, tzinfo=UTC))

    assert migrated.item(uuid.UUID(int=5)).charged_from == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    assert [migrated.bill(BillingPeriod(2026, m)).total for m in (1, 6, 7)] == [ron(4900), None, None]
    assert migrated.bill(BillingPeriod(2027, 1)).total == ron(5900)


def test_a_pack_moved_onto_newer_terms_is_not_bought_again_and_takes_its_new_validity_from_the_migration(on_pro):
    lasting = plan("video-500", PlanKind.USAGE_PACK, Terms(frozenset(), {"video_minutes": 500}, ron(80),
                                                           Period.ONE_TIME, PackValidity.UNTIL_CONSUMED))
    this_month_only = lasting.revise("Video 500", Terms(frozenset(), {"video_minutes": 500}, ron(80), Period.ONE_TIME,
                                                        PackValidity.BILLING_PERIOD), (), SIGNED_UP)
    bought = on_pro.add(lasting.current, uuid.UUID(int=2), 1, datetime(2026, 3, 2, tzinfo=UTC))

    migrated = bought.migrate(uuid.UUID(int=2), this_month_only.current, uuid.UUID(int=5),
                              datetime(2026, 4, 20, tzinfo=UTC))

    assert migrated.item(uuid.UUID(int=5)).ends_at == datetime(2026, 5, 1, tzinfo=UTC)
    assert effective_at(migrated.items, (), datetime(2026, 4, 30, tzinfo=UTC)).limit("video_minutes") == 500
    assert effective_at(migrated.items, (), datetime(2026, 5, 1, tzinfo=UTC)).limit("video_minutes") == 0
    assert [migrated.bill(BillingPeriod(2026, m)).total for m in (3, 4)] == [ron(570), ron(490)]


def test_an_item_is_migrated_only_forwards_only_within_its_plan_and_only_while_it_lasts(on_pro):
    dearer = PRO.revise("Pro", Terms(PRO.current.terms.features, PRO.current.terms.limits, ron(590), Period.MONTH),
                        (), SIGNED_UP)
    later = SIGNED_UP + timedelta(days=30)
    with pytest.raises(SubscriptionRefused) as backwards:
        on_pro.migrate(uuid.UUID(int=1), PRO.current, uuid.UUID(int=5), later)
    with pytest.raises(SubscriptionRefused) as sideways:
        on_pro.migrate(uuid.UUID(int=1), FREE.current, uuid.UUID(int=5), later)
    migrated = on_pro.migrate(uuid.UUID(int=1), dearer.current, uuid.UUID(int=5), later)
    with pytest.raises(SubscriptionRefused) as again:
        migrated.migrate(uuid.UUID(int=1), dearer.current, uuid.UUID(int=6), later + timedelta(days=1))

    assert (backwards.value.code, sideways.value.code, again.value.code) == ("not-newer", "other-plan", "item-ended")


# -- stacking rules ---------------------------------------------------------------------------


def test_a_clinic_holds_one_base_plan_at_a_time(on_pro):
    with pytest.raises(SubscriptionRefused) as refused:
        on_pro.add(FREE.current, uuid.UUID(int=2), 1, SIGNED_UP)

    assert refused.value.code == "base-plan-held"


def test_after_cancelling_its_base_plan_a_clinic_may_take_another(on_pro):
    later = SIGNED_UP + timedelta(days=40)
    switched = on_pro.cancel(uuid.UUID(int=1), later).add(FREE.current, uuid.UUID(int=2), 1, later)

    assert [i.plan_key for i in switched.active_items(later)] == ["free"]


def test_a_subscription_starts_with_a_base_plan():
    with pytest.raises(SubscriptionRefused) as refused:
        Subscription.start(CLINIC, TELEREHAB_PACK.current, uuid.UUID(int=1), SIGNED_UP)

    assert refused.value.code == "not-a-base-plan"


def test_the_same_add_on_is_held_once(on_pro):
    held = on_pro.add(TELEREHAB_PACK.current, uuid.UUID(int=2), 1, SIGNED_UP)

    with pytest.raises(SubscriptionRefused) as refused:
        held.add(TELEREHAB_PACK.current, uuid.UUID(int=3), 1, SIGNED_UP)

    assert refused.value.code == "add-on-held"


def test_an_add_on_a_concurrent_change_added_a_moment_later_is_held_already(on_pro):
    # Two requests race: the second takes the lock after the first committed, its clock read earlier.
    held = on_pro.add(TELEREHAB_PACK.current, uuid.UUID(int=2), 1, SIGNED_UP + timedelta(milliseconds=5))

    with pytest.raises(SubscriptionRefused) as refused:
        held.add(TELEREHAB_PACK.current, uuid.UUID(int=3), 1, SIGNED_UP)

    assert refused.value.code == "add-on-held"


def test_an_add_on_sold_with_some_base_plans_only_is_refused_on_another():
    queue_board = plan("queue-board", PlanKind.ADD_ON, Terms(frozenset({"queue_board"}), {}, ron(50), Period.MONTH),
                       available_with={"pro"})
    on_free = Subscription.start(CLINIC, FREE.current, uuid.UUID(int=1), SIGNED_UP)

    with pytest.raises(SubscriptionRefused) as refused:
        on_free.add(queue_board.current, uuid.UUID(int=2), 1, SIGNED_UP)

    assert refused.value.code == "not-available-with-base"


def test_a_plan_priced_on_quote_cannot_be_subscribed(on_pro):
    lis = plan("lis-integration", PlanKind.ADD_ON, Terms(frozenset({"integration.lis"}), {}, None, Period.MONTH))

    with pytest.raises(SubscriptionRefused) as refused:
        on_pro.add(lis.current, uuid.UUID(int=2), 1, SIGNED_UP)

    assert refused.value.code == "priced-on-quote"


def test_items_of_one_subscription_share_its_currency(on_pro):
    euro_pack = plan("euro-pack", PlanKind.ADD_ON, Terms(frozenset({"x"}), {}, Money(100, "EUR"), Period.MONTH))

    with pytest.raises(SubscriptionRefused) as refused:
        on_pro.add(euro_pack.current, uuid.UUID(int=2), 1, SIGNED_UP)

    assert refused.value.code == "currency-mismatch"


def test_a_quantity_multiplies_an_items_price_and_limits(on_pro):
    seat = plan("extra-user", PlanKind.ADD_ON, Terms(frozenset(), {"staff_users": 1}, Money(500, "RON"),
                                                     Period.MONTH))

    subscription = on_pro.add(seat.current, uuid.UUID(int=2), 4, SIGNED_UP)

    assert effective_at(subscription.items, (), SIGNED_UP).limit("staff_users") == 4
    assert subscription.bill(BillingPeriod(2026, 1)).lines[1].amount == Money(2000, "RON")


@pytest.mark.parametrize("quantity", [0, QUANTITY_MAX + 1, 2**31])
def test_a_quantity_below_one_or_beyond_the_most_an_item_holds_is_refused(on_pro, quantity):
    with pytest.raises(SubscriptionRefused) as refused:
        on_pro.add(STORAGE_10.current, uuid.UUID(int=2), quantity, SIGNED_UP)

    assert (refused.value.code, refused.value.field) == ("invalid-quantity", "quantity")


# -- cancelling -------------------------------------------------------------------------------


def test_dropping_the_add_on_leaves_the_base_plan_untouched(on_pro):
    subscription = on_pro.add(TELEREHAB_PACK.current, uuid.UUID(int=2), 1, SIGNED_UP)
    dropped_at = datetime(2026, 3, 15, tzinfo=UTC)

    dropped = subscription.cancel(uuid.UUID(int=2), dropped_at)

    assert "telerehab" not in effective_at(dropped.items, (), dropped_at).features
    assert effective_at(dropped.items, (), dropped_at).limit("patients") == 1000
    assert dropped.bill(MARCH).total == ron(780)  # March was under way: paid in full, no proration
    assert dropped.bill(MARCH.following()).total == ron(490)


def test_cancelling_an_item_already_cancelled_changes_nothing(on_pro):
    cancelled = on_pro.cancel(uuid.UUID(int=1), SIGNED_UP + timedelta(days=1))

    assert cancelled.cancel(uuid.UUID(int=1), SIGNED_UP + timedelta(days=2)) is cancelled


def test_cancelling_an_unknown_item_is_refused(on_pro):
    with pytest.raises(SubscriptionRefused) as refused:
        on_pro.cancel(uuid.UUID(int=77), SIGNED_UP)

    assert refused.value.code == "unknown-item"


def test_a_yearly_item_is_charged_in_the_month_of_its_anniversary_only(on_pro):
    yearly = plan("annual-support", PlanKind.ADD_ON, Terms(frozenset({"priority_support"}), {}, ron(1200),
                                                           Period.YEAR))
    subscription = on_pro.add(yearly.current, uuid.UUID(int=2), 1, datetime(2026, 2, 3, tzinfo=UTC))

    assert [subscription.bill(BillingPeriod(2026, m)).total for m in (2, 3)] == [ron(1690), ron(490)]
    assert subscription.bill(BillingPeriod(2027, 2)).total == ron(1690)


def test_a_yearly_item_cancelled_before_its_anniversary_is_not_charged_for_a_year_it_never_began():
    annual = plan("annual", PlanKind.BASE, Terms(frozenset(), {}, ron(4900), Period.YEAR))
    held = Subscription.start(CLINIC, annual.current, uuid.UUID(int=1), datetime(2025, 1, 15, tzinfo=UTC))

    cancelled = held.cancel(uuid.UUID(int=1), datetime(2026, 1, 10, tzinfo=UTC))

    assert cancelled.bill(BillingPeriod(2025, 1)).total == ron(4900)
    assert cancelled.bill(BillingPeriod(2026, 1)).total is None
    assert held.cancel(uuid.UUID(int=1), datetime(2026, 1, 20, tzinfo=UTC)).bill(BillingPeriod(2026, 1)).total == \
        ron(4900)


def test_billing_periods_are_calendar_months_in_utc():
    december = BillingPeriod.containing(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))

    assert (str(december), str(december.following()), december.end) == (
        "2026-12", "2027-01", datetime(2027, 1, 1, tzinfo=UTC))
