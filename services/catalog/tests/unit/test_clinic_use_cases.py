"""Registering and changing clinics (catalog.service_layer.clinics), on fake ports."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from catalog.domain.clinic import Clinic
from catalog.domain.values import Money, RefundPolicy
from catalog.service_layer.calendars import add_calendar
from catalog.service_layer.clinics import (
    ClinicChange,
    InvalidClinic,
    SlugTaken,
    StaleVersion,
    UnknownClinic,
    change_clinic,
    register_clinic,
)
from catalog.service_layer.errors import InUse
from catalog.service_layer.products import add_product
from catalog.service_layer.services import add_service, archive_service
from clinic_contracts.events import catalog as events
from clinic_contracts.events.catalog import ClinicUpsertedV1


def snapshot_of(clinic: Clinic) -> ClinicUpsertedV1:
    p = clinic.profile
    return ClinicUpsertedV1(
        clinic_id=clinic.id, slug=p.slug, name=p.name, timezone=p.timezone, currency=p.currency,
        locale=p.locale, version=clinic.version, archived=clinic.archived, updated_at=clinic.updated_at,
    )


@pytest.fixture
def registered(uow, profile, reference, now) -> Clinic:
    """A clinic registered before the test starts; its event is not part of the test."""
    clinic = register_clinic(uow, profile, reference, now)
    uow.published.clear()
    return clinic


# -- register_clinic --------------------------------------------------------------------------


def test_registering_stores_the_clinic_at_version_one(uow, profile, reference, now):
    clinic = register_clinic(uow, profile, reference, now)

    assert uow.clinics.all() == [clinic]
    assert (clinic.profile, clinic.version, clinic.updated_at, clinic.archived) == (profile, 1, now, False)


def test_a_registered_clinic_gets_a_time_ordered_id(uow, profile, reference, now):
    assert register_clinic(uow, profile, reference, now).id.version == 7


def test_registering_publishes_the_full_snapshot_for_the_clinics_tenant(uow, profile, reference, now):
    clinic = register_clinic(uow, profile, reference, now)

    assert uow.published == [(snapshot_of(clinic), clinic.id)]
    event = uow.published[0][0]
    assert (event.slug, event.name, event.timezone, event.currency, event.locale, event.version) == (
        "dental-care-cluj", "Dental Care Cluj", "Europe/Bucharest", "RON", "ro-RO", 1
    )


def test_registering_a_taken_slug_is_refused_and_publishes_nothing(uow, registered, profile, reference, later):
    with pytest.raises(SlugTaken):
        register_clinic(uow, replace(profile, name="Another Clinic"), reference, later)

    assert uow.clinics.all() == [registered]
    assert uow.published == []


def test_registering_an_invalid_profile_reports_every_problem_and_changes_nothing(uow, profile, reference, now):
    with pytest.raises(InvalidClinic) as refused:
        register_clinic(uow, replace(profile, slug="Bad Slug", currency="XYZ"), reference, now)

    assert [p.field for p in refused.value.problems] == ["slug", "currency"]
    assert uow.clinics.all() == []
    assert uow.published == []


def test_an_invalid_profile_is_reported_before_its_slug_is_looked_up(uow, registered, profile, reference, later):
    with pytest.raises(InvalidClinic):
        register_clinic(uow, replace(profile, locale="xx-YY"), reference, later)


# -- change_clinic ----------------------------------------------------------------------------


def test_a_change_stores_the_next_version_and_publishes_its_snapshot(uow, registered, profile, reference, later):
    renamed = replace(profile, name="Dental Care Cluj-Napoca", currency="EUR")

    changed = change_clinic(uow, registered.id, ClinicChange(renamed, expected_version=1), reference, later)

    assert (changed.id, changed.profile, changed.version, changed.updated_at) == (registered.id, renamed, 2, later)
    assert uow.clinics.get(registered.id) == changed
    assert uow.published == [(snapshot_of(changed), registered.id)]


def test_a_clinic_may_keep_its_own_slug_when_it_changes(uow, registered, profile, reference, later):
    change = ClinicChange(replace(profile, name="Renamed"), expected_version=1)

    assert change_clinic(uow, registered.id, change, reference, later).profile.slug == profile.slug


def test_a_change_based_on_a_stale_version_is_refused_with_the_current_one(uow, registered, profile, reference, later):
    change_clinic(uow, registered.id, ClinicChange(replace(profile, name="First"), 1), reference, later)
    uow.published.clear()

    with pytest.raises(StaleVersion) as refused:
        change_clinic(uow, registered.id, ClinicChange(replace(profile, name="Second"), 1), reference, later)

    assert refused.value.current == 2
    assert uow.clinics.get(registered.id).profile.name == "First"
    assert uow.published == []


def test_a_change_that_loses_the_race_to_another_writer_is_stale_and_publishes_nothing(
    uow, registered, profile, reference, later
):
    theirs = registered.change_profile(replace(profile, name="Theirs"), later)
    uow.clinics.someone_else_saves_first(theirs)

    with pytest.raises(StaleVersion) as refused:
        change_clinic(uow, registered.id, ClinicChange(replace(profile, name="Ours"), 1), reference, later)

    assert refused.value.current == 2
    assert uow.clinics.get(registered.id) == theirs
    assert uow.published == []


def test_changing_an_unknown_clinic_is_refused(uow, profile, reference, later):
    with pytest.raises(UnknownClinic):
        change_clinic(uow, uuid.uuid4(), ClinicChange(profile, 1), reference, later)

    assert uow.published == []


def test_taking_another_clinics_slug_is_refused(uow, registered, profile, reference, now, later):
    other = register_clinic(uow, replace(profile, slug="physio-cluj", name="Physio Cluj"), reference, now)
    uow.published.clear()

    with pytest.raises(SlugTaken):
        change_clinic(uow, other.id, ClinicChange(replace(other.profile, slug=profile.slug), 1), reference, later)

    assert uow.clinics.get(other.id) == other
    assert uow.published == []


def test_an_unchanged_profile_keeps_the_version_and_publishes_nothing(uow, registered, profile, reference, later):
    result = change_clinic(uow, registered.id, ClinicChange(replace(profile), 1), reference, later)

    assert result == registered
    assert (result.version, result.updated_at) == (1, registered.updated_at)
    assert uow.published == []


def test_an_invalid_change_reports_every_problem_and_changes_nothing(uow, registered, profile, reference, later):
    broken = replace(profile, name=" ", timezone="Mars/Olympus", locale="xx-YY")

    with pytest.raises(InvalidClinic) as refused:
        change_clinic(uow, registered.id, ClinicChange(broken, 1), reference, later)

    assert [p.field for p in refused.value.problems] == ["name", "timezone", "locale"]
    assert uow.clinics.get(registered.id) == registered
    assert uow.published == []


# -- the clinic's currency --------------------------------------------------------------------


def test_the_currency_stays_while_an_active_entry_has_a_price_in_it(uow, registered, profile, reference,
                                                                     service_details, calendar_details,
                                                                     product_details, now, later):
    service = add_service(uow, registered.id, service_details(), reference, now)
    calendar = add_calendar(uow, registered.id, calendar_details(service.id, price=Money(15000, "RON")), reference,
                            now)
    product = add_product(uow, registered.id, product_details(), reference, now)
    uow.published.clear()

    with pytest.raises(InUse) as refused:
        change_clinic(uow, registered.id, ClinicChange(replace(profile, currency="EUR"), 1), reference, later)

    assert refused.value.users == {"services": [service.id], "calendars": [calendar.id], "products": [product.id]}
    assert uow.clinics.get(registered.id) == registered
    assert uow.published == []


def test_the_currency_changes_once_no_active_entry_has_a_price(uow, registered, profile, reference,
                                                               service_details, calendar_details, now, later):
    service = add_service(uow, registered.id, service_details(), reference, now)
    add_calendar(uow, registered.id, calendar_details(service.id), reference, now)
    archive_service(uow, registered.id, service.id, 1, now)

    changed = change_clinic(uow, registered.id, ClinicChange(replace(profile, currency="EUR"), 1), reference, later)

    assert changed.profile.currency == "EUR"


def test_an_archived_clinic_cannot_be_changed(uow, profile, reference, now, later):
    archived = replace(Clinic.register(uuid.uuid4(), profile, now), archived=True)
    uow.clinics.add(archived)

    with pytest.raises(InvalidClinic) as refused:
        change_clinic(uow, archived.id, ClinicChange(replace(profile, name="Reopened"), 1), reference, later)

    assert [p.field for p in refused.value.problems] == ["clinic"]
    assert uow.clinics.get(archived.id) == archived
    assert uow.published == []


def test_the_clinic_snapshot_carries_its_policies(uow, profile, reference, now):
    policy = RefundPolicy("partial", 50, "Half back when you cancel a day ahead.")

    clinic = register_clinic(uow, replace(profile, cancellation_window_hours=24, refund_policy=policy), reference,
                             now)

    [(event, _)] = uow.published
    assert (event.cancellation_window_hours, event.refund_policy, event.locations) == (
        24, events.RefundPolicy(kind="partial", percent=50, text="Half back when you cancel a day ahead."), [])
    assert clinic.profile.refund_policy == policy
