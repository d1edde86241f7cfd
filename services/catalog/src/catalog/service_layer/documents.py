"""Use cases on the documents attached to a service (part of the service: each upload or archive
is a change of the service, published as its new snapshot)."""

from __future__ import annotations

import uuid
from datetime import datetime

from catalog.adapters.document_store import DocumentStore
from catalog.domain.documents import Upload, check_upload, document_from
from catalog.domain.errors import RuleBroken
from catalog.domain.services import Document, Service
from catalog.service_layer import entries
from catalog.service_layer.clinics import clinic
from catalog.service_layer.services import SERVICES, offered_service
from catalog.service_layer.unit_of_work import UnitOfWork
from clinic_contracts import uuid7
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion


def attach_document(uow: UnitOfWork, files: DocumentStore, clinic_id: uuid.UUID, service_id: uuid.UUID,
                    upload: Upload, expected_version: int, max_bytes: int, now: datetime) -> tuple[Service, Document]:
    """The changed service and the attached document. The file is stored last, once the row is
    written (a refused or stale upload stops before), and removed again if the request's
    transaction does not commit after all: no file is left that no row points to."""
    held = _service_at(uow, clinic_id, service_id, expected_version)
    entries.valid(check_upload(upload, max_bytes))
    document = document_from(upload, uuid7(), now)
    try:
        changed = held.attach(document, now)
    except RuleBroken as broken:
        raise Invalid([broken]) from None
    stored = entries.store(uow, SERVICES, held, changed, SERVICES.upserted)
    key = document.storage_key(clinic_id)
    files.put(key, upload.content)
    uow.on_rollback(lambda: files.remove(key))
    return stored, document


def archive_document(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID,
                     expected_version: int, now: datetime) -> tuple[Service, Document]:
    """Archived documents stay downloadable: a patient's signed consent may refer to one."""
    held = _service_at(uow, clinic_id, service_id, expected_version, document_id)
    try:
        changed = held.archive_document(document_id, now)
    except RuleBroken as broken:
        raise Invalid([broken]) from None
    stored = entries.store(uow, SERVICES, held, changed, SERVICES.upserted)
    return stored, stored.document(document_id)


def read_document(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID,
                  document_id: uuid.UUID) -> tuple[Service, Document]:
    service = entries.read(uow, SERVICES, clinic_id, service_id)
    document = service.document(document_id)
    if document is None:
        raise NotFound("document")
    return service, document


def document_file(uow: UnitOfWork, files: DocumentStore, clinic_id: uuid.UUID, service_id: uuid.UUID,
                  document_id: uuid.UUID) -> tuple[Document, bytes]:
    _, document = read_document(uow, clinic_id, service_id, document_id)
    content = files.get(document.storage_key(clinic_id))
    if content is None:
        # The row exists, so the file was stored: the store lost it. Not the client's fault.
        raise RuntimeError(f"the file of document {document_id} is missing from the document store")
    return document, content


def _service_at(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID, expected_version: int,
                document_id: uuid.UUID | None = None) -> Service:
    clinic(uow, clinic_id)
    held = entries.held_entry(uow, SERVICES, clinic_id, service_id)
    if document_id is not None and held.document(document_id) is None:
        raise NotFound("document")
    if held.version != expected_version:
        raise StaleVersion(held.version)
    return held


def offered_document_file(uow: UnitOfWork, files: DocumentStore, clinic_id: uuid.UUID, service_id: uuid.UUID,
                          document_id: uuid.UUID) -> tuple[Document, bytes]:
    """A document as patients may fetch it: active, of an offered service (NotFound otherwise)."""
    offered_service(uow, clinic_id, service_id)
    document, content = document_file(uow, files, clinic_id, service_id, document_id)
    if document.archived:
        raise NotFound("document")
    return document, content
