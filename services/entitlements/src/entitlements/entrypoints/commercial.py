"""Entitlements's internal API of the commercial model: the platform's plan catalog, clinic
subscriptions, sales overrides, capability clearances and pauses, and the reads built on them
(effective entitlements, the bill of a period, capability decisions). The gateway calls it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Blueprint, request
from pydantic import AwareDatetime, BaseModel, Field

from clinic_runtime.db import utcnow
from clinic_runtime.problems import FieldError, Problem, conflict, not_found, validation_problem
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body
from entitlements.domain.capabilities import Capability, CapabilityDecision, Clearance, Pause
from entitlements.domain.effective import Override
from entitlements.domain.plans import Money, PackValidity, Period, Plan, PlanArchived, PlanKind, PlanVersion, Terms
from entitlements.domain.subscriptions import Bill, BillingPeriod, Subscription, SubscriptionItem, SubscriptionRefused
from entitlements.entrypoints.actors import acting_account
from entitlements.service_layer import capabilities, plans, subscriptions
from entitlements.service_layer.commercial_unit_of_work import SqlCommercialUnitOfWork

commercial = Blueprint("commercial", __name__)
PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


# -- the plan catalog (platform) ----------------------------------------------------------------


class PriceBody(BaseModel):
    amount_minor: int
    currency: str


class PlanTermsBody(BaseModel):
    name: str
    features: list[str] = Field(default_factory=list)
    limits: dict[str, int | None] = Field(default_factory=dict)
    price: PriceBody | None
    period: Period
    pack_validity: PackValidity | None = None
    available_with: list[str] = Field(default_factory=list)

    def terms(self) -> Terms:
        price = None if self.price is None else Money(self.price.amount_minor, self.price.currency)
        return Terms(frozenset(self.features), self.limits, price, self.period, self.pack_validity)


class PlanBody(PlanTermsBody):
    key: str
    kind: PlanKind


@commercial.get("/plans")
def list_plans():
    return {"plans": [_plan_representation(p) for p in SqlCommercialUnitOfWork(db()).plans.list()]}


@commercial.post("/plans")
@idempotent
def publish_plan():
    actor = acting_account()
    body = json_body(PlanBody)
    with _refusals_as_problems():
        plan = plans.publish_plan(SqlCommercialUnitOfWork(db()), body.key, body.kind, body.name, body.terms(),
                                  body.available_with, actor, utcnow())
    return _plan_representation(plan), 201, {"Location": f"/plans/{plan.key}", "ETag": etag(plan.current.version)}


@commercial.get("/plans/<key>")
def read_plan(key: str):
    with _refusals_as_problems():
        plan = plans.existing_plan(SqlCommercialUnitOfWork(db()), key)
    return _plan_representation(plan), 200, {"ETag": etag(plan.current.version)}


@commercial.put("/plans/<key>")
def revise_plan(key: str):
    expected = expected_version()
    actor = acting_account()
    body = json_body(PlanTermsBody)
    with _refusals_as_problems():
        plan = plans.revise_plan(SqlCommercialUnitOfWork(db()), key, body.name, body.terms(), body.available_with,
                                 expected, actor, utcnow())
    return _plan_representation(plan), 200, {"ETag": etag(plan.current.version)}


@commercial.post("/plans/<key>/withdraw")
def withdraw_plan(key: str):
    expected = expected_version()
    actor = acting_account()
    with _refusals_as_problems():
        plan = plans.withdraw_plan(SqlCommercialUnitOfWork(db()), key, expected, actor, utcnow())
    return _plan_representation(plan), 200, {"ETag": etag(plan.current.version)}


# -- capability clearances (platform) -----------------------------------------------------------


class ClearanceBody(BaseModel):
    cleared: bool


@commercial.get("/capabilities")
def list_clearances():
    gates = SqlCommercialUnitOfWork(db()).capabilities
    return {"capabilities": [_clearance_representation(gates.clearance(c)) for c in Capability]}


@commercial.put("/capabilities/<name>/clearance")
def set_clearance(name: str):
    capability = _capability(name)
    actor = acting_account()
    body = json_body(ClearanceBody)
    clearance = capabilities.set_clearance(SqlCommercialUnitOfWork(db()), capability, body.cleared, actor, utcnow())
    return _clearance_representation(clearance)


# -- a clinic's subscription --------------------------------------------------------------------


class SubscribeBody(BaseModel):
    plan_key: str


class ItemBody(BaseModel):
    plan_key: str
    quantity: int = 1


class MigrationBody(BaseModel):
    plan_version: int | None = None  # the plan's newest version when absent


@commercial.post("/clinics/<uuid:clinic_id>/subscription")
@idempotent
def subscribe(clinic_id: uuid.UUID):
    actor = acting_account()
    body = json_body(SubscribeBody)
    with _refusals_as_problems():
        subscription = subscriptions.subscribe(SqlCommercialUnitOfWork(db()), clinic_id, body.plan_key, actor,
                                               utcnow())
    return _subscription_representation(subscription), 201, {
        "Location": f"/clinics/{clinic_id}/subscription", "ETag": etag(subscription.version)}


@commercial.get("/clinics/<uuid:clinic_id>/subscription")
def read_subscription(clinic_id: uuid.UUID):
    subscription = SqlCommercialUnitOfWork(db()).subscriptions.get(clinic_id)
    if subscription is None:
        raise not_found("subscription for this clinic")
    return _subscription_representation(subscription), 200, {"ETag": etag(subscription.version)}


@commercial.post("/clinics/<uuid:clinic_id>/subscription/items")
@idempotent
def add_item(clinic_id: uuid.UUID):
    actor = acting_account()
    body = json_body(ItemBody)
    with _refusals_as_problems():
        subscription, item_id = subscriptions.add_item(SqlCommercialUnitOfWork(db()), clinic_id, body.plan_key,
                                                       body.quantity, actor, utcnow())
    return _subscription_representation(subscription), 201, {
        "Location": f"/clinics/{clinic_id}/subscription/items/{item_id}", "ETag": etag(subscription.version)}


@commercial.post("/clinics/<uuid:clinic_id>/subscription/items/<uuid:item_id>/cancel")
def cancel_item(clinic_id: uuid.UUID, item_id: uuid.UUID):
    expected = expected_version()
    actor = acting_account()
    with _refusals_as_problems():
        subscription = subscriptions.cancel_item(SqlCommercialUnitOfWork(db()), clinic_id, item_id, expected, actor,
                                                 utcnow())
    return _subscription_representation(subscription), 200, {"ETag": etag(subscription.version)}


@commercial.post("/clinics/<uuid:clinic_id>/subscription/items/<uuid:item_id>/migrate")
def migrate_item(clinic_id: uuid.UUID, item_id: uuid.UUID):
    expected = expected_version()
    actor = acting_account()
    body = json_body(MigrationBody)
    with _refusals_as_problems():
        subscription, new_item_id = subscriptions.migrate_item(SqlCommercialUnitOfWork(db()), clinic_id, item_id,
                                                               body.plan_version, expected, actor, utcnow())
    # The migrated item ended; the one that took over from it has an id of its own.
    return _subscription_representation(subscription), 200, {
        "Location": f"/clinics/{clinic_id}/subscription/items/{new_item_id}", "ETag": etag(subscription.version)}


# -- sales overrides ----------------------------------------------------------------------------


class OverrideBody(BaseModel):
    features: list[str] = Field(default_factory=list)
    limits: dict[str, int | None] = Field(default_factory=dict)
    reason: str
    expires_at: AwareDatetime | None = None


@commercial.get("/clinics/<uuid:clinic_id>/overrides")
def list_overrides(clinic_id: uuid.UUID):
    return {"overrides": [_override_representation(o) for o in SqlCommercialUnitOfWork(db()).overrides.list(clinic_id)]}


@commercial.post("/clinics/<uuid:clinic_id>/overrides")
@idempotent
def grant_override(clinic_id: uuid.UUID):
    granted_by = acting_account()
    if granted_by is None:
        raise validation_problem([FieldError("X-Actor-Id", "an override records who granted it: send X-Actor-Id")])
    body = json_body(OverrideBody)
    with _refusals_as_problems():
        override = subscriptions.grant_override(SqlCommercialUnitOfWork(db()), clinic_id, body.features, body.limits,
                                                body.reason, body.expires_at, granted_by, utcnow())
    return _override_representation(override), 201, {
        "Location": f"/clinics/{clinic_id}/overrides/{override.id}"}


@commercial.post("/clinics/<uuid:clinic_id>/overrides/<uuid:override_id>/revoke")
def revoke_override(clinic_id: uuid.UUID, override_id: uuid.UUID):
    actor = acting_account()
    with _refusals_as_problems():
        override = subscriptions.revoke_override(SqlCommercialUnitOfWork(db()), clinic_id, override_id, actor,
                                                 utcnow())
    return _override_representation(override)


# -- reads: effective entitlements, the bill ----------------------------------------------------


@commercial.get("/clinics/<uuid:clinic_id>/entitlements")
def read_entitlements(clinic_id: uuid.UUID):
    held = subscriptions.entitlements_of(SqlCommercialUnitOfWork(db()), clinic_id, _instant())
    return {"clinic_id": str(clinic_id), "at": held.at.isoformat(),
            "features": sorted(held.entitlements.features), "limits": dict(held.entitlements.limits),
            "subscription_version": held.subscription.version if held.subscription else None,
            "overrides": [_override_representation(o) for o in held.overrides]}


@commercial.get("/clinics/<uuid:clinic_id>/bill")
def read_bill(clinic_id: uuid.UUID):
    period = _period()
    with _refusals_as_problems():
        bill = subscriptions.bill_of(SqlCommercialUnitOfWork(db()), clinic_id, period)
    return _bill_representation(bill)


# -- a clinic's capabilities --------------------------------------------------------------------


class PauseBody(BaseModel):
    reason: str
    expected_until: AwareDatetime | None = None


@commercial.get("/clinics/<uuid:clinic_id>/capabilities")
def read_capabilities(clinic_id: uuid.UUID):
    uow, at = SqlCommercialUnitOfWork(db()), _instant()
    return {"capabilities": [_decision_representation(capabilities.capability_decision(uow, clinic_id, c, at))
                             for c in Capability]}


@commercial.get("/clinics/<uuid:clinic_id>/capabilities/<name>")
def read_capability(clinic_id: uuid.UUID, name: str):
    capability = _capability(name)
    decision = capabilities.capability_decision(SqlCommercialUnitOfWork(db()), clinic_id, capability, _instant())
    return _decision_representation(decision)


@commercial.post("/clinics/<uuid:clinic_id>/capabilities/<name>/pause")
@idempotent
def pause_capability(clinic_id: uuid.UUID, name: str):
    capability = _capability(name)
    actor = acting_account()
    body = json_body(PauseBody)
    with _refusals_as_problems():
        paused = capabilities.pause(SqlCommercialUnitOfWork(db()), clinic_id, capability, body.reason,
                                    body.expected_until, actor, utcnow())
    return _pause_representation(paused), 201


@commercial.delete("/clinics/<uuid:clinic_id>/capabilities/<name>/pause")
def resume_capability(clinic_id: uuid.UUID, name: str):
    capability = _capability(name)
    capabilities.resume(SqlCommercialUnitOfWork(db()), clinic_id, capability, acting_account(), utcnow())
    return "", 204


# -- request parts and problems -----------------------------------------------------------------


def _capability(name: str) -> Capability:
    try:
        return Capability(name)
    except ValueError:
        raise not_found(f"clinical capability {name!r}") from None


def _instant() -> datetime:
    """`?at=` (an RFC 3339 instant), or now."""
    if "at" not in request.args:
        return utcnow()
    try:
        at = datetime.fromisoformat(request.args["at"])
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise validation_problem([FieldError("at", "use an RFC 3339 instant with its offset, e.g. 2026-03-10T09:00Z")])
    return at


def _period() -> BillingPeriod:
    """`?period=YYYY-MM`, or the current month."""
    if "period" not in request.args:
        return BillingPeriod.containing(utcnow())
    match = PERIOD.fullmatch(request.args["period"])
    if match is None:
        raise validation_problem([FieldError("period", "use a month as YYYY-MM, e.g. 2026-03")])
    return BillingPeriod(int(match.group(1)), int(match.group(2)))


@contextmanager
def _refusals_as_problems() -> Iterator[None]:
    """The use cases' own refusals, as the problems this API answers with (the shared ones are
    answered app-wide)."""
    try:
        yield
    except PlanArchived as archived:
        raise conflict("plan-withdrawn", f"{archived} is withdrawn; it publishes no new version.") from None
    except subscriptions.PlanNotSold as refused:
        raise Problem(422, "plan-not-sold", "This plan cannot be sold.", refused.message) from None
    except SubscriptionRefused as refused:
        if refused.code == "unknown-item":
            raise not_found("such item in this subscription") from None
        raise validation_problem([FieldError(refused.field, refused.message)],
                                 detail=f"The subscription refused the change ({refused.code}).") from None
    except capabilities.AlreadyPaused as paused:
        raise conflict("capability-paused", f"{paused}; lift that pause first.") from None


# -- representations ----------------------------------------------------------------------------


def _terms_representation(terms: Terms) -> dict[str, Any]:
    return {"features": sorted(terms.features), "limits": dict(terms.limits),
            "price": terms.price.as_document() if terms.price else None, "period": str(terms.period),
            "pack_validity": str(terms.pack_validity) if terms.pack_validity else None}


def _version_representation(v: PlanVersion) -> dict[str, Any]:
    return {"version": v.version, "name": v.name, **_terms_representation(v.terms),
            "available_with": sorted(v.available_with), "published_at": v.published_at.isoformat()}


def _plan_representation(plan: Plan) -> dict[str, Any]:
    return {"key": plan.key, "kind": str(plan.kind), "archived": plan.archived,
            "current": _version_representation(plan.current),
            "versions": [_version_representation(v) for v in plan.versions]}


def _item_representation(item: SubscriptionItem) -> dict[str, Any]:
    return {"id": str(item.id), "plan_key": item.plan_key, "plan_version": item.plan_version, "kind": str(item.kind),
            "name": item.name, **_terms_representation(item.terms), "quantity": item.quantity,
            "started_at": item.started_at.isoformat(),
            "ends_at": item.ends_at.isoformat() if item.ends_at else None,
            "cancelled_at": item.cancelled_at.isoformat() if item.cancelled_at else None,
            "replaces": str(item.replaces) if item.replaces else None, "charged_from": item.charged_from.isoformat()}


def _subscription_representation(subscription: Subscription) -> dict[str, Any]:
    return {"clinic_id": str(subscription.clinic_id), "version": subscription.version,
            "items": [_item_representation(i) for i in subscription.items]}


def _override_representation(override: Override) -> dict[str, Any]:
    return {"id": str(override.id), **subscriptions.override_state(override),
            "granted_at": override.granted_at.isoformat()}


def _bill_representation(bill: Bill) -> dict[str, Any]:
    return {"clinic_id": str(bill.clinic_id), "period": str(bill.period),
            "lines": [{"item_id": str(line.item_id), "plan_key": line.plan_key, "plan_version": line.plan_version,
                       "kind": str(line.kind), "name": line.name, "quantity": line.quantity,
                       "period": str(line.period), "amount": line.amount.as_document()} for line in bill.lines],
            "total": bill.total.as_document() if bill.total else None}


def _clearance_representation(clearance: Clearance) -> dict[str, Any]:
    return {"capability": str(clearance.capability), "cleared": clearance.cleared,
            "changed_at": clearance.changed_at.isoformat() if clearance.changed_at else None,
            "changed_by": str(clearance.changed_by) if clearance.changed_by else None}


def _pause_representation(paused: Pause) -> dict[str, Any]:
    return {**capabilities.pause_state(paused), "paused_by": str(paused.paused_by) if paused.paused_by else None}


def _decision_representation(decision: CapabilityDecision) -> dict[str, Any]:
    return {"capability": str(decision.capability), "on": decision.on,
            "off_because": [str(g) for g in decision.off_because],
            "pause": _pause_representation(decision.pause) if decision.pause else None}
