"""The meetings job on a real database: it records a meeting only under the claim it holds (a run
whose lease ran out and was taken over cancels what it made), and a meeting made anew for one the
provider lost is announced. PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.adapters.video import MeetingNotFound, SandboxMeetings
from scheduling.service_layer.meetings import LEASE, run_meeting_work

from .conftest import ANA, CLINIC, DAN, at, next_monday

pytestmark = pytest.mark.integration
STAFF = {"kind": "staff", "account_id": "0190f3b0-0000-7000-8000-00000000aaaa"}


class SlowVideo:
    """A sandbox provider; `during_create` runs inside the create call (a slow provider's wait)."""

    def __init__(self) -> None:
        self.sandbox = SandboxMeetings("https://video.test")
        self.during_create = None
        self.canceled: list[str] = []
        self.lost: set[str] = set()

    def create(self, request):
        if self.during_create:
            self.during_create()
        return self.sandbox.create(request)

    def update(self, meeting_id, request):
        if meeting_id in self.lost:
            raise MeetingNotFound(meeting_id)
        return self.sandbox.update(meeting_id, request)

    def cancel(self, meeting_id):
        self.canceled.append(meeting_id)


def test_a_run_whose_lease_was_taken_over_records_nothing_and_cancels_its_meeting(book, pay, meetings, client,
                                                                                 published):
    hold = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    pay(hold["appointment_id"])
    video = SlowVideo()

    def another_run_claims_it_after_the_lease():
        with meetings.unit() as uow:
            assert uow.appointments.claim_meeting_work(datetime.now(UTC) + LEASE * 2, LEASE, uuid.uuid4(), 1)

    video.during_create = another_run_claims_it_after_the_lease

    assert run_meeting_work(meetings.unit, video, lambda: datetime.now(UTC)) == 0

    after = client.get(f"/clinics/{CLINIC}/appointments/{hold['appointment_id']}").get_json()
    assert after["video"] is None and after["confirmed_at"] is None
    assert len(video.canceled) == 1 and published("scheduling.appointment.confirmed.v1") == []


def test_a_replacement_for_a_lost_meeting_is_announced(book, pay, meetings, client, published):
    hold = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    pay(hold["appointment_id"])
    video = SlowVideo()
    assert meetings(video) == 1
    lost = client.get(f"/clinics/{CLINIC}/appointments/{hold['appointment_id']}").get_json()["video"]
    video.lost.add(lost["meeting_id"])
    assert client.post(f"/clinics/{CLINIC}/appointments/{hold['appointment_id']}/provider",
                       json={"provider_id": DAN, "actor": STAFF}).status_code == 200

    assert meetings(video) == 1

    now = client.get(f"/clinics/{CLINIC}/appointments/{hold['appointment_id']}").get_json()
    [changed] = published("scheduling.appointment.video_changed.v1")
    assert changed["video"] == now["video"] and changed["actor"]["kind"] == "system"
    assert changed["appointment"]["provider_id"] == DAN
    assert datetime.fromisoformat(changed["occurred_at"]) > datetime.now(UTC) - timedelta(minutes=1)
