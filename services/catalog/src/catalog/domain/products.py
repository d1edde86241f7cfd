"""Products: physical goods a clinic lists (bands, braces, supplements) so staff know what a
programme includes. A reference catalog only: no stock, orders, cart or checkout (sales happen
offline)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from catalog.domain.entries import CatalogEntry
from catalog.domain.errors import RuleBroken
from catalog.domain.values import Currencies, Money, check_money, check_name

MAX_METADATA_ENTRIES = 30
MAX_METADATA_KEY_LENGTH = 64
MAX_METADATA_VALUE_LENGTH = 500


@dataclass(frozen=True)
class ProductDetails:
    name: str
    description: str
    price: Money
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Product(CatalogEntry[ProductDetails]):
    noun = "product"


def check_product(details: ProductDetails, clinic_currency: str, currencies: Currencies) -> list[RuleBroken]:
    problems = check_name(details.name)
    problems.extend(check_money(details.price, "price", clinic_currency, currencies))
    if len(details.metadata) > MAX_METADATA_ENTRIES:
        problems.append(RuleBroken("metadata", f"at most {MAX_METADATA_ENTRIES} entries"))
    for key, value in details.metadata.items():
        if not key.strip() or len(key) > MAX_METADATA_KEY_LENGTH:
            problems.append(RuleBroken("metadata", f"key {key[:MAX_METADATA_KEY_LENGTH]!r} must have 1-"
                                                   f"{MAX_METADATA_KEY_LENGTH} characters, not only blanks"))
        if len(value) > MAX_METADATA_VALUE_LENGTH:
            problems.append(RuleBroken(f"metadata.{key}", f"at most {MAX_METADATA_VALUE_LENGTH} characters"))
    return problems
