"""Calls from the gateway to the services behind it over HTTP, with the request's correlation id
and trace context, a timeout, and two ways to fail. They go straight to the services' URLs: proxy
settings in the environment (HTTP_PROXY and the like) are not for them.

- `ServiceUnavailable`: no usable answer (refused connection, timeout, 5xx, not JSON). Callers
  fail closed: the client gets a 503, never a guess.
- `Refused`: the service answered 4xx (a problem document). The gateway relays it, because the
  owning service knows best what was wrong with the request.

`JsonService.call` sends and reads JSON; `JsonService.exchange` sends a body as it is (bytes, or
a stream of known length) and gives the answer as it came, for files. Both fail the same way.

They use urllib3 directly, without requests' per-call merging of settings (a tenth of the
gateway's CPU per booking): one thread-safe pool of keep-alive connections per service and
process; a request is sent once, and once more only when its connection broke before the answer
came and sending it twice is harmless (`_repeatable`), never after a timeout; a redirect is not
followed but answered as it came (the services send none: a 3xx other than 304 is not JSON, so an
outage); HTTPS trusts the system's certificate store, where a cluster's own CA is installed.
"""

from __future__ import annotations

import json as jsonlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, BinaryIO
from urllib.parse import urlencode

import urllib3

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


@dataclass(frozen=True)
class RawReply:
    """A service's answer (2xx or 3xx, e.g. 304) as it came: a file, or JSON not yet read."""

    status: int
    content: bytes
    headers: Mapping[str, str]


class Refused(Exception):
    """A 4xx answer: the service refused the request as sent."""

    def __init__(self, service: str, reply: Reply) -> None:
        super().__init__(f"{service} answered {reply.status}")
        self.service = service
        self.reply = reply


class SizedStream:
    """A body of known length, sent as it is read: it goes with that Content-Length, block by
    block, so the gateway never holds it whole."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self._length = length

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


class JsonService:
    """One service's base URL, and the connections to it that the process's threads share."""

    def __init__(self, name: str, base_url: str, timeout: float) -> None:
        self.name = name
        self._pool = service_pool(base_url, timeout)
        self._base_path = base_path(base_url)

    def call(self, method: str, path: str, *, json: object = None, params: Mapping[str, object] | None = None,
             headers: Mapping[str, str | None] | None = None) -> Reply:
        """The service's 2xx reply; `Refused` for a 4xx, `ServiceUnavailable` for anything else."""
        sent = dict(headers or {})
        body = None
        if json is not None:
            # Bodies come from json_body, which refuses NaN and infinities: they have no JSON form.
            body = jsonlib.dumps(json, allow_nan=False).encode()
            sent["Content-Type"] = "application/json"
        return self.read_json(self.exchange(method, path, body=body, params=params, headers=sent))

    def exchange(self, method: str, path: str, *, body: bytes | SizedStream | None = None,
                 params: Mapping[str, object] | None = None,
                 headers: Mapping[str, str | None] | None = None) -> RawReply:
        """The service's 2xx or 3xx answer as it came; `Refused` for a 4xx (its problem document),
        `ServiceUnavailable` for anything else. Headers whose value is None are not sent."""
        sent = {"X-Correlation-ID": context.correlation_id()}
        traceparent = current_traceparent()
        if traceparent:
            sent["traceparent"] = traceparent
        sent.update({name: value for name, value in (headers or {}).items() if value is not None})
        if isinstance(body, SizedStream):
            sent["Content-Length"] = str(len(body))
        query = {name: value for name, value in (params or {}).items() if value is not None}
        target = self._base_path + path + (f"?{urlencode(query, doseq=True)}" if query else "")
        try:
            response = self._send(method, target, body, sent)
        except urllib3.exceptions.HTTPError as error:
            raise ServiceUnavailable(self.name, type(error).__name__) from None
        if response.status >= 500:
            raise ServiceUnavailable(self.name, f"HTTP {response.status}")
        reply = RawReply(response.status, response.data, response.headers)
        if response.status >= 400:
            raise Refused(self.name, self.read_json(reply))
        return reply

    def _send(self, method: str, target: str, body: bytes | SizedStream | None,
              headers: Mapping[str, str]) -> urllib3.BaseHTTPResponse:
        try:
            return self._pool.urlopen(method, target, body=body, headers=headers)
        except urllib3.exceptions.ProtocolError:
            # The connection broke before the answer came, most often a kept-alive one the service
            # closed (gunicorn's keepalive) just as this request went out. Sent once more, where
            # doing it twice is harmless: the pool hands out no connection the service has closed.
            if not _repeatable(method, headers, body):
                raise
            return self._pool.urlopen(method, target, body=body, headers=headers)

    def read_json(self, reply: RawReply) -> Reply:
        """`reply` with its JSON body read; `ServiceUnavailable` if it is not JSON."""
        try:
            body = jsonlib.loads(reply.content) if reply.content else None
        except ValueError:
            raise ServiceUnavailable(self.name, "answer is not JSON") from None
        return Reply(reply.status, body, reply.headers)


