"""Where the files of attached documents are kept: an interface, and local disk as the default.

Keys are `<clinic id>/<document id>`, so every file lives under its clinic. A file is written
after its row, before the request's transaction commits; if that transaction then fails, the file
is removed again (catalog.service_layer.documents.attach_document).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

KEY = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")


class DocumentStore(Protocol):
    def put(self, key: str, content: bytes) -> None: ...
    def get(self, key: str) -> bytes | None:
        """The file stored under `key`; None when there is none."""

    def remove(self, key: str) -> None:
        """No file under `key` any more (none there is no error)."""


class LocalDiskDocumentStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def put(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside and rename, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        # Keys are made by catalog from UUIDs; anything else must never become a path.
        if not KEY.fullmatch(key):
            raise ValueError(f"not a document key: {key!r}")
        return self._root / key
