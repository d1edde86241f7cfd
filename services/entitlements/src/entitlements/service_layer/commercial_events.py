"""The commercial model's state as event payloads (shared by its use cases)."""

from __future__ import annotations

from clinic_contracts.events.entitlements import PlanPrice, PlanTermsSnapshot, SubscriptionItemSnapshot
from entitlements.domain.plans import Terms
from entitlements.domain.subscriptions import SubscriptionItem


def terms_snapshot(terms: Terms) -> PlanTermsSnapshot:
    price = None if terms.price is None else PlanPrice(amount_minor=terms.price.amount_minor,
                                                       currency=terms.price.currency)
    return PlanTermsSnapshot(features=sorted(terms.features), limits=dict(terms.limits), price=price,
                             period=str(terms.period),
                             pack_validity=str(terms.pack_validity) if terms.pack_validity else None)


def item_snapshot(item: SubscriptionItem) -> SubscriptionItemSnapshot:
    return SubscriptionItemSnapshot(item_id=item.id, plan_key=item.plan_key, plan_version=item.plan_version,
                                    kind=str(item.kind), name=item.name, terms=terms_snapshot(item.terms),
                                    quantity=item.quantity, started_at=item.started_at, ends_at=item.ends_at,
                                    cancelled_at=item.cancelled_at)
