"""The meetings job (scheduling.service_layer.meetings) with an in-memory unit of work and a
recording video provider: a meeting is made once, moved, cancelled, and never lost when the
appointment changes while the provider is called."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.adapters.video import MeetingNotFound, VideoUnavailable
from scheduling.domain.appointments import Actor, Appointment
from scheduling.domain.offerings import Money
from scheduling.domain.video import VideoMeeting
from scheduling.service_layer.meetings import run_meeting_work

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
PROVIDER_ID = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01")
SERVICE_ID = uuid.UUID("0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f01")
STAFF = Actor("staff")


class FakeAppointments:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Appointment] = {}
        self.claimed: dict[uuid.UUID, tuple[datetime, uuid.UUID]] = {}

    def claim_meeting_work(self, now, lease, claim, limit):
        due = [a for a in self.rows.values()
               if a.meeting_due and (a.appointment_id not in self.claimed or self.claimed[a.appointment_id][0] <= now)]
        for appointment in due[:limit]:
            self.claimed[appointment.appointment_id] = (now + lease, claim)
        return due[:limit]

    def held_for_change(self, clinic_id, appointment_id):
        return self.rows.get(appointment_id)

    def release_meeting_claim(self, clinic_id, appointment_id, claim):
        if appointment_id not in self.claimed or self.claimed[appointment_id][1] != claim:
            return False
        del self.claimed[appointment_id]
        return True

    def save(self, appointment):
        self.rows[appointment.appointment_id] = appointment


class FakeUnitOfWork:
    def __init__(self, providers, services) -> None:
        self.providers, self.services = providers, services
        self.appointments = FakeAppointments()
        self.published: list = []

    def publish(self, event, *, clinic_id):
        self.published.append(event)


class RecordingVideo:
    """Remembers every call; `during` runs inside a call, as a change made meanwhile would."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.during = None
        self.failures = 0
        self.forgotten: set[str] = set()

    def _call(self, what: str, subject: str) -> None:
        self.calls.append((what, subject))
        if self.during:
            self.during()
            self.during = None
        if self.failures:
            self.failures -= 1
            raise VideoUnavailable("zoom: HTTP 503")

    def create(self, request):
        self._call("create", request.topic)
        meeting_id = f"m-{len(self.calls)}"
        return VideoMeeting("zoom", meeting_id, f"https://zoom.test/j/{meeting_id}", f"https://zoom.test/s/{meeting_id}")

    def update(self, meeting_id, request):
        self._call("update", meeting_id)
        if meeting_id in self.forgotten:
            raise MeetingNotFound(meeting_id)
        return VideoMeeting("zoom", meeting_id, f"https://zoom.test/j/{meeting_id}", f"https://zoom.test/s/{meeting_id}")

    def cancel(self, meeting_id):
        self._call("cancel", meeting_id)


@pytest.fixture
def uow(providers, services, provider, service):
    providers.keep_newest(provider(1))
    services.keep_newest(service(1))
    return FakeUnitOfWork(providers, services)


@pytest.fixture
def run(uow):
    video = RecordingVideo()

    @contextmanager
    def unit():
        yield uow

    def go(at: datetime = NOW) -> int:
        return run_meeting_work(unit, video, lambda: at)

    go.video = video
    return go


def paid_appointment(uow, **changes) -> Appointment:
    appointment = replace(Appointment(
        clinic_id=CLINIC_ID, appointment_id=uuid.uuid4(), patient_id=uuid.uuid4(), provider_id=PROVIDER_ID,
        service_id=SERVICE_ID, calendar_id=None, start=NOW + timedelta(days=3),
        end=NOW + timedelta(days=3, minutes=50), buffer_before=timedelta(0), buffer_after=timedelta(0),
        timezone="Europe/Bucharest", status="paid", price=Money(20000, "RON"), enrollment_id=None,
        hold_expires_at=NOW, booked_by=Actor("patient"), sms_consent=True, version=2, created_at=NOW,
        updated_at=NOW, payment_id=uuid.uuid4(), meeting_due="create"), **changes)
    uow.appointments.save(appointment)
    return appointment


