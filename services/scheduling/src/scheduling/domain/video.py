"""An appointment's video meeting, as scheduling asks for it and as a provider answers.

`MeetingRequest` is what an appointment needs from a provider: a topic, an aware start, a
duration and the zone the meeting is shown in. `VideoMeeting` is the provider's answer, with the
same fields as the contract's VideoMeeting: the join link is for the patient, the host link only
for the specialist. The providers themselves are in scheduling.adapters.video.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from clinic_contracts.zones import is_time_zone
from scheduling.domain.errors import RuleBroken

# Zoom's limit on a topic; the sandbox keeps the same so that both behave alike.
MAX_TOPIC = 200
# A meeting longer than a day is a mistake, not an appointment.
MAX_DURATION_MINUTES = 24 * 60

VideoProvider = Literal["zoom", "sandbox"]


@dataclass(frozen=True)
class MeetingRequest:
    """The meeting one appointment needs. The topic is shown to everyone invited, so it names the
    service and the specialist, never the patient's contact details."""

    appointment_id: uuid.UUID
    topic: str
    start: datetime  # aware
    duration_minutes: int
    timezone: str  # IANA zone the provider shows the start in

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise RuleBroken("start", "a meeting starts at an aware instant")
        if not 1 <= self.duration_minutes <= MAX_DURATION_MINUTES:
            raise RuleBroken("duration_minutes", f"a meeting lasts 1 to {MAX_DURATION_MINUTES} minutes")
        if not self.topic.strip():
            raise RuleBroken("topic", "a meeting needs a topic")
        if not is_time_zone(self.timezone):
            raise RuleBroken("timezone", f"{self.timezone!r} is not an IANA time zone")

    @property
    def short_topic(self) -> str:
        """The topic as the provider stores it (at most MAX_TOPIC characters)."""
        topic = self.topic.strip()
        return topic if len(topic) <= MAX_TOPIC else topic[: MAX_TOPIC - 1] + "…"


@dataclass(frozen=True)
class VideoMeeting:
    provider: VideoProvider
    meeting_id: str
    join_url: str  # for the patient
    host_url: str  # starts the meeting as host: for the specialist only
