"""A minimal service assembled from the runtime, run as a real process by the crash tests.

    python crash_service.py relay      relays its database's outbox
    python crash_service.py consumer   applies catalog.clinic.upserted.v1 events

The consumer appends one row per application to `applied_events`, which has no uniqueness, so an
event applied twice would show as two rows. CONSUMER_DELAY_MS widens the window in which a kill
lands mid-transaction. A clinic whose slug starts with "poison" fails to apply until its slug is
listed in `cured_slugs`: a stand-in for a bug fixed after its message was dead-lettered.
With CONSUMER_HANDLES_PROVIDERS=1 the consumer is a newer version of the group that also applies
catalog.provider.upserted.v1 (recorded with the provider's name as its slug): a rolling deploy
that adds a handler.
"""

from __future__ import annotations

import os
import sys
import time

from pydantic import Field
from sqlalchemy import Column, MetaData, String, Table, Uuid, insert, select

from clinic_contracts.events.catalog import ClinicUpsertedV1, ProviderUpsertedV1
from clinic_runtime.db import make_engine
from clinic_runtime.messaging.consumers import EventHandlers
from clinic_runtime.messaging.tables import messaging_metadata
from clinic_runtime.settings import ServiceSettings
from clinic_runtime.worker import build_worker, run_worker

effects_metadata = MetaData()
applied_events = Table(
    "applied_events",
    effects_metadata,
    Column("event_id", Uuid, nullable=False),
    Column("slug", String(63), nullable=False),
)

cured_slugs = Table("cured_slugs", effects_metadata, Column("slug", String(63), primary_key=True))

handlers = EventHandlers("test-consumer")


@handlers.on(ClinicUpsertedV1)
def record_application(session, event: ClinicUpsertedV1, envelope) -> None:
    cured = session.execute(select(cured_slugs).where(cured_slugs.c.slug == event.slug)).first()
    if event.slug.startswith("poison") and cured is None:
        raise RuntimeError(f"cannot apply {event.slug} yet")
    session.execute(insert(applied_events).values(event_id=envelope.id, slug=event.slug))
    delay = int(os.environ.get("CONSUMER_DELAY_MS", "0"))
    if delay:
        time.sleep(delay / 1000)


if os.environ.get("CONSUMER_HANDLES_PROVIDERS"):
    @handlers.on(ProviderUpsertedV1)
    def record_provider(session, event: ProviderUpsertedV1, envelope) -> None:
        session.execute(insert(applied_events).values(event_id=envelope.id, slug=event.name))


class CrashServiceSettings(ServiceSettings):
    service_name: str = Field(default="crash-service")
    http_port: int = Field(default=0)


def create_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    messaging_metadata.create_all(engine)
    effects_metadata.create_all(engine)
    engine.dispose()


def main(role: str) -> None:
    settings = CrashServiceSettings()
    engine = make_engine(settings.resolved_database_url())
    app = build_worker(settings, engine, handlers=handlers if role == "consumer" else None)
    run_worker(app, settings)


if __name__ == "__main__":
    main(sys.argv[1])
