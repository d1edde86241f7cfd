"""Scheduling applies catalog.clinic.upserted.v1 exactly once, newest version wins (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from clinic_runtime.messaging.consumers import apply_delivered
from scheduling.entrypoints.consumers import handlers

pytestmark = pytest.mark.integration

UPSERTED = "catalog.clinic.upserted.v1"


def test_scheduling_consumes_clinic_upserted_in_its_own_group():
    assert handlers.group == "scheduling"
    assert UPSERTED in handlers.event_types


def test_an_upserted_clinic_is_recorded_with_its_event_in_the_inbox(sessions, directory, clinic_upserted,
                                                                   snapshot_of):
    envelope = clinic_upserted(1)

    assert apply_delivered(handlers, sessions, envelope) is True

    held = directory.get()
    assert held == snapshot_of(envelope)
    assert held.updated_at.tzinfo is UTC  # the event said 11:01+02:00: kept as the same instant, in UTC
    assert held.updated_at == datetime(2026, 3, 14, 9, 1, tzinfo=UTC)
    assert directory.inbox() == [(envelope.id, "scheduling", UPSERTED)]


def test_a_duplicate_delivery_is_skipped_and_changes_nothing(sessions, directory, clinic_upserted):
    envelope = clinic_upserted(1)
    apply_delivered(handlers, sessions, envelope)
    before = directory.get()

    assert apply_delivered(handlers, sessions, envelope) is False

    assert directory.get() == before
    assert directory.inbox() == [(envelope.id, "scheduling", UPSERTED)]


def test_a_redelivered_event_id_is_skipped_even_if_its_payload_would_supersede(sessions, directory,
                                                                              clinic_upserted, snapshot_of):
    first = clinic_upserted(1)
    apply_delivered(handlers, sessions, first)
    tampered = clinic_upserted(2).model_copy(update={"id": first.id})

    assert apply_delivered(handlers, sessions, tampered) is False

    assert directory.get() == snapshot_of(first)


def test_a_newer_version_replaces_the_snapshot(sessions, directory, clinic_upserted, snapshot_of):
    apply_delivered(handlers, sessions, clinic_upserted(1))
    newer = clinic_upserted(2, currency="EUR", archived=True)

    assert apply_delivered(handlers, sessions, newer) is True

    assert directory.get() == snapshot_of(newer)
    assert directory.clinic_count() == 1


def test_an_older_version_arriving_after_a_newer_one_is_ignored(sessions, directory, clinic_upserted, snapshot_of):
    newer, older = clinic_upserted(3), clinic_upserted(2)
    apply_delivered(handlers, sessions, newer)

    assert apply_delivered(handlers, sessions, older) is True  # delivered and recorded, but without effect

    assert directory.get() == snapshot_of(newer)
    assert {row[0] for row in directory.inbox()} == {newer.id, older.id}


def test_unknown_fields_in_the_payload_are_ignored(sessions, directory, clinic_upserted, snapshot_of):
    envelope = clinic_upserted(1)
    extended = envelope.model_copy(update={"data": {**envelope.data, "phone": "+40 721 000 000", "rating": 5}})

    assert apply_delivered(handlers, sessions, extended) is True

    assert directory.get() == snapshot_of(envelope)


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda data: {k: v for k, v in data.items() if k != "version"}, id="missing-version"),
        pytest.param(lambda data: {**data, "clinic_id": "not-a-uuid"}, id="clinic-id-not-a-uuid"),
        pytest.param(lambda data: {**data, "version": "newest"}, id="version-not-a-number"),
        pytest.param(lambda data: {**data, "updated_at": "2026-03-14T09:00:00"}, id="updated-at-without-offset"),
        pytest.param(lambda data: {}, id="empty-payload"),
    ],
)
def test_a_payload_that_breaks_the_contract_raises_and_writes_nothing(sessions, directory, clinic_upserted,
                                                                     breakage):
    envelope = clinic_upserted(1)
    poison = envelope.model_copy(update={"data": breakage(dict(envelope.data))})

    with pytest.raises(ValidationError):
        apply_delivered(handlers, sessions, poison)

    assert directory.inbox() == []
    assert directory.get() is None
