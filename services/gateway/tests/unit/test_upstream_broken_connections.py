"""A kept-alive connection the service closes just as the gateway's next request goes out (the
race with gunicorn's keepalive timer): the request is sent once more on a fresh connection when
sending it twice is harmless, and is an outage (503) otherwise."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator

import pytest

from gateway.adapters.upstream import JsonService, ServiceUnavailable, SizedStream

ANSWER = b'{"ok": true}'


class ClosingOnSecondRequest:
    """An HTTP/1.1 server that answers the first request on each connection, keeps the connection
    open, and closes it without answering when a second request arrives on it."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.connections = 0
        self.answered: list[bytes] = []  # request lines
        self.dropped: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as requests:
            for number in (1, 2):
                request_line = requests.readline()
                if not request_line:
                    return
                length = 0
                while (line := requests.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                requests.read(length)
                if number == 2:
                    self.dropped.append(request_line)
                    return
                self.answered.append(request_line)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER))


@pytest.fixture
def service() -> Iterator[ClosingOnSecondRequest]:
    server = ClosingOnSecondRequest()
    yield server
    server.close()


def kept_alive(service: ClosingOnSecondRequest) -> JsonService:
    """A client whose pooled connection the service will close on its next request."""
    client = JsonService("scheduling", service.url, 2)
    client.call("GET", "/warm")
    return client


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_idempotent_request_is_sent_again_on_a_fresh_connection(service, method):
    client = kept_alive(service)

    reply = client.call(method, "/clinics/c/appointments/a", json={"reason": "x"} if method == "PUT" else None)

    assert reply.body == {"ok": True}
    assert service.connections == 2
    assert [line.split()[0].decode() for line in service.answered] == ["GET", method]


def test_a_post_with_an_idempotency_key_is_sent_again(service):
    client = kept_alive(service)

    reply = client.call("POST", "/clinics/c/appointments", json={"start": "x"}, headers={"Idempotency-Key": "k-1"})

    assert reply.body == {"ok": True}
    assert len(service.dropped) == 1 and len(service.answered) == 2


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_conditional_change_is_not_sent_twice_as_the_first_may_have_been_applied(service, method):
    """Else a change the service made would be answered 412 to the second, for its own change."""
    client = kept_alive(service)

    with pytest.raises(ServiceUnavailable):
        client.call(method, "/clinics/c/patients/p", json={"name": "Ana"}, headers={"If-Match": '"1"'})

    assert len(service.dropped) == 1 and len(service.answered) == 1


def test_a_conditional_command_with_an_idempotency_key_is_sent_again(service):
    client = kept_alive(service)

    reply = client.call("POST", "/clinics/c/appointments/a/cancel", json={"reason": "x"},
                        headers={"Idempotency-Key": "k-3", "If-Match": '"2"'})

    assert reply.body == {"ok": True}
    assert len(service.dropped) == 1 and len(service.answered) == 2


def test_a_post_without_an_idempotency_key_is_not_sent_twice(service):
    client = kept_alive(service)

    with pytest.raises(ServiceUnavailable):
        client.call("POST", "/clinics/c/patients", json={"name": "Ana"})

    assert len(service.dropped) == 1 and len(service.answered) == 1


def test_a_streamed_body_is_not_sent_twice_as_it_was_read_already(service):
    client = kept_alive(service)
    content = b"%PDF-1.7 consent form"

    with pytest.raises(ServiceUnavailable):
        client.exchange("PUT", "/clinics/c/files/f", body=SizedStream(io.BytesIO(content), len(content)),
                        headers={"Idempotency-Key": "k-2"})

    assert len(service.answered) == 1


def test_a_service_that_breaks_the_fresh_connection_too_is_an_outage():
    """Sent once more, not forever: a listener that closes every connection unanswered."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def close_every_connection() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            connection.recv(65536)
            connection.close()

    threading.Thread(target=close_every_connection, daemon=True).start()
    try:
        with pytest.raises(ServiceUnavailable):
            JsonService("scheduling", f"http://127.0.0.1:{listener.getsockname()[1]}", 2).call("GET", "/x")
    finally:
        listener.close()
    assert len(accepted) == 2
