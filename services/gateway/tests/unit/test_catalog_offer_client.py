"""The gateway's client of a clinic's offer in catalog, against a local HTTP server answering
what each test scripts: the paths and headers it sends, files passed through unread both ways,
and how it fails (closed)."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from clinic_runtime import context
from clinic_runtime.devstack import free_ports
from gateway.adapters.catalog import CatalogOffer, CatalogService, DocumentUpload
from gateway.adapters.upstream import Refused, ServiceUnavailable

from .conftest import Scripted

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
SERVICE = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a61")
DOCUMENT = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a62")
PDF = b"%PDF-1.7\n a preparation guide"


@pytest.fixture
def catalog(server) -> tuple[Scripted, CatalogOffer]:
    current, url = server
    current.append(Scripted())
    return current[-1], CatalogOffer(CatalogService("catalog", url, 2))


def upload(content: bytes = PDF, **params: str) -> DocumentUpload:
    return DocumentUpload("application/pdf", len(content), io.BytesIO(content), params)


def test_entries_are_named_below_the_clinic_and_changes_carry_if_match_and_the_idempotency_key(catalog):
    scripted, offer = catalog
    for status in (200, 201, 200, 200):
        scripted.answer(status, {"id": "x"}, ETag='"2"')

    offer.read(CLINIC, f"/services/{SERVICE}/calendars", {"status": "all", "limit": "5"})
    created = offer.create(CLINIC, "/products", {"name": "Band"}, "key-1")
    offer.change(CLINIC, "", {"name": "Physio"}, '"1"')
    offer.archive(CLINIC, f"/services/{SERVICE}", '"3"')

    requests = [(method, path) for method, path, _, _ in scripted.received]
    assert requests == [("GET", f"/clinics/{CLINIC}/services/{SERVICE}/calendars?status=all&limit=5"),
                        ("POST", f"/clinics/{CLINIC}/products"), ("PUT", f"/clinics/{CLINIC}"),
                        ("POST", f"/clinics/{CLINIC}/services/{SERVICE}/archive")]
    headers = [received[2] for received in scripted.received]
    assert (headers[1]["Idempotency-Key"], "If-Match" in headers[1]) == ("key-1", False)
    assert (headers[2]["If-Match"], headers[3]["If-Match"]) == ('"1"', '"3"')
    assert json.loads(scripted.received[1][3]) == {"name": "Band"}
    assert (created.status, created.body, created.etag) == (201, {"id": "x"}, '"2"')


def test_the_public_offer_is_read_below_the_clinics_public_path(catalog):
    scripted, offer = catalog
    scripted.answer(200, {"services": [], "next_cursor": None})

    reply = offer.offered(CLINIC, "/services", {"provider_id": str(SERVICE)})

    assert scripted.received[0][1] == f"/clinics/{CLINIC}/public/services?provider_id={SERVICE}"
    assert reply.body == {"services": [], "next_cursor": None}


def test_a_document_is_passed_on_with_its_length_type_details_and_headers(catalog):
    scripted, offer = catalog
    scripted.answer(201, {"id": str(DOCUMENT)}, ETag='"4"', Location=f"/clinics/{CLINIC}/services/x")
    context.set_correlation_id("upload-7")

    reply = offer.attach_document(CLINIC, SERVICE, upload(kind="consent", filename="guide.pdf"), "key-2", '"3"')

    method, path, headers, body = scripted.received[0]
    assert (method, path) == ("POST", f"/clinics/{CLINIC}/services/{SERVICE}/documents?kind=consent&filename=guide.pdf")
    assert body == PDF
    assert (headers["Content-Length"], headers["Content-Type"]) == (str(len(PDF)), "application/pdf")
    assert (headers["If-Match"], headers["Idempotency-Key"], headers["X-Correlation-Id"]) == ('"3"', "key-2",
                                                                                            "upload-7")
    assert "Transfer-Encoding" not in headers
    assert (reply.status, reply.body, reply.etag) == (201, {"id": str(DOCUMENT)}, '"4"')


def test_a_refused_document_is_catalogs_problem(catalog):
    scripted, offer = catalog
    problem = {"type": "https://problems.clinic-platform.dev/validation-error", "status": 422,
               "errors": [{"field": "file", "message": "is larger than 10 bytes"}]}
    scripted.answer(422, problem, content_type="application/problem+json")

    with pytest.raises(Refused) as refused:
        offer.attach_document(CLINIC, SERVICE, upload(), None, '"1"')

    assert (refused.value.reply.status, refused.value.reply.body) == (422, problem)


def test_a_documents_file_comes_back_as_catalog_sent_it(catalog):
    scripted, offer = catalog
    scripted.answer(200, PDF, content_type="application/pdf", ETag='"abc"',
                    **{"Content-Disposition": "attachment; filename=guide.pdf"})
    scripted.answer(304, b"", ETag='"abc"')

    file = offer.document_file(CLINIC, SERVICE, DOCUMENT, None)
    unchanged = offer.offered_document_file(CLINIC, SERVICE, DOCUMENT, '"abc"')

    assert (file.status, file.content, file.headers["Content-Type"]) == (200, PDF, "application/pdf")
    assert file.headers["Content-Disposition"] == "attachment; filename=guide.pdf"
    assert (unchanged.status, unchanged.content) == (304, b"")
    assert [received[1] for received in scripted.received] == [
        f"/clinics/{CLINIC}/services/{SERVICE}/documents/{DOCUMENT}/content",
        f"/clinics/{CLINIC}/public/services/{SERVICE}/documents/{DOCUMENT}/content"]
    assert "If-None-Match" not in scripted.received[0][2]
    assert scripted.received[1][2]["If-None-Match"] == '"abc"'


def test_a_file_catalog_does_not_have_is_its_404_problem(catalog):
    scripted, offer = catalog
    scripted.answer(404, {"type": "https://problems.clinic-platform.dev/not-found", "status": 404},
                    content_type="application/problem+json")

    with pytest.raises(Refused) as refused:
        offer.offered_document_file(CLINIC, SERVICE, DOCUMENT, None)

    assert refused.value.reply.status == 404


@pytest.mark.parametrize("failure", ["5xx", "refusal that is not json"])
def test_file_exchanges_fail_closed_when_catalog_gives_no_usable_answer(catalog, failure):
    scripted, offer = catalog
    for _ in range(2):
        if failure == "5xx":
            scripted.answer(503, {"status": "starting"})
        else:
            scripted.answer(400, b"<html>Bad Request</html>", content_type="text/html")

    with pytest.raises(ServiceUnavailable):
        offer.document_file(CLINIC, SERVICE, DOCUMENT, None)
    with pytest.raises(ServiceUnavailable):
        offer.attach_document(CLINIC, SERVICE, upload(), None, '"1"')


def test_file_exchanges_fail_closed_when_catalog_does_not_answer():
    [closed] = free_ports(1)  # nothing listens there
    offer = CatalogOffer(CatalogService("catalog", f"http://127.0.0.1:{closed}", 0.5))

    with pytest.raises(ServiceUnavailable):
        offer.offered_document_file(CLINIC, SERVICE, DOCUMENT, None)
    with pytest.raises(ServiceUnavailable):
        offer.attach_document(CLINIC, SERVICE, upload(), None, '"1"')
