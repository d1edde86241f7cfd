"""The platform's plan catalog: terms, versions and the rules a plan must keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from entitlements.domain.plans import (
    PRICE_MAX_MINOR,
    Money,
    PackValidity,
    Period,
    Plan,
    PlanArchived,
    PlanKind,
    PlanRuleBroken,
    Terms,
    check_plan,
    check_terms,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PRO = Terms(frozenset({"booking", "automations"}), {"patients": 1000, "specialists": 10, "storage_gb": 50},
            Money(49000, "RON"), Period.MONTH)


def fields(problems: list[PlanRuleBroken]) -> list[str]:
    return [p.field for p in problems]


def test_a_published_plan_starts_at_version_1_with_its_terms():
    plan = Plan.publish("pro", PlanKind.BASE, " Pro ", PRO, (), NOW)

    assert [v.version for v in plan.versions] == [1]
    assert (plan.current.name, plan.current.terms, plan.current.published_at) == ("Pro", PRO, NOW)


def test_editing_a_plan_publishes_the_next_version_and_leaves_the_earlier_one_as_it_was():
    plan = Plan.publish("pro", PlanKind.BASE, "Pro", PRO, (), NOW)
    dearer = Terms(PRO.features, {**PRO.limits, "patients": 2000}, Money(59000, "RON"), Period.MONTH)

    revised = plan.revise("Pro", dearer, (), NOW + timedelta(days=180))

    assert [v.version for v in revised.versions] == [1, 2]
    assert revised.version(1) == plan.current
    assert revised.current.terms == dearer
    assert plan.versions == (plan.current,)


def test_saving_a_plan_unchanged_publishes_no_new_version():
    plan = Plan.publish("pro", PlanKind.BASE, "Pro", PRO, (), NOW)

    assert plan.revise("Pro", Terms(PRO.features, dict(PRO.limits), PRO.price, PRO.period), (), NOW) is plan


def test_an_unknown_version_number_is_none():
    plan = Plan.publish("pro", PlanKind.BASE, "Pro", PRO, (), NOW)

    assert plan.version(0) is None and plan.version(2) is None


def test_limits_are_only_the_known_ones_and_never_negative():
    terms = Terms(frozenset(), {"patients": -1, "beds": 3, "staff_users": None}, Money(0, "EUR"), Period.MONTH)

    assert fields(check_terms(PlanKind.BASE, terms)) == ["limits.beds", "limits.patients"]


def test_a_usage_pack_is_bought_once_and_says_how_long_its_capacity_lasts():
    recurring = Terms(frozenset(), {"video_minutes": 1000}, Money(8000, "RON"), Period.MONTH)

    assert fields(check_terms(PlanKind.USAGE_PACK, recurring)) == ["period", "pack_validity"]


def test_base_plans_and_add_ons_recur_and_have_no_pack_validity():
    once = Terms(frozenset(), {}, Money(100, "RON"), Period.ONE_TIME, PackValidity.UNTIL_CONSUMED)

    assert fields(check_terms(PlanKind.ADD_ON, once)) == ["period", "pack_validity"]


def test_a_price_is_a_non_negative_amount_in_an_iso_currency():
    terms = Terms(frozenset({"Not A Key"}), {}, Money(-1, "lei"), Period.MONTH)

    assert fields(check_terms(PlanKind.BASE, terms)) == ["features", "price.amount_minor", "price.currency"]


@pytest.mark.parametrize("amount_minor", [PRICE_MAX_MINOR + 1, 2**63])
def test_a_price_beyond_ten_billion_is_refused(amount_minor):
    terms = Terms(frozenset(), {}, Money(amount_minor, "EUR"), Period.MONTH)

    assert fields(check_terms(PlanKind.BASE, terms)) == ["price.amount_minor"]
    assert check_terms(PlanKind.BASE, Terms(frozenset(), {}, Money(PRICE_MAX_MINOR, "EUR"), Period.MONTH)) == []


def test_a_plan_without_a_list_price_is_allowed_it_is_priced_on_quote():
    assert check_terms(PlanKind.ADD_ON, Terms(frozenset({"integration.lis"}), {}, None, Period.MONTH)) == []


def test_a_plan_key_is_a_slug_and_its_name_is_not_blank():
    assert fields(check_plan("Pro Plan", " ", PlanKind.BASE, PRO)) == ["key", "name"]


def test_publishing_a_plan_that_breaks_a_rule_is_refused():
    with pytest.raises(PlanRuleBroken) as refused:
        Plan.publish("pro", PlanKind.USAGE_PACK, "Pro", PRO, (), NOW)

    assert refused.value.field == "period"


def test_money_of_different_currencies_does_not_add_up():
    with pytest.raises(ValueError):
        _ = Money(100, "RON") + Money(100, "EUR")


def test_an_archived_plan_publishes_no_new_version():
    archived = Plan.publish("pro", PlanKind.BASE, "Pro", PRO, (), NOW).archive()

    with pytest.raises(PlanArchived):
        archived.revise("Pro", Terms(PRO.features, {}, PRO.price, PRO.period), (), NOW)
    assert archived.archive() is archived
