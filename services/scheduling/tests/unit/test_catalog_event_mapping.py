"""Scheduling keeps only the part of catalog's events it needs, and nothing it does not know."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, date, datetime

import pytest

from clinic_contracts.events import catalog as events
from scheduling.domain.clinic_directory import ClinicSnapshot
from scheduling.domain.offerings import (
    CalendarSnapshot,
    HourWindow,
    Money,
    ProviderSnapshot,
    RefundPolicy,
    Reminders,
    RequiredForm,
    ServiceSnapshot,
)
from scheduling.entrypoints.consumers import calendar_snapshot, clinic_snapshot, provider_snapshot, service_snapshot

UNKNOWN = {"rating": 5, "colour": "teal", "price_history": [{"amount_minor": 1}]}


# -- providers ----------------------------------------------------------------------------------


def test_a_specialist_is_kept_with_what_booking_needs(provider_event):
    event = provider_event(2)

    assert provider_snapshot(event) == ProviderSnapshot(
        clinic_id=event.clinic_id, provider_id=event.provider_id, name="Dr. Ana Popescu v2",
        timezone="Europe/Bucharest", location_ids=tuple(event.location_ids), version=2, archived=False,
        updated_at=datetime(2026, 3, 14, 9, 2, tzinfo=UTC),
    )


def test_a_specialists_contact_details_are_not_kept(provider_event):
    kept = {field.name for field in fields(provider_snapshot(provider_event(1)))}

    assert not kept & {"email", "mobile"}


def test_an_archived_specialist_maps_to_an_archived_snapshot(provider_event):
    assert provider_snapshot(provider_event(3, archived=True)).archived is True


# -- services -----------------------------------------------------------------------------------


def test_a_service_is_kept_with_what_slots_and_bookings_need(service_event):
    event = service_event(4)

    assert service_snapshot(event) == ServiceSnapshot(
        clinic_id=event.clinic_id, service_id=event.service_id, name="Physiotherapy session v4",
        duration_minutes=50, price=Money(20000, "RON"), buffer_before_minutes=5, buffer_after_minutes=10,
        provider_ids=tuple(event.provider_ids),
        required_forms=(RequiredForm("intake", "physio-intake"), RequiredForm("consent", "treatment-consent")),
        cancellation_window_hours=48, refund_policy=None, reminders=Reminders(before_24h=True, before_1h=False),
        version=4, archived=False, updated_at=datetime(2026, 3, 14, 9, 4, tzinfo=UTC),
    )


def test_a_service_without_its_own_policy_leaves_it_to_the_clinic(service_event):
    kept = service_snapshot(service_event(1, cancellation_window_hours=None, refund_policy=None))

    assert (kept.cancellation_window_hours, kept.refund_policy) == (None, None)


def test_a_services_own_refund_policy_is_kept(service_event):
    policy = {"kind": "partial", "percent": 50, "text": "Half back up to 24 hours before."}

    kept = service_snapshot(service_event(1, refund_policy=policy))

    assert kept.refund_policy == RefundPolicy("partial", 50, "Half back up to 24 hours before.")


def test_a_services_minimum_notice_and_booking_horizon_are_kept(service_event):
    kept = service_snapshot(service_event(1, minimum_notice_minutes=0, booking_horizon_days=30))

    assert (kept.minimum_notice_minutes, kept.booking_horizon_days) == (0, 30)


def test_a_services_description_and_documents_are_not_kept(service_event):
    kept = {field.name for field in fields(service_snapshot(service_event(1)))}

    assert not kept & {"description", "documents"}


# -- booking calendars --------------------------------------------------------------------------


def test_a_calendar_is_kept_with_its_price_hours_and_dates(calendar_event):
    event = calendar_event(2)

    assert calendar_snapshot(event) == CalendarSnapshot(
        clinic_id=event.clinic_id, calendar_id=event.calendar_id, service_id=event.service_id,
        name="Spring promotion v2", kind="promotion", price=Money(15000, "RON"), timezone="Europe/Bucharest",
        hours=(HourWindow(1, "09:00", "13:00"), HourWindow(3, "14:00", "24:00")),
        bookable_from=date(2026, 4, 1), bookable_until=date(2026, 4, 30), version=2, archived=False,
        updated_at=datetime(2026, 3, 14, 9, 2, tzinfo=UTC),
    )


def test_a_calendar_without_a_price_or_dates_takes_the_services_and_stays_open(calendar_event):
    kept = calendar_snapshot(calendar_event(1, kind="standard", price=None, hours=[], bookable_from=None,
                                            bookable_until=None))

    assert (kept.price, kept.hours, kept.bookable_from, kept.bookable_until) == (None, (), None, None)


def test_a_calendars_own_minimum_notice_and_booking_horizon_are_kept(calendar_event):
    kept = calendar_snapshot(calendar_event(1, minimum_notice_minutes=2880, booking_horizon_days=14))

    assert (kept.minimum_notice_minutes, kept.booking_horizon_days) == (2880, 14)


# -- clinics ------------------------------------------------------------------------------------


def test_a_clinics_default_cancellation_window_and_refund_policy_are_kept():
    event = events.ClinicUpsertedV1(
        clinic_id=uuid.uuid4(), slug="physio-cluj", name="Physio Cluj", timezone="Europe/Bucharest",
        currency="RON", locale="ro-RO", version=1, updated_at=datetime(2026, 3, 14, 9, 0, tzinfo=UTC),
        cancellation_window_hours=12, refund_policy={"kind": "none", "text": "No refunds."},
    )

    kept = clinic_snapshot(event)

    assert kept == ClinicSnapshot(
        clinic_id=event.clinic_id, slug="physio-cluj", name="Physio Cluj", timezone="Europe/Bucharest",
        currency="RON", locale="ro-RO", version=1, archived=False, updated_at=event.updated_at,
        cancellation_window_hours=12, refund_policy=RefundPolicy("none", None, "No refunds."),
    )


# -- every kind ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("factory", "model", "mapping"), [
    ("provider_event", events.ProviderUpsertedV1, provider_snapshot),
    ("provider_event", events.ProviderArchivedV1, provider_snapshot),
    ("service_event", events.ServiceUpsertedV1, service_snapshot),
    ("service_event", events.ServiceArchivedV1, service_snapshot),
    ("calendar_event", events.CalendarUpsertedV1, calendar_snapshot),
    ("calendar_event", events.CalendarArchivedV1, calendar_snapshot),
])
def test_fields_a_producer_adds_later_are_ignored(request, envelope_of, factory, model, mapping):
    event = request.getfixturevalue(factory)(2, archived=model.event_type.endswith(".archived.v1"))
    extended = envelope_of(event, **UNKNOWN)

    assert mapping(extended.payload(model)) == mapping(event)
