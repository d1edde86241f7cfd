"""The example catalog shipped from plans-permissions-medical-ro.txt, checked against the seed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from entitlements.domain.effective import effective_at
from entitlements.domain.example_catalog import EXAMPLE_CATALOG, FEATURE_ROWS
from entitlements.domain.plans import UNLIMITED, Money, Plan, PlanKind, check_plan
from entitlements.domain.subscriptions import BillingPeriod, Subscription, SubscriptionRefused

NOW = datetime(2026, 4, 1, tzinfo=UTC)
CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
ENTRIES = {entry.key: entry for entry in EXAMPLE_CATALOG}


def version(key: str):
    entry = ENTRIES[key]
    return Plan.publish(entry.key, entry.kind, entry.name, entry.terms, entry.available_with, NOW).current


def eur(euros: int) -> Money:
    return Money(euros * 100, "EUR")


def test_every_entry_keeps_the_catalogs_rules():
    assert all(check_plan(e.key, e.name, e.kind, e.terms) == [] for e in EXAMPLE_CATALOG)


def test_the_four_plans_cost_49_99_199_and_from_299_euros_a_month_with_3_6_12_and_unlimited_users():
    bases = [e for e in EXAMPLE_CATALOG if e.kind is PlanKind.BASE]

    assert [(e.name, e.terms.price, e.terms.limits["staff_users"]) for e in bases] == [
        ("Starter", eur(49), 3), ("Standard", eur(99), 6), ("Business", eur(199), 12),
        ("Enterprise", eur(299), UNLIMITED)]


def test_each_plan_includes_everything_of_the_one_below_and_enterprise_includes_every_row():
    features = [ENTRIES[k].terms.features for k in ("starter", "standard", "business", "enterprise")]

    assert features[0] < features[1] < features[2] < features[3]
    assert features[3] == {row[0] for row in FEATURE_ROWS}


@pytest.mark.parametrize(("feature", "plan", "included"), [
    ("reminders.sms", "starter", False), ("reminders.sms", "standard", True),
    ("billing.dunning", "standard", False), ("billing.dunning", "business", True),
    ("reminders.omnichannel", "business", False), ("emr.treatment_plan", "starter", True),
    ("reception.queue_board", "business", False), ("reception.queue_board", "enterprise", True),
])
def test_rows_of_the_seed_map_to_features_of_the_plans(feature, plan, included):
    assert (feature in ENTRIES[plan].terms.features) is included


def test_the_add_ons_are_the_ones_the_seed_names_sold_where_it_says_add_on():
    add_ons = {e.key: e.available_with for e in EXAMPLE_CATALOG if e.kind is PlanKind.ADD_ON and e.terms.price is None}

    assert add_ons == {
        "queue-board": {"business"}, "erp-integration": {"standard", "business"},
        "lis-integration": {"business"}, "pacs-integration": {"business"}, "sso-security": {"business"},
        "e-prescription": {"business"}, "api-webhooks": {"business"}, "patient-app": {"business"},
    }


def test_starter_with_two_clinician_licences_and_an_extra_user_has_6_users_5_clinicians_for_74_euros():
    subscription = Subscription.start(CLINIC, version("starter"), uuid.UUID(int=1), NOW)
    subscription = subscription.add(version("extra-clinician"), uuid.UUID(int=2), 2, NOW)
    subscription = subscription.add(version("extra-user"), uuid.UUID(int=3), 1, NOW)

    effective = effective_at(subscription.items, (), NOW)
    assert (effective.limit("staff_users"), effective.limit("specialists")) == (6, 5)
    assert effective.limit("patients") is UNLIMITED
    assert subscription.bill(BillingPeriod.containing(NOW)).total == eur(49 + 20 + 5)


def test_enterprise_has_no_user_cap_so_seats_are_not_sold_with_it():
    subscription = Subscription.start(CLINIC, version("enterprise"), uuid.UUID(int=1), NOW)

    with pytest.raises(SubscriptionRefused) as refused:
        subscription.add(version("extra-user"), uuid.UUID(int=2), 1, NOW)

    assert refused.value.code == "not-available-with-base"


def test_the_queue_board_add_on_unlocks_its_feature_on_business_and_is_not_sold_on_standard():
    on_standard = Subscription.start(CLINIC, version("standard"), uuid.UUID(int=1), NOW)
    with pytest.raises(SubscriptionRefused) as refused:
        on_standard.add(version("queue-board"), uuid.UUID(int=2), 1, NOW)

    assert refused.value.code == "not-available-with-base"