def test_a_paid_appointment_gets_one_meeting_and_is_confirmed_once(uow, run):
    appointment = paid_appointment(uow)

    assert run() == 1
    assert run() == 0

    assert run.video.calls == [("create", "Physiotherapy session v1 with Dr. Ana Popescu v1")]
    stored = uow.appointments.rows[appointment.appointment_id]
    assert stored.video.meeting_id == "m-1" and stored.confirmed_at == NOW and stored.meeting_due is None
    [event] = uow.published
    assert event.event_type == "scheduling.appointment.confirmed.v1"
    assert event.video.host_url == "https://zoom.test/s/m-1" and event.payment_id == appointment.payment_id


def test_an_outage_keeps_the_work_due_until_the_lease_ends(uow, run):
    paid_appointment(uow)
    run.video.failures = 1

    assert run() == 0
    assert run(NOW + timedelta(minutes=1)) == 0  # still claimed by the failed attempt
    assert run(NOW + timedelta(minutes=3)) == 1

    assert [what for what, _ in run.video.calls] == ["create", "create"]
    assert len(uow.published) == 1


def test_an_appointment_canceled_while_its_meeting_was_made_has_that_meeting_cancelled(uow, run):
    appointment = paid_appointment(uow)
    run.video.during = lambda: uow.appointments.save(
        uow.appointments.rows[appointment.appointment_id].cancel("r", STAFF, timedelta(0), NOW))

    run()

    # Recorded as due for cancelling, then cancelled by the same run's next claim.
    assert [what for what, _ in run.video.calls] == ["create", "cancel"]
    assert run.video.calls[-1] == ("cancel", "m-1")
    stored = uow.appointments.rows[appointment.appointment_id]
    assert stored.status == "canceled" and stored.video.meeting_id == "m-1" and stored.meeting_due is None
    assert uow.published == []  # never confirmed


def test_a_moved_appointment_has_its_meeting_moved_and_a_lost_one_made_anew(uow, run):
    old = paid_appointment(uow)
    run()
    _, moved = uow.appointments.rows[old.appointment_id].reschedule(uuid.uuid4(), old.start + timedelta(days=1), NOW)
    uow.appointments.save(moved)

    run()
    assert run.video.calls[-1] == ("update", "m-1")
    assert uow.appointments.rows[moved.appointment_id].meeting_due is None

    run.video.forgotten.add("m-1")
    uow.appointments.save(replace(uow.appointments.rows[moved.appointment_id], meeting_due="update"))
    run()
    assert [what for what, _ in run.video.calls[-2:]] == ["update", "create"]
    assert uow.appointments.rows[moved.appointment_id].video.meeting_id == "m-4"


def test_a_meeting_made_anew_for_a_lost_one_is_announced_with_its_new_links(uow, run):
    appointment = paid_appointment(uow, video=VideoMeeting("zoom", "m-0", "j", "s"), confirmed_at=NOW,
                                   meeting_due="update")
    run.video.forgotten.add("m-0")

    run()

    [changed] = uow.published
    assert changed.event_type == "scheduling.appointment.video_changed.v1"
    assert changed.appointment.appointment_id == appointment.appointment_id
    assert changed.video.join_url == "https://zoom.test/j/m-2" and changed.actor.kind == "system"
    assert uow.appointments.rows[appointment.appointment_id].video.meeting_id == "m-2"


def test_a_meeting_moved_in_place_is_not_announced_again(uow, run):
    paid_appointment(uow, video=VideoMeeting("zoom", "m-0", "j", "s"), confirmed_at=NOW, meeting_due="update")

    run()

    assert run.video.calls == [("update", "m-0")] and uow.published == []


