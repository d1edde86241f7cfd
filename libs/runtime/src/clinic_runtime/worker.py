"""The worker process every service runs next to its web process: a FastStream app that relays
the outbox, consumes the service's events, runs its timers, and serves `/healthz`, `/readyz` and
`/metrics` on its own port."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import uvloop
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.rabbit import RabbitBroker
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import Engine

from clinic_runtime.db import make_session_factory
from clinic_runtime.logging import configure_logging
from clinic_runtime.messaging.consumers import EventHandlers, subscribe
from clinic_runtime.messaging.inbox import purge_inbox
from clinic_runtime.messaging.outbox import OUTBOX_RETENTION, OutboxStore
from clinic_runtime.messaging.publisher import ConfirmingPublisher
from clinic_runtime.messaging.relay import OutboxRelay
from clinic_runtime.messaging.topology import Topology, connect
from clinic_runtime.messaging.wakeup import relay_wakeup
from clinic_runtime.migrations import ExpectedSchema
from clinic_runtime.settings import ServiceSettings
from clinic_runtime.tracing import configure_tracing
from clinic_runtime.web import database_ready, purge_idempotency_keys, readiness_report

log = logging.getLogger(__name__)

PURGE_BATCH = 5000


@dataclass(frozen=True)
class Timer:
    """A periodic job (hold expiry, reminders, renewals). `run` is synchronous and idempotent;
    it runs in a thread so it may use the database freely."""

    name: str
    every_seconds: float
    run: Callable[[], object]


def build_worker(
    settings: ServiceSettings,
    engine: Engine,
    *,
    handlers: EventHandlers | None = None,
    timers: list[Timer] | None = None,
    migrations: Path | None = None,
) -> AsgiFastStream:
    """The service's worker. It is ready with the broker and the database, migrated to the head of
    `migrations` (or past it) when given, so a rollout does not go on while the schema is behind
    the code."""
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
    sessions = make_session_factory(engine)
    schema = ExpectedSchema(migrations) if migrations is not None else None
    topology = Topology(settings.broker_namespace)
    broker = RabbitBroker(
        settings.amqp_url,
        middlewares=[RabbitPrometheusMiddleware(registry=REGISTRY, app_name=settings.service_name)],
        # FastStream's own logger would print colored text; ours prints JSON lines.
        logger=logging.getLogger("clinic.broker"),
        log_level=logging.DEBUG,
        # Handlers take the raw body and validate it themselves; no per-message dependency
        # injection needed.
        apply_types=False,
        graceful_timeout=15.0,
    )
    if handlers is not None:
        subscribe(broker, handlers, sessions, topology, service=settings.service_name,
                  prefetch=settings.consumer_prefetch, lanes=settings.consumer_lanes,
                  linger=settings.batch_linger_seconds)
    store = OutboxStore(engine, lease=timedelta(seconds=settings.outbox_lease_seconds))
    publisher = ConfirmingPublisher(settings.amqp_url, topology.events_exchange)
    wakeup = relay_wakeup(settings.resolved_database_url())
    relay = OutboxRelay(
        store,
        publisher,
        wakeup,
        service=settings.service_name,
        batch_size=settings.outbox_batch_size,
        idle_sleep=settings.outbox_poll_interval_seconds,
        linger=settings.batch_linger_seconds,
    )
    stop = asyncio.Event()

    def drain(purge: Callable[[int], int]) -> None:
        # Batch after batch, each a short transaction, until one comes back short: a busy hour's
        # rows (or the backlog of a first run) go in one run. A stopping worker leaves the rest.
        while not stop.is_set() and purge(PURGE_BATCH) == PURGE_BATCH:
            pass

    def purge_past_retention() -> None:
        # One after another in one timer: a long first drain then holds one of the threads the
        # consumer lanes and the relay share, not three.
        drain(lambda limit: store.purge_published(OUTBOX_RETENTION, limit))
        drain(lambda limit: purge_idempotency_keys(engine, settings.idempotency_key_retention(), limit))
        drain(lambda limit: purge_inbox(engine, settings.inbox_retention(), limit))

    all_timers = [Timer("retention-purge", 3600.0, purge_past_retention), *(timers or [])]
    background: list[asyncio.Task] = []

    async def declare_topology() -> None:
        connection = await connect(settings.amqp_url)
        try:
            channel = await connection.channel()
            # A group's declaration includes the exchanges.
            if handlers is not None:
                await topology.declare_group(channel, handlers.group, handlers.event_types,
                                             delivery_limit=settings.delivery_limit)
            else:
                await topology.declare_exchanges(channel)
        finally:
            await connection.close()

    async def start_background() -> None:
        await publisher.start()
        await wakeup.start()
        stop.clear()
        background.append(asyncio.create_task(relay.run(stop), name="outbox-relay"))
        background.append(asyncio.create_task(_every(5.0, relay.observe_backlog, stop), name="outbox-backlog"))
        for timer in all_timers:
            background.append(asyncio.create_task(
                _every(timer.every_seconds, lambda t=timer: asyncio.to_thread(t.run), stop), name=timer.name))

    async def stop_background() -> None:
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        background.clear()
        await wakeup.stop()
        await publisher.stop()

    @get(include_in_schema=False)
    async def healthz(scope) -> AsgiResponse:
        return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def readyz(scope) -> AsgiResponse:
        database = await asyncio.to_thread(database_ready, engine, schema)
        broker_ok = await broker.ping(timeout=2.0) and publisher.connected
        body, status = readiness_report(
            {"database": database, "broker": (broker_ok, "connected" if broker_ok else "disconnected")}, {}
        )
        return AsgiResponse(json.dumps(body).encode(), status, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def metrics(scope) -> AsgiResponse:
        return AsgiResponse(generate_latest(REGISTRY), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    return AsgiFastStream(
        broker,
        logger=logging.getLogger("clinic.worker"),
        asgi_routes=[("/healthz", healthz), ("/readyz", readyz), ("/metrics", metrics)],
        on_startup=[declare_topology],
        after_startup=[start_background],
        on_shutdown=[stop_background],
    )


async def _every(seconds: float, job: Callable[[], object], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await job()
        except Exception:
            log.exception("periodic job failed; it runs again next period")
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            pass


def run_worker(app: AsgiFastStream, settings: ServiceSettings) -> None:
    # Everything imported so far lives for the whole process: move it out of the collector's
    # sight, and collect young objects less often, so gen-2 passes do not stall event handling.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    # log_config=None keeps uvicorn from replacing the JSON logging configured above; FastStream
    # parses these like CLI flags, hence the string "false".
    options = {"host": settings.worker_host, "port": settings.worker_port, "log_config": None, "access_log": "false"}
    # uvloop: the worker's event loop moves every message (frames, confirms, acks, wake-ups), and
    # uvloop does that loop work at a fraction of the standard loop's CPU.
    uvloop.run(app.run(run_extra_options=options))
