"""The rules a clinic and its profile obey (catalog.domain)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from catalog.domain.clinic import Clinic, ClinicRuleBroken, Location, LocationDetails
from catalog.domain.errors import RuleBroken
from catalog.domain.rules import check_location, check_profile, region_of
from catalog.domain.values import RefundPolicy


def fields(problems: list[ClinicRuleBroken]) -> list[str]:
    return [p.field for p in problems]


# -- registering ------------------------------------------------------------------------------


def test_a_registered_clinic_starts_active_at_version_one(profile, now):
    clinic_id = uuid.uuid4()

    clinic = Clinic.register(clinic_id, profile, now)

    assert (clinic.id, clinic.profile, clinic.version, clinic.updated_at, clinic.archived) == (
        clinic_id, profile, 1, now, False
    )


def test_a_complete_profile_breaks_no_rule(profile, reference):
    assert check_profile(profile, reference) == []


# -- slug -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    ["a", "7", "dental-care-cluj", "physio-2", "a-b-c", "a" * 63],
)
def test_a_slug_of_lowercase_letters_digits_and_inner_hyphens_is_accepted(profile, reference, slug):
    assert check_profile(replace(profile, slug=slug), reference) == []


@pytest.mark.parametrize(
    "slug",
    [
        pytest.param("", id="empty"),
        pytest.param("-clinic", id="leading-hyphen"),
        pytest.param("clinic-", id="trailing-hyphen"),
        pytest.param("Dental-Care", id="uppercase"),
        pytest.param("dental_care", id="underscore"),
        pytest.param("dental care", id="space"),
        pytest.param("clinică", id="non-ascii"),
        pytest.param("dental/care", id="slash"),
        pytest.param("a" * 64, id="64-characters"),
    ],
)
def test_a_malformed_slug_is_reported_against_the_slug(profile, reference, slug):
    problems = check_profile(replace(profile, slug=slug), reference)

    assert fields(problems) == ["slug"]
    assert problems[0].message


def test_a_slug_with_a_trailing_newline_is_refused(profile, reference):
    # `$` in SLUG also matches just before a final "\n"; a slug is used in public URL paths.
    assert fields(check_profile(replace(profile, slug="dental-care-cluj\n"), reference)) == ["slug"]


# -- name -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", " ", "\t \n"])
def test_a_blank_name_is_refused(profile, reference, name):
    problems = check_profile(replace(profile, name=name), reference)

    assert fields(problems) == ["name"]
    assert problems[0].message == "must not be blank"


# -- reference data ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "unknown"),
    [
        ("timezone", "Mars/Olympus"),
        ("timezone", "europe/bucharest"),
        ("currency", "XYZ"),
        ("currency", "ron"),
        ("locale", "xx-YY"),
    ],
)
def test_an_unknown_reference_value_is_reported_against_its_own_field(profile, reference, field, unknown):
    problems = check_profile(replace(profile, **{field: unknown}), reference)

    assert fields(problems) == [field]
    assert repr(unknown) in problems[0].message


def test_every_broken_rule_is_reported_together(profile, reference):
    broken = replace(profile, slug="Bad Slug", name="  ", timezone="Nowhere/City", currency="ZZZ", locale="xx")

    assert fields(check_profile(broken, reference)) == ["slug", "name", "timezone", "currency", "locale"]


def test_a_broken_rule_is_a_value_error_naming_its_field():
    broken = ClinicRuleBroken("slug", "use lowercase")

    assert isinstance(broken, ValueError)
    assert (broken.field, broken.message, str(broken)) == ("slug", "use lowercase", "use lowercase")


# -- changing ---------------------------------------------------------------------------------


def test_a_changed_profile_bumps_the_version_by_one_and_stamps_the_change(profile, now, later):
    clinic = Clinic.register(uuid.uuid4(), profile, now)
    renamed = replace(profile, name="Dental Care Cluj-Napoca")

    changed = clinic.change_profile(renamed, later)

    assert (changed.id, changed.profile, changed.version, changed.updated_at) == (clinic.id, renamed, 2, later)


def test_changing_leaves_the_clinic_it_started_from_untouched(profile, now, later):
    clinic = Clinic.register(uuid.uuid4(), profile, now)

    clinic.change_profile(replace(profile, name="Elsewhere"), later)

    assert (clinic.profile, clinic.version, clinic.updated_at) == (profile, 1, now)


def test_an_unchanged_profile_does_not_bump_the_version(profile, now, later):
    clinic = Clinic.register(uuid.uuid4(), profile, now)

    same = clinic.change_profile(replace(profile), later)

    assert same is clinic
    assert (same.version, same.updated_at) == (1, now)


def test_an_archived_clinic_cannot_change(profile, now, later):
    archived = replace(Clinic.register(uuid.uuid4(), profile, now), archived=True)

    with pytest.raises(ClinicRuleBroken) as refused:
        archived.change_profile(replace(profile, name="Reopened"), later)

    assert refused.value.field == "clinic"
    assert "archived" in refused.value.message


# -- policies ---------------------------------------------------------------------------------


def test_a_new_profile_defaults_to_a_24_hour_window_and_full_refunds(profile):
    assert (profile.cancellation_window_hours, profile.refund_policy) == (24, RefundPolicy("full"))


def test_the_clinics_policies_are_checked_with_the_profile(profile, reference):
    broken = replace(profile, cancellation_window_hours=-1, refund_policy=RefundPolicy("partial"))

    assert fields(check_profile(broken, reference)) == ["cancellation_window_hours", "refund_policy.percent"]


def test_a_partial_refund_policy_with_its_text_is_a_valid_profile(profile, reference):
    policy = RefundPolicy("partial", 50, "Cancel at least a day ahead and half is refunded.")

    assert check_profile(replace(profile, cancellation_window_hours=48, refund_policy=policy), reference) == []


# -- locations --------------------------------------------------------------------------------


CENTRE = LocationDetails("Cluj centre", "Strada Memorandumului 28, Cluj-Napoca", "Europe/Bucharest")


def test_a_location_with_a_name_an_address_and_a_zone_breaks_no_rule(reference):
    assert check_location(CENTRE, reference) == []


def test_a_location_needs_a_name_an_address_and_a_known_zone(reference):
    broken = LocationDetails(" ", "", "Mars/Olympus")

    assert fields(check_location(broken, reference)) == ["name", "address", "timezone"]


def test_adding_a_location_is_a_change_of_the_clinic(profile, now, later):
    clinic = Clinic.register(uuid.uuid4(), profile, now)
    location_id = uuid.uuid4()

    changed = clinic.add_location(location_id, CENTRE, later)

    assert changed.locations == (Location(location_id, CENTRE),)
    assert (changed.version, changed.updated_at) == (2, later)
    assert clinic.locations == ()


def test_changing_a_location_keeps_its_id_and_the_others(profile, now, later):
    first, second = uuid.uuid4(), uuid.uuid4()
    clinic = Clinic.register(uuid.uuid4(), profile, now).add_location(first, CENTRE, now).add_location(
        second, replace(CENTRE, name="Florești"), now)

    changed = clinic.change_location(first, replace(CENTRE, address="Piața Unirii 1"), later)

    assert [(loc.id, loc.details.address) for loc in changed.locations] == [
        (first, "Piața Unirii 1"), (second, CENTRE.address)]
    assert changed.version == clinic.version + 1


def test_an_unchanged_location_keeps_the_clinic_as_it_is(profile, now, later):
    location_id = uuid.uuid4()
    clinic = Clinic.register(uuid.uuid4(), profile, now).add_location(location_id, CENTRE, now)

    assert clinic.change_location(location_id, CENTRE, later) is clinic


def test_archiving_a_location_keeps_it_marked_archived(profile, now, later):
    location_id = uuid.uuid4()
    clinic = Clinic.register(uuid.uuid4(), profile, now).add_location(location_id, CENTRE, now)

    archived = clinic.archive_location(location_id, later)

    assert archived.location(location_id) == Location(location_id, CENTRE, archived=True)
    assert archived.version == clinic.version + 1
    assert archived.location_states() == {location_id: True}


def test_archiving_an_archived_location_changes_nothing(profile, now, later):
    location_id = uuid.uuid4()
    archived = Clinic.register(uuid.uuid4(), profile, now).add_location(location_id, CENTRE, now).archive_location(
        location_id, now)

    assert archived.archive_location(location_id, later) is archived


def test_an_archived_location_cannot_change(profile, now, later):
    location_id = uuid.uuid4()
    clinic = Clinic.register(uuid.uuid4(), profile, now).add_location(location_id, CENTRE, now).archive_location(
        location_id, now)

    with pytest.raises(RuleBroken) as refused:
        clinic.change_location(location_id, replace(CENTRE, name="Reopened"), later)

    assert refused.value.field == "location"


def test_an_archived_clinic_gets_no_new_location(profile, now, later):
    archived = replace(Clinic.register(uuid.uuid4(), profile, now), archived=True)

    with pytest.raises(ClinicRuleBroken):
        archived.add_location(uuid.uuid4(), CENTRE, later)


def test_a_location_the_clinic_does_not_have_is_none(profile, now):
    assert Clinic.register(uuid.uuid4(), profile, now).location(uuid.uuid4()) is None


# -- where national phone numbers are dialled -------------------------------------------------


@pytest.mark.parametrize(("locale", "region"), [("ro-RO", "RO"), ("en-GB", "GB"), ("sr-Latn-RS", "RS"),
                                                ("en", None), ("es-419", None)])
def test_the_region_of_a_locale_is_its_country_if_it_names_one(locale, region):
    assert region_of(locale) == region
