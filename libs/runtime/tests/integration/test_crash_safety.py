"""Nothing lost, nothing applied twice: 1,000 events through the outbox while processes die.

Each scenario runs a relay process and a consumer process (crash_service.py) on real PostgreSQL
and RabbitMQ, commits 1,000 events into the relay's outbox in small transactions, and meanwhile
kills something: the relay with SIGKILL at random moments, the consumer mid-batch, or every broker
connection. Afterwards every event must have been applied exactly once.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "victim",
    [
        pytest.param("relay", id="relay-killed-at-random-moments"),
        pytest.param("consumer", id="consumer-killed-mid-batch"),
    ],
)
def test_a_process_killed_with_sigkill_loses_and_duplicates_nothing(
    victim, crash_env, commit_events, keep_killing, wait_for_all_applied
):
    env = crash_env(CONSUMER_PREFETCH="64")
    env.start("consumer", "relay")
    done = threading.Event()
    killer = keep_killing(env, victim, done)
    expected = commit_events(env.producer_db, more_while=lambda: env.kills[victim] < 3)
    done.set()
    killer.join()
    wait_for_all_applied(env, expected)
    assert env.kills[victim] >= 3


def test_broker_dropping_every_connection_loses_and_duplicates_nothing(crash_env, isolated_vhost, commit_events, wait_for_all_applied):
    vhost_url, drop_connections = isolated_vhost
    env = crash_env(amqp=vhost_url)
    env.start("consumer", "relay")
    done = threading.Event()
    drops = []

    def keep_dropping() -> None:
        while not done.is_set():
            time.sleep(random.uniform(0.3, 1.0))
            drop_connections()
            drops.append(time.monotonic())

    dropper = threading.Thread(target=keep_dropping, daemon=True)
    dropper.start()
    expected = commit_events(env.producer_db, more_while=lambda: len(drops) < 3)
    done.set()
    dropper.join()
    wait_for_all_applied(env, expected)
    assert len(drops) >= 3
