"""Documents attached to a service over HTTP, their files on local disk (PostgreSQL and SQLite)."""

from __future__ import annotations

import hashlib
import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from catalog.adapters.document_store import LocalDiskDocumentStore
from clinic_contracts.events.catalog import ServiceUpsertedV1
from clinic_runtime.messaging.tables import idempotency_keys

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7\n% how to prepare for your first session\n"


def multipart(content=PDF, filename="prepare.pdf", content_type="application/pdf", **fields):
    return {"data": {"file": (io.BytesIO(content), filename, content_type), "kind": "preparation", **fields},
            "content_type": "multipart/form-data"}


@pytest.fixture
def service(catalog):
    return catalog.service()


def test_a_multipart_upload_attaches_the_document_and_changes_the_service(client, catalog, service,
                                                                          document_store_path):
    response = client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"1"'},
                           **multipart(title="How to prepare"))

    assert response.status_code == 201
    document = response.get_json()
    assert {k: v for k, v in document.items() if k not in ("id", "uploaded_at")} == {
        "kind": "preparation", "title": "How to prepare", "filename": "prepare.pdf",
        "content_type": "application/pdf", "size_bytes": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest(),
        "archived": False}
    assert response.headers["ETag"] == '"2"'
    assert response.headers["Location"] == catalog.url(f"/services/{service['id']}/documents/{document['id']}")
    assert client.get(response.headers["Location"]).get_json() == document
    assert client.get(catalog.url(f"/services/{service['id']}")).get_json()["documents"] == [document]
    assert (document_store_path / catalog.clinic["id"] / document["id"]).read_bytes() == PDF


def test_a_raw_upload_takes_the_files_own_content_type(client, catalog, service):
    response = client.post(catalog.url(f"/services/{service['id']}/documents"), data=b"Bring trainers.",
                           content_type="text/plain; charset=utf-8", headers={"If-Match": '"1"'},
                           query_string={"kind": "information", "filename": "bring.txt"})

    assert response.status_code == 201
    assert (response.get_json()["content_type"], response.get_json()["title"]) == ("text/plain", "bring.txt")


def test_a_filename_longer_than_a_title_names_the_document_cut_to_a_titles_length(client, catalog, service):
    filename = "p" * 240 + ".pdf"

    response = client.post(catalog.url(f"/services/{service['id']}/documents"), data=PDF,
                           content_type="application/pdf", headers={"If-Match": '"1"'},
                           query_string={"kind": "preparation", "filename": filename})

    assert response.status_code == 201
    assert (response.get_json()["title"], response.get_json()["filename"]) == ("p" * 200, filename)


def test_the_document_is_downloaded_as_uploaded(client, catalog, service):
    document = client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"1"'},
                           **multipart()).get_json()

    response = client.get(catalog.url(f"/services/{service['id']}/documents/{document['id']}/content"))

    assert (response.status_code, response.data, response.mimetype) == (200, PDF, "application/pdf")
    assert response.headers["Content-Disposition"] == "attachment; filename=prepare.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_attaching_publishes_the_services_snapshot_with_the_document(client, catalog, service, stored):
    document = client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"1"'},
                           **multipart()).get_json()

    latest = stored.envelopes("catalog.service.upserted.v1")[-1].payload(ServiceUpsertedV1)
    assert latest.version == 2
    assert [(str(d.document_id), d.sha256) for d in latest.documents] == [(document["id"], document["sha256"])]


def test_an_upload_needs_the_services_current_etag(client, catalog, service, stored):
    missing = client.post(catalog.url(f"/services/{service['id']}/documents"), **multipart())
    stale = client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"9"'},
                        **multipart())

    assert (missing.status_code, stale.status_code) == (428, 412)
    assert stored.count("documents") == 0


def test_an_oversized_document_is_refused_and_nothing_is_written(client, catalog, service, stored, fields_of,
                                                                 document_store_path):
    before = stored.counts()

    response = client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"1"'},
                           **multipart(content=PDF + b"0" * (10 * 1024 * 1024)))

    assert (response.status_code, fields_of(response)) == (422, ["file"])
    assert stored.counts() == before
    assert not document_store_path.exists()


def test_a_body_far_beyond_the_limit_is_refused_before_it_is_read(catalog_database, catalog_environment, build_app,
                                                                 monkeypatch, clinic_body, fields_of):
    monkeypatch.setenv("DOCUMENT_MAX_BYTES", "1024")
    client = build_app().test_client()
    clinic = client.post("/clinics", json=clinic_body()).get_json()
    service = client.post(f"/clinics/{clinic['id']}/services", json={
        "name": "Massage", "duration_minutes": 30, "price": {"amount_minor": 100, "currency": "RON"}}).get_json()

    response = client.post(f"/clinics/{clinic['id']}/services/{service['id']}/documents",
                           headers={"If-Match": '"1"', "Idempotency-Key": "too-big"},
                           **multipart(content=PDF + b"0" * 200_000))

    assert (response.status_code, fields_of(response)) == (422, ["file"])
    assert "1024 bytes" in response.get_json()["errors"][0]["message"]


@pytest.mark.parametrize(("upload", "field"), [
    ({"content_type": "application/zip", "filename": "prepare.zip"}, "file.content_type"),
    ({"content_type": "text/html", "content": b"<script>alert(1)</script>"}, "file.content_type"),
    ({"content_type": "image/png"}, "file"),
    ({"content": b""}, "file"),
])
def test_a_wrong_or_lying_content_type_is_refused_and_nothing_is_written(client, catalog, service, stored, fields_of,
                                                                        upload, field):
    before = stored.counts()

    response = client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"1"'},
                           **multipart(**upload))

    assert (response.status_code, fields_of(response)) == (422, [field])
    assert stored.counts() == before


