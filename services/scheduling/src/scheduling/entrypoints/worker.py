"""Scheduling's worker: relays the outbox, keeps the read models from other services' events,
applies payment outcomes, and runs two timers: hold expiry (abandoned holds become `expired` and
free their slot) and the meetings job (video meetings made, moved and cancelled outside any
transaction; paid appointments confirmed once theirs exists)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from faststream.asgi import AsgiFastStream
from sqlalchemy import Engine

from clinic_runtime.db import make_engine, make_session_factory, transaction, utcnow
from clinic_runtime.worker import Timer, build_worker, run_worker
from scheduling.adapters.video import VideoMeetings, video_meetings_from
from scheduling.entrypoints.consumers import handlers
from scheduling.entrypoints.migrate import MIGRATIONS
from scheduling.service_layer.appointments import expire_overdue_holds
from scheduling.service_layer.meetings import run_meeting_work
from scheduling.service_layer.unit_of_work import SqlUnitOfWork
from scheduling.settings import Settings

HOLD_EXPIRY_SECONDS = 10.0
MEETINGS_SECONDS = 2.0


def create_worker(settings: Settings, video: VideoMeetings | None = None) -> AsgiFastStream:
    engine = make_engine(settings.resolved_database_url())
    return build_worker(settings, engine, handlers=handlers, timers=timers(engine, video or video_meetings_from(settings)),
                        migrations=MIGRATIONS)


def timers(engine: Engine, video: VideoMeetings) -> list[Timer]:
    sessions = make_session_factory(engine)

    @contextmanager
    def unit() -> Iterator[SqlUnitOfWork]:
        with transaction(sessions) as session:
            yield SqlUnitOfWork(session)

    def expire_holds() -> int:
        expired = 0
        while True:
            with unit() as uow:
                batch = expire_overdue_holds(uow, utcnow())
            expired += batch
            if batch == 0:
                return expired

    return [Timer("hold-expiry", HOLD_EXPIRY_SECONDS, expire_holds),
            Timer("video-meetings", MEETINGS_SECONDS, lambda: run_meeting_work(unit, video, utcnow))]


def main() -> None:
    settings = Settings()
    run_worker(create_worker(settings), settings)
