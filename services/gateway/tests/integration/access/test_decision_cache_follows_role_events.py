"""A role change takes effect at the gateway well within a second, although decisions are
remembered for 30 s: entitlements' event travels through its outbox and RabbitMQ to the
gateway's worker (real processes), which advances the clinic's access generation."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from clinic_runtime.devstack import ProcessSpec, Supervisor, free_ports
from clinic_runtime.messaging.topology import Topology, connect

pytestmark = pytest.mark.integration

WITHIN = 1.0  # seconds from the change's answer to the gateway acting on it


@pytest.fixture(scope="module")
def workers(platform, amqp_url, fresh_broker_namespace, tmp_path_factory) -> Iterator[Workers]:
    """The gateway's worker (consumes entitlements' role events) and entitlements' worker
    (relays its outbox), on the platform's databases and a broker namespace of these tests.
    Roles change only once both are ready: an event published before the gateway's queue
    exists would go unrouted."""
    supervisor = Supervisor(tmp_path_factory.mktemp("worker-logs"))
    bin_dir = Path(sys.executable).parent
    gateway_port, entitlements_port = free_ports(2)
    with fresh_broker_namespace() as namespace:
        common = {**os.environ, "AMQP_URL": amqp_url, "BROKER_NAMESPACE": namespace, "LOG_LEVEL": "WARNING"}
        common.pop("PROMETHEUS_MULTIPROC_DIR", None)
        try:
            for name, database, port in (("gateway-worker", platform.database_url, gateway_port),
                                         ("entitlements-worker", platform.entitlements_database_url,
                                          entitlements_port)):
                supervisor.start(ProcessSpec(name, (str(bin_dir / name),),
                                             {**common, "DATABASE_URL": database, "WORKER_PORT": str(port)},
                                             ready_url=f"http://127.0.0.1:{port}/readyz"))
            supervisor.wait_ready(60)
            yield Workers(supervisor, namespace)
        finally:
            supervisor.stop_all()


@dataclass(frozen=True)
class Workers:
    supervisor: Supervisor
    namespace: str


def settled(platform, workers: Workers, amqp_url: str) -> None:
    """Wait (at most 30 s) until entitlements' outbox is all published and the gateway's queue is
    empty. In a full run every earlier module's events pass through these workers first: the
    measurement is then of one event's way, not of that backlog."""
    engine = sa.create_engine(platform.entitlements_database_url)
    queue = Topology(workers.namespace).group_queue("gateway")
    deadline = time.perf_counter() + 30
    try:
        while True:
            with engine.connect() as connection:
                pending = connection.execute(sa.text("SELECT count(*) FROM outbox WHERE state <> 'published'")).scalar_one()
            if pending == 0 and asyncio.run(_waiting_in(amqp_url, queue)) == 0:
                return
            assert time.perf_counter() < deadline, "the role events of earlier tests never drained"
            time.sleep(0.05)
    finally:
        engine.dispose()


async def _waiting_in(amqp_url: str, queue: str) -> int:
    connection = await connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        return (await channel.declare_queue(queue, passive=True)).declaration_result.message_count


def seconds_until(status: int, ask) -> float:
    """How long until `ask()` answers `status` (polled every 10 ms, for at most 5 s)."""
    started = time.perf_counter()
    while time.perf_counter() - started < 5:
        if ask().status_code == status:
            return time.perf_counter() - started
        time.sleep(0.01)
    raise AssertionError(f"still not {status} after 5 s")


def answered_from_memory(platform, ask) -> bool:
    """Whether, within 30 s, asking twice in a row asks entitlements once: the second answer came
    from memory. Until the events of the clinic's setup (its accounts' roles) have reached the
    gateway, each of them moves the clinic's access generation and rightly forgets what was
    remembered, so a pair may ask twice while they arrive; in a full run they queue behind the
    events of every earlier test module, which the workers started here relay first."""
    started = time.perf_counter()
    while time.perf_counter() - started < 30:
        asked = platform.entitlements.count("POST", "/decisions")
        assert ask().status_code == 200
        assert ask().status_code == 200
        if platform.entitlements.count("POST", "/decisions") == asked + 1:
            return True
        time.sleep(0.05)
    return False


def test_a_revoked_role_is_refused_within_a_second_though_the_decision_was_remembered(platform, fresh_clinic,
                                                                                      workers, amqp_url):
    clinic = fresh_clinic()
    path = f"{clinic.admin_path}/accounts"
    assert answered_from_memory(platform, lambda: platform.client.get(path, headers=clinic.receptionist.headers))
    settled(platform, workers, amqp_url)

    platform.call("DELETE", f"{path}/{clinic.receptionist.account_id}/roles/receptionist", clinic.admin, expect=204)
    took = seconds_until(403, lambda: platform.client.get(path, headers=clinic.receptionist.headers))

    assert took < WITHIN, f"the revocation took {took:.3f} s to reach the gateway"


def test_a_granted_role_is_allowed_within_a_second_though_the_denial_was_remembered(platform, fresh_clinic,
                                                                                    workers, amqp_url):
    clinic = fresh_clinic()
    path = f"{clinic.admin_path}/roles"
    assert platform.client.get(path, headers=clinic.receptionist.headers).status_code == 403
    assert platform.client.get(path, headers=clinic.receptionist.headers).status_code == 403
    settled(platform, workers, amqp_url)

    platform.call("PUT", f"{clinic.admin_path}/accounts/{clinic.receptionist.account_id}/roles/clinic_admin",
                  clinic.admin)
    took = seconds_until(200, lambda: platform.client.get(path, headers=clinic.receptionist.headers))

    assert took < WITHIN, f"the grant took {took:.3f} s to reach the gateway"


def test_a_changed_role_bundle_takes_effect_within_a_second(platform, fresh_clinic, workers, amqp_url):
    clinic = fresh_clinic()
    grants = {"name": "Auditor", "grants": [{"permission": "accounts.read", "scope": "any"}]}
    created = platform.client.post(f"{clinic.admin_path}/roles", json={"key": "auditor", **grants},
                                   headers=clinic.admin.headers)
    assert created.status_code == 201
    platform.call("PUT", f"{clinic.admin_path}/accounts/{clinic.patient.account_id}/roles/auditor", clinic.admin)
    audit = f"{clinic.admin_path}/access-audit"
    seconds_until(403, lambda: platform.client.get(audit, headers=clinic.patient.headers))  # remembered now
    settled(platform, workers, amqp_url)

    changed = platform.client.put(f"{clinic.admin_path}/roles/auditor", headers={
        **clinic.admin.headers, "If-Match": created.headers["ETag"]}, json={
        "name": "Auditor", "grants": [*grants["grants"], {"permission": "audit.read", "scope": "any"}]})
    assert changed.status_code == 200
    took = seconds_until(200, lambda: platform.client.get(audit, headers=clinic.patient.headers))

    assert took < WITHIN, f"the role change took {took:.3f} s to reach the gateway"