def test_a_raw_upload_of_json_is_a_wrong_content_type(client, catalog, service, fields_of):
    response = client.post(catalog.url(f"/services/{service['id']}/documents"), json={"kind": "consent"},
                           headers={"If-Match": '"1"'}, query_string={"kind": "consent", "filename": "c.json"})

    assert (response.status_code, fields_of(response)) == (422, ["file.content_type"])


def test_a_multipart_upload_without_its_file_is_refused(client, catalog, service, fields_of):
    response = client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"1"'},
                           data={"kind": "consent"}, content_type="multipart/form-data")

    assert (response.status_code, fields_of(response)) == (422, ["file"])


def test_a_replayed_upload_attaches_the_document_once(client, catalog, service, stored):
    # A retry resends the same bytes; for multipart that includes the boundary.
    content_type, body = "multipart/form-data; boundary=retry-boundary", encode_multipart(
        {"file": FileStorage(io.BytesIO(PDF), "prepare.pdf", content_type="application/pdf"), "kind": "preparation"},
        boundary="retry-boundary")[1]
    headers = {"If-Match": '"1"', "Idempotency-Key": "upload-prepare-1"}

    first = client.post(catalog.url(f"/services/{service['id']}/documents"), headers=headers, data=body,
                        content_type=content_type)
    replay = client.post(catalog.url(f"/services/{service['id']}/documents"), headers=headers, data=body,
                         content_type=content_type)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert stored.count("documents") == 1


def test_an_upload_undone_after_its_file_was_stored_takes_the_file_back(
        postgres_url, catalog_environment, build_app, clinic_body, document_store_path,
        until_a_request_waits_on_a_lock):
    """A duplicate committing the Idempotency-Key first undoes this upload's transaction once its
    file is stored (the key is stored last): the file goes with it."""
    catalog_environment(postgres_url)
    client = build_app().test_client()
    clinic = client.post("/clinics", json=clinic_body()).get_json()
    service = client.post(f"/clinics/{clinic['id']}/services", json={
        "name": "Physiotherapy session", "duration_minutes": 50,
        "price": {"amount_minor": 20000, "currency": "RON"}}).get_json()
    path = f"/clinics/{clinic['id']}/services/{service['id']}/documents"
    asked = f"{path}?kind=preparation&filename=prepare.pdf"
    theirs = {"scope": " " + hashlib.sha256(f"POST {path}".encode()).hexdigest(), "key": "upload-prepare-1",
              "request_fingerprint": hashlib.sha256(asked.encode() + b"\n" + PDF).hexdigest(),
              "status_code": 201, "response_body": '{"id": "the first upload"}', "response_headers": "{}",
              "created_at": datetime.now(UTC)}
    engine = sa.create_engine(postgres_url)
    with engine.connect() as first, ThreadPoolExecutor(1) as pool:
        first.execute(sa.insert(idempotency_keys).values(theirs))  # not committed yet
        answer = pool.submit(client.post, asked, data=PDF, content_type="application/pdf",
                             headers={"If-Match": '"1"', "Idempotency-Key": "upload-prepare-1"})
        until_a_request_waits_on_a_lock(engine)
        first.commit()
        response = answer.result(timeout=30)
    engine.dispose()

    assert (response.status_code, response.get_json()) == (201, {"id": "the first upload"})
    assert client.get(f"/clinics/{clinic['id']}/services/{service['id']}").get_json()["documents"] == []
    assert [path for path in document_store_path.rglob("*") if path.is_file()] == []


def test_an_archived_document_stays_downloadable_and_listed_as_archived(client, catalog, service):
    document = client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"1"'},
                           **multipart()).get_json()
    url = catalog.url(f"/services/{service['id']}/documents/{document['id']}")

    archived = client.post(f"{url}/archive", headers={"If-Match": '"2"'})

    assert (archived.status_code, archived.get_json()["archived"], archived.headers["ETag"]) == (200, True, '"3"')
    assert client.get(f"{url}/content").data == PDF
    assert client.get(catalog.url(f"/services/{service['id']}")).get_json()["documents"][0]["archived"] is True


def test_an_unknown_document_is_a_404(client, catalog, service):
    assert client.get(catalog.url(f"/services/{service['id']}/documents/{uuid.uuid4()}/content")).status_code == 404


# -- the local-disk store itself --------------------------------------------------------------


def test_the_local_disk_store_keeps_files_under_their_clinic(tmp_path):
    store = LocalDiskDocumentStore(tmp_path)
    key = f"{uuid.uuid4()}/{uuid.uuid4()}"

    store.put(key, PDF)

    assert store.get(key) == PDF
    assert (tmp_path / key).read_bytes() == PDF
    assert [p.name for p in (tmp_path / key).parent.iterdir()] == [key.split("/")[1]]


def test_the_local_disk_store_has_nothing_under_an_unknown_key(tmp_path):
    assert LocalDiskDocumentStore(tmp_path).get(f"{uuid.uuid4()}/{uuid.uuid4()}") is None


@pytest.mark.parametrize("key", ["../etc/passwd", "a/b", f"{uuid.uuid4()}/../../x", f"/{uuid.uuid4()}"])
def test_the_local_disk_store_never_turns_anything_but_a_document_key_into_a_path(tmp_path, key):
    with pytest.raises(ValueError):
        LocalDiskDocumentStore(tmp_path / "store").put(key, PDF)
    assert not (tmp_path / "store").exists()
