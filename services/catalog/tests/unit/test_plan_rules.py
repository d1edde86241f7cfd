"""The rules a service plan obeys (catalog.domain.plans): what each kind has and must not have."""

from __future__ import annotations

import uuid

import pytest

from catalog.domain.plans import BundledProduct, check_plan
from catalog.domain.values import Period

SERVICE, PRODUCT = uuid.uuid4(), uuid.uuid4()
KNOWN_SERVICES = {SERVICE: False}
KNOWN_PRODUCTS = {PRODUCT: False}


def problems_of(details, reference, services=None, products=None):
    return check_plan(details, "RON", reference, KNOWN_SERVICES if services is None else services,
                      KNOWN_PRODUCTS if products is None else products)


def fields(problems) -> list[str]:
    return [p.field for p in problems]


@pytest.fixture
def package(plan_details):
    def details(**changes):
        return plan_details(**{"service_ids": (SERVICE,), **changes})

    return details


@pytest.fixture
def subscription(plan_details, ron):
    def details(**changes):
        return plan_details(**{"name": "Monthly telerehab", "kind": "subscription", "price": ron(20000),
                               "sessions": None, "period": Period(1, "month"), "access_grants": ("telerehab",),
                               **changes})

    return details


@pytest.fixture
def hybrid(plan_details):
    def details(**changes):
        return plan_details(**{"name": "3-month recovery", "kind": "hybrid", "sessions": 6,
                               "access_window": Period(3, "month"), "service_ids": (SERVICE,),
                               "access_grants": ("telerehab", "library"), **changes})

    return details


# -- session packages -------------------------------------------------------------------------


def test_a_package_of_sessions_for_named_services_is_accepted(package, reference):
    assert problems_of(package(), reference) == []


def test_a_package_may_have_to_be_used_within_a_validity_period(package, reference):
    assert problems_of(package(session_validity=Period(6, "month")), reference) == []


def test_a_package_needs_its_number_of_sessions_and_the_services_they_are_for(package, reference):
    assert fields(problems_of(package(sessions=None, service_ids=()), reference)) == ["sessions", "service_ids"]


def test_a_package_grants_no_access_and_has_no_period_or_access_window(package, reference):
    broken = package(access_grants=("library",), period=Period(1, "month"), access_window=Period(1, "month"))

    assert fields(problems_of(broken, reference)) == ["period", "access_window", "access_grants"]


@pytest.mark.parametrize("sessions", [0, -1, 1001])
def test_sessions_are_from_1_to_1000(package, reference, sessions):
    assert fields(problems_of(package(sessions=sessions), reference)) == ["sessions"]


# -- subscriptions ----------------------------------------------------------------------------


def test_a_subscription_priced_per_period_granting_access_is_accepted(subscription, reference):
    assert problems_of(subscription(), reference) == []


def test_a_subscription_needs_its_period_and_at_least_one_access_grant(subscription, reference):
    assert fields(problems_of(subscription(period=None, access_grants=()), reference)) == ["period", "access_grants"]


def test_a_subscription_has_no_sessions(subscription, reference):
    broken = subscription(sessions=4, session_validity=Period(1, "month"), service_ids=(SERVICE,))

    assert fields(problems_of(broken, reference)) == ["sessions", "session_validity", "service_ids"]


# -- hybrids ----------------------------------------------------------------------------------


def test_a_hybrid_of_sessions_and_an_access_window_is_accepted(hybrid, reference):
    assert problems_of(hybrid(), reference) == []


def test_a_hybrid_tracks_its_sessions_validity_apart_from_its_access_window(hybrid, reference):
    assert problems_of(hybrid(session_validity=Period(6, "month")), reference) == []


def test_a_hybrid_needs_sessions_an_access_window_and_an_access_grant(hybrid, reference):
    broken = hybrid(sessions=None, access_window=None, access_grants=())

    assert fields(problems_of(broken, reference)) == ["sessions", "access_window", "access_grants"]


def test_a_hybrid_is_not_paid_per_period(hybrid, reference):
    assert fields(problems_of(hybrid(period=Period(1, "month")), reference)) == ["period"]


# -- whatever the kind ------------------------------------------------------------------------


def test_an_unknown_kind_is_refused_alone(plan_details, reference):
    assert fields(problems_of(plan_details(kind="voucher"), reference)) == ["kind"]


def test_periods_obey_the_rules_of_periods(hybrid, reference):
    broken = hybrid(session_validity=Period(0, "month"), access_window=Period(3, "quarter"))

    assert fields(problems_of(broken, reference)) == ["session_validity.count", "access_window.unit"]


def test_the_price_obeys_the_rules_of_money(package, reference, ron):
    assert fields(problems_of(package(price=ron(-1)), reference)) == ["price.amount_minor"]


def test_sessions_are_for_active_services_of_the_clinic(package, reference):
    archived, foreign = uuid.uuid4(), uuid.uuid4()

    problems = problems_of(package(service_ids=(SERVICE, archived, foreign)), reference,
                           services={SERVICE: False, archived: True})

    assert fields(problems) == ["service_ids.1", "service_ids.2"]


def test_access_grants_are_telerehab_or_library_once_each(hybrid, reference):
    assert fields(problems_of(hybrid(access_grants=("library", "library", "video")), reference)) == [
        "access_grants.1", "access_grants.2"]


def test_bundled_products_are_active_products_of_the_clinic_in_quantities_from_1_to_99(hybrid, reference):
    archived = uuid.uuid4()
    products = (BundledProduct(PRODUCT, 2), BundledProduct(archived, 1), BundledProduct(uuid.uuid4(), 0),
                BundledProduct(PRODUCT, 100))

    problems = problems_of(hybrid(products=products), reference, products={PRODUCT: False, archived: True})

    assert fields(problems) == ["products.3.product_id", "products.1.product_id", "products.2.product_id",
                                "products.2.quantity", "products.3.quantity"]


def test_a_bundled_product_comes_once_with_its_quantity(hybrid, reference):
    assert problems_of(hybrid(products=(BundledProduct(PRODUCT, 3),)), reference) == []
