"""Entitlements' commercial model as the gateway relays it: the platform's plan catalog and
capability clearances, each clinic's subscription, overrides, entitlements, bill, usage and
capabilities, and its patients' tiers and service-plan enrollments.

The gateway validates none of it: entitlements owns every rule and answers with its own
problems (`Refused`), which the routes relay. An `entry` is entitlements' path (e.g. `/plans` or
`/clinics/<clinic_id>/subscription`). Writes name the acting account in `X-Actor-Id`, so
entitlements records who granted an override or paused a capability.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import quote

from gateway.adapters.upstream import JsonService, Reply


class CommercialModel(Protocol):
    def read(self, entry: str, params: Mapping[str, str] | None = None) -> Reply: ...
    def create(self, entry: str, body: object, actor_id: uuid.UUID, idempotency_key: str | None) -> Reply:
        """A creating POST: entitlements replays a repeated Idempotency-Key."""
    def change(self, entry: str, body: object, actor_id: uuid.UUID, if_match: str | None) -> Reply:
        """A PUT of the whole resource."""
    def act(self, entry: str, body: object | None, actor_id: uuid.UUID, if_match: str | None) -> Reply:
        """A POST that acts on a resource (withdraw, cancel, migrate, revoke)."""
    def remove(self, entry: str, actor_id: uuid.UUID) -> Reply: ...


class EntitlementsCommercial:
    def __init__(self, service: JsonService) -> None:
        self._service = service

    def read(self, entry: str, params: Mapping[str, str] | None = None) -> Reply:
        return self._service.call("GET", entry, params=params)

    def create(self, entry: str, body: object, actor_id: uuid.UUID, idempotency_key: str | None) -> Reply:
        return self._service.call("POST", entry, json=body,
                                  headers={"X-Actor-Id": str(actor_id), "Idempotency-Key": idempotency_key})

    def change(self, entry: str, body: object, actor_id: uuid.UUID, if_match: str | None) -> Reply:
        return self._service.call("PUT", entry, json=body, headers={"X-Actor-Id": str(actor_id), "If-Match": if_match})

    def act(self, entry: str, body: object | None, actor_id: uuid.UUID, if_match: str | None) -> Reply:
        return self._service.call("POST", entry, json=body,
                                  headers={"X-Actor-Id": str(actor_id), "If-Match": if_match})

    def remove(self, entry: str, actor_id: uuid.UUID) -> Reply:
        return self._service.call("DELETE", entry, headers={"X-Actor-Id": str(actor_id)})


def segment(name: str) -> str:
    """A name from the URL (a plan's or tier's key, a capability) as one path segment at
    entitlements: no slash, query or fragment in it reaches past that segment."""
    return quote(name, safe="")
