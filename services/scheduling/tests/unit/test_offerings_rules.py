"""Scheduling's read model of specialists, services and booking calendars keeps the newest
snapshot of each, whatever order catalog's events arrive in, archives included; and how long
ahead each may be booked."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest

from scheduling.domain.offerings import BookingWindow, booking_window
from scheduling.service_layer.offerings import record_calendar, record_provider, record_service

KINDS = ["provider", "service", "calendar"]


@pytest.fixture(params=KINDS)
def kind(request, provider, service, calendar, providers, services, calendars):
    """One kind of thing catalog publishes: its snapshot factory, its directory, its use case and
    how to look it up again."""
    factory, directory, record, lookup = {
        "provider": (provider, providers, record_provider,
                     lambda s: providers.get(s.clinic_id, s.provider_id)),
        "service": (service, services, record_service,
                    lambda s: services.get(s.clinic_id, s.service_id)),
        "calendar": (calendar, calendars, record_calendar,
                     lambda s: next((c for c in calendars.of_service(s.clinic_id, s.service_id)
                                    if c.calendar_id == s.calendar_id), None)),
    }[request.param]
    return factory, directory, record, lookup


# -- Snapshot.supersedes ------------------------------------------------------------------------


def test_any_snapshot_supersedes_nothing_held(kind):
    factory, *_ = kind
    assert factory(1).supersedes(None)


def test_a_newer_version_supersedes_the_one_held(kind):
    factory, *_ = kind
    assert factory(2).supersedes(factory(1))


@pytest.mark.parametrize(("arriving", "held"), [(2, 2), (1, 2), (1, 5)])
def test_an_equal_or_older_version_does_not_supersede(kind, arriving, held):
    factory, *_ = kind
    assert not factory(arriving).supersedes(factory(held))


def test_an_archive_is_a_version_like_any_other(kind):
    factory, *_ = kind
    archived = factory(3, archived=True)

    assert archived.supersedes(factory(2))
    assert not factory(2).supersedes(archived)


# -- record_provider / record_service / record_calendar ---------------------------------------


def test_the_first_snapshot_is_kept(kind):
    factory, directory, record, lookup = kind

    assert record(directory, factory(1)) is True

    assert lookup(factory(1)) == factory(1)
    assert directory.stored == [1]


def test_a_newer_snapshot_replaces_the_one_held(kind):
    factory, directory, record, lookup = kind
    record(directory, factory(1))

    assert record(directory, factory(2)) is True

    assert lookup(factory(1)) == factory(2)
    assert directory.stored == [1, 2]


@pytest.mark.parametrize("late", [1, 2], ids=["older", "equal"])
def test_an_older_or_equal_snapshot_is_ignored(kind, late):
    factory, directory, record, lookup = kind
    record(directory, factory(2))

    assert record(directory, factory(late, name="Stale name")) is False

    assert lookup(factory(2)) == factory(2)
    assert directory.stored == [2]


def test_an_archive_keeps_the_snapshot_marked_archived(kind):
    factory, directory, record, lookup = kind
    record(directory, factory(1))

    assert record(directory, factory(2, archived=True)) is True

    assert lookup(factory(1)).archived is True


def test_a_change_arriving_after_the_archive_it_preceded_does_not_revive_it(kind):
    factory, directory, record, lookup = kind
    record(directory, factory(3, archived=True))

    assert record(directory, factory(2)) is False

    assert lookup(factory(1)) == factory(3, archived=True)


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3])), ids=lambda o: "-".join(map(str, o)))
def test_whatever_order_events_arrive_in_the_newest_wins(kind, order):
    factory, directory, record, lookup = kind
    for version in order:
        record(directory, factory(version, archived=version == 3))

    assert lookup(factory(1)) == factory(3, archived=True)


def test_the_same_id_in_another_clinic_is_another_thing(kind):
    factory, directory, record, lookup = kind
    record(directory, factory(5))
    foreign = factory(1, clinic_id=uuid.uuid4())

    assert record(directory, foreign) is True

    assert lookup(foreign) == foreign
    assert lookup(factory(5)) == factory(5)


# -- booking windows ----------------------------------------------------------------------------


def test_a_service_that_sets_no_booking_window_has_the_platforms(service):
    assert booking_window(service(1)) == BookingWindow(timedelta(hours=1), timedelta(days=180))


def test_a_services_own_notice_and_horizon_hold_a_notice_of_zero_minutes_too(service):
    assert booking_window(service(1, minimum_notice_minutes=0, booking_horizon_days=30)) == \
        BookingWindow(timedelta(0), timedelta(days=30))


def test_a_calendar_overrides_what_it_sets_and_takes_the_services_for_the_rest(service, calendar):
    own = service(1, minimum_notice_minutes=120, booking_horizon_days=30)

    assert booking_window(own, calendar(1, minimum_notice_minutes=2880)) == \
        BookingWindow(timedelta(days=2), timedelta(days=30))
    assert booking_window(own, calendar(1, booking_horizon_days=7)) == BookingWindow(timedelta(hours=2),
                                                                                     timedelta(days=7))
    assert booking_window(service(1), calendar(1)) == BookingWindow(timedelta(hours=1), timedelta(days=180))
