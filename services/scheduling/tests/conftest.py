"""Catalog's events about one clinic's specialist, service and booking calendar, as catalog
emits them (unit and integration tests both build on these)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest

from clinic_contracts import Envelope
from clinic_contracts.events import catalog as events

CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
PROVIDER_ID = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01")
SERVICE_ID = uuid.UUID("0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f01")
CALENDAR_ID = uuid.UUID("0190f3a5-4e5f-7061-8293-4d5e6f7a8b01")
LOCATION_ID = uuid.UUID("0190f3a2-7d2f-7c5e-8b64-3f9e5d2e8b01")
BUCHAREST = timezone(timedelta(hours=2))


def _at(version: int) -> datetime:
    return datetime(2026, 3, 14, 11, version, tzinfo=BUCHAREST)


@pytest.fixture
def provider_event() -> Callable[..., events.ProviderSnapshot]:
    """catalog.provider.upserted.v1 at `version` (catalog.provider.archived.v1 when archived)."""

    def make(version: int = 1, *, archived: bool = False, **changes) -> events.ProviderSnapshot:
        model = events.ProviderArchivedV1 if archived else events.ProviderUpsertedV1
        return model(**{
            "clinic_id": CLINIC_ID, "provider_id": PROVIDER_ID, "name": f"Dr. Ana Popescu v{version}",
            "email": "ana.popescu@dentalcare.ro", "mobile": "+40712345678", "timezone": "Europe/Bucharest",
            "location_ids": [LOCATION_ID], "version": version, "archived": archived,
            "updated_at": _at(version), **changes,
        })

    return make


@pytest.fixture
def service_event() -> Callable[..., events.ServiceSnapshot]:
    """catalog.service.upserted.v1 at `version` (catalog.service.archived.v1 when archived)."""

    def make(version: int = 1, *, archived: bool = False, **changes) -> events.ServiceSnapshot:
        model = events.ServiceArchivedV1 if archived else events.ServiceUpsertedV1
        return model(**{
            "clinic_id": CLINIC_ID, "service_id": SERVICE_ID, "name": f"Physiotherapy session v{version}",
            "description": "A 50-minute one-to-one session with a physiotherapist.", "duration_minutes": 50,
            "price": {"amount_minor": 20000, "currency": "RON"}, "buffer_before_minutes": 5,
            "buffer_after_minutes": 10, "provider_ids": [PROVIDER_ID],
            "required_forms": [{"kind": "intake", "template_key": "physio-intake"},
                               {"kind": "consent", "template_key": "treatment-consent"}],
            "documents": [{
                "document_id": uuid.UUID("0190f3a4-3d4e-7f60-b182-3c4d5e6f7a01"), "kind": "preparation",
                "title": "How to prepare", "filename": "preparation.pdf", "content_type": "application/pdf",
                "size_bytes": 48213, "sha256": "9f2b" * 16, "archived": False,
            }],
            "cancellation_window_hours": 48, "refund_policy": None,
            "reminders": {"before_24h": True, "before_1h": False}, "version": version, "archived": archived,
            "updated_at": _at(version), **changes,
        })

    return make


@pytest.fixture
def calendar_event() -> Callable[..., events.CalendarSnapshot]:
    """catalog.calendar.upserted.v1 at `version` (catalog.calendar.archived.v1 when archived)."""

    def make(version: int = 1, *, archived: bool = False, **changes) -> events.CalendarSnapshot:
        model = events.CalendarArchivedV1 if archived else events.CalendarUpsertedV1
        return model(**{
            "clinic_id": CLINIC_ID, "calendar_id": CALENDAR_ID, "service_id": SERVICE_ID,
            "name": f"Spring promotion v{version}", "kind": "promotion",
            "price": {"amount_minor": 15000, "currency": "RON"}, "timezone": "Europe/Bucharest",
            "hours": [{"weekday": 1, "start": "09:00", "end": "13:00"},
                      {"weekday": 3, "start": "14:00", "end": "24:00"}],
            "bookable_from": date(2026, 4, 1), "bookable_until": date(2026, 4, 30), "version": version,
            "archived": archived, "updated_at": _at(version), **changes,
        })

    return make


@pytest.fixture
def envelope_of() -> Callable[..., Envelope]:
    """The envelope catalog publishes `event` in; `extra` adds fields this version of the
    contract does not know (a producer may add fields at any time)."""

    def wrap(event: events.Event, **extra) -> Envelope:
        envelope = Envelope.wrap(event, clinic_id=event.clinic_id, correlation_id=f"corr-v{event.version}")
        return envelope.model_copy(update={"data": {**envelope.data, **extra}}) if extra else envelope

    return wrap
