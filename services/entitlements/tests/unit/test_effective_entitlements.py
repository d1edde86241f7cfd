"""Effective entitlements: features are the union, limits the sum, overrides add until they expire.

The arithmetic is specified by properties (hypothesis) as well as by the seed's own example: Pro
with a sales override to 5,000 patients.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from entitlements.domain.effective import (
    NOTHING,
    Entitlements,
    Override,
    check_override,
    contribution,
    effective_at,
)
from entitlements.domain.plans import LIMITS, UNLIMITED, Money, Period, PlanKind, Terms
from entitlements.domain.subscriptions import SubscriptionItem

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
SALES = uuid.UUID("0193a5e0-0000-7000-8000-0000000005a1")
START = datetime(2026, 1, 1, tzinfo=UTC)

features = st.frozensets(st.sampled_from(["booking", "telerehab", "automations", "webhooks", "custom_domain"]))
limits = st.dictionaries(st.sampled_from(LIMITS), st.none() | st.integers(min_value=0, max_value=10**6))
entitlements = st.builds(Entitlements, features, limits)
offsets = st.integers(min_value=0, max_value=10**7)


def item(grants: Entitlements, quantity: int = 1, started_at: datetime = START,
         ends_at: datetime | None = None) -> SubscriptionItem:
    terms = Terms(grants.features, grants.limits, Money(100, "RON"), Period.MONTH)
    return SubscriptionItem(uuid.uuid4(), "plan", 1, PlanKind.ADD_ON, "Plan", terms, quantity, started_at, ends_at,
                            charged_from=started_at)


def override(grants: Entitlements, expires_at: datetime | None = None, granted_at: datetime = START) -> Override:
    return Override(uuid.uuid4(), CLINIC, grants, "closing the deal", SALES, granted_at, expires_at)


# -- properties of stacking -------------------------------------------------------------------


@given(entitlements, entitlements)
def test_stacking_is_commutative(a, b):
    assert a + b == b + a


@given(entitlements, entitlements, entitlements)
def test_stacking_is_associative(a, b, c):
    assert (a + b) + c == a + (b + c)


@given(entitlements)
def test_nothing_is_the_identity_of_stacking(a):
    assert a + NOTHING == a == NOTHING + a


@given(st.lists(entitlements, max_size=6), st.randoms())
def test_the_order_items_were_added_in_never_matters(grants, random):
    items = [item(g) for g in grants]
    shuffled = list(items)
    random.shuffle(shuffled)

    assert effective_at(items, (), START) == effective_at(shuffled, (), START)


@given(st.lists(entitlements, min_size=1, max_size=6), st.data())
def test_features_are_the_union_and_limits_the_sum(grants, data):
    total = effective_at([item(g) for g in grants], (), START)

    assert total.features == frozenset().union(*(g.features for g in grants))
    name = data.draw(st.sampled_from(LIMITS))
    values = [g.limits[name] for g in grants if name in g.limits]
    assert total.limit(name) == (UNLIMITED if UNLIMITED in values else sum(values))


@given(st.lists(entitlements, max_size=5), entitlements, st.integers(min_value=1, max_value=20))
def test_cancelling_an_item_removes_exactly_its_contribution(others, grants, quantity):
    cancelled_at = START + timedelta(days=3)
    kept = [item(g) for g in others]
    dropped = item(grants, quantity, ends_at=cancelled_at)
    before = effective_at([*kept, dropped], (), cancelled_at - timedelta(microseconds=1))
    after = effective_at([*kept, dropped], (), cancelled_at)

    assert after == effective_at(kept, (), cancelled_at)
    assert before == after + contribution(dropped)


@given(entitlements, st.integers(min_value=1, max_value=50))
def test_a_quantity_multiplies_every_limit_of_the_item(grants, quantity):
    expected = {n: (UNLIMITED if v is UNLIMITED else v * quantity) for n, v in grants.limits.items()}

    assert dict(contribution(item(grants, quantity)).limits) == expected


@given(st.lists(entitlements, max_size=4), entitlements, offsets, offsets)
def test_an_override_adds_exactly_its_grants_until_it_expires(grants, extra, lasts, asked):
    items = [item(g) for g in grants]
    expires_at = START + timedelta(seconds=lasts + 1)
    instant = START + timedelta(seconds=asked)
    with_override = effective_at(items, [override(extra, expires_at)], instant)
    without = effective_at(items, (), instant)

    assert with_override == (without + extra if instant < expires_at else without)


@given(st.lists(entitlements, max_size=4), entitlements, offsets)
def test_an_override_without_expiry_counts_from_its_grant_on(grants, extra, asked):
    granted_at = START + timedelta(days=1)
    items = [item(g) for g in grants]
    instant = START + timedelta(seconds=asked)

    counted = effective_at(items, [override(extra, granted_at=granted_at)], instant)

    assert counted == (effective_at(items, (), instant) + extra if instant >= granted_at
                       else effective_at(items, (), instant))


# -- expiry boundaries ------------------------------------------------------------------------


def test_an_override_counts_up_to_the_instant_before_its_expiry_and_not_at_it():
    expires_at = START + timedelta(days=30)
    extra = override(Entitlements(limits={"patients": 4000}), expires_at)
    items = [item(Entitlements(limits={"patients": 1000}))]

    assert effective_at(items, [extra], expires_at - timedelta(microseconds=1)).limit("patients") == 5000
    assert effective_at(items, [extra], expires_at).limit("patients") == 1000


def test_an_item_counts_from_its_start_and_not_at_its_end():
    ends_at = START + timedelta(days=31)
    held = item(Entitlements(frozenset({"telerehab"})), ends_at=ends_at)

    assert "telerehab" not in effective_at([held], (), START - timedelta(microseconds=1)).features
    assert "telerehab" in effective_at([held], (), START).features
    assert "telerehab" not in effective_at([held], (), ends_at).features


def test_a_revoked_override_stops_counting_at_its_revocation():
    revoked_at = START + timedelta(days=2)
    extra = Override(uuid.uuid4(), CLINIC, Entitlements(frozenset({"automations"})), "trial", SALES, START,
                     None, revoked_at)

    assert extra.active_at(revoked_at - timedelta(seconds=1)) and not extra.active_at(revoked_at)


# -- the seed's sales override ----------------------------------------------------------------


def test_a_sales_override_takes_pro_to_5000_patients_and_unlocks_automations_with_its_reason():
    pro = item(Entitlements(frozenset({"booking", "custom_domain"}), {"patients": 1000, "specialists": 10}))
    deal = override(Entitlements(frozenset({"automations"}), {"patients": 4000}))

    effective = effective_at([pro], [deal], START)

    assert effective.limit("patients") == 5000 and effective.limit("specialists") == 10
    assert "automations" in effective.features
    assert (deal.reason, deal.granted_by) == ("closing the deal", SALES)


def test_a_limit_nothing_grants_is_zero_and_an_unlimited_one_takes_any_count():
    effective = Entitlements(limits={"staff_users": UNLIMITED, "patients": 50})

    assert effective.limit("video_minutes") == 0 and not effective.allows("video_minutes", 1)
    assert effective.allows("staff_users", 10**9)
    assert effective.allows("patients", 50) and not effective.allows("patients", 51)


def test_an_override_records_a_reason_grants_something_known_and_expires_after_its_grant():
    problems = check_override(["Bad Key"], {"beds": 1, "patients": -5}, "  ", START, START)

    assert [p.field for p in problems] == ["features", "limits.beds", "limits.patients", "reason", "expires_at"]


def test_an_override_granting_nothing_is_refused():
    assert [p.field for p in check_override([], {}, "because", START, None)] == ["features"]
