"""Use cases on a clinic's platform subscription and its sales overrides, and the two reads
built on them: the clinic's effective entitlements at an instant and its bill for a period.

Every change is written to the clinic's access audit and published in the same transaction.
The subscription row is locked while it changes, and saved only if still at the version read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinic_contracts import uuid7
from clinic_contracts.events.entitlements import (
    EntitlementOverrideGrantedV1,
    EntitlementOverrideRevokedV1,
    SubscriptionChangedV1,
)
from clinic_runtime.refusals import Conflict, Invalid, NotFound, StaleVersion
from entitlements.domain.audit import AuditAction, AuditEntry
from entitlements.domain.effective import Entitlements, Override, check_override, effective_at
from entitlements.domain.plans import Limit, PlanVersion
from entitlements.domain.subscriptions import Bill, BillingPeriod, Subscription, SubscriptionRefused
from entitlements.service_layer.commercial_events import item_snapshot
from entitlements.service_layer.commercial_unit_of_work import CommercialUnitOfWork
from entitlements.service_layer.plans import existing_plan


class PlanNotSold(Exception):
    """The plan is withdrawn, or has no such version."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ClinicEntitlements:
    at: datetime
    entitlements: Entitlements
    subscription: Subscription | None
    overrides: tuple[Override, ...]  # those counting at `at`


def subscribe(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, base_plan_key: str, actor: uuid.UUID | None,
              now: datetime) -> Subscription:
    subscription = Subscription.start(clinic_id, _on_sale(uow, base_plan_key), uuid7(), now)
    if not uow.subscriptions.add(subscription):
        raise Conflict("subscription-exists", "The clinic has a subscription; add items to it.")
    _changed(uow, subscription, None, "started", subscription.items[0].id, actor, now)
    return subscription


def add_item(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, plan_key: str, quantity: int,
             actor: uuid.UUID | None, now: datetime) -> tuple[Subscription, uuid.UUID]:
    held = _held(uow, clinic_id)
    item_id = uuid7()
    changed = held.add(_on_sale(uow, plan_key), item_id, quantity, now)
    _save(uow, changed, held)
    _changed(uow, changed, held, "item_added", item_id, actor, now)
    return changed, item_id


def cancel_item(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, item_id: uuid.UUID, expected_version: int,
                actor: uuid.UUID | None, now: datetime) -> Subscription:
    held = _held(uow, clinic_id, expected_version)
    changed = held.cancel(item_id, now)
    if changed is held:
        return held
    _save(uow, changed, held)
    _changed(uow, changed, held, "item_cancelled", item_id, actor, now)
    return changed


def migrate_item(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, item_id: uuid.UUID, plan_version: int | None,
                 expected_version: int, actor: uuid.UUID | None, now: datetime) -> tuple[Subscription, uuid.UUID]:
    """Move an item onto a newer version of its plan (the newest when `plan_version` is None): it
    ends now and a new item takes over from it; the subscription and the new item's id. The
    event names the new item."""
    held = _held(uow, clinic_id, expected_version)
    item = held.item(item_id)
    if item is None:
        raise SubscriptionRefused("unknown-item", "item_id", f"the subscription has no item {item_id}")
    plan = existing_plan(uow, item.plan_key)
    target = plan.current if plan_version is None else plan.version(plan_version)
    if target is None:
        raise PlanNotSold(f"{plan.key} has no version {plan_version}")
    new_item_id = uuid7()
    changed = held.migrate(item_id, target, new_item_id, now)
    _save(uow, changed, held)
    _changed(uow, changed, held, "item_migrated", new_item_id, actor, now)
    return changed, new_item_id


def grant_override(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, features: Iterable[str],
                   limits: Mapping[str, Limit], reason: str, expires_at: datetime | None, granted_by: uuid.UUID,
                   now: datetime) -> Override:
    features = list(features)
    problems = check_override(features, limits, reason, now, expires_at)
    if problems:
        raise Invalid(problems)
    override = Override(uuid7(), clinic_id, Entitlements(frozenset(features), limits), reason.strip(), granted_by,
                        now, expires_at)
    uow.overrides.add(override)
    _record(uow, clinic_id, granted_by, now, AuditAction.OVERRIDE_GRANTED, f"override/{override.id}", None,
            override_state(override))
    uow.publish(EntitlementOverrideGrantedV1(
        clinic_id=clinic_id, override_id=override.id, features=sorted(override.grants.features),
        limits=dict(override.grants.limits), reason=override.reason, granted_by=granted_by, granted_at=now,
        expires_at=expires_at), clinic_id=clinic_id)
    return override


