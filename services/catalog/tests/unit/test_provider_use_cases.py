"""Adding, changing, archiving, reading and listing providers (catalog.service_layer.providers).

These also specify what every kind of entry shares (catalog.service_layer.entries): versions,
races, unchanged changes, archiving, tenancy and pages."""

from __future__ import annotations

import uuid

import pytest

from catalog.adapters.entries import Listing
from catalog.domain.clinic import LocationDetails
from catalog.service_layer.clinics import UnknownClinic, add_location
from catalog.service_layer.errors import InUse
from catalog.service_layer.providers import (
    add_provider,
    archive_provider,
    change_provider,
    list_providers,
    read_provider,
)
from catalog.service_layer.services import add_service
from clinic_contracts.events.catalog import ProviderArchivedV1, ProviderUpsertedV1
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion


@pytest.fixture
def provider(uow, clinic, provider_details, reference, now):
    """A provider added before the test starts; its event is not part of the test."""
    added = add_provider(uow, clinic.id, provider_details(), reference, now)
    uow.published.clear()
    return added


# -- adding -----------------------------------------------------------------------------------


def test_adding_stores_the_provider_at_version_one_and_publishes_its_full_snapshot(uow, clinic, provider_details,
                                                                                   reference, now):
    provider = add_provider(uow, clinic.id, provider_details(mobile="+40712345678"), reference, now)

    assert uow.providers.all() == [provider]
    assert (provider.clinic_id, provider.version, provider.archived, provider.id.version) == (clinic.id, 1, False, 7)
    assert uow.published == [(ProviderUpsertedV1(
        clinic_id=clinic.id, provider_id=provider.id, name="Dr. Ana Popescu", email="ana.popescu@dentalcare.ro",
        mobile="+40712345678", timezone="Europe/Bucharest", location_ids=[], version=1, archived=False,
        updated_at=now), clinic.id)]


def test_a_national_mobile_number_is_stored_in_international_form(uow, clinic, provider_details, reference, now):
    provider = add_provider(uow, clinic.id, provider_details(mobile="0712 345 678"), reference, now)

    assert provider.details.mobile == "+40712345678"


def test_a_specialist_works_at_the_clinics_active_locations(uow, clinic, provider_details, reference, now):
    located, location_id = add_location(uow, clinic.id, LocationDetails("Centre", "Str. 1", "UTC"), 1, reference, now)

    provider = add_provider(uow, clinic.id, provider_details(location_ids=(location_id,)), reference, now)

    assert provider.details.location_ids == (location_id,)


def test_an_invalid_provider_is_refused_with_every_problem_and_nothing_is_stored_or_published(
    uow, clinic, provider_details, reference, now
):
    with pytest.raises(Invalid) as refused:
        add_provider(uow, clinic.id, provider_details(email="nobody", location_ids=(uuid.uuid4(),)), reference, now)

    assert [p.field for p in refused.value.problems] == ["email", "location_ids.0"]
    assert uow.providers.all() == []
    assert uow.published == []


def test_another_clinics_location_is_as_unknown_as_a_made_up_one(uow, clinic, other_clinic, provider_details,
                                                                 reference, now):
    _, theirs = add_location(uow, other_clinic.id, LocationDetails("Iasi", "Str. 2", "UTC"), 1, reference, now)

    with pytest.raises(Invalid) as refused:
        add_provider(uow, clinic.id, provider_details(location_ids=(theirs,)), reference, now)

    assert refused.value.problems[0].message == f"no location {theirs} in this clinic"


def test_providers_of_an_unknown_clinic_are_refused(uow, provider_details, reference, now):
    with pytest.raises(UnknownClinic):
        add_provider(uow, uuid.uuid4(), provider_details(), reference, now)


# -- changing ---------------------------------------------------------------------------------


def test_a_change_stores_the_next_version_and_publishes_its_snapshot(uow, provider, provider_details, reference,
                                                                     later):
    changed = change_provider(uow, provider.clinic_id, provider.id, provider_details(name="Dr. Ana Ionescu"), 1,
                              reference, later)

    assert (changed.version, changed.details.name, changed.updated_at) == (2, "Dr. Ana Ionescu", later)
    assert uow.providers.get(provider.clinic_id, provider.id) == changed
    assert [(type(e), e.version, e.name) for e, _ in uow.published] == [(ProviderUpsertedV1, 2, "Dr. Ana Ionescu")]


def test_a_change_based_on_a_stale_version_is_refused_with_the_current_one(uow, provider, provider_details,
                                                                           reference, later):
    change_provider(uow, provider.clinic_id, provider.id, provider_details(name="First"), 1, reference, later)
    uow.published.clear()

    with pytest.raises(StaleVersion) as refused:
        change_provider(uow, provider.clinic_id, provider.id, provider_details(name="Second"), 1, reference, later)

    assert refused.value.current == 2
    assert uow.providers.get(provider.clinic_id, provider.id).details.name == "First"
    assert uow.published == []


def test_a_change_that_loses_the_race_to_another_writer_is_stale_and_publishes_nothing(uow, provider,
                                                                                       provider_details, reference,
                                                                                       later):
    theirs = provider.change(provider_details(name="Theirs"), later)
    uow.providers.someone_else_saves_first(theirs)

    with pytest.raises(StaleVersion) as refused:
        change_provider(uow, provider.clinic_id, provider.id, provider_details(name="Ours"), 1, reference, later)

    assert refused.value.current == 2
    assert uow.providers.get(provider.clinic_id, provider.id) == theirs
    assert uow.published == []


