"""A local HTTP server answering what each test scripts, for the gateway's upstream clients."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class Scripted:
    """Answers with the responses queued in `answers`, and keeps every request it got."""

    def __init__(self) -> None:
        self.answers: list[Response] = []
        self.received: list[tuple[str, str, dict[str, str], bytes]] = []
        self.raw_paths: list[str] = []

    def answer(self, status: int, body: object = None, content_type: str = "application/json", **headers: str):
        """`body` as JSON, or sent as it is when it is text or bytes already."""
        content = body if isinstance(body, str | bytes) else json.dumps(body)
        self.answers.append(Response(content, status, headers, content_type=content_type))

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.raw_paths.append(environ["RAW_URI"])
        self.received.append((request.method, request.full_path.rstrip("?"), dict(request.headers), request.get_data()))
        return self.answers.pop(0)(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[list[Scripted], str]]:
    """One server for the module (stopping one takes half a second); each test scripts it anew."""
    current: list[Scripted] = []
    served = make_server("127.0.0.1", 0, lambda environ, start: current[-1](environ, start), threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield current, f"http://127.0.0.1:{served.server_port}"
    served.shutdown()
    thread.join()
