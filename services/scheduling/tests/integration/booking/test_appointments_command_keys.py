"""A command sent again with its Idempotency-Key, after its answer was lost on the way (the
gateway sends such a request once more), is answered as the first was: not 409 or 412 for its
own change. PostgreSQL and SQLite."""

from __future__ import annotations

import pytest

from .conftest import ANA, CLINIC, DAN, at, next_monday

pytestmark = pytest.mark.integration
STAFF = {"kind": "staff", "account_id": "0190f3b0-0000-7000-8000-00000000aaaa"}
BASE = f"/clinics/{CLINIC}/appointments"


@pytest.fixture
def paid(book, pay, meetings):
    """Ana's paid Monday 09:00 appointment, with its video meeting."""
    appointment = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    pay(appointment["appointment_id"])
    meetings()
    return appointment


@pytest.mark.parametrize("command, body", [
    ("cancel", {"reason": "the patient called", "actor": STAFF}),
    ("provider", {"provider_id": DAN, "actor": STAFF}),
])
def test_a_command_sent_again_with_its_key_gets_the_first_answer(paid, client, command, body):
    path = f"{BASE}/{paid['appointment_id']}/{command}"
    headers = {"Idempotency-Key": f"{command}-1", "If-Match": client.get(f"{BASE}/{paid['appointment_id']}").headers[
        "ETag"]}

    first = client.post(path, json=body, headers=headers)
    again = client.post(path, json=body, headers=headers)

    assert first.status_code == 200, first.get_data(as_text=True)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true"


def test_settling_sent_again_with_its_key_gets_the_first_answer(book, client):
    held = book(at(next_monday(), "09:00"), provider_id=ANA, enrollment_id="0190f3d0-0000-7000-8000-000000000001")
    path = f"{BASE}/{held.get_json()['appointment_id']}/settle"
    body = {"actor": {"kind": "system"}}

    first = client.post(path, json=body, headers={"Idempotency-Key": "settle-1"})
    again = client.post(path, json=body, headers={"Idempotency-Key": "settle-1"})

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json() == first.get_json()
