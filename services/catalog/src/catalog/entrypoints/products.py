"""Routes of a clinic's products (a reference catalog: no stock, orders, cart or checkout)."""

from __future__ import annotations

import uuid

from flask import Blueprint
from pydantic import BaseModel, Field

from catalog.domain.products import Product, ProductDetails
from catalog.entrypoints.http import MoneyBody, listing, money, page_body, reference
from catalog.service_layer import products as use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from clinic_runtime.db import utcnow
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body

blueprint = Blueprint("products", __name__)


class ProductBody(BaseModel):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    price: MoneyBody
    metadata: dict[str, str] = Field(default_factory=dict)

    def details(self) -> ProductDetails:
        return ProductDetails(self.name.strip(), self.description.strip(), self.price.money(), dict(self.metadata))


@blueprint.post("/clinics/<uuid:clinic_id>/products")
@idempotent
def add_product(clinic_id: uuid.UUID):
    body = json_body(ProductBody)
    product = use_cases.add_product(SqlUnitOfWork(db()), clinic_id, body.details(), reference, utcnow())
    return representation(product), 201, {
        "Location": f"/clinics/{clinic_id}/products/{product.id}", "ETag": etag(product.version)}


@blueprint.get("/clinics/<uuid:clinic_id>/products")
def list_products(clinic_id: uuid.UUID):
    page = use_cases.list_products(SqlUnitOfWork(db()), clinic_id, listing()[0])
    return page_body("products", page, representation)


@blueprint.get("/clinics/<uuid:clinic_id>/products/<uuid:product_id>")
def read_product(clinic_id: uuid.UUID, product_id: uuid.UUID):
    product = use_cases.read_product(SqlUnitOfWork(db()), clinic_id, product_id)
    return representation(product), 200, {"ETag": etag(product.version)}


@blueprint.put("/clinics/<uuid:clinic_id>/products/<uuid:product_id>")
def change_product(clinic_id: uuid.UUID, product_id: uuid.UUID):
    expected = expected_version()
    body = json_body(ProductBody)
    product = use_cases.change_product(SqlUnitOfWork(db()), clinic_id, product_id, body.details(), expected,
                                       reference, utcnow())
    return representation(product), 200, {"ETag": etag(product.version)}


@blueprint.post("/clinics/<uuid:clinic_id>/products/<uuid:product_id>/archive")
def archive_product(clinic_id: uuid.UUID, product_id: uuid.UUID):
    product = use_cases.archive_product(SqlUnitOfWork(db()), clinic_id, product_id, expected_version(), utcnow())
    return representation(product), 200, {"ETag": etag(product.version)}


def representation(product: Product) -> dict[str, object]:
    d = product.details
    return {
        "id": str(product.id), "name": d.name, "description": d.description, "price": money(d.price),
        "metadata": dict(d.metadata), "version": product.version, "archived": product.archived,
        "updated_at": product.updated_at.isoformat(),
    }
