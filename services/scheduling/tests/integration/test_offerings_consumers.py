"""Scheduling applies catalog's provider, service and calendar events exactly once, newest
version wins, an archive keeps the row marked archived (both backends)."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from clinic_runtime.messaging.consumers import apply_delivered
from scheduling.entrypoints.consumers import calendar_snapshot, handlers, provider_snapshot, service_snapshot

pytestmark = pytest.mark.integration


@pytest.fixture(params=["provider", "service", "calendar"])
def kind(request, directory, provider_event, service_event, calendar_event):
    """One kind of thing catalog publishes: its event factory, the snapshot scheduling makes of
    an event, what scheduling holds of it now, and its read model's table."""
    return {
        "provider": (provider_event, provider_snapshot,
                     lambda e: directory.provider(e.clinic_id, e.provider_id), "provider_directory"),
        "service": (service_event, service_snapshot,
                    lambda e: directory.service(e.clinic_id, e.service_id), "service_directory"),
        "calendar": (calendar_event, calendar_snapshot,
                     lambda e: next((c for c in directory.calendars(e.clinic_id, e.service_id)
                                     if c.calendar_id == e.calendar_id), None), "calendar_directory"),
    }[request.param]


def test_scheduling_consumes_catalogs_clinics_providers_services_and_calendars():
    assert [event_type for event_type in handlers.event_types if event_type.startswith("catalog.")] == sorted(
        f"catalog.{thing}.{change}.v1"
        for thing, changes in {"clinic": ["upserted"], "provider": ["upserted", "archived"],
                               "service": ["upserted", "archived"], "calendar": ["upserted", "archived"]}.items()
        for change in changes
    )


def test_an_upserted_thing_is_held_as_its_event_said(sessions, directory, envelope_of, kind):
    event_of, snapshot_of, held, _ = kind
    envelope = envelope_of(event_of(1))

    assert apply_delivered(handlers, sessions, envelope) is True

    assert held(event_of(1)) == snapshot_of(event_of(1))
    assert directory.inbox() == [(envelope.id, "scheduling", envelope.type)]


def test_a_newer_version_replaces_the_one_held(sessions, directory, envelope_of, kind):
    event_of, snapshot_of, held, table = kind
    apply_delivered(handlers, sessions, envelope_of(event_of(1)))

    assert apply_delivered(handlers, sessions, envelope_of(event_of(2))) is True

    assert held(event_of(2)) == snapshot_of(event_of(2))
    assert directory.count(table) == 1


def test_an_archive_keeps_the_row_marked_archived(sessions, directory, envelope_of, kind):
    event_of, snapshot_of, held, table = kind
    apply_delivered(handlers, sessions, envelope_of(event_of(1)))
    archive = event_of(2, archived=True)

    assert apply_delivered(handlers, sessions, envelope_of(archive)) is True

    assert held(archive) == snapshot_of(archive)
    assert held(archive).archived is True
    assert directory.count(table) == 1


def test_a_change_delivered_after_the_archive_that_followed_it_is_ignored(sessions, directory, envelope_of, kind):
    event_of, snapshot_of, held, _ = kind
    archive, late = envelope_of(event_of(3, archived=True)), envelope_of(event_of(2))
    apply_delivered(handlers, sessions, archive)

    assert apply_delivered(handlers, sessions, late) is True  # delivered and recorded, but without effect

    assert held(event_of(3)) == snapshot_of(event_of(3, archived=True))
    assert {row[0] for row in directory.inbox()} == {archive.id, late.id}


def test_whatever_order_versions_are_delivered_in_the_newest_is_held(sessions, envelope_of, kind):
    event_of, snapshot_of, held, _ = kind
    for version in (3, 1, 4, 2):
        apply_delivered(handlers, sessions, envelope_of(event_of(version)))

    assert held(event_of(4)) == snapshot_of(event_of(4))


def test_a_duplicate_delivery_is_skipped(sessions, directory, envelope_of, kind):
    event_of, _, held, _ = kind
    envelope = envelope_of(event_of(1))
    apply_delivered(handlers, sessions, envelope)
    tampered = envelope_of(event_of(2)).model_copy(update={"id": envelope.id})

    assert apply_delivered(handlers, sessions, tampered) is False

    assert held(event_of(1)).version == 1
    assert len(directory.inbox()) == 1


def test_fields_the_contract_does_not_know_are_ignored(sessions, envelope_of, kind):
    event_of, snapshot_of, held, _ = kind

    assert apply_delivered(handlers, sessions, envelope_of(event_of(1), rating=5, tags=["new"])) is True

    assert held(event_of(1)) == snapshot_of(event_of(1))


def test_a_payload_that_breaks_the_contract_raises_and_writes_nothing(sessions, directory, envelope_of, kind):
    event_of, _, held, table = kind
    envelope = envelope_of(event_of(1))
    poison = envelope.model_copy(update={"data": {**envelope.data, "version": "newest"}})

    with pytest.raises(ValidationError):
        apply_delivered(handlers, sessions, poison)

    assert directory.inbox() == []
    assert directory.count(table) == 0


def test_a_service_with_its_own_refund_policy_and_no_cancellation_window_is_held_so(sessions, directory,
                                                                                    envelope_of, service_event):
    event = service_event(1, cancellation_window_hours=None,
                          refund_policy={"kind": "partial", "percent": 40, "text": "40 % back."})

    apply_delivered(handlers, sessions, envelope_of(event))

    assert directory.service(event.clinic_id, event.service_id) == service_snapshot(event)


def test_a_calendar_without_price_hours_or_dates_is_held_so(sessions, directory, envelope_of, calendar_event):
    event = calendar_event(1, kind="standard", price=None, hours=[], bookable_from=None, bookable_until=None)

    apply_delivered(handlers, sessions, envelope_of(event))

    [held] = directory.calendars(event.clinic_id, event.service_id)
    assert held == calendar_snapshot(event)


def test_a_services_calendars_are_its_own_in_its_clinic_archived_ones_included(sessions, directory, envelope_of,
                                                                                calendar_event):
    standard = calendar_event(1, calendar_id=uuid.uuid4(), name="Standard", kind="standard", price=None)
    promotion = calendar_event(2, name="Promotion", archived=True)
    other_service = calendar_event(1, calendar_id=uuid.uuid4(), service_id=uuid.uuid4())
    other_clinic = calendar_event(1, calendar_id=uuid.uuid4(), clinic_id=uuid.uuid4())
    for event in (standard, promotion, other_service, other_clinic):
        apply_delivered(handlers, sessions, envelope_of(event))

    assert directory.calendars(standard.clinic_id, standard.service_id) == [
        calendar_snapshot(promotion), calendar_snapshot(standard),
    ]
