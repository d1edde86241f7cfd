"""What every catalog entry obeys: versions, changes, archiving (catalog.domain.entries), shown
on products; each kind only adds its own details and rules."""

from __future__ import annotations

import uuid

import pytest

from catalog.domain.errors import RuleBroken
from catalog.domain.products import Product


@pytest.fixture
def product(product_details, now) -> Product:
    return Product.create(uuid.uuid4(), uuid.uuid4(), product_details(), now)


def test_a_new_entry_starts_active_at_version_one_in_its_clinic(product_details, now):
    entry_id, clinic_id = uuid.uuid4(), uuid.uuid4()

    created = Product.create(entry_id, clinic_id, product_details(), now)

    assert (created.id, created.clinic_id, created.details, created.version, created.updated_at, created.archived) == (
        entry_id, clinic_id, product_details(), 1, now, False)


def test_a_change_bumps_the_version_by_one_and_stamps_it(product, product_details, later):
    changed = product.change(product_details(name="Resistance band (heavy)"), later)

    assert (changed.id, changed.details.name, changed.version, changed.updated_at) == (
        product.id, "Resistance band (heavy)", 2, later)


def test_changing_leaves_the_entry_it_started_from_untouched(product, product_details, later):
    product.change(product_details(name="Elsewhere"), later)

    assert (product.details, product.version) == (product_details(), 1)


def test_unchanged_details_keep_the_entry_as_it_is(product, product_details, later):
    assert product.change(product_details(), later) is product


def test_archiving_bumps_the_version_and_keeps_the_details(product, later):
    archived = product.archive(later)

    assert (archived.archived, archived.version, archived.updated_at, archived.details) == (
        True, 2, later, product.details)


def test_archiving_an_archived_entry_changes_nothing(product, later):
    archived = product.archive(later)

    assert archived.archive(later) is archived


def test_an_archived_entry_cannot_change(product, product_details, later):
    with pytest.raises(RuleBroken) as refused:
        product.archive(later).change(product_details(name="Back again"), later)

    assert refused.value.field == "product"
    assert refused.value.message == "an archived product cannot be changed"
