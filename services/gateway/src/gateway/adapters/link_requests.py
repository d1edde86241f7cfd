"""How many links of each kind were asked for per address, in the window since the first
(gateway.service_layer.throttling.link_allowed)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import case, delete
from sqlalchemy.orm import Session

from gateway.adapters.orm import link_requests, upsert


class LinkRequestCounter(Protocol):
    def record(self, address_digest: str, purpose: str, now: float, window_seconds: int) -> int:
        """Count one request, atomically; the requests of the window so far, this one included.
        A window that ended starts again at `now`."""


class SqlLinkRequests:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, address_digest: str, purpose: str, now: float, window_seconds: int) -> int:
        # One statement, written whatever the count: every request commits alike. On PostgreSQL
        # it locks the row until this transaction ends, so of two racing requests one is first.
        ended = link_requests.c.started_at <= now - window_seconds
        statement = upsert(self._session.get_bind().dialect.name, link_requests).values(
            address_digest=address_digest, purpose=purpose, requests=1, started_at=now,
        )
        return self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[link_requests.c.address_digest, link_requests.c.purpose],
                set_={"requests": case((ended, 1), else_=link_requests.c.requests + 1),
                      "started_at": case((ended, now), else_=link_requests.c.started_at)},
            ).returning(link_requests.c.requests)
        ).scalar_one()

    def purge(self, now: float, window_seconds: int) -> int:
        """Forget windows that have ended: they hold back no link."""
        ended = link_requests.c.started_at <= now - window_seconds
        return self._session.execute(delete(link_requests).where(ended)).rowcount
