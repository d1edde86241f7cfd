"""The platform as it runs: real processes, real PostgreSQL, real RabbitMQ."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from clinic_runtime.devstack import SERVICES, Ports

from .conftest import eventually

pytestmark = pytest.mark.e2e


def create_clinic(platform) -> str:
    body = {"slug": f"e2e-{uuid.uuid4().hex[:8]}", "name": "E2E Clinic", "timezone": "Europe/Bucharest",
            "currency": "RON", "locale": "ro-RO"}
    response = requests.post(f"{platform.urls['catalog']}/clinics", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def scheduling_knows(platform, clinic_id: str) -> bool:
    response = requests.get(f"{platform.urls['scheduling']}/clinics/{clinic_id}", timeout=5)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def test_the_gateway_reports_every_service_ready(platform):
    response = requests.get(f"{platform.urls['gateway']}/readyz", timeout=10)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready", body
    # The gateway's own database, then every service behind it.
    assert {name for name, check in body["checks"].items() if check["ok"]} == {"database", *SERVICES} - {"gateway"}


def test_a_new_clinic_reaches_scheduling_through_the_broker_within_a_second(platform):
    clinic_id = create_clinic(platform)

    assert eventually(lambda: scheduling_knows(platform, clinic_id), within=1.0)


def test_an_event_published_while_the_consumer_is_down_arrives_once_it_is_back(platform):
    platform.supervisor.kill("scheduling-worker", signal.SIGKILL)

    clinic_id = create_clinic(platform)
    # Catalog's worker has had ample time to publish; nobody consumes it yet.
    assert not eventually(lambda: scheduling_knows(platform, clinic_id), within=1.0)

    platform.supervisor.restart("scheduling-worker")
    platform.supervisor.wait_ready(timeout=60)
    assert eventually(lambda: scheduling_knows(platform, clinic_id), within=10.0)


def test_the_local_run_explains_how_to_get_rabbitmq_when_it_cannot_reach_it(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    env = {**os.environ, "AMQP_URL": f"amqp://guest:guest@127.0.0.1:{closed_port}/"}

    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "clinic_runtime.devstack"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"RabbitMQ is not reachable at amqp://guest:***@127.0.0.1:{closed_port}/" in result.stderr
    for way in ("rabbitmq-server -detached", "apt-get install rabbitmq-server", "docker run -d -p 5672:5672"):
        assert way in result.stderr
    assert not (tmp_path / "var").exists(), "it must stop before migrating anything"
    assert time.monotonic() - started < 15


def test_the_local_run_refuses_ports_another_run_holds_before_writing_anything(tmp_path, amqp_url):
    """A run left behind would otherwise answer in this one's place, and its logs be overwritten."""
    port = Ports.defaults().worker["notifications"]
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            held.bind(("127.0.0.1", port))
            held.listen()
        except OSError:
            pass  # something listens there already: refused all the same
        result = subprocess.run([sys.executable, "-m", "clinic_runtime.devstack"], cwd=tmp_path,
                                env={**os.environ, "AMQP_URL": amqp_url}, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "are in use on this machine" in result.stderr and str(port) in result.stderr
    assert not (tmp_path / "var").exists(), "it must stop before writing anything"
