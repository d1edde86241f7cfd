"""Catalog as the gateway sees it.

The clinic directory: catalog's clinics, found by their public slug. Every clinic route resolves
its slug here, so hits are remembered for a few seconds: a slug rarely changes, and a changed one
keeps resolving for at most that long. Misses are not remembered, so a clinic the platform just
registered is reachable at once.

The clinic's offer (`ClinicOffer`): the entries the admin and public catalog routes relay.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from gateway.adapters.upstream import ClinicEntries, JsonService, RawReply, Reply, SizedStream


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


# -- what a clinic offers -----------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentUpload:
    """A document's file as the client sent it, passed on unread: catalog parses it (a multipart
    form, or the raw file with `kind`, `filename` and `title` in `params`) and enforces its size
    limit, so the gateway never holds a whole file."""

    content_type: str
    length: int
    stream: BinaryIO
    params: Mapping[str, str]


class ClinicOffer(Protocol):
    """What a clinic offers: catalog's entries below `/clinics/<clinic_id>`, named by `entry`
    (e.g. `/services/<id>/calendars`; "" is the clinic's profile). Catalog validates every body and
    query and answers with its own problems (`Refused`)."""

    def read(self, clinic_id: uuid.UUID, entry: str, params: Mapping[str, str] | None = None) -> Reply: ...
    def create(self, clinic_id: uuid.UUID, entry: str, body: object, idempotency_key: str | None,
               if_match: str | None = None) -> Reply: ...
    def change(self, clinic_id: uuid.UUID, entry: str, body: object, if_match: str | None) -> Reply: ...
    def archive(self, clinic_id: uuid.UUID, entry: str, if_match: str | None) -> Reply: ...
    def attach_document(self, clinic_id: uuid.UUID, service_id: uuid.UUID, upload: DocumentUpload,
                        idempotency_key: str | None, if_match: str | None) -> Reply: ...
    def document_file(self, clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID,
                      if_none_match: str | None) -> RawReply: ...
    def offered(self, clinic_id: uuid.UUID, entry: str, params: Mapping[str, str] | None = None) -> Reply:
        """What patients may see: active entries only, no staff-only data."""
    def offered_document_file(self, clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID,
                              if_none_match: str | None) -> RawReply: ...


class CatalogService(JsonService):
    """Catalog's web process: JSON like every service, plus the two exchanges that carry a
    document's file instead (the upload, the download)."""

    def send_file(self, path: str, upload: DocumentUpload, headers: Mapping[str, str | None]) -> Reply:
        return self.read_json(self.exchange("POST", path, body=SizedStream(upload.stream, upload.length),
                                            params=upload.params,
                                            headers={**headers, "Content-Type": upload.content_type}))

    def fetch_file(self, path: str, headers: Mapping[str, str | None]) -> RawReply:
        """The file (200), or 304 when the client's copy is current."""
        return self.exchange("GET", path, headers=headers)


class CatalogOffer(ClinicEntries):
    _service: CatalogService

    def __init__(self, service: CatalogService) -> None:
        super().__init__(service)

    def archive(self, clinic_id: uuid.UUID, entry: str, if_match: str | None) -> Reply:
        return self._service.call("POST", f"/clinics/{clinic_id}{entry}/archive", headers={"If-Match": if_match})

    def attach_document(self, clinic_id: uuid.UUID, service_id: uuid.UUID, upload: DocumentUpload,
                        idempotency_key: str | None, if_match: str | None) -> Reply:
        return self._service.send_file(f"/clinics/{clinic_id}/services/{service_id}/documents", upload,
                                       {"Idempotency-Key": idempotency_key, "If-Match": if_match})

    def document_file(self, clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID,
                      if_none_match: str | None) -> RawReply:
        return self._service.fetch_file(f"/clinics/{clinic_id}/services/{service_id}/documents/{document_id}/content",
                                        {"If-None-Match": if_none_match})

    def offered(self, clinic_id: uuid.UUID, entry: str, params: Mapping[str, str] | None = None) -> Reply:
        return self._service.call("GET", f"/clinics/{clinic_id}/public{entry}", params=params)

    def offered_document_file(self, clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID,
                              if_none_match: str | None) -> RawReply:
        return self._service.fetch_file(
            f"/clinics/{clinic_id}/public/services/{service_id}/documents/{document_id}/content",
            {"If-None-Match": if_none_match})
