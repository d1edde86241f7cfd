"""Routes of a clinic's services."""

from __future__ import annotations

import uuid

from flask import Blueprint
from pydantic import BaseModel, Field, StrictBool, StrictInt

from catalog.domain.clinic import ClinicProfile
from catalog.domain.services import Document, Reminders, RequiredForm, Service, ServiceDetails
from catalog.entrypoints.http import (
    MoneyBody,
    RefundPolicyBody,
    booking_window,
    listing,
    money,
    page_body,
    reference,
    refund_policy,
)
from catalog.service_layer import clinics
from catalog.service_layer import services as use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from clinic_runtime.db import utcnow
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body

blueprint = Blueprint("services", __name__)


class RequiredFormBody(BaseModel):
    kind: str = Field(max_length=16)
    template_key: str = Field(max_length=64)


class RemindersBody(BaseModel):
    before_24h: StrictBool = True
    before_1h: StrictBool = True


class ServiceBody(BaseModel):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    duration_minutes: StrictInt
    price: MoneyBody
    buffer_before_minutes: StrictInt = 0
    buffer_after_minutes: StrictInt = 0
    provider_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    required_forms: list[RequiredFormBody] = Field(default_factory=list, max_length=100)
    cancellation_window_hours: StrictInt | None = None
    refund_policy: RefundPolicyBody | None = None
    reminders: RemindersBody = RemindersBody()
    minimum_notice_minutes: StrictInt | None = None
    booking_horizon_days: StrictInt | None = None

    def details(self) -> ServiceDetails:
        return ServiceDetails(
            name=self.name.strip(), description=self.description.strip(), duration_minutes=self.duration_minutes,
            price=self.price.money(), buffer_before_minutes=self.buffer_before_minutes,
            buffer_after_minutes=self.buffer_after_minutes, provider_ids=tuple(self.provider_ids),
            required_forms=tuple(RequiredForm(f.kind, f.template_key) for f in self.required_forms),
            cancellation_window_hours=self.cancellation_window_hours,
            refund_policy=None if self.refund_policy is None else self.refund_policy.policy(),
            reminders=Reminders(self.reminders.before_24h, self.reminders.before_1h),
            minimum_notice_minutes=self.minimum_notice_minutes, booking_horizon_days=self.booking_horizon_days,
        )


@blueprint.post("/clinics/<uuid:clinic_id>/services")
@idempotent
def add_service(clinic_id: uuid.UUID):
    body = json_body(ServiceBody)
    uow = SqlUnitOfWork(db())
    service = use_cases.add_service(uow, clinic_id, body.details(), reference, utcnow())
    return representation(service, clinics.clinic(uow, clinic_id).profile), 201, {
        "Location": f"/clinics/{clinic_id}/services/{service.id}", "ETag": etag(service.version)}


@blueprint.get("/clinics/<uuid:clinic_id>/services")
def list_services(clinic_id: uuid.UUID):
    """`?status=&provider_id=&limit=&cursor=`: with provider_id, the services that specialist delivers."""
    listed, filters = listing("provider_id")
    uow = SqlUnitOfWork(db())
    page = use_cases.list_services(uow, clinic_id, listed, **filters)
    profile = clinics.clinic(uow, clinic_id).profile
    return page_body("services", page, lambda service: representation(service, profile))


@blueprint.get("/clinics/<uuid:clinic_id>/services/<uuid:service_id>")
def read_service(clinic_id: uuid.UUID, service_id: uuid.UUID):
    uow = SqlUnitOfWork(db())
    service = use_cases.read_service(uow, clinic_id, service_id)
    return representation(service, clinics.clinic(uow, clinic_id).profile), 200, {"ETag": etag(service.version)}


@blueprint.put("/clinics/<uuid:clinic_id>/services/<uuid:service_id>")
def change_service(clinic_id: uuid.UUID, service_id: uuid.UUID):
    expected = expected_version()
    body = json_body(ServiceBody)
    uow = SqlUnitOfWork(db())
    service = use_cases.change_service(uow, clinic_id, service_id, body.details(), expected, reference, utcnow())
    return representation(service, clinics.clinic(uow, clinic_id).profile), 200, {"ETag": etag(service.version)}


@blueprint.post("/clinics/<uuid:clinic_id>/services/<uuid:service_id>/archive")
def archive_service(clinic_id: uuid.UUID, service_id: uuid.UUID):
    uow = SqlUnitOfWork(db())
    service = use_cases.archive_service(uow, clinic_id, service_id, expected_version(), utcnow())
    return representation(service, clinics.clinic(uow, clinic_id).profile), 200, {"ETag": etag(service.version)}


def representation(service: Service, clinic: ClinicProfile) -> dict[str, object]:
    """Staff's view: the service's own overrides (null: the clinic's policy, the platform's notice
    and horizon) and what patients see."""
    d = service.details
    shown = d.patient_policy(clinic)
    return {
        "id": str(service.id), "name": d.name, "description": d.description,
        "duration_minutes": d.duration_minutes, "price": money(d.price),
        "buffer_before_minutes": d.buffer_before_minutes, "buffer_after_minutes": d.buffer_after_minutes,
        "provider_ids": [str(i) for i in d.provider_ids],
        "required_forms": [{"kind": f.kind, "template_key": f.template_key} for f in d.required_forms],
        "documents": [document_representation(document) for document in service.documents],
        "cancellation_window_hours": d.cancellation_window_hours, "refund_policy": refund_policy(d.refund_policy),
        "minimum_notice_minutes": d.minimum_notice_minutes, "booking_horizon_days": d.booking_horizon_days,
        "policy_shown_to_patients": {"cancellation_window_hours": shown.cancellation_window_hours,
                                     "refund_policy": refund_policy(shown.refund_policy),
                                     **booking_window(d.booking_window())},
        "reminders": {"before_24h": d.reminders.before_24h, "before_1h": d.reminders.before_1h},
        "version": service.version, "archived": service.archived, "updated_at": service.updated_at.isoformat(),
    }


def public_representation(service: Service, clinic: ClinicProfile) -> dict[str, object]:
    """What patients see: the design's public fields (id, name, description, duration_minutes,
    price, provider_ids), the policy and booking window that apply to them, and the active documents."""
    d = service.details
    shown = d.patient_policy(clinic)
    return {
        "id": str(service.id), "name": d.name, "description": d.description,
        "duration_minutes": d.duration_minutes, "price": money(d.price),
        "provider_ids": [str(i) for i in d.provider_ids],
        "cancellation_window_hours": shown.cancellation_window_hours,
        "refund_policy": refund_policy(shown.refund_policy),
        **booking_window(d.booking_window()),
        "documents": [{"id": str(doc.id), "kind": doc.kind, "title": doc.title, "filename": doc.filename,
                       "content_type": doc.content_type, "size_bytes": doc.size_bytes}
                      for doc in service.documents if not doc.archived],
    }


def document_representation(document: Document) -> dict[str, object]:
    return {
        "id": str(document.id), "kind": document.kind, "title": document.title, "filename": document.filename,
        "content_type": document.content_type, "size_bytes": document.size_bytes, "sha256": document.sha256,
        "uploaded_at": document.uploaded_at.isoformat(), "archived": document.archived,
    }
