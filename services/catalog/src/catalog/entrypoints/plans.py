"""Routes of a clinic's service plans."""

from __future__ import annotations

import uuid

from flask import Blueprint
from pydantic import BaseModel, Field, StrictInt

from catalog.domain.plans import BundledProduct, Plan, PlanDetails
from catalog.entrypoints.http import MoneyBody, PeriodBody, listing, money, page_body, period, reference
from catalog.service_layer import plans as use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from clinic_runtime.db import utcnow
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body

blueprint = Blueprint("plans", __name__)


class BundledProductBody(BaseModel):
    product_id: uuid.UUID
    quantity: StrictInt = 1


class PlanBody(BaseModel):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    kind: str = Field(max_length=16)
    price: MoneyBody
    sessions: StrictInt | None = None
    session_validity: PeriodBody | None = None
    period: PeriodBody | None = None
    access_window: PeriodBody | None = None
    service_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    access_grants: list[str] = Field(default_factory=list, max_length=10)
    products: list[BundledProductBody] = Field(default_factory=list, max_length=100)

    def details(self) -> PlanDetails:
        return PlanDetails(
            name=self.name.strip(), description=self.description.strip(), kind=self.kind, price=self.price.money(),
            sessions=self.sessions,
            session_validity=None if self.session_validity is None else self.session_validity.period(),
            period=None if self.period is None else self.period.period(),
            access_window=None if self.access_window is None else self.access_window.period(),
            service_ids=tuple(self.service_ids), access_grants=tuple(self.access_grants),
            products=tuple(BundledProduct(p.product_id, p.quantity) for p in self.products),
        )


@blueprint.post("/clinics/<uuid:clinic_id>/plans")
@idempotent
def add_plan(clinic_id: uuid.UUID):
    body = json_body(PlanBody)
    plan = use_cases.add_plan(SqlUnitOfWork(db()), clinic_id, body.details(), reference, utcnow())
    return representation(plan), 201, {"Location": f"/clinics/{clinic_id}/plans/{plan.id}", "ETag": etag(plan.version)}


@blueprint.get("/clinics/<uuid:clinic_id>/plans")
def list_plans(clinic_id: uuid.UUID):
    """`?status=&service_id=&product_id=&limit=&cursor=`: plans whose sessions serve a service, or
    that bundle a product."""
    listed, filters = listing("service_id", "product_id")
    page = use_cases.list_plans(SqlUnitOfWork(db()), clinic_id, listed, **filters)
    return page_body("plans", page, representation)


@blueprint.get("/clinics/<uuid:clinic_id>/plans/<uuid:plan_id>")
def read_plan(clinic_id: uuid.UUID, plan_id: uuid.UUID):
    plan = use_cases.read_plan(SqlUnitOfWork(db()), clinic_id, plan_id)
    return representation(plan), 200, {"ETag": etag(plan.version)}


@blueprint.put("/clinics/<uuid:clinic_id>/plans/<uuid:plan_id>")
def change_plan(clinic_id: uuid.UUID, plan_id: uuid.UUID):
    expected = expected_version()
    body = json_body(PlanBody)
    plan = use_cases.change_plan(SqlUnitOfWork(db()), clinic_id, plan_id, body.details(), expected, reference,
                                 utcnow())
    return representation(plan), 200, {"ETag": etag(plan.version)}


@blueprint.post("/clinics/<uuid:clinic_id>/plans/<uuid:plan_id>/archive")
def archive_plan(clinic_id: uuid.UUID, plan_id: uuid.UUID):
    plan = use_cases.archive_plan(SqlUnitOfWork(db()), clinic_id, plan_id, expected_version(), utcnow())
    return representation(plan), 200, {"ETag": etag(plan.version)}


def public_representation(plan: Plan) -> dict[str, object]:
    """What patients see of a plan: what it costs, what it includes, for which services."""
    d = plan.details
    return {
        "id": str(plan.id), "name": d.name, "description": d.description, "kind": d.kind, "price": money(d.price),
        "sessions": d.sessions, "session_validity": period(d.session_validity), "period": period(d.period),
        "access_window": period(d.access_window), "service_ids": [str(i) for i in d.service_ids],
        "access_grants": list(d.access_grants),
        "products": [{"product_id": str(p.product_id), "quantity": p.quantity} for p in d.products],
    }


def representation(plan: Plan) -> dict[str, object]:
    return {**public_representation(plan), "version": plan.version, "archived": plan.archived,
            "updated_at": plan.updated_at.isoformat()}
