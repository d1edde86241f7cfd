"""The rules a product obeys (catalog.domain.products): a reference entry, never a stock item."""

from __future__ import annotations

from catalog.domain.products import MAX_METADATA_ENTRIES, check_product


def fields(problems) -> list[str]:
    return [p.field for p in problems]


def test_a_product_with_a_name_a_price_and_metadata_breaks_no_rule(product_details, reference):
    assert check_product(product_details(), "RON", reference) == []


def test_a_product_needs_a_name_and_a_valid_price(product_details, reference, ron):
    assert fields(check_product(product_details(name=" ", price=ron(-1, "EUR")), "RON", reference)) == [
        "name", "price.amount_minor", "price.currency"]


def test_metadata_is_optional(product_details, reference):
    assert check_product(product_details(metadata={}), "RON", reference) == []


def test_metadata_has_at_most_30_entries(product_details, reference):
    many = {f"key-{n}": "value" for n in range(MAX_METADATA_ENTRIES + 1)}

    assert fields(check_product(product_details(metadata=many), "RON", reference)) == ["metadata"]


def test_a_metadata_key_is_1_to_64_characters_not_only_blanks(product_details, reference):
    assert fields(check_product(product_details(metadata={" ": "x", "k" * 65: "y"}), "RON", reference)) == [
        "metadata", "metadata"]


def test_a_metadata_value_has_at_most_500_characters(product_details, reference):
    assert fields(check_product(product_details(metadata={"notes": "n" * 501}), "RON", reference)) == [
        "metadata.notes"]
