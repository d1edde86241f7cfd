"""Where the commercial model is kept: the plan catalog, subscriptions, sales overrides,
capability clearances and pauses; interfaces and their SQLAlchemy adapters.

Writes are guarded by versions (`... WHERE version = expected`), so of two concurrent changes to
a plan or a subscription one wins and the other is told, rather than one silently undoing the
other; adding what exists already is answered by the database (`ON CONFLICT DO NOTHING`).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from entitlements.adapters.orm import (
    capability_clearances,
    capability_pauses,
    entitlement_overrides,
    plan_versions,
    platform_plans,
    subscription_items,
    subscriptions,
)
from entitlements.adapters.repository import _insert_unless_present
from entitlements.domain.capabilities import Capability, Clearance, Pause
from entitlements.domain.effective import Entitlements, Override
from entitlements.domain.plans import Money, PackValidity, Period, Plan, PlanKind, PlanVersion, Terms
from entitlements.domain.subscriptions import Subscription, SubscriptionItem


class PlanCatalog(Protocol):
    def get(self, key: str, *, lock: bool = False) -> Plan | None: ...

    def list(self) -> list[Plan]: ...

    def add(self, plan: Plan, published_by: uuid.UUID | None) -> bool:
        """Store a new plan with its versions; False when a plan has this key."""

    def save(self, plan: Plan, expected_version: int, published_by: uuid.UUID | None) -> bool:
        """Store the plan's new versions and state if its newest stored version is still `expected_version`."""


class SubscriptionRepository(Protocol):
    def get(self, clinic_id: uuid.UUID, *, lock: bool = False) -> Subscription | None: ...

    def add(self, subscription: Subscription) -> bool:
        """Store a new subscription; False when the clinic has one."""

    def save(self, subscription: Subscription, expected_version: int) -> bool:
        """Store the changed subscription if it is still at `expected_version`."""


class OverrideRepository(Protocol):
    def list(self, clinic_id: uuid.UUID) -> list[Override]: ...

    def add(self, override: Override) -> None: ...

    def revoke(self, override: Override) -> None:
        """Store the override's revocation."""


class CapabilityGates(Protocol):
    def clearance(self, capability: Capability) -> Clearance:
        """The platform's clearance; off when it was never set."""

    def set_clearance(self, clearance: Clearance) -> None: ...

    def pauses(self, clinic_id: uuid.UUID) -> list[Pause]: ...

    def add_pause(self, pause: Pause) -> bool:
        """Store a pause; False when the capability is paused for the clinic already."""

    def remove_pause(self, clinic_id: uuid.UUID, capability: Capability) -> Pause | None:
        """Lift a pause; the pause lifted, or None when there was none."""


class SqlPlanCatalog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, key: str, *, lock: bool = False) -> Plan | None:
        query = select(platform_plans).where(platform_plans.c.key == key)
        row = self._session.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            return None
        versions = self._session.execute(
            select(plan_versions).where(plan_versions.c.plan_key == key).order_by(plan_versions.c.version))
        return Plan(row.key, PlanKind(row.kind), tuple(_version(v, PlanKind(row.kind)) for v in versions),
                    row.archived)

    def list(self) -> list[Plan]:
        kinds = {r.key: r for r in self._session.execute(select(platform_plans))}
        versions: dict[str, list[PlanVersion]] = {}
        for v in self._session.execute(select(plan_versions).order_by(plan_versions.c.plan_key,
                                                                        plan_versions.c.version)):
            versions.setdefault(v.plan_key, []).append(_version(v, PlanKind(kinds[v.plan_key].kind)))
        return [Plan(key, PlanKind(row.kind), tuple(versions.get(key, ())), row.archived)
                for key, row in sorted(kinds.items())]

    def add(self, plan: Plan, published_by: uuid.UUID | None) -> bool:
        statement = _insert_unless_present(self._session, platform_plans).values(
            key=plan.key, kind=str(plan.kind), current_version=plan.current.version, archived=plan.archived)
        if self._session.execute(statement.returning(platform_plans.c.key)).first() is None:
            return False
        self._add_versions(plan.versions, published_by)
        return True

    def save(self, plan: Plan, expected_version: int, published_by: uuid.UUID | None) -> bool:
        result = self._session.execute(
            update(platform_plans)
            .where(platform_plans.c.key == plan.key, platform_plans.c.current_version == expected_version)
            .values(current_version=plan.current.version, archived=plan.archived))
        if result.rowcount != 1:
            return False
        self._add_versions([v for v in plan.versions if v.version > expected_version], published_by)
        return True

    def _add_versions(self, versions, published_by: uuid.UUID | None) -> None:
        for v in versions:
            self._session.execute(plan_versions.insert().values(
                plan_key=v.plan_key, version=v.version, name=v.name, **terms_columns(v.terms),
                available_with=sorted(v.available_with), published_at=v.published_at, published_by=published_by))


class SqlSubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, *, lock: bool = False) -> Subscription | None:
        query = select(subscriptions).where(subscriptions.c.clinic_id == clinic_id)
        row = self._session.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            return None
        items = self._session.execute(
            select(subscription_items).where(subscription_items.c.clinic_id == clinic_id)
            .order_by(subscription_items.c.started_at, subscription_items.c.id))
        return Subscription(clinic_id, tuple(_item(i) for i in items), row.version)

    def add(self, subscription: Subscription) -> bool:
        statement = _insert_unless_present(self._session, subscriptions).values(
            clinic_id=subscription.clinic_id, version=subscription.version)
        if self._session.execute(statement.returning(subscriptions.c.clinic_id)).first() is None:
            return False
        for item in subscription.items:
            self._insert_item(subscription.clinic_id, item)
        return True

    def save(self, subscription: Subscription, expected_version: int) -> bool:
        clinic_id = subscription.clinic_id
        result = self._session.execute(
            update(subscriptions)
            .where(subscriptions.c.clinic_id == clinic_id, subscriptions.c.version == expected_version)
            .values(version=subscription.version))
        if result.rowcount != 1:
            return False
        stored = set(self._session.execute(
            select(subscription_items.c.id).where(subscription_items.c.clinic_id == clinic_id)).scalars())
        for item in subscription.items:
            if item.id in stored:
                self._session.execute(
                    update(subscription_items)
                    .where(subscription_items.c.clinic_id == clinic_id, subscription_items.c.id == item.id)
                    .values(**_item_columns(item)))
            else:
                self._insert_item(clinic_id, item)
        return True

    def _insert_item(self, clinic_id: uuid.UUID, item: SubscriptionItem) -> None:
        self._session.execute(subscription_items.insert().values(clinic_id=clinic_id, id=item.id,
                                                                 **_item_columns(item)))


class SqlOverrideRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def list(self, clinic_id: uuid.UUID) -> list[Override]:
        rows = self._session.execute(
            select(entitlement_overrides).where(entitlement_overrides.c.clinic_id == clinic_id)
            .order_by(entitlement_overrides.c.granted_at, entitlement_overrides.c.id))
        return [Override(r.id, r.clinic_id, Entitlements(frozenset(r.features), r.limits), r.reason, r.granted_by,
                         r.granted_at, r.expires_at, r.revoked_at) for r in rows]

    def add(self, override: Override) -> None:
        self._session.execute(entitlement_overrides.insert().values(
            clinic_id=override.clinic_id, id=override.id, features=sorted(override.grants.features),
            limits=dict(override.grants.limits), reason=override.reason, granted_by=override.granted_by,
            granted_at=override.granted_at, expires_at=override.expires_at, revoked_at=override.revoked_at))

    def revoke(self, override: Override) -> None:
        self._session.execute(
            update(entitlement_overrides)
            .where(entitlement_overrides.c.clinic_id == override.clinic_id,
                   entitlement_overrides.c.id == override.id)
            .values(revoked_at=override.revoked_at))


class SqlCapabilityGates:
    def __init__(self, session: Session) -> None:
        self._session = session

    def clearance(self, capability: Capability) -> Clearance:
        row = self._session.execute(
            select(capability_clearances).where(capability_clearances.c.capability == str(capability))
        ).one_or_none()
        if row is None:
            return Clearance.default(capability)
        return Clearance(capability, row.cleared, row.changed_at, row.changed_by)

    def set_clearance(self, clearance: Clearance) -> None:
        values = dict(cleared=clearance.cleared, changed_at=clearance.changed_at, changed_by=clearance.changed_by)
        updated = self._session.execute(
            update(capability_clearances)
            .where(capability_clearances.c.capability == str(clearance.capability)).values(**values))
        if updated.rowcount == 0:
            self._session.execute(capability_clearances.insert().values(capability=str(clearance.capability),
                                                                        **values))

    def pauses(self, clinic_id: uuid.UUID) -> list[Pause]:
        rows = self._session.execute(
            select(capability_pauses).where(capability_pauses.c.clinic_id == clinic_id)
            .order_by(capability_pauses.c.capability))
        return [_pause(r) for r in rows]

    def add_pause(self, pause: Pause) -> bool:
        statement = _insert_unless_present(self._session, capability_pauses).values(
            clinic_id=pause.clinic_id, capability=str(pause.capability), reason=pause.reason,
            expected_until=pause.expected_until, paused_at=pause.paused_at, paused_by=pause.paused_by)
        return self._session.execute(statement.returning(capability_pauses.c.capability)).first() is not None

    def remove_pause(self, clinic_id: uuid.UUID, capability: Capability) -> Pause | None:
        row = self._session.execute(
            delete(capability_pauses)
            .where(capability_pauses.c.clinic_id == clinic_id, capability_pauses.c.capability == str(capability))
            .returning(*capability_pauses.c)).one_or_none()
        return _pause(row) if row else None


def terms_columns(terms: Terms) -> dict[str, Any]:
    return dict(
        features=sorted(terms.features), limits=dict(terms.limits),
        price_amount_minor=terms.price.amount_minor if terms.price else None,
        price_currency=terms.price.currency if terms.price else None,
        period=str(terms.period), pack_validity=str(terms.pack_validity) if terms.pack_validity else None)


def _terms(row) -> Terms:
    price = None if row.price_amount_minor is None else Money(row.price_amount_minor, row.price_currency)
    return Terms(frozenset(row.features), row.limits, price, Period(row.period),
                 PackValidity(row.pack_validity) if row.pack_validity else None)


def _version(row, kind: PlanKind) -> PlanVersion:
    return PlanVersion(row.plan_key, row.version, kind, row.name, _terms(row), frozenset(row.available_with),
                       row.published_at)


def _item_columns(item: SubscriptionItem) -> dict[str, Any]:
    return dict(plan_key=item.plan_key, plan_version=item.plan_version, kind=str(item.kind), name=item.name,
                **terms_columns(item.terms), quantity=item.quantity, started_at=item.started_at,
                ends_at=item.ends_at, cancelled_at=item.cancelled_at, replaces=item.replaces,
                charged_from=item.charged_from)


def _item(row) -> SubscriptionItem:
    return SubscriptionItem(row.id, row.plan_key, row.plan_version, PlanKind(row.kind), row.name, _terms(row),
                            row.quantity, row.started_at, row.ends_at, row.cancelled_at, row.replaces,
                            charged_from=row.charged_from)


def _pause(row) -> Pause:
    return Pause(row.clinic_id, Capability(row.capability), row.reason, row.expected_until, row.paused_at,
                 row.paused_by)
