"""A clinic's catalog through the gateway, on the access tests' platform (the gateway's app in
front of catalog's and entitlements' real web apps).

    offer            a fresh clinic (platform.clinic()) with `OfferBuilder` helpers that add
                     entries through the gateway's admin routes as its admin;
    other_offer      the same for another fresh clinic;
    new_offer()      one more, for fixtures of a wider scope (tests that only read share one);
    catalog_rows     how many rows catalog holds, per table and in its outbox.

Documents go to a directory of the test session's own, never to the repository's var/.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from catalog.adapters.document_store import LocalDiskDocumentStore

PDF = b"%PDF-1.7\n a preparation guide"
MONEY = {"amount_minor": 20000, "currency": "RON"}
CATALOG_TABLES = ("clinics", "locations", "providers", "provider_locations", "services", "service_providers",
                  "documents", "calendars", "plans", "plan_services", "plan_products", "products", "outbox")


@pytest.fixture(scope="session", autouse=True)
def documents_of_the_session(platform, tmp_path_factory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(platform.catalog.app.config, "document_store",
                      LocalDiskDocumentStore(tmp_path_factory.mktemp("documents")))
        yield


class OfferBuilder:
    """Adds entries to `clinic`'s catalog through the gateway as its admin, with valid bodies
    (`changes` applied), checking each was created; returns the answer's body."""

    def __init__(self, platform, clinic) -> None:
        self.platform = platform
        self.clinic = clinic
        self.path = clinic.admin_path

    def created(self, path: str, body: dict[str, Any], **keywords: Any) -> dict[str, Any]:
        return self.platform.call("POST", self.path + path, self.clinic.admin, json=body, expect=201, **keywords)

    def provider(self, name: str = "Dr. Ana Popescu", **changes: Any) -> dict[str, Any]:
        email = f"{name.split()[-1].lower()}@{self.clinic.slug}.example"
        return self.created("/providers", {"name": name, "email": email, "mobile": "+40712345678",
                                           "timezone": "Europe/Bucharest", **changes})

    def service(self, **changes: Any) -> dict[str, Any]:
        return self.created("/services", {"name": "Physiotherapy session", "description": "One to one, 50 minutes.",
                                          "duration_minutes": 50, "price": MONEY, **changes})

    def calendar(self, service: dict[str, Any], **changes: Any) -> dict[str, Any]:
        return self.created(f"/services/{service['id']}/calendars", {"name": "Standard", "kind": "standard",
                                                                      **changes})

    def product(self, **changes: Any) -> dict[str, Any]:
        return self.created("/products", {"name": "Resistance band", "description": "Medium, 2 m.",
                                          "price": {"amount_minor": 4500, "currency": "RON"},
                                          "metadata": {"colour": "green"}, **changes})

    def plan(self, services: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
        return self.created("/plans", {"name": "10 sessions", "kind": "session_package", "sessions": 10,
                                       "price": {"amount_minor": 150000, "currency": "RON"},
                                       "service_ids": [s["id"] for s in services], **changes})

    def etag(self, path: str) -> str:
        return self.platform.client.get(self.path + path, headers=self.clinic.admin.headers).headers["ETag"]

    def document(self, service: dict[str, Any], content: bytes = PDF) -> dict[str, Any]:
        response = self.upload(service, content)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def upload(self, service: dict[str, Any], content: bytes, content_type: str = "application/pdf",
               **headers: str):
        """POST the file as a multipart form, with the service's current ETag unless `headers` name one."""
        return self.platform.client.post(
            f"{self.path}/services/{service['id']}/documents", content_type="multipart/form-data",
            headers={**self.clinic.admin.headers, "If-Match": self.etag(f"/services/{service['id']}"), **headers},
            data={"file": (io.BytesIO(content), "guide.pdf", content_type), "kind": "preparation",
                  "title": "Before your first session"})


@pytest.fixture(scope="session")
def new_offer(platform) -> Callable[..., OfferBuilder]:
    """A fresh clinic with its OfferBuilder, for fixtures of any scope."""
    return lambda label="clinic": OfferBuilder(platform, platform.clinic(label))


@pytest.fixture
def offer(new_offer) -> OfferBuilder:
    return new_offer()


@pytest.fixture
def other_offer(new_offer) -> OfferBuilder:
    """Another clinic, beside `offer`'s."""
    return new_offer("other")


class CatalogRows:
    def __init__(self, platform) -> None:
        self.engine = platform.catalog.app.extensions["sessions"].kw["bind"]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return {table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in CATALOG_TABLES}


@pytest.fixture
def catalog_rows(platform) -> CatalogRows:
    return CatalogRows(platform)