def test_an_unchanged_provider_keeps_its_version_and_publishes_nothing(uow, provider, provider_details, reference,
                                                                       later):
    assert change_provider(uow, provider.clinic_id, provider.id, provider_details(), 1, reference, later) == provider
    assert uow.published == []


def test_an_invalid_change_is_refused_and_changes_nothing(uow, provider, provider_details, reference, later):
    with pytest.raises(Invalid):
        change_provider(uow, provider.clinic_id, provider.id, provider_details(timezone="Mars/Olympus"), 1,
                        reference, later)

    assert uow.providers.get(provider.clinic_id, provider.id) == provider
    assert uow.published == []


def test_an_archived_provider_cannot_change(uow, provider, provider_details, reference, later):
    archive_provider(uow, provider.clinic_id, provider.id, 1, later)

    with pytest.raises(Invalid) as refused:
        change_provider(uow, provider.clinic_id, provider.id, provider_details(name="Back"), 2, reference, later)

    assert [p.field for p in refused.value.problems] == ["provider"]


@pytest.mark.parametrize("use_case", ["change", "archive", "read"])
def test_another_clinics_provider_is_not_found_here(uow, provider, other_clinic, provider_details, reference, later,
                                                    use_case):
    calls = {
        "change": lambda: change_provider(uow, other_clinic.id, provider.id, provider_details(), 1, reference, later),
        "archive": lambda: archive_provider(uow, other_clinic.id, provider.id, 1, later),
        "read": lambda: read_provider(uow, other_clinic.id, provider.id),
    }

    with pytest.raises(NotFound) as refused:
        calls[use_case]()

    assert refused.value.what == "provider"
    assert uow.providers.get(provider.clinic_id, provider.id) == provider


# -- archiving --------------------------------------------------------------------------------


def test_archiving_stores_the_next_version_and_publishes_the_archived_snapshot(uow, provider, later):
    archived = archive_provider(uow, provider.clinic_id, provider.id, 1, later)

    assert (archived.archived, archived.version) == (True, 2)
    [(event, _)] = uow.published
    assert (type(event), event.archived, event.version, event.email) == (ProviderArchivedV1, True, 2, provider.details.email)


def test_archiving_an_archived_provider_changes_and_publishes_nothing(uow, provider, later):
    archived = archive_provider(uow, provider.clinic_id, provider.id, 1, later)
    uow.published.clear()

    assert archive_provider(uow, provider.clinic_id, provider.id, 2, later) == archived
    assert uow.published == []


def test_archiving_needs_the_current_version(uow, provider, provider_details, reference, later):
    change_provider(uow, provider.clinic_id, provider.id, provider_details(name="Changed"), 1, reference, later)

    with pytest.raises(StaleVersion):
        archive_provider(uow, provider.clinic_id, provider.id, 1, later)


def test_a_specialist_who_delivers_active_services_cannot_be_archived(uow, provider, service_details, reference, now,
                                                                      later):
    service = add_service(uow, provider.clinic_id, service_details(provider_ids=(provider.id,)), reference, now)
    uow.published.clear()

    with pytest.raises(InUse) as refused:
        archive_provider(uow, provider.clinic_id, provider.id, 1, later)

    assert (refused.value.what, refused.value.users) == ("provider", {"services": [service.id]})
    assert not uow.providers.get(provider.clinic_id, provider.id).archived
    assert uow.published == []


# -- reading and listing ----------------------------------------------------------------------


def test_a_provider_is_read_in_its_own_clinic(uow, provider):
    assert read_provider(uow, provider.clinic_id, provider.id) == provider


def test_a_made_up_id_is_not_found(uow, clinic):
    with pytest.raises(NotFound):
        read_provider(uow, clinic.id, uuid.uuid4())


def test_listing_pages_through_the_clinics_providers_in_id_order(uow, clinic, other_clinic, provider_details,
                                                                 reference, now):
    added = sorted((add_provider(uow, clinic.id, provider_details(name=f"Dr. {n}"), reference, now)
                    for n in range(5)), key=lambda provider: provider.id)
    add_provider(uow, other_clinic.id, provider_details(), reference, now)

    first = list_providers(uow, clinic.id, Listing(limit=2))
    second = list_providers(uow, clinic.id, Listing(limit=2, after=first.next_after))
    last = list_providers(uow, clinic.id, Listing(limit=2, after=second.next_after))

    assert [first.entries, second.entries, last.entries] == [added[:2], added[2:4], added[4:]]
    assert (first.next_after, second.next_after, last.next_after) == (added[1].id, added[3].id, None)


def test_a_page_that_ends_exactly_at_the_last_provider_has_no_next_page(uow, provider):
    assert list_providers(uow, provider.clinic_id, Listing(limit=1)).next_after is None


def test_listing_shows_active_archived_or_all_providers(uow, clinic, provider_details, reference, now, later):
    active = add_provider(uow, clinic.id, provider_details(), reference, now)
    archived = archive_provider(uow, clinic.id, add_provider(uow, clinic.id, provider_details(), reference, now).id,
                                1, later)

    listed = {status: list_providers(uow, clinic.id, Listing(status=status)).entries
              for status in ("active", "archived", "all")}

    assert listed == {"active": [active], "archived": [archived],
                      "all": sorted([active, archived], key=lambda provider: provider.id)}


def test_listing_the_providers_of_an_unknown_clinic_is_refused(uow):
    with pytest.raises(UnknownClinic):
        list_providers(uow, uuid.uuid4(), Listing())

