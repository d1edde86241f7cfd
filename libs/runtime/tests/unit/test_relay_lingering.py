"""After a partial batch the relay claims again only when it may find something: at once once a
commit announced itself (PostgreSQL), after the linger on a timer (SQLite)."""

from __future__ import annotations

import asyncio
import uuid

from clinic_runtime.messaging.outbox import ClaimedEvent
from clinic_runtime.messaging.relay import OutboxRelay
from clinic_runtime.messaging.wakeup import RelayWakeup

LINGER = 0.05
IDLE = 5.0


class Outbox:
    """Hands out the events committed since the last claim."""

    def __init__(self) -> None:
        self.committed: list[ClaimedEvent] = []
        self.positions = 0
        self.claims = 0
        self.published: list[int] = []

    def commit(self) -> None:
        self.positions += 1
        self.committed.append(ClaimedEvent(self.positions, uuid.uuid4(), "test.v1", "{}", 1))

    def claim(self, limit: int) -> list[ClaimedEvent]:
        self.claims += 1
        taken, self.committed = self.committed[:limit], self.committed[limit:]
        return taken

    def settle(self, published: list[int], failed: dict[int, tuple[int, str]]) -> None:
        self.published.extend(published)


class Publisher:
    async def publish(self, event: ClaimedEvent) -> None:
        pass


class NotifyingWakeup(RelayWakeup):
    @property
    def notifying(self) -> bool:
        return True

    def notify(self) -> None:
        self._signal.set()


async def relay_until(outbox: Outbox, wakeup: RelayWakeup, scenario) -> None:
    """Run the relay on an outbox holding one committed event, through `scenario`."""
    outbox.commit()
    relay = OutboxRelay(outbox, Publisher(), wakeup, service="test", batch_size=10, idle_sleep=IDLE, linger=LINGER)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(LINGER / 5)
        assert (outbox.claims, outbox.published) == (1, [1])
        await scenario()
    finally:
        stop.set()
        await running


def test_with_notifications_no_claim_follows_a_partial_batch_until_a_commit_announces_itself():
    outbox, wakeup = Outbox(), NotifyingWakeup()

    async def scenario():
        await asyncio.sleep(3 * LINGER)
        assert outbox.claims == 1
        outbox.commit()
        wakeup.notify()
        await asyncio.sleep(LINGER / 5)
        assert (outbox.claims, outbox.published) == (2, [1, 2])

    asyncio.run(relay_until(outbox, wakeup, scenario))


def test_with_notifications_events_committed_during_the_linger_leave_together_after_it():
    outbox, wakeup = Outbox(), NotifyingWakeup()

    async def scenario():
        for _ in range(3):
            outbox.commit()
            wakeup.notify()
        await asyncio.sleep(LINGER / 5)
        assert outbox.claims == 1
        await asyncio.sleep(2 * LINGER)
        assert (outbox.claims, outbox.published) == (2, [1, 2, 3, 4])

    asyncio.run(relay_until(outbox, wakeup, scenario))


def test_on_a_timer_the_relay_claims_again_after_the_linger_so_events_under_load_stay_prompt():
    outbox = Outbox()

    async def scenario():
        outbox.commit()
        # Nothing tells of this commit: only the claim that follows the linger takes it before
        # the idle poll, seconds away.
        await asyncio.sleep(2 * LINGER)
        assert outbox.published == [1, 2]

    asyncio.run(relay_until(outbox, RelayWakeup(), scenario))