def test_a_run_whose_lease_was_taken_over_records_nothing_and_cancels_the_meeting_it_made(uow, run):
    appointment = paid_appointment(uow)
    # The provider is slow: the lease runs out and another run claims the appointment meanwhile.
    run.video.during = lambda: uow.appointments.claim_meeting_work(NOW + timedelta(minutes=3), timedelta(minutes=2),
                                                                   uuid.uuid4(), 1)

    assert run() == 0

    assert run.video.calls == [("create", "Physiotherapy session v1 with Dr. Ana Popescu v1"), ("cancel", "m-1")]
    stored = uow.appointments.rows[appointment.appointment_id]
    assert stored.video is None and stored.meeting_due == "create" and uow.published == []


def test_appointments_are_claimed_one_at_a_time_so_each_lease_covers_one_provider_call(uow, run):
    for _ in range(3):
        paid_appointment(uow)
    leases = []
    original = uow.appointments.claim_meeting_work

    def claim(now, lease, claim, limit):
        leases.append(limit)
        return original(now, lease, claim, limit)

    uow.appointments.claim_meeting_work = claim

    assert run() == 3
    assert set(leases) == {1} and len(uow.published) == 3


def test_a_change_during_a_move_leaves_the_move_due_again(uow, run):
    appointment = paid_appointment(uow, video=VideoMeeting("zoom", "m-0", "j", "s"), confirmed_at=NOW,
                                   meeting_due="update")
    run.video.during = lambda: uow.appointments.save(
        uow.appointments.rows[appointment.appointment_id].change_provider(uuid.uuid4(), NOW))

    run()

    # The move stayed due after the first call, so the same run moved the meeting again.
    assert run.video.calls == [("update", "m-0"), ("update", "m-0")]
    assert uow.appointments.rows[appointment.appointment_id].meeting_due is None


def rescheduled_during_the_call(uow, run, old: Appointment) -> dict[str, uuid.UUID]:
    """Staff reschedule `old` while the provider is called; the successor's id, once made."""
    successor = {}

    def reschedule():
        rescheduled, moved = uow.appointments.rows[old.appointment_id].reschedule(
            uuid.uuid4(), old.start + timedelta(days=1), NOW)
        uow.appointments.save(rescheduled)
        uow.appointments.save(moved)
        successor["id"] = moved.appointment_id

    run.video.during = reschedule
    return successor


def test_a_meeting_being_moved_when_its_appointment_is_rescheduled_stays_with_the_successor(uow, run):
    old = paid_appointment(uow, video=VideoMeeting("zoom", "m-0", "j", "s"), confirmed_at=NOW, meeting_due="update")
    successor = rescheduled_during_the_call(uow, run, old)

    run()

    assert run.video.calls == [("update", "m-0"), ("update", "m-0")]  # moved again, to the successor's time
    moved = uow.appointments.rows[successor["id"]]
    assert moved.video.meeting_id == "m-0" and moved.meeting_due is None
    assert uow.appointments.rows[old.appointment_id].meeting_due is None


def test_a_meeting_made_anew_while_its_appointment_was_rescheduled_is_cancelled(uow, run):
    old = paid_appointment(uow, video=VideoMeeting("zoom", "m-0", "j", "s"), confirmed_at=NOW, meeting_due="update")
    run.video.forgotten.add("m-0")
    successor = rescheduled_during_the_call(uow, run, old)

    run()

    # The successor holds the lost m-0 and makes its own; the one made for the old is one too many.
    calls = run.video.calls
    assert ("cancel", "m-2") in calls and calls.count(("update", "m-0")) == 2
    assert uow.appointments.rows[successor["id"]].video.meeting_id not in ("m-0", "m-2")


def test_an_appointment_no_meeting_can_be_asked_for_does_not_hold_up_the_others(uow, run):
    stuck = paid_appointment(uow, timezone="Factory")  # no zone a provider could show it in
    fine = paid_appointment(uow)

    assert run() == 1
    assert run(NOW + timedelta(minutes=3)) == 0  # tried again once its lease ended, still refused

    assert uow.appointments.rows[fine.appointment_id].confirmed_at == NOW
    assert uow.appointments.rows[stuck.appointment_id].meeting_due == "create"
    assert len(run.video.calls) == 1 and len(uow.published) == 1
