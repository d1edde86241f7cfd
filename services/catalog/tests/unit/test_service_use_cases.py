"""Use cases on services (catalog.service_layer.services), on fakes."""

from __future__ import annotations

import uuid

import pytest

from catalog.adapters.entries import Listing
from catalog.domain.values import RefundPolicy
from catalog.service_layer.calendars import add_calendar, archive_calendar
from catalog.service_layer.errors import InUse
from catalog.service_layer.plans import add_plan
from catalog.service_layer.providers import add_provider, archive_provider
from catalog.service_layer.services import (
    add_service,
    archive_service,
    change_service,
    list_services,
    offered_service,
)
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import ServiceArchivedV1, ServiceUpsertedV1
from clinic_runtime.refusals import Invalid, NotFound


@pytest.fixture
def specialist(uow, clinic, provider_details, reference, now):
    added = add_provider(uow, clinic.id, provider_details(), reference, now)
    uow.published.clear()
    return added


@pytest.fixture
def service(uow, clinic, specialist, service_details, reference, now):
    added = add_service(uow, clinic.id, service_details(provider_ids=(specialist.id,)), reference, now)
    uow.published.clear()
    return added


def test_adding_publishes_the_full_snapshot_of_the_service(uow, clinic, specialist, service_details, reference, now):
    details = service_details(provider_ids=(specialist.id,), buffer_after_minutes=10, cancellation_window_hours=48,
                              refund_policy=RefundPolicy("partial", 50, "Half back."), minimum_notice_minutes=120,
                              booking_horizon_days=90)

    service = add_service(uow, clinic.id, details, reference, now)

    assert uow.published == [(ServiceUpsertedV1(
        clinic_id=clinic.id, service_id=service.id, name="Physiotherapy session",
        description="One to one, 50 minutes.", duration_minutes=50,
        price=events.Money(amount_minor=20000, currency="RON"), buffer_before_minutes=0, buffer_after_minutes=10,
        provider_ids=[specialist.id], required_forms=[], documents=[], cancellation_window_hours=48,
        refund_policy=events.RefundPolicy(kind="partial", percent=50, text="Half back."),
        reminders=events.Reminders(before_24h=True, before_1h=True), minimum_notice_minutes=120,
        booking_horizon_days=90, version=1, archived=False, updated_at=now,
    ), clinic.id)]


def test_the_price_must_be_in_the_clinics_currency(uow, clinic, service_details, reference, ron, now):
    with pytest.raises(Invalid) as refused:
        add_service(uow, clinic.id, service_details(price=ron(100, "EUR")), reference, now)

    assert refused.value.problems[0].message == "must be the clinic's currency, RON"


def test_an_unknown_or_foreign_specialist_is_refused_and_nothing_is_stored(uow, clinic, other_clinic,
                                                                          provider_details, service_details,
                                                                          reference, now):
    theirs = add_provider(uow, other_clinic.id, provider_details(), reference, now)
    uow.published.clear()

    with pytest.raises(Invalid) as refused:
        add_service(uow, clinic.id, service_details(provider_ids=(uuid.uuid4(), theirs.id)), reference, now)

    assert [p.field for p in refused.value.problems] == ["provider_ids.0", "provider_ids.1"]
    assert uow.services.all() == []
    assert uow.published == []


def test_an_archived_specialist_cannot_be_assigned(uow, clinic, specialist, service_details, reference, now, later):
    archive_provider(uow, clinic.id, specialist.id, 1, later)

    with pytest.raises(Invalid) as refused:
        add_service(uow, clinic.id, service_details(provider_ids=(specialist.id,)), reference, now)

    assert refused.value.problems[0].message == f"provider {specialist.id} is archived"


def test_changing_a_service_publishes_its_new_snapshot(uow, service, service_details, reference, later):
    changed = change_service(uow, service.clinic_id, service.id, service_details(duration_minutes=30), 1,
                             reference, later)

    assert [(type(e), e.duration_minutes, e.version, e.provider_ids) for e, _ in uow.published] == [
        (ServiceUpsertedV1, 30, 2, [])]
    assert changed.details.provider_ids == ()


def test_a_service_keeps_something_bookable_through_each_of_its_active_calendars(uow, service, service_details,
                                                                                 calendar_details, reference, now,
                                                                                 later):
    held = add_calendar(uow, service.clinic_id, calendar_details(service.id, minimum_notice_minutes=4320),
                        reference, now)
    archived = add_calendar(uow, service.clinic_id, calendar_details(service.id, minimum_notice_minutes=2880),
                            reference, now)
    archive_calendar(uow, service.clinic_id, service.id, archived.id, 1, now)
    uow.published.clear()

    with pytest.raises(Invalid) as refused:
        change_service(uow, service.clinic_id, service.id, service_details(booking_horizon_days=3), 1, reference,
                       later)
    changed = change_service(uow, service.clinic_id, service.id, service_details(booking_horizon_days=4), 1,
                             reference, later)

    assert [(p.field, str(held.id) in p.message) for p in refused.value.problems] == [("booking_horizon_days", True)]
    assert changed.details.booking_horizon_days == 4


def test_archiving_publishes_the_archived_snapshot(uow, service, later):
    archive_service(uow, service.clinic_id, service.id, 1, later)

    assert [(type(e), e.archived, e.version) for e, _ in uow.published] == [(ServiceArchivedV1, True, 2)]


def test_a_service_whose_sessions_active_plans_sell_cannot_be_archived(uow, service, plan_details, reference, now,
                                                                       later):
    plan = add_plan(uow, service.clinic_id, plan_details(service_ids=(service.id,)), reference, now)
    uow.published.clear()

    with pytest.raises(InUse) as refused:
        archive_service(uow, service.clinic_id, service.id, 1, later)

    assert refused.value.users == {"plans": [plan.id]}
    assert uow.published == []


def test_services_are_listed_by_the_specialist_who_delivers_them(uow, clinic, specialist, service, service_details,
                                                                 reference, now):
    add_service(uow, clinic.id, service_details(name="Massage"), reference, now)

    assert list_services(uow, clinic.id, Listing(), provider_id=specialist.id).entries == [service]


def test_an_offered_service_is_an_active_one(uow, service):
    assert offered_service(uow, service.clinic_id, service.id) == service


def test_an_archived_service_is_not_offered(uow, service, later):
    archive_service(uow, service.clinic_id, service.id, 1, later)

    with pytest.raises(NotFound) as refused:
        offered_service(uow, service.clinic_id, service.id)

    assert refused.value.what == "service"
