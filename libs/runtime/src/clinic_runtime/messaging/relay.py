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
from clinic_runtime.messaging.wakeup import RelayWakeup

log = logging.getLogger(__name__)

MAX_BATCHES_IN_FLIGHT = 4

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
        wakeup: RelayWakeup,
        *,
        service: str,
        batch_size: int,
        idle_sleep: float,
        linger: float = 0.0,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._wakeup = wakeup
        self._service = service
        self._batch_size = batch_size
        self._idle_sleep = idle_sleep
        self._linger = linger

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and publish until `stop`. Up to MAX_BATCHES_IN_FLIGHT claimed batches await their
        confirms at once, so a new event does not wait for the previous batch's round trip; their
        leases keep the batches disjoint. (Order across batches is not kept; no consumer may rely
        on it: redeliveries reorder anyway.)

        The first event after a quiet spell is claimed at once; while events keep coming, the
        relay waits `linger` between partial batches so that they arrive in fewer, larger ones.
        Where commits announce themselves (PostgreSQL), it claims after a partial batch only once
        one did: at light load a claim made on the off chance would come back empty nearly always."""
        loop = asyncio.get_running_loop()
        in_flight: set[asyncio.Task] = set()
        try:
            while not stop.is_set():
                if len(in_flight) >= MAX_BATCHES_IN_FLIGHT:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                self._wakeup.clear()
                try:
                    claimed = await asyncio.to_thread(self._store.claim, self._batch_size)
                except Exception:
                    log.exception("claiming outbox rows failed; retrying")
                    claimed = []
                if claimed:
                    claimed_at = loop.time()
                    task = asyncio.create_task(self._publish_and_settle_safely(claimed))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    if len(claimed) < self._batch_size and self._linger:
                        if self._wakeup.notifying:
                            await self._wakeup.wait(self._idle_sleep, stop)
                        # Events are arriving one commit at a time: let a few gather, or each
                        # would cost a claim and a settle of its own.
                        await asyncio.sleep(claimed_at + self._linger - loop.time())
                    continue
                await self._wakeup.wait(self._idle_sleep, stop)
        finally:
            # Rows of batches cut short here are retaken when their lease runs out.
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _publish_and_settle_safely(self, claimed: list[ClaimedEvent]) -> None:
        try:
            await self._publish_and_settle(claimed)
        except Exception:
            log.exception("publishing or settling a batch failed; its rows go again when their lease runs out")

    async def _publish_and_settle(self, claimed: list[ClaimedEvent]) -> None:
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

    async def observe_backlog(self) -> None:
        backlog = await asyncio.to_thread(self._store.backlog)
        BACKLOG.labels(self._service).set(backlog.unpublished)
        age = (utcnow() - backlog.oldest_created_at).total_seconds() if backlog.oldest_created_at else 0.0
        OLDEST_PENDING.labels(self._service).set(age)
