"""The video interface without a network: what a meeting request must be, the sandbox provider,
and which provider the settings pick."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from scheduling.adapters.video import (
    MeetingNotFound,
    MeetingRequest,
    RetryPolicy,
    SandboxMeetings,
    VideoMeeting,
    ZoomMeetings,
    video_meetings_from,
)
from scheduling.domain.errors import RuleBroken
from scheduling.settings import Settings

APPOINTMENT_ID = uuid.UUID("0190f3b0-1a2b-7c3d-8e4f-5a6b7c8d9e01")
START = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)


def request(**changes) -> MeetingRequest:
    return MeetingRequest(**{"appointment_id": APPOINTMENT_ID, "topic": "Physiotherapy session", "start": START,
                             "duration_minutes": 50, "timezone": "Europe/Bucharest", **changes})


# --- the request ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "field"), [
    ({"start": datetime(2026, 12, 3, 8, 30)}, "start"),
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
    ({"topic": "   "}, "topic"),
    ({"timezone": "Europe/Atlantis"}, "timezone"),
])
def test_a_meeting_request_refuses_what_no_provider_could_schedule(change, field):
    with pytest.raises(RuleBroken) as broken:
        request(**change)
    assert broken.value.field == field


def test_a_long_topic_is_shortened_to_what_zoom_keeps():
    long = request(topic="Physiotherapy " * 30)

    assert len(long.short_topic) == 200 and long.short_topic.endswith("…")
    assert request(topic="  Physiotherapy session ").short_topic == "Physiotherapy session"


# --- the sandbox ---------------------------------------------------------------------------------


def test_the_sandbox_gives_each_appointment_its_own_links_under_the_base_url():
    sandbox = SandboxMeetings("https://video.example.test/")

    meeting = sandbox.create(request())

    assert meeting == VideoMeeting(
        provider="sandbox", meeting_id="sbx-0190f3b01a2b7c3d8e4f5a6b7c8d9e01",
        join_url="https://video.example.test/j/sbx-0190f3b01a2b7c3d8e4f5a6b7c8d9e01",
        host_url="https://video.example.test/s/sbx-0190f3b01a2b7c3d8e4f5a6b7c8d9e01")
    assert sandbox.create(request(appointment_id=uuid.uuid4())).meeting_id != meeting.meeting_id


def test_the_sandbox_is_deterministic_like_a_recorded_meeting():
    assert SandboxMeetings("https://v.test").create(request()) == SandboxMeetings("https://v.test").create(request())


def test_a_moved_sandbox_meeting_keeps_its_id_and_links():
    sandbox = SandboxMeetings("https://v.test")
    meeting = sandbox.create(request())

    assert sandbox.update(meeting.meeting_id, request(start=datetime(2026, 12, 9, 9, 0, tzinfo=UTC))) == meeting


def test_the_sandbox_has_no_meeting_another_provider_made():
    with pytest.raises(MeetingNotFound):
        SandboxMeetings("https://v.test").update("85746065432", request())


def test_cancelling_a_sandbox_meeting_succeeds_every_time():
    sandbox = SandboxMeetings("https://v.test")
    meeting = sandbox.create(request())

    sandbox.cancel(meeting.meeting_id)
    sandbox.cancel(meeting.meeting_id)
    sandbox.cancel("85746065432")


# --- which provider ---------------------------------------------------------------------------------


def test_by_default_the_sandbox_makes_the_meetings():
    meetings = video_meetings_from(Settings())

    assert isinstance(meetings, SandboxMeetings)
    assert meetings.create(request()).join_url.startswith("https://video.sandbox.invalid/j/")


def test_zoom_is_picked_with_its_three_credentials(monkeypatch):
    for name, value in {"VIDEO_PROVIDER": "zoom", "ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_ID": "cid",
                        "ZOOM_CLIENT_SECRET": "s3cret", "ZOOM_API_BASE": "http://127.0.0.1:9"}.items():
        monkeypatch.setenv(name, value)

    meetings = video_meetings_from(Settings())

    assert isinstance(meetings, ZoomMeetings)
    assert "s3cret" not in repr(meetings) and "s3cret" not in repr(Settings())
    meetings.close()


@pytest.mark.parametrize("missing", ["ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"])
def test_zoom_without_a_credential_stops_the_worker_naming_it(monkeypatch, missing):
    for name, value in {"VIDEO_PROVIDER": "zoom", "ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_ID": "cid",
                        "ZOOM_CLIENT_SECRET": "s3cret"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)

    with pytest.raises(ValueError, match=f"VIDEO_PROVIDER=zoom needs {missing}$"):
        video_meetings_from(Settings())


def test_an_unknown_provider_is_refused_by_the_settings(monkeypatch):
    monkeypatch.setenv("VIDEO_PROVIDER", "teams")

    with pytest.raises(ValidationError):
        Settings()


def test_backoff_doubles_up_to_the_longest_wait():
    policy = RetryPolicy(attempts=6, first_backoff_seconds=0.5, max_wait_seconds=3)

    assert [policy.backoff(failures) for failures in range(1, 6)] == [0.5, 1.0, 2.0, 3, 3]
