"""The outbox relay: claims rows, publishes each as a persistent, mandatory message on a
publisher-confirm channel, and marks it published only after the broker acknowledged it.

A crash between the broker's ack and the mark re-publishes the row when its lease runs out;
consumers' inboxes make that harmless.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from prometheus_client import Counter, Gauge

from clinic_runtime.db import utcnow
from clinic_runtime.messaging.outbox import ClaimedEvent, OutboxStore

log = logging.getLogger(__name__)

PUBLISHED = Counter("clinic_outbox_published_total", "Outbox events acknowledged by the broker.", ["service"])
PUBLISH_FAILURES = Counter(
    "clinic_outbox_publish_failures_total", "Outbox publish attempts that failed and will be retried.", ["service"]
)
BACKLOG = Gauge("clinic_outbox_unpublished", "Outbox rows not yet published.", ["service"])
OLDEST_PENDING = Gauge(
    "clinic_outbox_oldest_unpublished_seconds", "Age of the oldest unpublished outbox row.", ["service"]
)


class EventPublisher(Protocol):
    async def publish(self, event: ClaimedEvent) -> None:
        """Return once the broker has confirmed the message; raise otherwise."""


class OutboxRelay:
    def __init__(
        self,
        store: OutboxStore,
        publisher: EventPublisher,
        *,
        service: str,
        batch_size: int,
        idle_sleep: float,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._service = service
        self._batch_size = batch_size
        self._idle_sleep = idle_sleep

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                published = await self.relay_once()
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                published = 0
            if not published:
                try:
                    await asyncio.wait_for(stop.wait(), self._idle_sleep)
                except TimeoutError:
                    pass

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows it claimed."""
        claimed = await asyncio.to_thread(self._store.claim, self._batch_size)
        if not claimed:
            return 0
        # Publishes run concurrently on one confirm channel: the broker acks them as a stream,
        # so a batch costs about one round trip instead of one per event.
        outcomes = await asyncio.gather(
            *(self._publisher.publish(event) for event in claimed), return_exceptions=True
        )
        published = [e.position for e, outcome in zip(claimed, outcomes) if outcome is None]
        failed = {
            e.position: (e.attempts, f"{type(outcome).__name__}: {outcome}")
            for e, outcome in zip(claimed, outcomes)
            if outcome is not None
        }
        await asyncio.to_thread(self._store.settle, published, failed)
        PUBLISHED.labels(self._service).inc(len(published))
        if failed:
            PUBLISH_FAILURES.labels(self._service).inc(len(failed))
            log.warning("outbox publish failed for %d events; will retry", len(failed))
        return len(claimed)

    async def observe_backlog(self) -> None:
        backlog = await asyncio.to_thread(self._store.backlog)
        BACKLOG.labels(self._service).set(backlog.unpublished)
        age = (utcnow() - backlog.oldest_created_at).total_seconds() if backlog.oldest_created_at else 0.0
        OLDEST_PENDING.labels(self._service).set(age)
