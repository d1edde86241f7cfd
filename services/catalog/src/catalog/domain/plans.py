"""Service plans: what a patient buys beyond one appointment.

- a session package: N sessions for a price, optionally to be used within a validity period;
- a subscription: a price per period, buying access (telerehab, library) that renews with it;
- a hybrid: sessions plus an access window, each tracked on its own.

Entitlements keeps the counters and windows of each enrollment; catalog says what a plan is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from catalog.domain.entries import CatalogEntry
from catalog.domain.errors import RuleBroken
from catalog.domain.values import (
    Currencies,
    Money,
    Period,
    check_money,
    check_name,
    check_period,
    check_references,
    duplicates,
)

PLAN_KINDS = ("session_package", "subscription", "hybrid")
ACCESS_GRANTS = ("telerehab", "library")
MAX_SESSIONS = 1000
MAX_QUANTITY = 99


@dataclass(frozen=True)
class BundledProduct:
    """A product the programme includes (a reference for staff and patients, not a sale)."""

    product_id: uuid.UUID
    quantity: int = 1


@dataclass(frozen=True)
class PlanDetails:
    name: str
    description: str
    kind: str
    price: Money
    sessions: int | None = None
    session_validity: Period | None = None
    period: Period | None = None
    access_window: Period | None = None
    service_ids: tuple[uuid.UUID, ...] = ()
    access_grants: tuple[str, ...] = ()
    products: tuple[BundledProduct, ...] = ()


@dataclass(frozen=True)
class Plan(CatalogEntry[PlanDetails]):
    noun = "plan"


def check_plan(details: PlanDetails, clinic_currency: str, currencies: Currencies,
               services: Mapping[uuid.UUID, bool], products: Mapping[uuid.UUID, bool]) -> list[RuleBroken]:
    """Every rule `details` breaks. `services` and `products` map the clinic's ids among those
    named to whether they are archived."""
    problems = check_name(details.name)
    problems.extend(check_money(details.price, "price", clinic_currency, currencies))
    if details.kind not in PLAN_KINDS:
        problems.append(RuleBroken("kind", f"must be one of {', '.join(PLAN_KINDS)}"))
    else:
        problems.extend(_check_shape(details))
    for field in ("session_validity", "period", "access_window"):
        period = getattr(details, field)
        if period is not None:
            problems.extend(check_period(period, field))
    if details.sessions is not None and not 1 <= details.sessions <= MAX_SESSIONS:
        problems.append(RuleBroken("sessions", f"must be from 1 to {MAX_SESSIONS}"))
    problems.extend(check_references(details.service_ids, "service_ids", "service", services))
    for position in duplicates(details.access_grants):
        problems.append(RuleBroken(f"access_grants.{position}", "is listed twice"))
    for position, grant in enumerate(details.access_grants):
        if grant not in ACCESS_GRANTS:
            problems.append(RuleBroken(f"access_grants.{position}", f"must be one of {', '.join(ACCESS_GRANTS)}"))
    bundled = [product.product_id for product in details.products]
    problems.extend(check_references(bundled, "products", "product", products, key="product_id"))
    for position, product in enumerate(details.products):
        if not 1 <= product.quantity <= MAX_QUANTITY:
            problems.append(RuleBroken(f"products.{position}.quantity", f"must be from 1 to {MAX_QUANTITY}"))
    return problems


def _check_shape(details: PlanDetails) -> list[RuleBroken]:
    """Which parts each kind of plan has, and which it must not have."""
    has_sessions = details.kind in ("session_package", "hybrid")
    problems = []
    if has_sessions and details.sessions is None:
        problems.append(RuleBroken("sessions", f"a {_called(details.kind)} needs the number of sessions"))
    if has_sessions and not details.service_ids:
        problems.append(RuleBroken("service_ids", "name the services the sessions can be used for"))
    if not has_sessions:
        for field in ("sessions", "session_validity", "service_ids"):
            if getattr(details, field):
                problems.append(RuleBroken(field, "a subscription has no sessions; use a hybrid plan"))
    if details.kind == "subscription" and details.period is None:
        problems.append(RuleBroken("period", "a subscription needs the period its price pays for"))
    if details.kind != "subscription" and details.period is not None:
        problems.append(RuleBroken("period", "only a subscription is paid per period"))
    if details.kind == "hybrid" and details.access_window is None:
        problems.append(RuleBroken("access_window", "a hybrid plan needs how long its access lasts"))
    if details.kind != "hybrid" and details.access_window is not None:
        problems.append(RuleBroken("access_window", "only a hybrid plan has an access window apart from its period"))
    if details.kind == "session_package" and details.access_grants:
        problems.append(RuleBroken("access_grants", "a session package grants no access; use a hybrid plan"))
    if details.kind != "session_package" and not details.access_grants:
        problems.append(RuleBroken("access_grants", f"a {_called(details.kind)} must grant telerehab or library access"))
    return problems


def _called(kind: str) -> str:
    return kind.replace("_", " ").replace("hybrid", "hybrid plan")
