"""Routes of the documents attached to a service. A document is part of its service: uploading
or archiving one takes the service's ETag in If-Match and answers with the service's new one.

Upload either as multipart/form-data (the file in field `file`, plus `kind` and optional `title`)
or as the raw file with its own Content-Type and `?kind=&filename=&title=`.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, current_app, request, send_file
from werkzeug.exceptions import RequestEntityTooLarge

from catalog.adapters.document_store import DocumentStore, LocalDiskDocumentStore
from catalog.domain.documents import Upload
from catalog.entrypoints.services import document_representation
from catalog.service_layer import documents as use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from catalog.settings import Settings
from clinic_runtime.db import utcnow
from clinic_runtime.problems import FieldError, validation_problem
from clinic_runtime.web import db, etag, expected_version, idempotent

blueprint = Blueprint("documents", __name__)
# Room for the multipart envelope around a file of the largest accepted size.
MULTIPART_ALLOWANCE = 64 * 1024


def store_from(settings: Settings) -> DocumentStore:
    return LocalDiskDocumentStore(settings.resolved_document_store_path())


def _files() -> DocumentStore:
    return current_app.config["document_store"]


def _max_bytes() -> int:
    return current_app.config["settings"].document_max_bytes


def bounded_upload(view: Callable[..., Response | tuple]) -> Callable[..., Response | tuple]:
    """Stop reading a body far larger than any accepted document (before anything else reads it,
    Idempotency-Key's fingerprint included), answering 422 like any other oversized file."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = _max_bytes() + MULTIPART_ALLOWANCE
        try:
            return view(*args, **kwargs)
        except RequestEntityTooLarge:
            raise validation_problem([FieldError("file", f"is larger than {_max_bytes()} bytes")]) from None

    return wrapper


@blueprint.post("/clinics/<uuid:clinic_id>/services/<uuid:service_id>/documents")
@bounded_upload
@idempotent
def attach_document(clinic_id: uuid.UUID, service_id: uuid.UUID):
    expected = expected_version()
    service, document = use_cases.attach_document(SqlUnitOfWork(db()), _files(), clinic_id, service_id, _upload(),
                                                  expected, _max_bytes(), utcnow())
    return document_representation(document), 201, {
        "Location": f"/clinics/{clinic_id}/services/{service_id}/documents/{document.id}",
        "ETag": etag(service.version)}


@blueprint.get("/clinics/<uuid:clinic_id>/services/<uuid:service_id>/documents/<uuid:document_id>")
def read_document(clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID):
    service, document = use_cases.read_document(SqlUnitOfWork(db()), clinic_id, service_id, document_id)
    return document_representation(document), 200, {"ETag": etag(service.version)}


@blueprint.get("/clinics/<uuid:clinic_id>/services/<uuid:service_id>/documents/<uuid:document_id>/content")
def download_document(clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID):
    """The file, archived or not (a signed consent may refer to an archived one)."""
    document, content = use_cases.document_file(SqlUnitOfWork(db()), _files(), clinic_id, service_id, document_id)
    return file_response(document.content_type, document.filename, document.sha256, content)


@blueprint.post("/clinics/<uuid:clinic_id>/services/<uuid:service_id>/documents/<uuid:document_id>/archive")
def archive_document(clinic_id: uuid.UUID, service_id: uuid.UUID, document_id: uuid.UUID):
    service, document = use_cases.archive_document(SqlUnitOfWork(db()), clinic_id, service_id, document_id,
                                                   expected_version(), utcnow())
    return document_representation(document), 200, {"ETag": etag(service.version)}


def file_response(content_type: str, filename: str, sha256: str, content: bytes) -> Response:
    response = send_file(io.BytesIO(content), mimetype=content_type, as_attachment=True, download_name=filename,
                         etag=sha256, max_age=0)
    # Browsers must not second-guess the type: a text file never runs as a page.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _upload() -> Upload:
    if request.mimetype == "multipart/form-data":
        file = request.files.get("file")
        if file is None:
            raise validation_problem([FieldError("file", "send the document in the form field 'file'")])
        return Upload(kind=request.form.get("kind", ""), title=request.form.get("title", ""),
                      filename=file.filename or "", content_type=file.content_type or "", content=file.read())
    return Upload(kind=request.args.get("kind", ""), title=request.args.get("title", ""),
                  filename=request.args.get("filename", ""), content_type=request.content_type or "",
                  content=request.get_data())
