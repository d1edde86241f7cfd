"""Use cases on booking calendars (catalog.service_layer.calendars), on fakes."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from catalog.adapters.entries import Listing
from catalog.domain.calendars import HourWindow
from catalog.service_layer.calendars import (
    add_calendar,
    archive_calendar,
    change_calendar,
    list_calendars,
    offered_calendars,
    read_calendar,
)
from catalog.service_layer.services import add_service, archive_service
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import CalendarArchivedV1, CalendarUpsertedV1
from clinic_runtime.refusals import Invalid, NotFound


@pytest.fixture
def calendar(uow, service, calendar_details, reference, now):
    added = add_calendar(uow, service.clinic_id, calendar_details(service.id), reference, now)
    uow.published.clear()
    return added


def test_a_calendar_is_vetted_with_its_services_booking_window(uow, clinic, service_details, calendar_details,
                                                                reference, now):
    short = add_service(uow, clinic.id, service_details(booking_horizon_days=2), reference, now)
    uow.published.clear()

    with pytest.raises(Invalid) as refused:
        add_calendar(uow, clinic.id, calendar_details(short.id, minimum_notice_minutes=43200), reference, now)

    assert [p.field for p in refused.value.problems] == ["minimum_notice_minutes"]
    assert uow.calendars.all() == []
    assert uow.published == []


def test_adding_a_calendar_publishes_its_snapshot_and_leaves_the_service_as_it_was(uow, service, calendar_details,
                                                                                   reference, ron, now):
    details = calendar_details(service.id, name="Spring promotion", kind="promotion", price=ron(15000),
                               hours=(HourWindow(1, "09:00", "13:00"),), bookable_from=date(2026, 4, 1),
                               bookable_until=date(2026, 4, 30), minimum_notice_minutes=0, booking_horizon_days=30)

    calendar = add_calendar(uow, service.clinic_id, details, reference, now)

    assert uow.published == [(CalendarUpsertedV1(
        clinic_id=service.clinic_id, calendar_id=calendar.id, service_id=service.id, name="Spring promotion",
        kind="promotion", price=events.Money(amount_minor=15000, currency="RON"), timezone="Europe/Bucharest",
        hours=[events.HourWindow(weekday=1, start="09:00", end="13:00")], bookable_from=date(2026, 4, 1),
        bookable_until=date(2026, 4, 30), minimum_notice_minutes=0, booking_horizon_days=30, version=1,
        archived=False, updated_at=now), service.clinic_id)]
    assert uow.services.get(service.clinic_id, service.id) == service


def test_without_a_zone_a_calendar_keeps_the_clinics(uow, service, calendar_details, reference, now):
    calendar = add_calendar(uow, service.clinic_id, calendar_details(service.id, timezone=None), reference, now)

    assert calendar.details.timezone == "Europe/Bucharest"


def test_a_calendar_of_a_service_the_clinic_does_not_have_is_refused(uow, clinic, other_clinic, calendar_details,
                                                                     service_details, reference, now):
    theirs = add_service(uow, other_clinic.id, service_details(), reference, now)

    with pytest.raises(NotFound) as refused:
        add_calendar(uow, clinic.id, calendar_details(theirs.id), reference, now)

    assert refused.value.what == "service"
    assert uow.calendars.all() == []


def test_an_archived_service_gets_no_calendars(uow, service, calendar_details, reference, now, later):
    archive_service(uow, service.clinic_id, service.id, 1, later)
    uow.published.clear()

    with pytest.raises(Invalid) as refused:
        add_calendar(uow, service.clinic_id, calendar_details(service.id), reference, now)

    assert [p.field for p in refused.value.problems] == ["service"]
    assert uow.published == []


def test_a_range_that_ends_before_it_starts_is_refused_and_nothing_is_stored(uow, service, calendar_details,
                                                                            reference, now):
    details = calendar_details(service.id, bookable_from=date(2026, 5, 1), bookable_until=date(2026, 4, 1))

    with pytest.raises(Invalid) as refused:
        add_calendar(uow, service.clinic_id, details, reference, now)

    assert [p.field for p in refused.value.problems] == ["bookable_until"]
    assert (uow.calendars.all(), uow.published) == ([], [])


def test_changing_a_calendar_bumps_only_the_calendar(uow, service, calendar, calendar_details, reference, ron, later):
    changed = change_calendar(uow, service.clinic_id, calendar.id, calendar_details(service.id, price=ron(18000)), 1,
                              reference, later)

    assert (changed.version, changed.details.price) == (2, ron(18000))
    assert uow.services.get(service.clinic_id, service.id).version == 1
    assert [type(e) for e, _ in uow.published] == [CalendarUpsertedV1]


def test_a_calendar_is_found_only_under_its_own_service(uow, service, calendar, calendar_details, service_details,
                                                        reference, now, later):
    other = add_service(uow, service.clinic_id, service_details(name="Massage"), reference, now)

    with pytest.raises(NotFound):
        read_calendar(uow, service.clinic_id, other.id, calendar.id)
    with pytest.raises(NotFound):
        change_calendar(uow, service.clinic_id, calendar.id, calendar_details(other.id), 1, reference, later)
    with pytest.raises(NotFound):
        archive_calendar(uow, service.clinic_id, other.id, calendar.id, 1, later)


def test_archiving_a_calendar_publishes_its_archived_snapshot(uow, service, calendar, later):
    archive_calendar(uow, service.clinic_id, service.id, calendar.id, 1, later)

    assert [(type(e), e.archived) for e, _ in uow.published] == [(CalendarArchivedV1, True)]


def test_a_services_calendars_are_listed_apart_from_other_services(uow, service, calendar, calendar_details,
                                                                  service_details, reference, now):
    other = add_service(uow, service.clinic_id, service_details(name="Massage"), reference, now)
    add_calendar(uow, service.clinic_id, calendar_details(other.id), reference, now)

    assert list_calendars(uow, service.clinic_id, service.id, Listing()).entries == [calendar]


def test_listing_the_calendars_of_an_unknown_service_is_refused(uow, clinic):
    with pytest.raises(NotFound):
        list_calendars(uow, clinic.id, uuid.uuid4(), Listing())


def test_patients_see_the_active_calendars_of_an_offered_service(uow, service, calendar, calendar_details,
                                                                reference, now, later):
    archived = add_calendar(uow, service.clinic_id, calendar_details(service.id, name="Old"), reference, now)
    archive_calendar(uow, service.clinic_id, service.id, archived.id, 1, later)

    offered, page = offered_calendars(uow, service.clinic_id, service.id, Listing(status="all"))

    assert (offered, page.entries) == (service, [calendar])


def test_patients_see_no_calendars_of_an_archived_service(uow, service, calendar, later):
    archive_service(uow, service.clinic_id, service.id, 1, later)

    with pytest.raises(NotFound):
        offered_calendars(uow, service.clinic_id, service.id, Listing())
