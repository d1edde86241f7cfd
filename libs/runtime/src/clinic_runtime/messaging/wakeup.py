"""What wakes the relay: on PostgreSQL, a notification the committing transaction sends
(`NOTIFY clinic_outbox`, delivered at commit), so an idle relay costs nothing, a new event
leaves within milliseconds and no claim is made on the off chance; on SQLite, a timer. Either
way the relay also looks every `outbox_poll_interval_seconds`, so a lost notification only
delays, never strands, an event."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from sqlalchemy import make_url, text

log = logging.getLogger(__name__)

CHANNEL = "clinic_outbox"
NOTIFY = text(f"NOTIFY {CHANNEL}")


class RelayWakeup:
    """Polling only (SQLite)."""

    def __init__(self) -> None:
        self._signal = asyncio.Event()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    @property
    def notifying(self) -> bool:
        """Whether every commit since `clear` wakes this (else only the timer tells of them)."""
        return False

    def clear(self) -> None:
        """Forget earlier wake-ups: call before looking at the outbox."""
        self._signal.clear()

    async def wait(self, timeout: float, stop: asyncio.Event) -> None:
        """Until a wake-up, `stop`, or `timeout` seconds."""
        if self._signal.is_set() or stop.is_set():
            return
        waiters = [asyncio.ensure_future(self._signal.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()


class PostgresWakeup(RelayWakeup):
    """Also woken by the outbox's notifications, on a dedicated LISTEN connection."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self._conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._listener: asyncio.Task | None = None
        self._listening = False

    @property
    def notifying(self) -> bool:
        return self._listening

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="outbox-listen")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    # Whatever committed while nobody listened is picked up now.
                    self._listening = True
                    self._signal.set()
                    async for _ in connection.notifies():
                        self._signal.set()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox notifications interrupted (%s); polling until they are back", error)
                self._listening = False
                await asyncio.sleep(1.0)


def relay_wakeup(database_url: str) -> RelayWakeup:
    return PostgresWakeup(database_url) if database_url.startswith("postgresql") else RelayWakeup()
