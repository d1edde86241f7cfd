"""The arithmetic of usage meters: what fits under a limit, how long a video consultation counts,
and how minutes beyond a period's allowance are drawn from packs that last until consumed."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entitlements.domain.plans import UNLIMITED, Money, PackValidity, Period, PlanKind, Terms
from entitlements.domain.subscriptions import Subscription, SubscriptionItem
from entitlements.domain.usage import (
    BasePlan,
    PackBalance,
    Usage,
    base_plan,
    counted_usage,
    draws,
    pack_balances,
    period_allowance,
    video_minutes,
    video_usage,
)

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
RON = Money(1000, "RON")


def item(kind: PlanKind, limits: dict, *, key: str = "pro", name: str = "Pro", started_at: datetime = MARCH,
         validity: PackValidity | None = None, quantity: int = 1, cancelled_at: datetime | None = None,
         ends_at: datetime | None = None) -> SubscriptionItem:
    period = Period.ONE_TIME if kind is PlanKind.USAGE_PACK else Period.MONTH
    return SubscriptionItem(uuid.uuid4(), key, 1, kind, name, Terms(frozenset(), limits, RON, period, validity),
                            quantity, started_at, ends_at, cancelled_at, charged_from=started_at)


def subscription(*items: SubscriptionItem) -> Subscription:
    return Subscription(CLINIC, items, version=len(items))


def pack(minutes: int, started_at: datetime = MARCH, validity: PackValidity = PackValidity.UNTIL_CONSUMED,
         **changes) -> SubscriptionItem:
    return item(PlanKind.USAGE_PACK, {"video_minutes": minutes}, key=f"video-{minutes}", name=f"+{minutes} minutes",
                started_at=started_at, validity=validity, **changes)


# -- counted meters ---------------------------------------------------------------------------


def test_one_more_fits_while_the_meter_is_below_its_limit_and_not_at_it():
    assert Usage("specialists", 9, 10).admits(1)
    assert not Usage("specialists", 10, 10).admits(1)
    assert not Usage("specialists", 9, 10).admits(2)


def test_an_uncapped_limit_admits_any_count():
    assert Usage("patients", 10**9, UNLIMITED).admits(10**6)


def test_a_meter_above_its_limit_admits_nothing_more_but_keeps_what_it_counts():
    dropped = Usage("specialists", 12, 10)  # an add-on of two clinicians was dropped

    assert not dropped.admits(1)
    assert dropped.used == 12


def test_the_allowed_count_is_the_effective_limit_of_every_active_item():
    held = subscription(item(PlanKind.BASE, {"specialists": 10}),
                        item(PlanKind.ADD_ON, {"specialists": 1}, key="extra-clinician", quantity=2))

    assert counted_usage("specialists", 4, held, [], MARCH) == Usage("specialists", 4, 12)
    assert counted_usage("locations", 1, held, [], MARCH) == Usage("locations", 1, 0)


def test_a_cancelled_add_on_no_longer_adds_to_the_limit():
    clinicians = item(PlanKind.ADD_ON, {"specialists": 2}, key="extra-clinician",
                      cancelled_at=MARCH + timedelta(days=3))
    held = subscription(item(PlanKind.BASE, {"specialists": 10}), clinicians)

    assert counted_usage("specialists", 12, held, [], MARCH + timedelta(days=1)).allowed == 12
    assert counted_usage("specialists", 12, held, [], MARCH + timedelta(days=4)).allowed == 10


def test_a_clinic_without_a_subscription_is_not_capped():
    assert counted_usage("patients", 7, None, [], MARCH) == Usage("patients", 7, UNLIMITED)


def test_the_base_plan_named_is_the_one_active_at_the_instant():
    held = subscription(item(PlanKind.BASE, {}, key="starter", name="Starter", cancelled_at=APRIL),
                        item(PlanKind.ADD_ON, {}, key="extra-user", name="Extra user"))

    assert base_plan(held, MARCH) == BasePlan("starter", "Starter")
    assert base_plan(held, APRIL) is None
    assert base_plan(None, MARCH) is None


# -- video minutes ----------------------------------------------------------------------------


@pytest.mark.parametrize(("lasted", "minutes"), [
    (timedelta(minutes=50), 50), (timedelta(minutes=50, seconds=1), 51), (timedelta(0), 0), (timedelta(minutes=-5), 0),
])
def test_a_consultation_counts_its_started_minutes(lasted, minutes):
    assert video_minutes(MARCH, MARCH + lasted) == minutes


def test_minutes_within_the_periods_allowance_draw_on_no_pack():
    packs = [PackBalance(uuid.uuid4(), MARCH, 1000, 0)]

    assert draws(30, 100, 500, packs) == []
    assert draws(30, 10, UNLIMITED, packs) == []


def test_only_the_minutes_beyond_the_allowance_are_drawn_and_the_oldest_pack_first():
    older, newer = uuid.uuid4(), uuid.uuid4()
    packs = [PackBalance(older, MARCH, 100, 90), PackBalance(newer, APRIL, 100, 0)]

    assert draws(50, 480, 500, packs) == [(older, 10), (newer, 20)]


def test_minutes_beyond_every_pack_are_drawn_as_far_as_the_packs_go():
    only = uuid.uuid4()

    assert draws(50, 500, 500, [PackBalance(only, MARCH, 100, 80)]) == [(only, 20)]


def test_the_period_allowance_leaves_out_until_consumed_packs_but_keeps_those_of_the_period():
    held = subscription(item(PlanKind.BASE, {"video_minutes": 500}),
                        pack(1000, validity=PackValidity.BILLING_PERIOD, ends_at=datetime(2026, 4, 1, tzinfo=UTC)),
                        pack(300))

    assert period_allowance(held, [], MARCH) == 1500
    assert period_allowance(held, [], APRIL) == 500


def test_an_until_consumed_pack_carries_what_remains_of_it_into_later_periods():
    lasting = pack(300)
    held = subscription(item(PlanKind.BASE, {"video_minutes": 500}), lasting)

    in_march = video_usage(700, 200, held, [], {lasting.id: 200}, MARCH)
    in_april = video_usage(0, 0, held, [], {lasting.id: 200}, APRIL)

    assert in_march == Usage("video_minutes", 700, 500 + 200 + 100)
    assert in_april == Usage("video_minutes", 0, 500 + 100)
    assert [p.remaining for p in pack_balances(held, {lasting.id: 200}, APRIL)] == [100]


def test_a_pack_moved_onto_newer_terms_keeps_what_was_drawn_from_it():
    moved_at = MARCH + timedelta(days=10)
    lasting = pack(300, ends_at=moved_at)
    successor = replace(pack(500, started_at=moved_at), replaces=lasting.id)
    held = subscription(item(PlanKind.BASE, {"video_minutes": 0}), lasting, successor)

    assert [(p.item_id, p.remaining) for p in pack_balances(held, {lasting.id: 200}, APRIL)] == [(successor.id, 300)]


def test_a_consumed_pack_adds_nothing_more_and_a_cancelled_one_adds_nothing():
    used_up, cancelled = pack(100), pack(200, cancelled_at=MARCH + timedelta(days=1))
    held = subscription(item(PlanKind.BASE, {"video_minutes": 0}), used_up, cancelled)

    assert video_usage(0, 0, held, [], {used_up.id: 100}, APRIL).allowed == 0


def test_an_uncapped_pack_is_no_pack_to_draw_down_it_uncaps_the_period():
    uncapped = item(PlanKind.USAGE_PACK, {"video_minutes": None}, validity=PackValidity.UNTIL_CONSUMED)
    held = subscription(item(PlanKind.BASE, {"video_minutes": 500}), uncapped)

    assert period_allowance(held, [], MARCH) is UNLIMITED
    assert pack_balances(held, {}, MARCH) == []


@given(allowance=st.integers(0, 500), grants=st.lists(st.integers(0, 300), max_size=4),
       consultations=st.lists(st.integers(0, 120), max_size=20))
def test_draws_never_exceed_a_pack_and_cover_exactly_the_use_beyond_the_allowance(allowance, grants, consultations):
    drawn = {n: 0 for n in range(len(grants))}
    ids = [uuid.UUID(int=n + 1) for n in range(len(grants))]
    used = 0
    for minutes in consultations:
        packs = [PackBalance(ids[n], MARCH + timedelta(minutes=n), grants[n], drawn[n]) for n in range(len(grants))]
        for item_id, taken in draws(minutes, used, allowance, packs):
            drawn[ids.index(item_id)] += taken
        used += minutes

    assert all(drawn[n] <= grants[n] for n in drawn)
    assert sum(drawn.values()) == min(max(0, used - allowance), sum(grants))
