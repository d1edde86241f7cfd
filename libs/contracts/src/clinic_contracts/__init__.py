"""Event contracts shared by every clinic service."""

from clinic_contracts.envelope import Envelope, Event, new_event_id, schema_uri, uuid7
from clinic_contracts.registry import EVENT_MODELS, event_model

__all__ = ["EVENT_MODELS", "Envelope", "Event", "event_model", "new_event_id", "schema_uri", "uuid7"]
