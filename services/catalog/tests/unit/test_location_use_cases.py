"""Adding, changing and archiving a clinic's locations (catalog.service_layer.clinics), on fakes."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from catalog.domain.clinic import LocationDetails
from catalog.service_layer.clinics import (
    InvalidClinic,
    StaleVersion,
    UnknownClinic,
    add_location,
    archive_location,
    change_location,
)
from catalog.service_layer.errors import InUse
from catalog.service_layer.providers import add_provider
from clinic_runtime.refusals import NotFound

CENTRE = LocationDetails("Cluj centre", "Strada Memorandumului 28, Cluj-Napoca", "Europe/Bucharest")


@pytest.fixture
def located(uow, clinic, reference, now):
    """The clinic with one location (at version 2), its event not part of the test."""
    changed, location_id = add_location(uow, clinic.id, CENTRE, 1, reference, now)
    uow.published.clear()
    return changed, location_id


def test_adding_a_location_stores_the_clinic_one_version_on_and_publishes_its_snapshot(uow, clinic, reference, later):
    changed, location_id = add_location(uow, clinic.id, CENTRE, 1, reference, later)

    assert uow.clinics.get(clinic.id) == changed
    assert changed.version == 2
    assert changed.location(location_id).details == CENTRE
    [(event, tenant)] = uow.published
    assert tenant == clinic.id
    assert (event.version, [(loc.location_id, loc.name, loc.archived) for loc in event.locations]) == (
        2, [(location_id, "Cluj centre", False)])


def test_a_new_location_gets_a_time_ordered_id(uow, clinic, reference, now):
    assert add_location(uow, clinic.id, CENTRE, 1, reference, now)[1].version == 7


def test_an_invalid_location_is_refused_with_every_problem_and_nothing_changes(uow, clinic, reference, now):
    with pytest.raises(InvalidClinic) as refused:
        add_location(uow, clinic.id, LocationDetails("", "", "Nowhere/City"), 1, reference, now)

    assert [p.field for p in refused.value.problems] == ["name", "address", "timezone"]
    assert uow.clinics.get(clinic.id) == clinic
    assert uow.published == []


def test_a_location_change_based_on_a_stale_clinic_version_is_refused(uow, located, reference, later):
    clinic, location_id = located

    with pytest.raises(StaleVersion) as refused:
        change_location(uow, clinic.id, location_id, replace(CENTRE, name="Old name"), 1, reference, later)

    assert refused.value.current == 2
    assert uow.published == []


def test_changing_a_location_publishes_the_clinic_with_the_changed_location(uow, located, reference, later):
    clinic, location_id = located

    changed = change_location(uow, clinic.id, location_id, replace(CENTRE, name="Cluj Napoca centre"), 2,
                              reference, later)

    assert changed.location(location_id).details.name == "Cluj Napoca centre"
    assert [e.locations[0].name for e, _ in uow.published] == ["Cluj Napoca centre"]


def test_an_unknown_location_is_not_found(uow, located, reference, later):
    clinic, _ = located

    with pytest.raises(NotFound) as refused:
        change_location(uow, clinic.id, uuid.uuid4(), CENTRE, 2, reference, later)

    assert refused.value.what == "location"


def test_another_clinics_location_is_not_found_in_this_one(uow, located, other_clinic, reference, later):
    _, location_id = located

    with pytest.raises(NotFound):
        archive_location(uow, other_clinic.id, location_id, 1, later)


def test_locations_of_an_unknown_clinic_are_refused(uow, reference, now):
    with pytest.raises(UnknownClinic):
        add_location(uow, uuid.uuid4(), CENTRE, 1, reference, now)


def test_archiving_a_location_publishes_it_archived(uow, located, later):
    clinic, location_id = located

    archived = archive_location(uow, clinic.id, location_id, 2, later)

    assert archived.location(location_id).archived
    assert [e.locations[0].archived for e, _ in uow.published] == [True]


def test_a_location_where_active_specialists_work_cannot_be_archived(uow, located, provider_details, reference, now,
                                                                    later):
    clinic, location_id = located
    provider = add_provider(uow, clinic.id, provider_details(location_ids=(location_id,)), reference, now)
    uow.published.clear()

    with pytest.raises(InUse) as refused:
        archive_location(uow, clinic.id, location_id, 2, later)

    assert refused.value.users == {"providers": [provider.id]}
    assert not uow.clinics.get(clinic.id).location(location_id).archived
    assert uow.published == []
