"""Use cases on the platform's plan catalog (operators only; the gateway checks platform.plans.manage).

Publishing or editing a plan publishes a new immutable version and its event; a save that
changes nothing publishes nothing. Seeding the example catalog publishes each plan it does not
hold yet, so it can run on every deployment.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from clinic_contracts.events.entitlements import PlanVersionPublishedV1, PlanWithdrawnV1
from clinic_runtime.refusals import Conflict, Invalid, NotFound, StaleVersion
from entitlements.domain.example_catalog import CatalogEntry
from entitlements.domain.plans import Plan, PlanKind, Terms, check_name, check_plan, check_terms
from entitlements.service_layer.commercial_events import terms_snapshot
from entitlements.service_layer.commercial_unit_of_work import CommercialUnitOfWork


def publish_plan(uow: CommercialUnitOfWork, key: str, kind: PlanKind, name: str, terms: Terms,
                 available_with: Iterable[str], actor: uuid.UUID | None, now: datetime) -> Plan:
    problems = check_plan(key, name, kind, terms)
    if problems:
        raise Invalid(problems)
    plan = Plan.publish(key, kind, name, terms, available_with, now)
    if not uow.plans.add(plan, actor):
        raise Conflict("plan-exists", f"The catalog already has a plan {key!r}.")
    _published(uow, plan)
    return plan


def revise_plan(uow: CommercialUnitOfWork, key: str, name: str, terms: Terms, available_with: Iterable[str],
                expected_version: int, actor: uuid.UUID | None, now: datetime) -> Plan:
    plan = existing_plan(uow, key)
    problems = check_name(name) + check_terms(plan.kind, terms)
    if problems:
        raise Invalid(problems)
    if plan.current.version != expected_version:
        raise StaleVersion(plan.current.version)
    revised = plan.revise(name, terms, available_with, now)
    if revised is plan:
        return plan
    _save(uow, revised, plan, actor)
    _published(uow, revised)
    return revised


def withdraw_plan(uow: CommercialUnitOfWork, key: str, expected_version: int, actor: uuid.UUID | None,
                  now: datetime) -> Plan:
    plan = existing_plan(uow, key)
    if plan.current.version != expected_version:
        raise StaleVersion(plan.current.version)
    withdrawn = plan.archive()
    if withdrawn is plan:
        return plan
    _save(uow, withdrawn, plan, actor)
    uow.publish(PlanWithdrawnV1(plan_key=key, withdrawn_at=now), clinic_id=None)
    return withdrawn


def seed_catalog(uow: CommercialUnitOfWork, entries: Iterable[CatalogEntry], now: datetime) -> list[str]:
    """Publish every entry whose key the catalog does not hold; the keys published."""
    published = []
    for entry in entries:
        if uow.plans.get(entry.key) is None:
            publish_plan(uow, entry.key, entry.kind, entry.name, entry.terms, entry.available_with, None, now)
            published.append(entry.key)
    return published


def existing_plan(uow: CommercialUnitOfWork, key: str, *, lock: bool = False) -> Plan:
    plan = uow.plans.get(key, lock=lock)
    if plan is None:
        raise NotFound(f"plan {key!r}")
    return plan


def _save(uow: CommercialUnitOfWork, changed: Plan, read: Plan, actor: uuid.UUID | None) -> None:
    if not uow.plans.save(changed, read.current.version, actor):
        current = uow.plans.get(read.key)
        raise StaleVersion(current.current.version if current else read.current.version)


def _published(uow: CommercialUnitOfWork, plan: Plan) -> None:
    v = plan.current
    uow.publish(PlanVersionPublishedV1(plan_key=v.plan_key, version=v.version, kind=str(v.kind), name=v.name,
                                       terms=terms_snapshot(v.terms), available_with=sorted(v.available_with),
                                       published_at=v.published_at), clinic_id=None)

