"""Deciding access: entitlements' answer, remembered until it may have changed.

The gateway never decides itself; it asks entitlements and keeps the answer in the web
process's `DecisionCache`, stamped with the clinic's access generation as read *before* asking
(see gateway.domain.access).
"""

from __future__ import annotations

import uuid
from typing import Protocol

from gateway.adapters.entitlements import Entitlements, Resource
from gateway.domain.access import Decision, DecisionCache, DecisionKey
from gateway.domain.principal import Principal

# Platform decisions concern no clinic, and no role event ever changes them.
PLATFORM_GENERATION = 0


class AccessGenerations(Protocol):
    def current(self, clinic_id: uuid.UUID) -> int: ...


def decide(principal: Principal, action: str, clinic_id: uuid.UUID | None, resource: Resource | None, *,
           entitlements: Entitlements, cache: DecisionCache, generations: AccessGenerations,
           now: float) -> Decision:
    """Entitlements' decision; `ServiceUnavailable` (never an allow) when it cannot be had."""
    key = DecisionKey.of(principal, action, clinic_id, resource.owner_id if resource else None)
    generation = PLATFORM_GENERATION if clinic_id is None else generations.current(clinic_id)
    remembered = cache.get(key, generation, now)
    if remembered is not None:
        return remembered
    decision = entitlements.decide(principal, action, clinic_id, resource)
    cache.put(key, decision, generation, now)
    return decision