# Methods HTTP defines as idempotent (RFC 9110, 9.2.2): sending one twice changes nothing more.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def _repeatable(method: str, headers: Mapping[str, str], body: bytes | SizedStream | None) -> bool:
    """Whether a request that got no answer may be sent again: one with an Idempotency-Key (the
    service answers a second one with the first's outcome), or an idempotent method without
    If-Match (the first may have been applied, and the second would then be refused 412 for the
    first's own change); never a stream, which the first attempt has read."""
    if isinstance(body, SizedStream):
        return False
    if "Idempotency-Key" in headers:
        return True
    return method in IDEMPOTENT_METHODS and "If-Match" not in headers


def base_path(base_url: str) -> str:
    """The path a service's URL puts before every request's own ("" when it sits at the root)."""
    return (urllib3.util.parse_url(base_url).path or "").rstrip("/")


@cache
def service_pool(base_url: str, timeout: float) -> urllib3.HTTPConnectionPool:
    """Keep-alive connections to one of the platform's services, safe to share between threads,
    one pool per URL and timeout in the process however many adapters call the service. The
    services are on the platform's own network, at the URLs the settings name: no proxy from the
    environment is for them (urllib3 reads none). urllib3 retries nothing itself (`JsonService`
    decides) and a redirect is answered as it came."""
    return urllib3.connection_from_url(base_url, maxsize=POOL_CONNECTIONS, block=False, retries=False,
                                       timeout=urllib3.Timeout(connect=timeout, read=timeout))


# Kept open per service and process: one per gunicorn thread (clinic_runtime.gunicorn_conf), and a
# few more; a burst beyond them opens connections it then closes.
POOL_CONNECTIONS = 8


class ClinicEntries:
    """A service's entries below `/clinics/<clinic_id>`, named by `entry` (e.g.
    `/appointments/<id>`; "" is the clinic itself), relayed as the client sent them: the service
    validates every body and query and answers with its own problems (`Refused`)."""

    def __init__(self, service: JsonService) -> None:
        self._service = service

    def read(self, clinic_id: uuid.UUID, entry: str, params: Mapping[str, str] | None = None) -> Reply:
        return self._service.call("GET", f"/clinics/{clinic_id}{entry}", params=params)

    def create(self, clinic_id: uuid.UUID, entry: str, body: object, idempotency_key: str | None,
               if_match: str | None = None) -> Reply:
        """A POST (creating, or a command on an entry)."""
        return self._service.call("POST", f"/clinics/{clinic_id}{entry}", json=body,
                                  headers={"Idempotency-Key": idempotency_key, "If-Match": if_match})

    def change(self, clinic_id: uuid.UUID, entry: str, body: object, if_match: str | None) -> Reply:
        return self._service.call("PUT", f"/clinics/{clinic_id}{entry}", json=body, headers={"If-Match": if_match})

    def remove(self, clinic_id: uuid.UUID, entry: str, params: Mapping[str, str] | None = None) -> Reply:
        return self._service.call("DELETE", f"/clinics/{clinic_id}{entry}", params=params)
