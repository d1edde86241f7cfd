"""Scheduling serves its clinic read model over HTTP (both backends)."""

from __future__ import annotations

import uuid

import pytest

from clinic_runtime.messaging.consumers import apply_delivered
from scheduling.entrypoints.consumers import handlers

pytestmark = pytest.mark.integration


def test_the_directory_serves_the_newest_snapshot_applied(client, sessions, clinic_upserted):
    apply_delivered(handlers, sessions, clinic_upserted(2, currency="EUR"))
    apply_delivered(handlers, sessions, clinic_upserted(1))  # late and older: no effect

    response = client.get("/clinics/0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")

    assert response.status_code == 200
    assert response.get_json() == {
        "clinic_id": "0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60", "slug": "dental-care-cluj",
        "name": "Dental Care Cluj v2", "timezone": "Europe/Bucharest", "currency": "EUR", "locale": "ro-RO",
        "version": 2, "archived": False, "updated_at": "2026-03-14T09:02:00+00:00",
        "cancellation_window_hours": 24, "refund_policy": {"kind": "full", "percent": None, "text": ""},
    }


def test_a_clinic_scheduling_has_not_heard_of_answers_a_404_problem(client):
    unknown = uuid.uuid4()

    response = client.get(f"/clinics/{unknown}")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert (body["type"], body["status"], body["instance"]) == (
        "https://problems.clinic-platform.dev/not-found", 404, f"/clinics/{unknown}"
    )
