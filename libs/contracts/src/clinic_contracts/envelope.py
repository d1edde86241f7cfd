"""The CloudEvents 1.0 envelope every domain event travels in.

Attributes follow CloudEvents (https://github.com/cloudevents/spec) plus three extensions the
platform relies on: `clinicid` (tenancy), `correlationid` (one user action across services) and
`traceparent` (W3C trace context, so traces cross the broker).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar, Literal, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_BASE_URI = "https://schemas.clinic-platform.dev/events/"


class Event(BaseModel):
    """Base of every event payload. Subclasses set `event_type`, which carries the version.

    Consumers ignore unknown fields, so a producer may add optional fields without a new version.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    # The service that emits this event: the CloudEvents `source` and the AsyncAPI sender.
    producer: ClassVar[str]

    def subject(self) -> str | None:
        """The CloudEvents `subject`: the id of the thing the event is about."""
        return None


E = TypeVar("E", bound=Event)


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    source: str
    type: str
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    clinicid: uuid.UUID | None = Field(
        default=None, description="The tenant; absent only for platform-wide events."
    )
    correlationid: str
    traceparent: str | None = None
    data: dict

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        clinic_id: uuid.UUID | None,
        correlation_id: str,
        traceparent: str | None = None,
        event_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        return cls(
            id=event_id or new_event_id(),
            source=f"/services/{event.producer}",
            type=event.event_type,
            time=occurred_at or datetime.now(UTC),
            subject=event.subject(),
            dataschema=schema_uri(event.event_type),
            clinicid=clinic_id,
            correlationid=correlation_id,
            traceparent=traceparent,
            data=event.model_dump(mode="json"),
        )

    def payload(self, model: type[E]) -> E:
        if model.event_type != self.type:
            raise ValueError(f"envelope carries {self.type}, not {model.event_type}")
        return model.model_validate(self.data)


def schema_uri(event_type: str) -> str:
    return f"{SCHEMA_BASE_URI}{event_type}.json"


def new_event_id() -> uuid.UUID:
    """A time-ordered id (UUIDv7), so ids sort roughly by creation."""
    return uuid7()


def uuid7() -> uuid.UUID:
    # Python 3.11 has no uuid.uuid7; RFC 9562 layout: 48-bit ms timestamp, version, random.
    import os
    import time

    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
