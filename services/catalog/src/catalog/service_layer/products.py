"""Use cases on products (a reference catalog: listing, bundling into plans; never selling)."""

from __future__ import annotations

import uuid
from datetime import datetime

from catalog.adapters.entries import Listing
from catalog.domain.clinic import Clinic
from catalog.domain.products import Product, ProductDetails, check_product
from catalog.domain.values import Currencies
from catalog.service_layer import entries
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import ProductArchivedV1, ProductSnapshot, ProductUpsertedV1


def snapshot(event: type[ProductSnapshot], product: Product) -> ProductSnapshot:
    d = product.details
    return event(
        clinic_id=product.clinic_id, product_id=product.id, name=d.name, description=d.description,
        price=events.Money(amount_minor=d.price.amount_minor, currency=d.price.currency),
        metadata=dict(d.metadata), version=product.version, archived=product.archived,
        updated_at=product.updated_at,
    )


PRODUCTS = entries.Kind(
    Product, lambda uow: uow.products,
    upserted=lambda product: snapshot(ProductUpsertedV1, product),
    archived=lambda product: snapshot(ProductArchivedV1, product),
)


def add_product(uow: UnitOfWork, clinic_id: uuid.UUID, details: ProductDetails, currencies: Currencies,
                now: datetime) -> Product:
    return entries.add(uow, PRODUCTS, clinic_id, _vetting(details, currencies), now)


def change_product(uow: UnitOfWork, clinic_id: uuid.UUID, product_id: uuid.UUID, details: ProductDetails,
                   expected_version: int, currencies: Currencies, now: datetime) -> Product:
    return entries.change(uow, PRODUCTS, clinic_id, product_id, expected_version, _vetting(details, currencies), now)


def archive_product(uow: UnitOfWork, clinic_id: uuid.UUID, product_id: uuid.UUID, expected_version: int,
                    now: datetime) -> Product:
    """Refused while active plans bundle it: take it out of those plans first."""
    return entries.archive(uow, PRODUCTS, clinic_id, product_id, expected_version,
                           lambda: {"plans": uow.plans.bundling(clinic_id, product_id)}, now)


def read_product(uow: UnitOfWork, clinic_id: uuid.UUID, product_id: uuid.UUID) -> Product:
    return entries.read(uow, PRODUCTS, clinic_id, product_id)


def list_products(uow: UnitOfWork, clinic_id: uuid.UUID, listing: Listing) -> entries.Page[Product]:
    return entries.page(uow, PRODUCTS, clinic_id, listing)


def _vetting(details: ProductDetails, currencies: Currencies) -> entries.Vet:
    def vet(clinic: Clinic) -> ProductDetails:
        entries.valid(check_product(details, clinic.profile.currency, currencies))
        return details

    return vet
