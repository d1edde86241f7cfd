"""A fake Zoom: a real HTTP server on a free local port that speaks the parts of Zoom's API that
scheduling uses, as Zoom documents them, so the tests drive the real ZoomMeetings over HTTP.

- `POST /oauth/token`: Server-to-Server OAuth. Checks HTTP Basic client id and secret, the grant
  type `account_credentials` and the account id (query string or form body, as Zoom takes both);
  issues opaque tokens that expire after `token_lifetime` seconds.
- `POST /v2/users/me/meetings`, `GET|PATCH|DELETE /v2/meetings/{id}`: check the Bearer token
  (401 code 124 when unknown or expired), validate the body like Zoom (400 code 300), keep the
  meetings, answer 201 with the meeting / 200 / 204, and 404 code 3001 for an unknown meeting.

Tests script trouble: `fail_next` (429 with Retry-After, 5xx) and `stall_next` (answer late, for
timeouts) for the next requests to one endpoint, and `revoke_tokens` (the next call gets 401).
"""

from __future__ import annotations

import base64
import itertools
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

ACCOUNT_ID = "fake-account-7Qp2"
CLIENT_ID = "fake-client-id-3bX9"
CLIENT_SECRET = "fake-client-secret-do-not-log-5s8K"
UTC_START = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@dataclass
class Trouble:
    status: int
    retry_after: str | None = None
    stall_seconds: float = 0.0
    message: str = "Internal server error."


