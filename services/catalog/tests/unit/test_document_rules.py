"""What a document upload must be to be attached to a service (catalog.domain.documents)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace

import pytest

from catalog.domain.documents import MAX_TITLE_LENGTH, Upload, check_upload, document_from

MAX = 1024
PDF = b"%PDF-1.7\n% a consent form\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"


def upload(**changes) -> Upload:
    return replace(Upload(kind="consent", title="Treatment consent", filename="consent.pdf",
                          content_type="application/pdf", content=PDF), **changes)


def fields(problems) -> list[str]:
    return [p.field for p in problems]


@pytest.mark.parametrize(("content_type", "content"), [
    ("application/pdf", PDF), ("image/png", PNG), ("image/jpeg", JPEG), ("text/plain", b"Bring trainers."),
    ("text/plain; charset=utf-8", "Aduceți pantofi sport.".encode()), ("Application/PDF", PDF),
])
def test_pdf_png_jpeg_and_utf8_text_are_accepted(content_type, content):
    assert check_upload(upload(content_type=content_type, content=content), MAX) == []


@pytest.mark.parametrize("content_type", ["application/zip", "text/html", "application/x-msdownload", "",
                                          "image/svg+xml"])
def test_any_other_content_type_is_refused_on_the_files_type(content_type):
    problems = check_upload(upload(content_type=content_type), MAX)

    assert fields(problems) == ["file.content_type"]
    assert "application/pdf" in problems[0].message


@pytest.mark.parametrize(("content_type", "content"), [
    ("application/pdf", PNG), ("image/png", PDF), ("image/jpeg", b"GIF89a"), ("text/plain", b"\xff\xfe\x00b"),
    ("text/plain", b"a\x00b"),
])
def test_a_file_that_is_not_what_its_type_says_is_refused(content_type, content):
    assert fields(check_upload(upload(content_type=content_type, content=content), MAX)) == ["file"]


def test_an_empty_file_is_refused():
    assert fields(check_upload(upload(content=b""), MAX)) == ["file"]


def test_a_file_of_exactly_the_largest_size_is_accepted():
    assert check_upload(upload(content=PDF + b"0" * (MAX - len(PDF))), MAX) == []


def test_a_file_larger_than_the_largest_size_is_refused():
    problems = check_upload(upload(content=PDF + b"0" * (MAX - len(PDF) + 1)), MAX)

    assert fields(problems) == ["file"]
    assert str(MAX) in problems[0].message


def test_an_unknown_kind_is_refused():
    assert fields(check_upload(upload(kind="invoice"), MAX)) == ["kind"]


@pytest.mark.parametrize("kind", ["consent", "preparation", "information"])
def test_consent_documents_preparation_guides_and_information_are_the_kinds(kind):
    assert check_upload(upload(kind=kind), MAX) == []


@pytest.mark.parametrize("filename", ["", "   ", "C:\\Users\\ana\\", "bad\x07name.pdf", "n" * 256])
def test_a_missing_or_unprintable_filename_is_refused(filename):
    assert fields(check_upload(upload(filename=filename), MAX)) == ["filename"]


def test_a_title_with_control_characters_or_too_long_is_refused():
    assert fields(check_upload(upload(title="x" * 201), MAX)) == ["title"]
    assert fields(check_upload(upload(title="a\nb"), MAX)) == ["title"]


def test_what_is_kept_of_an_upload(now):
    document_id = uuid.uuid4()

    kept = document_from(upload(content_type="application/pdf; qs=1", filename="/tmp/x/../consent.pdf",
                                title="  Treatment consent "), document_id, now)

    assert (kept.id, kept.kind, kept.title, kept.filename, kept.content_type, kept.size_bytes, kept.uploaded_at,
            kept.archived) == (document_id, "consent", "Treatment consent", "consent.pdf", "application/pdf",
                               len(PDF), now, False)
    assert kept.sha256 == hashlib.sha256(PDF).hexdigest()


def test_without_a_title_a_document_is_called_by_its_filename(now):
    assert document_from(upload(title=" "), uuid.uuid4(), now).title == "consent.pdf"


def test_a_filename_longer_than_a_title_names_the_document_cut_to_a_titles_length(now):
    filename = "n" * 251 + ".pdf"

    kept = document_from(upload(title="", filename=filename), uuid.uuid4(), now)

    assert (kept.title, kept.filename) == ("n" * MAX_TITLE_LENGTH, filename)
    assert check_upload(upload(title="", filename=filename), MAX) == []


def test_a_documents_file_is_kept_under_its_clinic(now):
    clinic_id = uuid.uuid4()
    kept = document_from(upload(), uuid.uuid4(), now)

    assert kept.storage_key(clinic_id) == f"{clinic_id}/{kept.id}"
