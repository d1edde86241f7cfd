"""ZoomMeetings keeps its Server-to-Server OAuth token until shortly before Zoom says it expires,
on its own clock, and its consumer lanes share one token."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from scheduling.adapters.video import MeetingRequest, ZoomMeetings

from .conftest import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, FakeZoom


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request() -> MeetingRequest:
    return MeetingRequest(appointment_id=uuid.uuid4(), topic="Telehealth consultation",
                          start=datetime(2026, 12, 3, 8, 30, tzinfo=UTC), duration_minutes=30, timezone="UTC")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def zoom(fake_zoom: FakeZoom, clock: Clock) -> ZoomMeetings:
    meetings = ZoomMeetings(account_id=ACCOUNT_ID, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                            api_base=fake_zoom.base_url, oauth_base=fake_zoom.base_url, clock=clock)
    yield meetings
    meetings.close()


def test_one_token_serves_every_call_while_it_is_fresh(zoom, fake_zoom, clock):
    for _ in range(3):
        zoom.create(request())
        clock.now += 600

    assert fake_zoom.token_requests() == 1


def test_the_token_is_renewed_a_minute_before_it_expires_not_after(zoom, fake_zoom, clock):
    zoom.create(request())
    clock.now += 3599 - 60 - 1
    zoom.create(request())
    assert fake_zoom.token_requests() == 1

    clock.now += 1
    zoom.create(request())

    assert fake_zoom.token_requests() == 2
    # Renewed ahead of time: Zoom never had to refuse a token.
    assert len(fake_zoom.api_requests()) == 3


def test_a_short_lived_token_is_renewed_at_half_its_life(zoom, fake_zoom, clock):
    fake_zoom.token_lifetime = 30
    zoom.create(request())

    clock.now += 14
    zoom.create(request())
    assert fake_zoom.token_requests() == 1

    clock.now += 1
    zoom.create(request())
    assert fake_zoom.token_requests() == 2


def test_concurrent_lanes_share_one_token(zoom, fake_zoom):
    with ThreadPoolExecutor(max_workers=6) as lanes:
        meetings = list(lanes.map(lambda _: zoom.create(request()), range(12)))

    assert fake_zoom.token_requests() == 1
    assert len({m.meeting_id for m in meetings}) == 12


def test_after_zoom_drops_the_token_every_lane_moves_to_one_new_token(zoom, fake_zoom):
    zoom.create(request())
    fake_zoom.revoke_tokens()

    with ThreadPoolExecutor(max_workers=4) as lanes:
        list(lanes.map(lambda _: zoom.create(request()), range(8)))

    assert len(fake_zoom.meetings) == 9
    # A lane refused with the old token after another lane replaced it takes the replacement.
    assert fake_zoom.token_requests() == 2
