"""ZoomMeetings against a fake Zoom over real HTTP: meetings created, moved and cancelled as Zoom
documents it, and every way Zoom can fail handled on purpose, without a credential in sight."""

from __future__ import annotations

import base64
import logging
import socket
import uuid
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from scheduling.adapters.video import (
    MeetingNotFound,
    MeetingRequest,
    RetryPolicy,
    VideoMeeting,
    VideoUnavailable,
    ZoomMeetings,
)

from .conftest import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, FakeZoom

APPOINTMENT_ID = uuid.UUID("0190f3b0-1a2b-7c3d-8e4f-5a6b7c8d9e01")
BUCHAREST = timezone(timedelta(hours=2))


def physio(start: datetime = datetime(2026, 12, 3, 10, 30, tzinfo=BUCHAREST)) -> MeetingRequest:
    return MeetingRequest(appointment_id=APPOINTMENT_ID, topic="Physiotherapy session with Dr. Ana Popescu",
                          start=start, duration_minutes=50, timezone="Europe/Bucharest")


class Waits(list):
    """Stands in for time.sleep: remembers how long the adapter chose to wait, and returns."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def zoom(fake_zoom: FakeZoom, waits: Waits) -> ZoomMeetings:
    meetings = ZoomMeetings(account_id=ACCOUNT_ID, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                            api_base=fake_zoom.base_url, oauth_base=fake_zoom.base_url, timeout_seconds=0.5,
                            retry=RetryPolicy(attempts=3, first_backoff_seconds=0.5, max_wait_seconds=5), sleep=waits)
    yield meetings
    meetings.close()


# --- what a meeting is ----------------------------------------------------------------------------


def test_create_schedules_a_clinic_meeting_and_returns_zooms_links(zoom, fake_zoom):
    meeting = zoom.create(physio())

    stored = fake_zoom.meetings[int(meeting.meeting_id)]
    assert meeting == VideoMeeting(provider="zoom", meeting_id=str(stored["id"]),
                                   join_url=stored["join_url"], host_url=stored["start_url"])
    assert stored["type"] == 2
    assert stored["start_time"] == "2026-12-03T08:30:00Z"
    assert (stored["duration"], stored["timezone"]) == (50, "Europe/Bucharest")
    assert stored["topic"] == "Physiotherapy session with Dr. Ana Popescu"
    assert str(APPOINTMENT_ID) in stored["agenda"]
    assert stored["settings"]["waiting_room"] is True
    assert stored["settings"]["join_before_host"] is False
    assert stored["settings"]["auto_recording"] == "none"
    assert fake_zoom.api_requests() == [("POST", "/v2/users/me/meetings")]


def test_update_moves_the_meeting_and_returns_its_current_links(zoom, fake_zoom):
    created = zoom.create(physio())

    moved = zoom.update(created.meeting_id, physio(datetime(2026, 12, 4, 15, 0, tzinfo=UTC)))

    stored = fake_zoom.meetings[int(created.meeting_id)]
    assert stored["start_time"] == "2026-12-04T15:00:00Z"
    assert moved == VideoMeeting("zoom", created.meeting_id, stored["join_url"], stored["start_url"])
    assert fake_zoom.api_requests()[1:] == [("PATCH", f"/v2/meetings/{created.meeting_id}"),
                                            ("GET", f"/v2/meetings/{created.meeting_id}")]


def test_update_of_a_meeting_zoom_no_longer_has_says_so(zoom, fake_zoom):
    created = zoom.create(physio())
    zoom.cancel(created.meeting_id)

    with pytest.raises(MeetingNotFound):
        zoom.update(created.meeting_id, physio())


def test_update_of_an_id_that_is_not_zooms_never_reaches_zoom(zoom, fake_zoom):
    with pytest.raises(MeetingNotFound):
        zoom.update("sbx-0190f3b01a2b7c3d8e4f5a6b7c8d9e01", physio())
    with pytest.raises(MeetingNotFound):
        zoom.update("123/../../users/me", physio())

    assert fake_zoom.received == []


def test_cancel_deletes_the_meeting_and_a_second_cancel_is_fine(zoom, fake_zoom):
    created = zoom.create(physio())

    zoom.cancel(created.meeting_id)
    zoom.cancel(created.meeting_id)  # Zoom answers 404: already gone

    assert fake_zoom.meetings == {}
    assert fake_zoom.api_requests()[1:] == [("DELETE", f"/v2/meetings/{created.meeting_id}")] * 2


def test_cancel_of_a_sandbox_meeting_is_a_no_op(zoom, fake_zoom):
    zoom.cancel("sbx-0190f3b01a2b7c3d8e4f5a6b7c8d9e01")

    assert fake_zoom.received == []


# --- OAuth ------------------------------------------------------------------------------------------


def test_a_token_zoom_no_longer_accepts_is_replaced_once_and_the_call_goes_through(zoom, fake_zoom):
    zoom.create(physio())
    fake_zoom.revoke_tokens()

    zoom.create(physio())

    assert fake_zoom.token_requests() == 2
    assert len(fake_zoom.meetings) == 2
    assert fake_zoom.api_requests() == [("POST", "/v2/users/me/meetings")] * 3


def test_a_second_401_in_a_row_is_not_retried_again(zoom, fake_zoom):
    fake_zoom.fail_next(2, 401, message="Invalid access token.")

    with pytest.raises(VideoUnavailable, match="HTTP 401"):
        zoom.create(physio())

    assert fake_zoom.token_requests() == 2
    assert len(fake_zoom.api_requests()) == 2
    assert fake_zoom.meetings == {}


def test_wrong_credentials_are_reported_without_the_credentials(fake_zoom, waits):
    zoom = ZoomMeetings(account_id=ACCOUNT_ID, client_id=CLIENT_ID, client_secret="not-the-secret-9Fq",
                        api_base=fake_zoom.base_url, oauth_base=fake_zoom.base_url, sleep=waits)

    with pytest.raises(VideoUnavailable, match="issue an access token .HTTP 401") as refused:
        zoom.create(physio())

    assert "not-the-secret-9Fq" not in str(refused.value) and CLIENT_ID not in str(refused.value)
    assert fake_zoom.api_requests() == []


def test_a_token_endpoint_that_is_busy_is_retried(zoom, fake_zoom, waits):
    fake_zoom.fail_next(1, 503, endpoint="oauth")

    zoom.create(physio())

    assert fake_zoom.token_requests() == 2
    assert waits == [0.5]


# --- rate limits, failures, timeouts -------------------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says_then_creates_one_meeting(zoom, fake_zoom, waits):
    fake_zoom.fail_next(1, 429, retry_after="2")

    zoom.create(physio())

    assert waits == [2.0]
    assert len(fake_zoom.meetings) == 1


def test_retry_after_as_an_http_date_is_honoured(zoom, fake_zoom, waits):
    fake_zoom.fail_next(1, 429, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True))

    zoom.create(physio())

    [waited] = waits
    assert 1.0 < waited <= 3.0
    assert len(fake_zoom.meetings) == 1


def test_429_without_retry_after_backs_off_exponentially(zoom, fake_zoom, waits):
    fake_zoom.fail_next(2, 429)

    zoom.create(physio())

    assert waits == [0.5, 1.0]


def test_a_retry_after_longer_than_the_policy_allows_fails_at_once(zoom, fake_zoom, waits):
    fake_zoom.fail_next(1, 429, retry_after="86400")  # Zoom's daily limit

    with pytest.raises(VideoUnavailable, match="wait 86400 s"):
        zoom.create(physio())

    assert waits == []
    assert len(fake_zoom.api_requests()) == 1


def test_5xx_is_retried_then_given_up_as_unavailable(zoom, fake_zoom, waits):
    fake_zoom.fail_next(3, 500)

    with pytest.raises(VideoUnavailable, match=r"HTTP 500 after 3 attempts"):
        zoom.create(physio())

    assert waits == [0.5, 1.0]
    assert len(fake_zoom.api_requests()) == 3
    assert fake_zoom.meetings == {}


def test_a_passing_5xx_costs_only_a_retry(zoom, fake_zoom, waits):
    fake_zoom.fail_next(2, 502)

    created = zoom.create(physio())

    assert waits == [0.5, 1.0]
    assert list(fake_zoom.meetings) == [int(created.meeting_id)]


def test_a_refusal_names_zooms_code_but_not_its_message(zoom, fake_zoom):
    fake_zoom.fail_next(1, 400, message="User does not exist: ana.popescu@dentalcare.ro.")

    with pytest.raises(VideoUnavailable) as refused:
        zoom.create(physio())

    assert str(refused.value) == "zoom refused to create the meeting (HTTP 400, code 300)"


def test_a_create_that_times_out_is_not_repeated(zoom, fake_zoom, waits):
    """Zoom may have made the meeting; repeating could make a second one (no idempotency key)."""
    fake_zoom.stall_next(1.5)

    with pytest.raises(VideoUnavailable, match="did not answer .ReadTimeout"):
        zoom.create(physio())

    assert fake_zoom.api_requests() == [("POST", "/v2/users/me/meetings")]
    assert waits == []


def test_a_cancel_that_times_out_is_repeated(zoom, fake_zoom, waits):
    created = zoom.create(physio())
    fake_zoom.stall_next(1.5)

    zoom.cancel(created.meeting_id)

    assert waits == [0.5]
    assert fake_zoom.meetings == {}


def test_an_unreachable_zoom_is_unavailable_after_bounded_retries(waits):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    zoom = ZoomMeetings(account_id=ACCOUNT_ID, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        api_base=closed, oauth_base=closed, timeout_seconds=0.5, sleep=waits)

    with pytest.raises(VideoUnavailable, match="ConnectError after 3 attempts"):
        zoom.create(physio())

    assert waits == [0.5, 1.0]


# --- secrets ---------------------------------------------------------------------------------------


def test_no_credential_or_token_reaches_the_logs_or_the_errors(zoom, fake_zoom, caplog):
    caplog.set_level(logging.DEBUG)
    failures: list[str] = []

    created = zoom.create(physio())
    fake_zoom.revoke_tokens()
    fake_zoom.fail_next(1, 429, retry_after="1")
    zoom.update(created.meeting_id, physio())
    fake_zoom.fail_next(3, 503)
    with pytest.raises(VideoUnavailable) as unavailable:
        zoom.cancel(created.meeting_id)
    failures.append(str(unavailable.value))

    issued = list(fake_zoom.tokens)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    text = caplog.text + "\n".join(failures) + repr(zoom)
    assert caplog.records, "the adapter logs its retries"
    for secret in [CLIENT_SECRET, basic, ACCOUNT_ID, *issued]:
        assert secret not in text
