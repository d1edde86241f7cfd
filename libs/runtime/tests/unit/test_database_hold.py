"""A delivery whose database is unavailable is held and tried again at growing intervals, not
failed; it fails after all past the hold's limit (to be nacked) or at once for any other error,
and a stopping consumer leaves it unacknowledged at once."""

from __future__ import annotations

import asyncio
import time

import psycopg.errors
import pytest
from faststream.exceptions import SkipMessage
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from clinic_runtime.messaging.consumers import FIRST_PAUSE_SECONDS, STOP_CHECK_SECONDS, DatabaseHold

REFUSED = OperationalError("INSERT INTO inbox ...", {}, psycopg.errors.CannotConnectNow("the database system is shutting down"))


class Database:
    """Refuses the first `refusals` attempts (or fails with `error`), then applies."""

    def __init__(self, refusals: int = 0, error: Exception = REFUSED) -> None:
        self.refusals = refusals
        self.error = error
        self.attempts: list[float] = []

    async def apply(self) -> bool:
        self.attempts.append(time.monotonic())
        if len(self.attempts) <= self.refusals:
            raise self.error
        return True


def hold(running=lambda: True, limit: float = 60.0) -> DatabaseHold:
    return DatabaseHold("test-consumer", "test", running, limit=limit)


def held_deliveries() -> float:
    return REGISTRY.get_sample_value("clinic_events_held_for_database_total", {"service": "test"}) or 0.0


def test_a_delivery_is_held_until_the_database_answers_at_growing_intervals():
    database = Database(refusals=3)
    before = held_deliveries()
    assert asyncio.run(hold().apply(database.apply)) is True
    assert held_deliveries() == before + 1
    gaps = [later - earlier for earlier, later in zip(database.attempts, database.attempts[1:])]
    assert len(gaps) == 3
    for gap, pause in zip(gaps, [FIRST_PAUSE_SECONDS, 2 * FIRST_PAUSE_SECONDS, 4 * FIRST_PAUSE_SECONDS]):
        assert pause <= gap < pause + 0.1


def test_any_other_error_fails_the_delivery_at_once():
    database = Database(refusals=10, error=RuntimeError("a handler's bug"))
    with pytest.raises(RuntimeError):
        asyncio.run(hold().apply(database.apply))
    assert len(database.attempts) == 1


def test_past_its_limit_a_held_delivery_fails_with_the_database_error():
    database = Database(refusals=100)
    started = time.monotonic()
    with pytest.raises(OperationalError):
        asyncio.run(hold(limit=1.0).apply(database.apply))
    # 0.2 s and 0.4 s pauses fit within the limit; the next, 0.8 s, would not.
    assert len(database.attempts) == 3
    assert time.monotonic() - started < 1.0


def test_a_stopping_consumer_leaves_a_held_delivery_unacknowledged_at_once():
    database = Database(refusals=100)
    running = True

    async def stop_soon() -> None:
        nonlocal running
        await asyncio.sleep(1.0)
        running = False

    async def scenario() -> None:
        stopper = asyncio.create_task(stop_soon())
        with pytest.raises(SkipMessage):
            await hold(lambda: running).apply(database.apply)
        await stopper

    started = time.monotonic()
    asyncio.run(scenario())
    # Held through pauses of 0.2, 0.4 and 0.8 s: the stop lands in the third, which ends early.
    assert time.monotonic() - started < 1.0 + STOP_CHECK_SECONDS + 0.1
    assert len(database.attempts) == 3