def revoke_override(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, override_id: uuid.UUID,
                    actor: uuid.UUID | None, now: datetime) -> Override:
    """Stop an override counting from `now`; one that no longer counts is returned unchanged."""
    held = next((o for o in uow.overrides.list(clinic_id) if o.id == override_id), None)
    if held is None:
        raise NotFound(f"override {override_id}")
    if not held.active_at(now) and held.granted_at <= now:
        return held
    revoked = Override(held.id, held.clinic_id, held.grants, held.reason, held.granted_by, held.granted_at,
                       held.expires_at, now)
    uow.overrides.revoke(revoked)
    _record(uow, clinic_id, actor, now, AuditAction.OVERRIDE_REVOKED, f"override/{override_id}",
            override_state(held), override_state(revoked))
    uow.publish(EntitlementOverrideRevokedV1(clinic_id=clinic_id, override_id=override_id, revoked_by=actor,
                                             revoked_at=now), clinic_id=clinic_id)
    return revoked


def entitlements_of(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, at: datetime) -> ClinicEntitlements:
    subscription = uow.subscriptions.get(clinic_id)
    overrides = tuple(o for o in uow.overrides.list(clinic_id) if o.active_at(at))
    items = subscription.items if subscription else ()
    return ClinicEntitlements(at, effective_at(items, overrides, at), subscription, overrides)


def bill_of(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, period: BillingPeriod) -> Bill:
    held = uow.subscriptions.get(clinic_id)
    if held is None:
        raise NotFound("subscription for this clinic")
    return held.bill(period)


def override_state(override: Override) -> dict[str, Any]:
    return {"features": sorted(override.grants.features), "limits": dict(override.grants.limits),
            "reason": override.reason, "granted_by": str(override.granted_by),
            "expires_at": override.expires_at.isoformat() if override.expires_at else None,
            "revoked_at": override.revoked_at.isoformat() if override.revoked_at else None}


def _on_sale(uow: CommercialUnitOfWork, plan_key: str) -> PlanVersion:
    plan = existing_plan(uow, plan_key)
    if plan.archived:
        raise PlanNotSold(f"{plan_key} is withdrawn from sale")
    return plan.current


def _held(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, expected_version: int | None = None) -> Subscription:
    held = uow.subscriptions.get(clinic_id, lock=True)
    if held is None:
        raise NotFound("subscription for this clinic")
    if expected_version is not None and held.version != expected_version:
        raise StaleVersion(held.version)
    return held


def _save(uow: CommercialUnitOfWork, changed: Subscription, read: Subscription) -> None:
    if not uow.subscriptions.save(changed, read.version):
        current = uow.subscriptions.get(read.clinic_id)
        raise StaleVersion(current.version if current else read.version)


def _state(subscription: Subscription) -> dict[str, Any]:
    return {"version": subscription.version,
            "items": [item_snapshot(i).model_dump(mode="json") for i in subscription.items]}


def _changed(uow: CommercialUnitOfWork, changed: Subscription, before: Subscription | None, change: str,
             item_id: uuid.UUID, actor: uuid.UUID | None, now: datetime) -> None:
    _record(uow, changed.clinic_id, actor, now, AuditAction.SUBSCRIPTION_CHANGED, f"subscription/{change}",
            _state(before) if before else None, _state(changed))
    uow.publish(SubscriptionChangedV1(clinic_id=changed.clinic_id, change=change, item_id=item_id,
                                      version=changed.version, items=[item_snapshot(i) for i in changed.items],
                                      changed_at=now), clinic_id=changed.clinic_id)


def _record(uow: CommercialUnitOfWork, clinic_id: uuid.UUID, actor: uuid.UUID | None, now: datetime,
            action: AuditAction, subject: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    uow.audit.record(AuditEntry(uuid7(), clinic_id, actor, now, action, subject, before, after))
