"""Use cases on service plans and products (catalog.service_layer.plans, .products), on fakes."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from catalog.adapters.entries import Listing
from catalog.domain.plans import BundledProduct
from catalog.domain.values import Period
from catalog.service_layer.errors import InUse
from catalog.service_layer.plans import add_plan, archive_plan, change_plan, list_plans, offered_plans
from catalog.service_layer.products import add_product, archive_product, change_product, list_products
from catalog.service_layer.services import add_service, archive_service
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import (
    PlanArchivedV1,
    PlanUpsertedV1,
    ProductArchivedV1,
    ProductUpsertedV1,
)
from clinic_runtime.refusals import Invalid, NotFound


@pytest.fixture
def product(uow, clinic, product_details, reference, now):
    added = add_product(uow, clinic.id, product_details(), reference, now)
    uow.published.clear()
    return added


@pytest.fixture
def hybrid(plan_details, service, product):
    return plan_details(name="3-month recovery", kind="hybrid", sessions=6, access_window=Period(3, "month"),
                        service_ids=(service.id,), access_grants=("telerehab",),
                        products=(BundledProduct(product.id, 2),))


def test_adding_a_hybrid_plan_publishes_its_full_snapshot(uow, clinic, service, product, hybrid, reference, now):
    plan = add_plan(uow, clinic.id, hybrid, reference, now)

    assert uow.published == [(PlanUpsertedV1(
        clinic_id=clinic.id, plan_id=plan.id, name="3-month recovery", description="Ten physiotherapy sessions.",
        kind="hybrid", price=events.Money(amount_minor=150000, currency="RON"), sessions=6, session_validity=None,
        period=None, access_window=events.Period(count=3, unit="month"), service_ids=[service.id],
        access_grants=["telerehab"], products=[events.BundledProduct(product_id=product.id, quantity=2)],
        version=1, archived=False, updated_at=now), clinic.id)]


def test_a_plan_for_another_clinics_services_and_products_is_refused(uow, clinic, other_clinic, service_details,
                                                                    product_details, plan_details, reference, now):
    their_service = add_service(uow, other_clinic.id, service_details(), reference, now)
    their_product = add_product(uow, other_clinic.id, product_details(), reference, now)
    uow.published.clear()

    with pytest.raises(Invalid) as refused:
        add_plan(uow, clinic.id, plan_details(service_ids=(their_service.id,),
                                              products=(BundledProduct(their_product.id),)), reference, now)

    assert [p.field for p in refused.value.problems] == ["service_ids.0", "products.0.product_id"]
    assert (uow.plans.all(), uow.published) == ([], [])


def test_plans_are_listed_by_the_service_they_serve_and_the_product_they_bundle(uow, clinic, service, product,
                                                                               hybrid, plan_details, service_details,
                                                                               reference, now):
    bundling = add_plan(uow, clinic.id, hybrid, reference, now)
    other_service = add_service(uow, clinic.id, service_details(name="Massage"), reference, now)
    add_plan(uow, clinic.id, plan_details(service_ids=(other_service.id,)), reference, now)

    assert list_plans(uow, clinic.id, Listing(), service_id=service.id).entries == [bundling]
    assert list_plans(uow, clinic.id, Listing(), product_id=product.id).entries == [bundling]


def test_changing_and_archiving_a_plan_publish_its_snapshots(uow, clinic, hybrid, reference, now, later):
    plan = add_plan(uow, clinic.id, hybrid, reference, now)
    uow.published.clear()

    change_plan(uow, clinic.id, plan.id, replace(hybrid, sessions=8), 1, reference, later)
    archive_plan(uow, clinic.id, plan.id, 2, later)

    assert [(type(e), e.sessions, e.version, e.archived) for e, _ in uow.published] == [
        (PlanUpsertedV1, 8, 2, False), (PlanArchivedV1, 8, 3, True)]


def test_patients_see_active_plans_usable_for_an_offered_service(uow, clinic, service, hybrid, reference, now,
                                                                later):
    plan = add_plan(uow, clinic.id, hybrid, reference, now)
    archive_plan(uow, clinic.id, add_plan(uow, clinic.id, hybrid, reference, now).id, 1, later)

    assert offered_plans(uow, clinic.id, service.id, Listing(status="all")).entries == [plan]


def test_patients_see_no_plans_of_an_archived_service(uow, clinic, service, later):
    archive_service(uow, clinic.id, service.id, 1, later)

    with pytest.raises(NotFound):
        offered_plans(uow, clinic.id, service.id, Listing())


# -- products ---------------------------------------------------------------------------------


def test_adding_a_product_publishes_its_snapshot(uow, clinic, product_details, reference, now):
    product = add_product(uow, clinic.id, product_details(), reference, now)

    assert uow.published == [(ProductUpsertedV1(
        clinic_id=clinic.id, product_id=product.id, name="Resistance band", description="Medium, 2 m.",
        price=events.Money(amount_minor=4500, currency="RON"), metadata={"colour": "green"}, version=1,
        archived=False, updated_at=now), clinic.id)]


def test_an_invalid_product_is_refused_and_nothing_is_stored(uow, clinic, product_details, reference, ron, now):
    with pytest.raises(Invalid):
        add_product(uow, clinic.id, product_details(price=ron(-1)), reference, now)

    assert (uow.products.all(), uow.published) == ([], [])


def test_changing_and_archiving_a_product_publish_its_snapshots(uow, product, product_details, reference, later):
    change_product(uow, product.clinic_id, product.id, product_details(name="Band (heavy)"), 1, reference, later)
    archive_product(uow, product.clinic_id, product.id, 2, later)

    assert [(type(e), e.name, e.archived) for e, _ in uow.published] == [
        (ProductUpsertedV1, "Band (heavy)", False), (ProductArchivedV1, "Band (heavy)", True)]


def test_a_product_bundled_into_active_plans_cannot_be_archived(uow, clinic, product, hybrid, reference, now, later):
    plan = add_plan(uow, clinic.id, hybrid, reference, now)
    uow.published.clear()

    with pytest.raises(InUse) as refused:
        archive_product(uow, clinic.id, product.id, 1, later)

    assert refused.value.users == {"plans": [plan.id]}
    assert uow.published == []


def test_a_product_bundled_only_into_archived_plans_can_be_archived(uow, clinic, product, hybrid, reference, now,
                                                                   later):
    archive_plan(uow, clinic.id, add_plan(uow, clinic.id, hybrid, reference, now).id, 1, later)

    assert archive_product(uow, clinic.id, product.id, 1, later).archived


def test_products_are_listed_per_clinic(uow, clinic, other_clinic, product, product_details, reference, now):
    add_product(uow, other_clinic.id, product_details(), reference, now)

    assert list_products(uow, clinic.id, Listing()).entries == [product]


def test_an_unknown_product_is_not_found(uow, clinic, later):
    with pytest.raises(NotFound):
        archive_product(uow, clinic.id, uuid.uuid4(), 1, later)