@dataclass
class FakeZoom:
    base_url: str = ""
    token_lifetime: int = 3599
    meetings: dict[int, dict] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    received: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request
    _trouble: dict[str, list[Trouble]] = field(default_factory=lambda: {"oauth": [], "api": []})
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(85_746_065_432))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- scripting --

    def fail_next(self, count: int, status: int, *, retry_after: str | None = None, endpoint: str = "api",
                  message: str = "Internal server error.") -> None:
        self._trouble[endpoint].extend(Trouble(status, retry_after, message=message) for _ in range(count))

    def stall_next(self, seconds: float, *, endpoint: str = "api", count: int = 1) -> None:
        """The next requests are served normally but answered only after `seconds`."""
        self._trouble[endpoint].extend(Trouble(0, stall_seconds=seconds) for _ in range(count))

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def token_requests(self) -> int:
        return sum(1 for _, path in self.received if path == "/oauth/token")

    def api_requests(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path in self.received if path.startswith("/v2/")]

    def _take_trouble(self, endpoint: str) -> Trouble | None:
        with self._lock:
            queue = self._trouble[endpoint]
            return queue.pop(0) if queue else None

    # -- the app --

    @cached_property
    def app(self) -> Flask:
        app = Flask("fake_zoom")

        @app.before_request
        def record_and_misbehave():
            self.received.append((request.method, request.path))
            trouble = self._take_trouble("oauth" if request.path == "/oauth/token" else "api")
            if trouble is None:
                return None
            if trouble.stall_seconds:
                time.sleep(trouble.stall_seconds)
                return None
            headers = {"Retry-After": trouble.retry_after} if trouble.retry_after else {}
            if trouble.status == 429:
                return jsonify(code=429, message="You have reached the maximum per-second rate limit."), 429, headers
            code = {400: 300, 401: 124, 404: 3001}.get(trouble.status, trouble.status)
            return jsonify(code=code, message=trouble.message), trouble.status, headers

        @app.post("/oauth/token")
        def issue_token():
            auth = request.headers.get("Authorization", "")
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if auth != f"Basic {expected}":
                return jsonify(reason="Invalid client_id or client_secret", error="invalid_client"), 401
            if request.values.get("grant_type") != "account_credentials":
                return jsonify(reason="unsupported grant type", error="unsupported_grant_type"), 400
            if request.values.get("account_id") != ACCOUNT_ID:
                return jsonify(reason="Invalid account_id", error="invalid_request"), 400
            token = secrets.token_urlsafe(24)
            self.tokens[token] = time.monotonic() + self.token_lifetime
            return jsonify(access_token=token, token_type="bearer", expires_in=self.token_lifetime,
                           scope="meeting:write:admin meeting:read:admin", api_url=self.base_url)

        def unauthorized():
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            expiry = self.tokens.get(token)
            if expiry is None or expiry <= time.monotonic():
                return jsonify(code=124, message="Invalid access token."), 401
            return None

        def invalid(body: object, *, creating: bool) -> str | None:
            if not isinstance(body, dict):
                return "Request Body should be a valid JSON object."
            required = ("topic", "type", "start_time", "duration", "timezone") if creating else ()
            if missing := [name for name in required if name not in body]:
                return f"Missing fields: {missing}"
            checks = {
                "topic": lambda v: isinstance(v, str) and 0 < len(v) <= 200,
                "type": lambda v: v == 2,
                "start_time": lambda v: isinstance(v, str) and UTC_START.fullmatch(v) is not None,
                "duration": lambda v: isinstance(v, int) and v > 0,
                "timezone": lambda v: isinstance(v, str) and "/" in v or v == "UTC",
                "agenda": lambda v: isinstance(v, str) and len(v) <= 2000,
                "settings": lambda v: isinstance(v, dict) and v.get("waiting_room") in (True, False, None),
            }
            for name, value in body.items():
                if name in checks and not checks[name](value):
                    return f"Invalid field: {name}."
            return None

        def not_found(meeting_id: int):
            return jsonify(code=3001, message=f"Meeting does not exist: {meeting_id}."), 404

        @app.post("/v2/users/me/meetings")
        def create_meeting():
            if refusal := unauthorized():
                return refusal
            body = request.get_json(silent=True)
            if problem := invalid(body, creating=True):
                return jsonify(code=300, message=problem), 400
            meeting_id = next(self._ids)
            meeting = {
                **body, "id": meeting_id, "uuid": secrets.token_urlsafe(16), "host_id": "fake-host",
                "status": "waiting", "created_at": "2026-11-21T09:00:00Z",
                "join_url": f"{self.base_url}/j/{meeting_id}?pwd={secrets.token_urlsafe(8)}",
                "start_url": f"{self.base_url}/s/{meeting_id}?zak={secrets.token_urlsafe(16)}",
            }
            self.meetings[meeting_id] = meeting
            return jsonify(meeting), 201

        @app.get("/v2/meetings/<int:meeting_id>")
        def read_meeting(meeting_id: int):
            if refusal := unauthorized():
                return refusal
            if meeting_id not in self.meetings:
                return not_found(meeting_id)
            return jsonify(self.meetings[meeting_id])

        @app.patch("/v2/meetings/<int:meeting_id>")
        def update_meeting(meeting_id: int):
            if refusal := unauthorized():
                return refusal
            if meeting_id not in self.meetings:
                return not_found(meeting_id)
            body = request.get_json(silent=True)
            if problem := invalid(body, creating=False):
                return jsonify(code=300, message=problem), 400
            self.meetings[meeting_id].update(body)
            return "", 204

        @app.delete("/v2/meetings/<int:meeting_id>")
        def delete_meeting(meeting_id: int):
            if refusal := unauthorized():
                return refusal
            if self.meetings.pop(meeting_id, None) is None:
                return not_found(meeting_id)
            return "", 204

        return app


@pytest.fixture(scope="module")
def zoom_server() -> Iterator[tuple[list[FakeZoom], str]]:
    """One server per module (stopping one takes a moment); each test gets a fresh FakeZoom."""
    current: list[FakeZoom] = []
    served = make_server("127.0.0.1", 0, lambda environ, start: current[-1].app(environ, start), threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield current, f"http://127.0.0.1:{served.server_port}"
    served.shutdown()
    thread.join()


@pytest.fixture
def fake_zoom(zoom_server) -> FakeZoom:
    current, url = zoom_server
    current.append(FakeZoom(base_url=url))
    return current[-1]
