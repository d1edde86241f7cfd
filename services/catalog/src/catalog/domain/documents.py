"""Uploading a document to attach to a service: what is accepted, and what is kept about it."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from catalog.domain.errors import RuleBroken
from catalog.domain.services import Document

DOCUMENT_KINDS = ("consent", "preparation", "information")
MAX_TITLE_LENGTH = 200
MAX_FILENAME_LENGTH = 255
# What patients' devices open without help, with how each file must begin (None: any text).
# The declared type alone is the client's word; the first bytes are the file's.
SIGNATURES: dict[str, bytes | None] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "text/plain": None,
}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Upload:
    kind: str
    title: str
    filename: str
    content_type: str
    content: bytes


def media_type(content_type: str) -> str:
    """`text/plain; charset=utf-8` -> `text/plain`."""
    return content_type.split(";", 1)[0].strip().lower()


def filename_of(name: str) -> str:
    """The name without any directory a browser may send (C:\\Users\\...\\guide.pdf -> guide.pdf)."""
    return re.split(r"[\\/]", name)[-1].strip()


def check_upload(upload: Upload, max_bytes: int) -> list[RuleBroken]:
    problems = []
    if upload.kind not in DOCUMENT_KINDS:
        problems.append(RuleBroken("kind", f"must be one of {', '.join(DOCUMENT_KINDS)}"))
    if len(upload.title) > MAX_TITLE_LENGTH or CONTROL_CHARACTERS.search(upload.title):
        problems.append(RuleBroken("title", f"use at most {MAX_TITLE_LENGTH} printable characters"))
    filename = filename_of(upload.filename)
    if not filename or len(filename) > MAX_FILENAME_LENGTH or CONTROL_CHARACTERS.search(filename):
        problems.append(RuleBroken("filename", f"name the file in 1-{MAX_FILENAME_LENGTH} printable characters"))
    problems.extend(_check_file(upload.content, media_type(upload.content_type), max_bytes))
    return problems


def _check_file(content: bytes, declared: str, max_bytes: int) -> list[RuleBroken]:
    if declared not in SIGNATURES:
        return [RuleBroken("file.content_type",
                           f"{declared or 'no type'} is not accepted; send one of {', '.join(SIGNATURES)}")]
    if not content:
        return [RuleBroken("file", "is empty")]
    if len(content) > max_bytes:
        return [RuleBroken("file", f"is larger than {max_bytes} bytes")]
    signature = SIGNATURES[declared]
    if signature is not None and not content.startswith(signature):
        return [RuleBroken("file", f"is not a {declared} file")]
    if signature is None and not _is_text(content):
        return [RuleBroken("file", "is not UTF-8 text")]
    return []


def _is_text(content: bytes) -> bool:
    try:
        return "\x00" not in content.decode("utf-8")
    except UnicodeDecodeError:
        return False


def document_from(upload: Upload, document_id: uuid.UUID, now: datetime) -> Document:
    """What is kept about an accepted upload; the title defaults to the file's name, cut to a
    title's length (a file's name may be longer)."""
    filename = filename_of(upload.filename)
    return Document(
        id=document_id, kind=upload.kind, title=upload.title.strip() or filename[:MAX_TITLE_LENGTH],
        filename=filename, content_type=media_type(upload.content_type), size_bytes=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(), uploaded_at=now,
    )
