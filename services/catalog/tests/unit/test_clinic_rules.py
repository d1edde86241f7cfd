"""The rules a clinic and its profile obey (catalog.domain)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from catalog.domain.clinic import Clinic, ClinicRuleBroken
from catalog.domain.rules import check_profile


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
