"""Use cases on service plans."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from catalog.adapters.entries import Listing
from catalog.domain.clinic import Clinic
from catalog.domain.plans import Plan, PlanDetails, check_plan
from catalog.domain.values import Currencies, Period
from catalog.service_layer import entries
from catalog.service_layer.services import offered_service
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import PlanArchivedV1, PlanSnapshot, PlanUpsertedV1


def _period(period: Period | None) -> events.Period | None:
    return None if period is None else events.Period(count=period.count, unit=period.unit)


def snapshot(event: type[PlanSnapshot], plan: Plan) -> PlanSnapshot:
    d = plan.details
    return event(
        clinic_id=plan.clinic_id, plan_id=plan.id, name=d.name, description=d.description, kind=d.kind,
        price=events.Money(amount_minor=d.price.amount_minor, currency=d.price.currency), sessions=d.sessions,
        session_validity=_period(d.session_validity), period=_period(d.period),
        access_window=_period(d.access_window), service_ids=list(d.service_ids),
        access_grants=list(d.access_grants),
        products=[events.BundledProduct(product_id=p.product_id, quantity=p.quantity) for p in d.products],
        version=plan.version, archived=plan.archived, updated_at=plan.updated_at,
    )


PLANS = entries.Kind(
    Plan, lambda uow: uow.plans,
    upserted=lambda plan: snapshot(PlanUpsertedV1, plan),
    archived=lambda plan: snapshot(PlanArchivedV1, plan),
)


def add_plan(uow: UnitOfWork, clinic_id: uuid.UUID, details: PlanDetails, currencies: Currencies,
             now: datetime) -> Plan:
    return entries.add(uow, PLANS, clinic_id, _vetting(uow, clinic_id, details, currencies), now)


def change_plan(uow: UnitOfWork, clinic_id: uuid.UUID, plan_id: uuid.UUID, details: PlanDetails,
                expected_version: int, currencies: Currencies, now: datetime) -> Plan:
    return entries.change(uow, PLANS, clinic_id, plan_id, expected_version,
                          _vetting(uow, clinic_id, details, currencies), now)


def archive_plan(uow: UnitOfWork, clinic_id: uuid.UUID, plan_id: uuid.UUID, expected_version: int,
                 now: datetime) -> Plan:
    """Enrollments (kept by entitlements) keep referring to an archived plan; nothing here does."""
    return entries.archive(uow, PLANS, clinic_id, plan_id, expected_version, lambda: {}, now)


def read_plan(uow: UnitOfWork, clinic_id: uuid.UUID, plan_id: uuid.UUID) -> Plan:
    return entries.read(uow, PLANS, clinic_id, plan_id)


def list_plans(uow: UnitOfWork, clinic_id: uuid.UUID, listing: Listing, service_id: uuid.UUID | None = None,
               product_id: uuid.UUID | None = None) -> entries.Page[Plan]:
    return entries.page(uow, PLANS, clinic_id, listing, service_id=service_id, product_id=product_id)


def offered_plans(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID,
                  listing: Listing) -> entries.Page[Plan]:
    """Active plans whose sessions patients may use for an offered service."""
    offered_service(uow, clinic_id, service_id)
    return list_plans(uow, clinic_id, replace(listing, status="active"), service_id=service_id)


def _vetting(uow: UnitOfWork, clinic_id: uuid.UUID, details: PlanDetails, currencies: Currencies) -> entries.Vet:
    def vet(clinic: Clinic) -> PlanDetails:
        services = uow.services.states(clinic_id, details.service_ids)
        products = uow.products.states(clinic_id, [bundled.product_id for bundled in details.products])
        entries.valid(check_plan(details, clinic.profile.currency, currencies, services, products))
        return details

    return vet
