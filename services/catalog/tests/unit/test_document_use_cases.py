"""Attaching, archiving and fetching a service's documents (catalog.service_layer.documents)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from catalog.domain.documents import Upload
from catalog.service_layer.documents import (
    archive_document,
    attach_document,
    document_file,
    offered_document_file,
    read_document,
)
from catalog.service_layer.services import add_service, archive_service
from clinic_contracts.events.catalog import ServiceUpsertedV1
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion

MAX = 1024
PDF = b"%PDF-1.7 preparation guide"


def upload(**changes) -> Upload:
    return Upload(**{"kind": "preparation", "title": "How to prepare", "filename": "prepare.pdf",
                     "content_type": "application/pdf", "content": PDF, **changes})


@pytest.fixture
def attached(uow, files, service, now):
    changed, document = attach_document(uow, files, service.clinic_id, service.id, upload(), 1, MAX, now)
    uow.published.clear()
    return changed, document


def test_attaching_stores_the_file_and_publishes_the_service_with_the_document(uow, files, service, later):
    changed, document = attach_document(uow, files, service.clinic_id, service.id, upload(), 1, MAX, later)

    assert files.files == {f"{service.clinic_id}/{document.id}": PDF}
    assert changed.version == 2
    assert uow.services.get(service.clinic_id, service.id).documents == (document,)
    [(event, _)] = uow.published
    assert isinstance(event, ServiceUpsertedV1)
    assert [(d.document_id, d.kind, d.content_type, d.size_bytes) for d in event.documents] == [
        (document.id, "preparation", "application/pdf", len(PDF))]


@pytest.mark.parametrize(("changes", "field"), [
    ({"content": PDF + b"x" * MAX}, "file"),
    ({"content_type": "application/zip"}, "file.content_type"),
    ({"kind": "invoice"}, "kind"),
])
def test_a_refused_upload_stores_no_file_and_publishes_nothing(uow, files, service, later, changes, field):
    with pytest.raises(Invalid) as refused:
        attach_document(uow, files, service.clinic_id, service.id, upload(**changes), 1, MAX, later)

    assert [p.field for p in refused.value.problems] == [field]
    assert files.files == {}
    assert uow.services.get(service.clinic_id, service.id) == service
    assert uow.published == []


def test_an_upload_based_on_a_stale_service_version_is_refused_before_storing_anything(uow, files, attached, later):
    service, _ = attached

    with pytest.raises(StaleVersion):
        attach_document(uow, files, service.clinic_id, service.id, upload(), 1, MAX, later)

    assert len(files.files) == 1


def test_an_upload_that_loses_the_race_to_another_writer_stores_no_file(uow, files, service, later):
    theirs = service.change(replace(service.details, name="Massage"), later)
    uow.services.someone_else_saves_first(theirs)

    with pytest.raises(StaleVersion) as refused:
        attach_document(uow, files, service.clinic_id, service.id, upload(), 1, MAX, later)

    assert refused.value.current == 2
    assert files.files == {}


def test_an_upload_whose_transaction_does_not_commit_takes_its_file_back(uow, files, service, later):
    attach_document(uow, files, service.clinic_id, service.id, upload(), 1, MAX, later)

    uow.roll_back()

    assert files.files == {}


def test_an_archived_service_gets_no_documents(uow, files, service, later):
    archive_service(uow, service.clinic_id, service.id, 1, later)

    with pytest.raises(Invalid):
        attach_document(uow, files, service.clinic_id, service.id, upload(), 2, MAX, later)

    assert files.files == {}


def test_another_clinics_service_gets_no_document(uow, files, service, other_clinic, later):
    with pytest.raises(NotFound):
        attach_document(uow, files, other_clinic.id, service.id, upload(), 1, MAX, later)


def test_archiving_a_document_publishes_the_service_with_it_archived(uow, attached, later):
    service, document = attached

    changed, archived = archive_document(uow, service.clinic_id, service.id, document.id, 2, later)

    assert (archived.id, archived.archived, changed.version) == (document.id, True, 3)
    assert [[d.archived for d in e.documents] for e, _ in uow.published] == [[True]]


def test_an_unknown_document_is_not_found(uow, attached, later):
    service, _ = attached

    with pytest.raises(NotFound) as refused:
        archive_document(uow, service.clinic_id, service.id, uuid.uuid4(), 2, later)

    assert refused.value.what == "document"


def test_a_document_is_found_only_under_its_own_service(uow, attached, service_details, reference, now):
    service, document = attached
    other = add_service(uow, service.clinic_id, service_details(name="Massage"), reference, now)

    with pytest.raises(NotFound):
        read_document(uow, service.clinic_id, other.id, document.id)


def test_the_file_of_a_document_is_what_was_uploaded_even_once_archived(uow, files, attached, later):
    service, document = attached
    archive_document(uow, service.clinic_id, service.id, document.id, 2, later)

    assert document_file(uow, files, service.clinic_id, service.id, document.id)[1] == PDF


def test_patients_fetch_only_active_documents_of_offered_services(uow, files, attached, later):
    service, document = attached
    assert offered_document_file(uow, files, service.clinic_id, service.id, document.id)[1] == PDF

    archive_document(uow, service.clinic_id, service.id, document.id, 2, later)

    with pytest.raises(NotFound):
        offered_document_file(uow, files, service.clinic_id, service.id, document.id)


def test_a_file_the_store_lost_is_an_error_of_ours_not_a_missing_document(uow, attached):
    service, document = attached

    with pytest.raises(RuntimeError):
        document_file(uow, FakeEmptyStore(), service.clinic_id, service.id, document.id)


class FakeEmptyStore:
    def put(self, key: str, content: bytes) -> None:
        raise AssertionError("nothing is stored here")

    def get(self, key: str) -> bytes | None:
        return None

    def remove(self, key: str) -> None:
        raise AssertionError("nothing is stored here")
