"""Calls from the gateway to the services behind it: JSON over HTTP, with the request's
correlation id and trace context, a timeout, and two ways to fail.

- `ServiceUnavailable`: no usable answer (refused connection, timeout, 5xx, not JSON). Callers
  fail closed: the client gets a 503, never a guess.
- `Refused`: the service answered 4xx (a problem document). The gateway relays it, because the
  owning service knows best what was wrong with the request.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from clinic_runtime import context
from clinic_runtime.tracing import current_traceparent


class ServiceUnavailable(Exception):
    def __init__(self, service: str, why: str) -> None:
        super().__init__(f"{service} is unavailable: {why}")
        self.service = service


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")


class Refused(Exception):
    """A 4xx answer: the service refused the request as sent."""

    def __init__(self, service: str, reply: Reply) -> None:
        super().__init__(f"{service} answered {reply.status}")
        self.service = service
        self.reply = reply


class JsonService:
    """One service's base URL. A connection pool per thread: requests' sessions are not
    documented as thread-safe, and gunicorn serves each process with several threads."""

    def __init__(self, name: str, base_url: str, timeout: float) -> None:
        self.name = name
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()

    def call(self, method: str, path: str, *, json: object = None, params: Mapping[str, object] | None = None,
             headers: Mapping[str, str | None] | None = None) -> Reply:
        """The service's 2xx reply; `Refused` for a 4xx, `ServiceUnavailable` for anything else."""
        sent = {"X-Correlation-ID": context.correlation_id()}
        traceparent = current_traceparent()
        if traceparent:
            sent["traceparent"] = traceparent
        sent.update({name: value for name, value in (headers or {}).items() if value is not None})
        try:
            response = self._session().request(method, self._base_url + path, json=json, params=params,
                                               headers=sent, timeout=self._timeout)
        except requests.RequestException as error:
            raise ServiceUnavailable(self.name, type(error).__name__) from None
        if response.status_code >= 500:
            raise ServiceUnavailable(self.name, f"HTTP {response.status_code}")
        try:
            body = response.json() if response.content else None
        except ValueError:
            raise ServiceUnavailable(self.name, "answer is not JSON") from None
        reply = Reply(response.status_code, body, response.headers)
        if response.status_code >= 400:
            raise Refused(self.name, reply)
        return reply

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session
