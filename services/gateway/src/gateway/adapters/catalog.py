"""The clinic directory as the gateway sees it: catalog's clinics, found by their public slug.

Every clinic route resolves its slug here, so hits are remembered for a few seconds: a slug
rarely changes, and a changed one keeps resolving for at most that long. Misses are not
remembered, so a clinic the platform just registered is reachable at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.adapters.upstream import JsonService, Reply


@dataclass(frozen=True)
class ClinicListing:
    """What catalog says about a clinic (its representation, as catalog gives it)."""

    id: uuid.UUID
    slug: str
    name: str
    archived: bool
    representation: dict[str, object]

    @classmethod
    def from_catalog(cls, body: dict[str, object]) -> ClinicListing:
        return cls(uuid.UUID(str(body["id"])), str(body["slug"]), str(body["name"]), bool(body["archived"]), body)


class ClinicDirectory(Protocol):
    def by_slug(self, slug: str) -> ClinicListing | None: ...
    def register(self, profile: object, idempotency_key: str | None) -> Reply:
        """Register a clinic; catalog validates `profile` and replays a repeated key."""


class CatalogClinics:
    def __init__(self, service: JsonService, cache_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._service = service
        self._ttl = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[ClinicListing, float]] = {}
        self._lock = threading.Lock()

    def by_slug(self, slug: str) -> ClinicListing | None:
        now = self._clock()
        with self._lock:
            remembered = self._cache.get(slug)
        if remembered is not None and now < remembered[1]:
            return remembered[0]
        found = self._service.call("GET", "/clinics", params={"slug": slug}).body["clinics"]
        if not found:
            return None
        listing = ClinicListing.from_catalog(found[0])
        if self._ttl > 0:
            with self._lock:
                # Bounded by the number of clinics: only slugs that exist are remembered.
                self._cache[slug] = (listing, now + self._ttl)
        return listing

    def register(self, profile: object, idempotency_key: str | None) -> Reply:
        return self._service.call("POST", "/clinics", json=profile, headers={"Idempotency-Key": idempotency_key})
